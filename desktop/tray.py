"""Kaap's tray icon, while it runs on for reminders with its window closed.

pystray runs in a process of its own (``Kaap --tray-for PID``): it has a GUI loop of its own,
and pywebview's documentation advises against running it in the window's process. "Open
Kaap" and "Quit" reach the running Kaap through the single-instance channel
(``desktop/instance.py``), keyed as a second launch is. The process prints ``tray ready``
once its icon is up (the shell waits for that line: no line, no tray, and closing the window
quits as before), and ends when Kaap ends (the shell stops it by pid; it also notices its
parent is gone).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from desktop.instance import QUIT, SHOW, ask_running_to_show

log = logging.getLogger("kaap.tray")

ICON = Path(__file__).resolve().parent / "icons" / "kaap.png"
READY = "tray ready"
READY_TIMEOUT = 10.0  # pystray's import and the icon's first draw, on a loaded machine


def run(data_dir: Path, parent: int) -> int:
    """The tray process's life: the icon until Quit, or until Kaap (``parent``) is gone."""
    try:
        pystray = _load_pystray()
        from PIL import Image
    except Exception as exc:  # no tray back end on this system (no X, no AppIndicator)
        print(f"kaap tray: no tray icon here: {exc}", file=sys.stderr)
        return 3

    def open_kaap(icon, item) -> None:
        ask_running_to_show(data_dir, command=SHOW)

    def quit_kaap(icon, item) -> None:
        ask_running_to_show(data_dir, command=QUIT)
        icon.stop()

    menu = pystray.Menu(
        pystray.MenuItem("Open Kaap", open_kaap, default=True),
        pystray.MenuItem("Quit", quit_kaap),
    )
    icon = pystray.Icon("kaap", Image.open(ICON), "Kaap: reminders on", menu)

    def setup(icon) -> None:
        icon.visible = True
        # pystray's X back end only logs when no system tray takes the icon (no tray
        # manager on the screen): then there is no icon to come back through.
        if getattr(icon, "_systray_manager", True) is None:
            print("kaap tray: no system tray on this screen", file=sys.stderr, flush=True)
            icon.stop()
            return
        print(READY, flush=True)
        gone = threading.Event()
        while not gone.wait(1.0):
            if os.getppid() != parent:  # Kaap ended without stopping us
                icon.stop()
                return

    try:
        icon.run(setup)
    except Exception as exc:
        print(f"kaap tray: no tray icon here: {exc}", file=sys.stderr)
        return 3
    return 0


def _load_pystray():
    """pystray with the first back end that loads: on Linux it tries AppIndicator first and
    gives up when gi lacks it (a ValueError, not the ImportError it falls through on)."""
    if os.environ.get("PYSTRAY_BACKEND") or sys.platform in ("win32", "darwin"):
        import pystray

        return pystray
    errors = []
    for backend in ("appindicator", "gtk", "xorg"):
        os.environ["PYSTRAY_BACKEND"] = backend
        for name in [m for m in sys.modules if m.startswith("pystray")]:
            del sys.modules[name]
        try:
            import pystray

            pystray.Icon  # noqa: B018 (the back end loads on first use)
            return pystray
        except Exception as exc:
            errors.append(f"{backend}: {exc}")
    raise ImportError("; ".join(errors))


class Tray:
    """The shell's handle on the tray process: ``start`` (True once the icon is up), ``stop``."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None
        self.ready = False

    def command(self) -> list[str]:
        base = (
            [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "desktop"]
        )
        return [*base, "--data-dir", str(self.data_dir), "--tray-for", str(os.getpid())]

    def start(self) -> bool:
        if self.proc is not None and self.proc.poll() is None:
            return self.ready
        self.ready = False
        try:
            self.proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        except OSError:
            log.warning("could not start the tray icon's process", exc_info=True)
            return False
        line = []
        reader = threading.Thread(
            target=lambda: line.append(self.proc.stdout.readline()), daemon=True
        )
        reader.start()
        reader.join(READY_TIMEOUT)
        self.ready = bool(line) and line[0].strip() == READY
        if not self.ready:
            log.warning("no tray icon on this system: %s", self._why())
            self.stop()
        else:
            log.info("tray icon up (pid %d)", self.proc.pid)
        return self.ready

    def _why(self) -> str:
        if self.proc.poll() is None:
            return "its process did not answer"
        return (self.proc.stderr.read() or "").strip() or f"exit {self.proc.returncode}"

    def stop(self, timeout: float = 5) -> None:
        proc, self.proc, self.ready = self.proc, None, False
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # by its pid: ours alone
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
