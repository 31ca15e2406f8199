"""Kaap on the desktop: ``python -m desktop [--data-dir DIR] [--debug] [--gui gtk|qt]``.

The web app runs on waitress on 127.0.0.1 in a background thread and is shown in a pywebview
window on the main thread. The port and the back end are those of the last launch when they
can be (``desktop/state.py``): the web view's storage belongs to one origin and one back end.
A per-launch token in the start URL is swapped for a cookie, so nothing else on the machine
can use the server (see ``webapp/security.py``); the port is no secret.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path

from desktop import js
from desktop.gui import (
    Geometry,
    GuiUnavailable,
    check_display,
    choose_gui,
    install_signal_handlers,
    prepare_environment,
)
from desktop.instance import AlreadyRunning, SingleInstance, ask_running_to_show
from desktop.state import ShellState

log = logging.getLogger("kaap.desktop")

ICON = Path(__file__).resolve().parent / "icons" / "kaap.png"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Links to other sites open in the system browser: pywebview sends "_blank" targets there.
EXTERNAL_LINKS_JS = """
document.addEventListener('click', function (event) {
  var link = event.target.closest && event.target.closest('a[href]');
  if (link && link.origin !== location.origin) {
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
  }
}, true);
"""
# Resolves after the second animation frame: the page has been painted by then.
PAINTED_JS = (
    "new Promise(r => requestAnimationFrame(() => requestAnimationFrame("
    "() => r(performance.timeOrigin + performance.now()))))"
)


@dataclass
class Session:
    """What a driver (the self-test, the desktop tests) gets: the running app and its window."""

    app: object
    window: object
    base_url: str
    token: str
    data_dir: Path
    gui: str | None
    exit_code: int = 0
    notes: list[str] = field(default_factory=list)

    def cookie_header(self) -> str:
        return f"{self.app.config['LAUNCH_COOKIE_NAME']}={self.token}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="Kaap", description="Kaap, offline notes.")
    parser.add_argument("--data-dir", type=Path, help="where notes live (default: per user)")
    parser.add_argument("--debug", action="store_true", help="verbose log, also on stderr")
    parser.add_argument("--gui", choices=("gtk", "qt"), help="Linux: force a window toolkit")
    parser.add_argument(
        "--restore-backup",
        metavar="NAME",
        help="put backup NAME (from <data dir>/backups) in place of the notes, then exit; "
        "the current database is kept as a backup (or aside, if damaged)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window, create a note through it, check it, close; exit 0 if all worked",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    # A windowed executable (Windows, macOS) has no stdout or stderr: give prints somewhere.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)
    if os.name == "posix":
        os.umask(0o077)  # the notes, log and web view profile are the user's alone (0600, 0700)
    options = parse_args(argv)
    if options.restore_backup:
        return restore_backup(options)
    driver = None
    if options.self_test:
        from desktop.selftest import self_test

        driver = self_test
    return run(options, driver)


def restore_backup(options: argparse.Namespace) -> int:
    """``Kaap --restore-backup NAME``: what a damaged database's message offers; no window."""
    from webapp import create_app
    from webapp.backups.live import restore
    from webapp.errors import KaapError

    data_dir = _data_dir(options)
    settings = {"CONFIG": "desktop", "DATA_DIR": str(data_dir), "START_ON_DAMAGED": True}
    app = create_app(settings)
    try:
        with app.app_context():
            backup, previous = restore(app, options.restore_backup)
    except KaapError as exc:
        print(f"kaap: {exc.message}", file=sys.stderr)
        return 2
    finally:
        from webapp.extensions import db

        with app.app_context():
            db.engine.dispose()
    print(f"Restored the notes from {backup.name}; the previous database is {previous}.")
    return 0


