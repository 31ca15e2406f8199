"""The floor for bench/startup.py: a minimal pywebview window, built and run like Kaap."""

import os
import sys
import time

import webview

PAINTED_JS = (
    "window.__painted = null; requestAnimationFrame(() => requestAnimationFrame("
    "() => { window.__painted = performance.timeOrigin + performance.now(); })); 0"
)


def probe(window):
    window.events.loaded.wait(30)
    window.run_js(PAINTED_JS)
    while True:
        painted = window.run_js("String(window.__painted)")
        if painted not in (None, "", "null"):
            print(f"kaap-painted {float(painted) / 1000:.3f}", flush=True)
            return
        time.sleep(0.01)


def main() -> int:
    window = webview.create_window(
        "Hello", html="<!doctype html><title>Hello</title><h1>Hello</h1>"
    )
    gui = "gtk" if sys.platform.startswith("linux") else None
    webview.start(probe if os.environ.get("KAAP_STARTUP_PROBE") == "1" else None, window, gui=gui)
    return 0


if __name__ == "__main__":
    sys.exit(main())
