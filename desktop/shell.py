"""One launch of Kaap's window: ``Shell(options).run()``.

The web app runs on waitress on 127.0.0.1 in a background thread and is shown in a pywebview
window on the main thread. The port and the back end are those of the last launch when they
can be (``desktop/state.py``): the web view's storage belongs to one origin and one back end.
A per-launch token in the start URL is swapped for a cookie, so nothing else on the machine
can use the server (see ``webapp/security.py``); the port is no secret.

The steps are methods, in the order ``run`` calls them: ``serve`` (bind; the thin path of
``desktop/thin.py`` answers the first page from the last launch's shell), ``open_window``
(until it closes; the app is built once its first page has loaded), ``after_start`` (the
checks that wait for the app), ``shutdown``. Nothing heavy is imported here: the window toolkit and the web app
load inside the steps that need them (start-up time, see bench/startup.py).
"""

from __future__ import annotations

import argparse
import json
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

from desktop.gui import (
    Geometry,
    GuiUnavailable,
    check_display,
    choose_gui,
    install_signal_handlers,
    prepare_environment,
    set_identity,
    take_focus,
)
from desktop.instance import (
    NEW_NOTE,
    SHOW,
    AlreadyRunning,
    SingleInstance,
    ask_running,
    pass_startup_id,
    take_startup_id,
)
from desktop.state import ShellState

log = logging.getLogger("kaap.desktop")

ICON = Path(__file__).resolve().parent / "icons" / "kaap.png"
# The app is built once the first page has loaded, or this long after the window started.
BUILD_FALLBACK_SECONDS = 2.5
# Less free space than this and the app is built before the first page (see ``serve``).
NEARLY_FULL_BYTES = 16 * 1024**2
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
# kaap --new-note in the running window: app.js listens (and cancels the event). No listener:
# the notes page's scripts have not started (#new, which they open the composer on), or the
# window is on another page, Settings say (the notes page, on #new).
NEW_NOTE_JS = """
if (window.dispatchEvent(new CustomEvent('kaap:new-note', {cancelable: true}))) {
  if (location.pathname === '/') location.hash = '#new';
  else if (location.protocol === 'http:') location.assign('/#new');
}
0
"""


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


def data_dir_path(options: argparse.Namespace) -> Path:
    """``--data-dir``, or the per-user data directory."""
    if options.data_dir is not None:
        path = options.data_dir
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("Kaap", appauthor=False))
    return path.expanduser().resolve()


def make_data_dir(options: argparse.Namespace) -> Path:
    path = data_dir_path(options)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _unwritable(options: argparse.Namespace, exc: OSError) -> str:
    from webapp.disk import read_only_message, read_only_reason

    folder = data_dir_path(options)
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


def _nearly_full(folder: Path) -> bool:
    """Less room than the web view's profile and the app's start need (a few MB)."""
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def _build_app(data_dir: Path, token: str):
    from webapp import create_app

    return create_app({"CONFIG": "desktop", "DATA_DIR": str(data_dir), "LAUNCH_TOKEN": token})