def run(options: argparse.Namespace, driver: Callable[[Session], None] | None = None) -> int:
    """Start Kaap; with ``driver``, call it in a thread once the window exists, then close."""
    temporary = None
    if options.data_dir is None and options.self_test:
        temporary = Path(tempfile.mkdtemp(prefix="kaap-self-test-"))
        options.data_dir = temporary
    try:
        return _run(options, driver)
    except GuiUnavailable as exc:
        print(f"kaap: {exc}", file=sys.stderr)
        return 2
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _data_dir_path(options: argparse.Namespace) -> Path:
    if options.data_dir is not None:
        path = options.data_dir
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("Kaap", appauthor=False))
    return path.expanduser().resolve()


def _data_dir(options: argparse.Namespace) -> Path:
    path = _data_dir_path(options)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _unwritable(options: argparse.Namespace, exc: OSError) -> str:
    from webapp.disk import read_only_message, read_only_reason

    folder = _data_dir_path(options)
    reason = read_only_reason(folder) if folder.is_dir() else None
    return read_only_message(folder, reason or exc.strerror or str(exc))


def _setup_logging(data_dir: Path, debug: bool) -> Path:
    (data_dir / "logs").mkdir(exist_ok=True)
    path = data_dir / "logs" / "kaap.log"
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    if debug:
        stderr = logging.StreamHandler()
        stderr.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(stderr)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # A page load fetches a few files at once; waitress warns about every short queue.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return path


def _run(options: argparse.Namespace, driver) -> int:
    launched = time.monotonic()
    check_display(options.gui)
    try:
        data_dir = _data_dir(options)
        log_path = _setup_logging(data_dir, options.debug)
    except OSError as exc:  # a read-only disk, say: one sentence, not a traceback
        print(f"kaap: {_unwritable(options, exc)}", file=sys.stderr)
        return 2

    instance = SingleInstance(data_dir)
    try:
        instance.acquire()
    except AlreadyRunning:
        if ask_running_to_show(data_dir):
            print(f"Kaap is already running (data in {data_dir}); its window was brought forward.")
            return 0
        print(
            f"kaap: Kaap is already running with the data in {data_dir}, "
            "but its window did not answer.",
            file=sys.stderr,
        )
        return 1
    try:
        return _serve_and_show(options, driver, data_dir, instance, launched, log_path)
    except GuiUnavailable:
        raise
    except Exception as exc:
        log.exception("Kaap could not start")
        print(f"kaap: Kaap could not start ({exc}); details are in {log_path}.", file=sys.stderr)
        return 1
    finally:
        instance.release()


class AfterStart:
    """The app's start-up work that waits for the page (``webapp.maintenance.after_start``:
    the full database check, the daily backup, the trash purge), in a thread that closing the
    window stops."""

    DELAY = 1.0  # seconds after the first page load: its own requests go first

    def __init__(self):
        self.cancelled = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, app, on_damaged: Callable[[str], None]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, args=(app, on_damaged), name="kaap-after-start"
            )
            self._thread.start()

    def _run(self, app, on_damaged) -> None:
        from webapp.maintenance import after_start

        if self.cancelled.wait(self.DELAY):
            return
        try:
            message = after_start(app, self.cancelled)
        except Exception:
            log.exception("the checks after start-up failed")
            return
        if message:
            on_damaged(message)

    def stop(self, timeout: float = 30) -> None:
        """Stop the check; a backup being written is finished first."""
        self.cancelled.set()
        if self._thread is not None:
            self._thread.join(timeout)


def _build_app(data_dir: Path, token: str):
    from webapp import create_app

    return create_app({"CONFIG": "desktop", "DATA_DIR": str(data_dir), "LAUNCH_TOKEN": token})


