"""The floor for bench/startup.py: a minimal pywebview window, built and run like Kaap.

With ``KAAP_STARTUP_PROBE=1`` it prints Kaap's ``kaap-probe`` line (desktop/probe.py, the same
script): a page with no notes, so its notes visible and notes live are its painted time.
"""

import os
import sys
from pathlib import Path

import webview

if not getattr(sys, "frozen", False):  # from source: desktop/ is beside bench/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop import probe

# The same "painted" mark as Kaap's page (webapp/static/js/app.js): two frames after load.
HTML = (
    "<!doctype html><title>Hello</title><h1>Hello</h1><script>addEventListener('load', () => "
    "requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('kaap:painted'))))"
    "</script>"
)


def measure(window):
    window.events.loaded.wait(30)
    print(probe.line(probe.measure(window, notes=False)), flush=True)


def main() -> int:
    window = webview.create_window("Hello", html=HTML)
    gui = "gtk" if sys.platform.startswith("linux") else None
    webview.start(measure if os.environ.get("KAAP_STARTUP_PROBE") == "1" else None, window, gui=gui)
    return 0


if __name__ == "__main__":
    sys.exit(main())