class Shell:
    """Kaap's window over its own local server; ``driver``, if given, runs in a thread once
    the window exists and the app is built (the self-test, tests/desktop/drivers.py), then
    the window closes."""

    def __init__(
        self, options: argparse.Namespace, driver: Callable[[Session], None] | None = None
    ):
        self.options = options
        self.driver = driver
        self.launched = time.monotonic()
        self.later = AfterStart()
        self.gui: str | None = None
        self.window = None
        self.session: Session | None = None
        self.tray = None  # desktop/tray.py's process, once the window closed to the tray
        self.build_timer: threading.Timer | None = None
        self._starting = threading.Lock()
        self.stopping = False
        self.quitting = False

    def run(self) -> int:
        """Start Kaap and return the process's exit code once its window has closed."""
        temporary = None
        if self.options.data_dir is None and self.options.self_test:
            temporary = Path(tempfile.mkdtemp(prefix="kaap-self-test-"))
            self.options.data_dir = temporary
        try:
            return self._launch()
        except GuiUnavailable as exc:
            print(f"kaap: {exc}", file=sys.stderr)
            return 2
        finally:
            if temporary is not None:
                shutil.rmtree(temporary, ignore_errors=True)

    def _launch(self) -> int:
        """The data directory, the log and the one-instance lock, then serve and show."""
        check_display(self.options.gui)
        try:
            self.data_dir = make_data_dir(self.options)
            self.log_path = _setup_logging(self.data_dir, self.options.debug)
        except OSError as exc:  # a read-only disk, say: one sentence, not a traceback
            print(f"kaap: {_unwritable(self.options, exc)}", file=sys.stderr)
            return 2

        self.instance = SingleInstance(self.data_dir)
        try:
            self.instance.acquire()
        except AlreadyRunning:
            return self._hand_over_to_running()
        try:
            return self._serve_and_show()
        except GuiUnavailable:
            raise
        except Exception as exc:
            log.exception("Kaap could not start")
            print(
                f"kaap: Kaap could not start ({exc}); details are in {self.log_path}.",
                file=sys.stderr,
            )
            return 1
        finally:
            self.instance.release()

    def _hand_over_to_running(self) -> int:
        """Another launch holds this data directory: bring its window forward instead (with
        the composer open, for ``--new-note``)."""
        pass_startup_id(self.data_dir)
        done = ask_running(self.data_dir, (NEW_NOTE, SHOW) if self.options.new_note else (SHOW,))
        if done is not None:
            said = {
                NEW_NOTE: "a new note was opened in its window",
                SHOW: "its window was brought forward",
            }[done]
            if self.options.new_note and done == SHOW:
                said += " (it is an older Kaap: restart it for --new-note)"
            print(f"Kaap is already running (data in {self.data_dir}); {said}.")
            return 0
        take_startup_id(self.data_dir)  # not taken: a later Open Kaap must not get it stale
        print(
            f"kaap: Kaap is already running with the data in {self.data_dir}, "
            "but its window did not answer.",
            file=sys.stderr,
        )
        return 1

    def _serve_and_show(self) -> int:
        self.serve()
        try:
            self._choose_gui()
            exit_code = self.open_window()
        finally:
            self.shutdown()
        return self._outcome(exit_code)

    # --- the steps ------------------------------------------------------------------------

    def serve(self) -> None:
        """Bind the server and start serving. The thin path serves the first page from the
        shell cache, and the app's build starts once that page has loaded (``_build_soon``;
        at once when there is no cached shell); the requests it does not serve wait for it."""
        from desktop.server import DeferredApp, LocalServer
        from desktop.thin import ShellCache, ThinApp

        self.token = secrets.token_urlsafe(32)
        data_dir, token = self.data_dir, self.token
        self.deferred = DeferredApp(self._build_app_for_window)
        self.shell_cache = ShellCache(data_dir)
        self.thin = ThinApp(
            self.deferred,
            token,
            data_dir,
            on_miss=lambda path: self._build_soon(f"{path} waits for it"),
            cache=self.shell_cache,
        )
        self.state = ShellState(self.data_dir / "desktop.json")
        self.server = LocalServer(self.thin, port=self.state.port)
        self.server.start()
        if _nearly_full(data_dir):
            # The app's start frees its reserve space (webapp/disk.py) and says the disk is
            # full: that must come before the web view writes its profile, as it did before
            # the thin path (a web view started on a full disk loses its cookies).
            self.thin.enabled = False
            self._build_soon("the disk is nearly full")
        elif not self.shell_cache.path.exists():
            # The first page waits for the app (a first launch, an upgrade): build it now,
            # while the window toolkit loads, as before there was a cache.
            self._build_soon("no cached shell of this version")

    def _build_app_for_window(self):
        """The app, already the window's when requests reach it: a page it renders at once
        (a first launch's, waiting in DeferredApp) says data-desktop, so it saves its
        snapshot; ``_app_built`` runs a moment later, in another thread."""
        from desktop.dialogs import WebviewDialogs
        from webapp.dialogs import EXTENSION as DIALOGS

        app = _build_app(self.data_dir, self.token)
        app.extensions[DIALOGS] = WebviewDialogs(self.window)
        return app

    def _build_soon(self, reason: str) -> None:
        """Start building the app (the first call does; the others find it started)."""
        if not self.deferred.started:
            log.info(
                "app build started (%s) %.2f s after launch",
                reason,
                time.monotonic() - self.launched,
            )
            self.deferred.start()

    def _choose_gui(self) -> None:
        """The back end (the kept one if it still loads), remembered with the port."""
        state, server = self.state, self.server
        self.gui = choose_gui(self.options.gui, kept=state.gui)
        if state.port and server.port != state.port:
            log.warning("port %d was taken: serving on %d from now on", state.port, server.port)
        state.save(port=server.port, gui=self.gui)
        prepare_environment(self.gui, self.options.debug)
        set_identity(self.gui)

    def open_window(self) -> int:
        """Show the window on this (the main) thread until it closes; the driver's exit code."""
        import webview
        from webview.errors import WebViewException

        import desktop.dialogs  # noqa: F401 (loaded here, as it always was, not in a callback)
        import webapp.dialogs  # noqa: F401

        server = self.server
        log.info(
            "serving %s on %s (gui: %s)", self.data_dir, server.base_url, self.gui or "default"
        )
        geometry = Geometry(self.data_dir / "window.json")
        size = geometry.values
        self.window = window = webview.create_window(
            "Kaap",
            # "#new" (--new-note): the page opens the composer; the token's 303 keeps the fragment
            f"{server.base_url}/?kaap_token={self.token}{'#new' if self.options.new_note else ''}",
            width=size["width"],
            height=size["height"],
            x=size["x"],
            y=size["y"],
            min_size=(400, 300),
            text_select=True,
        )
        geometry.track(window)
        self.session = Session(None, window, server.base_url, self.token, self.data_dir, self.gui)
        window.events.loaded += self._page_loaded
        window.events.closing += self._closing
        self.instance.listen(self._bring_forward, self._quit, self._new_note)
        install_signal_handlers(self.gui, self._quit)

        webview.settings["OPEN_DEVTOOLS_IN_DEBUG"] = False
        try:
            # A persistent web view profile: the page keeps its preferences in localStorage,
            # which WebKitGTK's private mode leaves null (the page's scripts then stop).
            webview.start(
                self._window_started,
                gui=self.gui,
                debug=self.options.debug,
                icon=str(ICON),
                private_mode=False,
                storage_path=str(self.data_dir / "webview"),
            )
        except WebViewException as exc:
            raise GuiUnavailable(f"Kaap cannot open its window: {exc}") from exc
        finally:
            log.info("window closed: stopping")
            geometry.save()
        return self.session.exit_code

    def after_start(self) -> None:
        """Once the app is built: the checks, backup and purge that wait for it, and the
        background sync (when connected to a server). Not once the shutdown has begun: it
        would not stop what starts after it (a signal can come as the build ends)."""
        with self._starting:
            if self.deferred.app is not None and not self.stopping:
                from webapp.sync.device import worker

                self.later.start(self.deferred.app, self._show_damage)
                worker.start(self.deferred.app)
                self._start_reminders()

    def shutdown(self) -> None:
        """Stop serving (requests in progress finish), stop the checks and the sync (each
        finishes what it is writing), close the database."""
        with self._starting:  # what after_start is starting, it finishes starting first
            self.stopping = True
        self.server.stop()
        if self.build_timer is not None:
            self.build_timer.cancel()
        self.later.stop()
        if self.tray is not None:
            self.tray.stop()
        if self.deferred.started and self.deferred.wait():
            from desktop.thin import save_shell
            from webapp.extensions import db

            # Again at the end: the settings changed in this launch show at the next one.
            save_shell(self.deferred.app, self.token, self.shell_cache)
            from webapp.sync.device import worker

            worker.stop(self.deferred.app, timeout=10)  # a daemon: a hung sync ends with us
            if "webapp.reminders.notify" in sys.modules:  # started after the first page
                from webapp.reminders import notify

                notify.stop(self.deferred.app, timeout=5)

            with self.deferred.app.app_context():
                db.engine.dispose()

    # --- what the window calls back -------------------------------------------------------

    def _window_started(self) -> None:
        """pywebview's start function, in its own thread: wait for the app, run the driver.
        The app's build starts at the first page's load; if that never comes, soon anyway."""
        self.build_timer = threading.Timer(
            BUILD_FALLBACK_SECONDS, self._build_soon, ("no page loaded yet",)
        )
        self.build_timer.daemon = True
        self.build_timer.start()
        self._app_built()
        session = self.session
        if self.driver is None or session.app is None:
            return
        try:
            self.driver(session)
        except Exception as exc:
            session.exit_code = 1
            log.exception("the driver failed")
            print(f"kaap: self-test failed: {exc}", file=sys.stderr)
        finally:
            self._quit()

    def _app_built(self) -> None:
        from desktop.dialogs import WebviewDialogs
        from desktop.thin import save_shell
        from webapp.dialogs import EXTENSION as DIALOGS

        deferred = self.deferred
        if deferred.wait():
            log.info("app built %.2f s after launch", time.monotonic() - self.launched)
            deferred.app.extensions[DIALOGS] = WebviewDialogs(self.window)
            self.session.app = deferred.app
            self.after_start()
            if not self.stopping:  # else shutdown saves it
                save_shell(deferred.app, self.token, self.shell_cache)
        elif self.driver is not None:
            self._quit()  # nothing to test; _outcome reports the error
        else:
            # The window may show the cached shell: now it says why Kaap cannot start (a
            # damaged database names its backup), served by DeferredApp; _outcome says it too.
            self.window.load_url(self.server.base_url + "/")

    def _page_loaded(self) -> None:
        window = self.window
        cached = self.thin.shell_served and not self.deferred.done
        # First, as it always was: a window closed while a script of ours is pending would
        # hang the exit (pywebview waits for its answer), and tests signal at the log line.
        window.run_js(EXTERNAL_LINKS_JS)
        log.info(
            "page loaded %.2f s after launch%s",
            time.monotonic() - self.launched,
            " (the cached shell)" if cached else "",
        )
        self._build_soon("page loaded")
        if os.environ.get("KAAP_STARTUP_PROBE") == "1":  # bench/startup.py reads its line
            from desktop import probe

            probe.report(window)

    def _show_damage(self, message: str) -> None:
        self.window.load_url(self.server.base_url + "/")  # the page now says what is wrong

    def _bring_forward(self) -> None:
        log.info("a second launch asked for the window")
        window = self.window
        window.show()
        if startup_id := take_startup_id(self.data_dir):
            take_focus(self.gui, window, startup_id)
        window.on_top = True
        window.on_top = False

    def _new_note(self) -> None:
        """``kaap --new-note`` while Kaap runs: the window forward, the composer open in Notes
        (app.js: an open note is saved and closed first, a draft in the composer is kept)."""
        log.info("a second launch asked for a new note")
        self._bring_forward()
        self.window.run_js(NEW_NOTE_JS)  # not evaluate_js: the page's CSP refuses its eval

    # --- reminders and the tray -----------------------------------------------------------

    def _start_reminders(self) -> None:
        """The reminder scheduler (webapp/reminders/notify.py), after the first page: it and
        desktop-notifier stay off the first paint's path."""
        from webapp.reminders import notify

        try:
            notify.start(
                self.deferred.app,
                self._open_note,
                notify.DesktopNotifier(ICON),
                on_missed=self._tell_missed,
            )
        except Exception:  # reminders are not worth a failed start
            log.exception("the reminder scheduler could not start")

    def _open_note(self, note_id: int | None) -> None:
        """A reminder's notification was clicked: the window to the front, on its note (the
        Reminders view for the "missed" summary)."""
        self._bring_forward()
        target = "#reminders" if note_id is None else f"#note/{int(note_id)}"
        # run_js, not evaluate_js: the page's CSP refuses the eval evaluate_js wraps code in.
        self.window.run_js(f"location.hash = {json.dumps(target)}; 0")

    def _tell_missed(self, count: int) -> None:
        """The page's snackbar says it too (app.js listens): a notification may go unseen."""
        detail = json.dumps({"count": int(count)})
        self.window.run_js(
            f"window.dispatchEvent(new CustomEvent('kaap:missed-reminders', {{detail: {detail}}})); 0"
        )

    def _keep_running(self) -> bool:
        """The setting "Keep Kaap running for reminders when the window is closed"."""
        app = self.deferred.app
        if app is None or self.quitting:
            return False
        from webapp.accounts.auth import current_owner_id
        from webapp.extensions import db
        from webapp.settings.service import get_settings

        try:
            with app.test_request_context():
                return get_settings(db.session, current_owner_id())["keep_running"] == "on"
        except Exception:
            log.warning("could not read the keep-running setting", exc_info=True)
            return False

    def _closing(self):
        """The window's close button: quit, as always, unless the setting keeps Kaap running
        with a tray icon; then the window only hides (the tray's Open Kaap shows it)."""
        if not self._keep_running():
            return True
        self.window.hide()
        threading.Thread(target=self._to_tray, name="kaap-tray", daemon=True).start()
        return False

    def _to_tray(self) -> None:
        from desktop.tray import Tray

        if self.tray is None:
            self.tray = Tray(self.data_dir)
        if not self.tray.start():  # no tray on this system: closing quits, as before
            self._quit()
        else:
            log.info("window closed: running on for reminders, with a tray icon")

    def _quit(self) -> None:
        """The tray's Quit (or a closed window with no tray to go to): end Kaap."""
        self.quitting = True
        self.window.destroy()

    def _outcome(self, exit_code: int) -> int:
        """The exit code: the driver's, unless the app could not be built (said on stderr)."""
        error = self.deferred.error
        if error is None:
            log.info("stopped cleanly")
            return exit_code
        from webapp import ConfigError

        if isinstance(error, ConfigError):  # a damaged database, say: one sentence
            log.error("%s", error)
            print(f"kaap: {error}", file=sys.stderr)
            return 2
        log.error("Kaap could not start", exc_info=error)
        print(
            f"kaap: Kaap could not start ({error}); details are in {self.log_path}.",
            file=sys.stderr,
        )
        return 1