def _serve_and_show(options, driver, data_dir, instance, launched, log_path) -> int:
    from desktop.server import DeferredApp, LocalServer

    # The server binds now and the app is built in a thread while the window toolkit loads.
    token = secrets.token_urlsafe(32)
    deferred = DeferredApp(lambda: _build_app(data_dir, token))
    deferred.start()
    state = ShellState(data_dir / "desktop.json")
    server = LocalServer(deferred, port=state.port)
    server.start()
    later = AfterStart()
    try:
        gui = choose_gui(options.gui, kept=state.gui)
        if state.port and server.port != state.port:
            log.warning("port %d was taken: serving on %d from now on", state.port, server.port)
        state.save(port=server.port, gui=gui)
        prepare_environment(gui, options.debug)
        exit_code = _show(
            options, driver, gui, data_dir, instance, launched, deferred, server, token, later
        )
    finally:
        server.stop()
        later.stop()
        if deferred.wait():
            from webapp.extensions import db

            with deferred.app.app_context():
                db.engine.dispose()
    if deferred.error is not None:
        from webapp import ConfigError

        if isinstance(deferred.error, ConfigError):  # a damaged database, say: one sentence
            log.error("%s", deferred.error)
            print(f"kaap: {deferred.error}", file=sys.stderr)
            return 2
        log.error("Kaap could not start", exc_info=deferred.error)
        print(
            f"kaap: Kaap could not start ({deferred.error}); details are in {log_path}.",
            file=sys.stderr,
        )
        return 1
    log.info("stopped cleanly")
    return exit_code


def _show(
    options, driver, gui, data_dir, instance, launched, deferred, server, token, later
) -> int:
    import webview
    from webview.errors import WebViewException

    from desktop.dialogs import WebviewDialogs
    from webapp.dialogs import EXTENSION as DIALOGS

    log.info("serving %s on %s (gui: %s)", data_dir, server.base_url, gui or "default")
    geometry = Geometry(data_dir / "window.json")
    size = geometry.values
    window = webview.create_window(
        "Kaap",
        f"{server.base_url}/?kaap_token={token}",
        width=size["width"],
        height=size["height"],
        x=size["x"],
        y=size["y"],
        min_size=(400, 300),
        text_select=True,
    )
    geometry.track(window)
    session = Session(None, window, server.base_url, token, data_dir, gui)

    def when_built():
        if deferred.wait():
            log.info("app ready %.2f s after launch", time.monotonic() - launched)
            deferred.app.extensions[DIALOGS] = WebviewDialogs(window)
            session.app = deferred.app
        else:
            window.destroy()  # nothing to show; _serve_and_show reports the error

    def on_damaged(message: str) -> None:
        window.load_url(server.base_url + "/")  # the page now says what is wrong

    def on_loaded():
        window.run_js(EXTERNAL_LINKS_JS)
        log.info("page loaded %.2f s after launch", time.monotonic() - launched)
        if deferred.app is not None:
            later.start(deferred.app, on_damaged)
        if os.environ.get("KAAP_STARTUP_PROBE") == "1":  # bench/startup.py reads this line
            painted_ms = js.awaited(window, PAINTED_JS)
            print(f"kaap-painted {painted_ms / 1000:.3f}", flush=True)

    window.events.loaded += on_loaded
    instance.listen(lambda: _bring_forward(window))
    install_signal_handlers(gui, window.destroy)

    def start_func():
        when_built()
        if driver is None or session.app is None:
            return
        try:
            driver(session)
        except Exception as exc:
            session.exit_code = 1
            log.exception("the driver failed")
            print(f"kaap: self-test failed: {exc}", file=sys.stderr)
        finally:
            window.destroy()

    webview.settings["OPEN_DEVTOOLS_IN_DEBUG"] = False
    try:
        # A persistent web view profile: the page keeps its preferences in localStorage,
        # which WebKitGTK's private mode leaves null (the page's scripts then stop).
        webview.start(
            start_func,
            gui=gui,
            debug=options.debug,
            icon=str(ICON),
            private_mode=False,
            storage_path=str(data_dir / "webview"),
        )
    except WebViewException as exc:
        raise GuiUnavailable(f"Kaap cannot open its window: {exc}") from exc
    finally:
        log.info("window closed: stopping")
        geometry.save()
    return session.exit_code


def _bring_forward(window) -> None:
    log.info("a second launch asked for the window")
    window.show()
    window.on_top = True
    window.on_top = False
