"""The background sync worker: one thread per app (single-user mode, connected to a server)
that runs ``engine.sync_now`` at start, a few seconds after local changes, every
``SYNC_INTERVAL_SECONDS``, and after being offline again and again, waiting longer each time
(``SYNC_RETRY_FIRST_SECONDS`` doubling to ``SYNC_RETRY_MAX_SECONDS``).

No request thread ever syncs: the page asks (``request``) and reads the live status
(``status``); the worker does the rest. Local changes are heard from the event broker
(``webapp/events``), which hears every committed note and label write: a write pays one
lock and a notify, nothing more.

Started by the desktop's ``Shell.after_start``, by the first request elsewhere (``flask run``
without accounts), and by a connect through the page; stopped by a sign-out, by the desktop's
shutdown, and by the tests (``stop``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from webapp.sync.device import store
from webapp.sync.device.client import SyncError

log = logging.getLogger("kaap.sync")

EXTENSION = "kaap.sync_worker"
# Errors that mean "the server is not there now": retried with backoff, shown as offline.
OFFLINE_CODES = frozenset({"offline", "timeout"})
ANSWERS = ("apply", "keep")
# A burst of changes syncs once its typing pauses, but never later than this many debounce
# periods after its first change (a person typing for minutes still syncs).
DEBOUNCE_CAP = 4

_starting = threading.Lock()  # one worker per app, whoever starts it (page, shell, request)


@dataclass
class Status:
    """What the page shows: ``state`` idle (connected, no sync yet), syncing, synced,
    offline, error or paused (a large removal waits for the person's answer)."""

    state: str = "idle"
    error: str | None = None
    error_code: str | None = None
    paused_removals: int | None = None
    notes_here: int | None = None


class Worker:
    """One app's sync thread; ``once``: run a single sync, then end (a "Sync now" with the
    worker turned off)."""

    def __init__(self, app: Flask, *, once: bool = False):
        # The app itself, not ``current_app``: the thread has no context to resolve it in.
        app = getattr(app, "_get_current_object", lambda: app)()
        config = app.config
        self.app = app
        self.data_dir = Path(config["DATA_DIR"])
        self.once = once
        self.debounce = float(config["SYNC_DEBOUNCE_SECONDS"])
        self.interval = float(config["SYNC_INTERVAL_SECONDS"])
        self.retry_first = float(config["SYNC_RETRY_FIRST_SECONDS"])
        self.retry_max = float(config["SYNC_RETRY_MAX_SECONDS"])
        self.status = Status()
        self._retry = self.retry_first
        self._cond = threading.Condition()
        self._stopping = False
        self._due: float | None = time.monotonic()  # the first sync: at once
        self._changed_due: float | None = None  # the debounced sync after local changes
        self._first_change: float | None = None
        self._answer: str | None = None
        self._thread = threading.Thread(target=self._run, name="kaap-sync", daemon=True)

    # --- what other threads call ----------------------------------------------------------

    def start(self) -> None:
        broker = self.app.extensions.get("kaap.events")
        if broker is not None:
            broker.add_listener(self._heard)
        self._thread.start()

    def stop(self, timeout: float = 30) -> bool:
        """Stop after the sync in progress, if any (it is not cut off halfway); False when
        that sync is still running after ``timeout`` seconds."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.ident is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        self._unlisten()
        return True

    def resume(self) -> bool:
        """Take back a ``stop`` whose sync did not end in time; False if the thread ended."""
        with self._cond:
            if not self._thread.is_alive():
                return False
            self._stopping = False
            return True

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stopping

    def request(self, removals: str | None = None) -> bool:
        """Sync as soon as the current sync (if any) is over; ``removals`` answers a pause.
        False when this worker is ending (then start another)."""
        with self._cond:
            if self._stopping:
                return False
            if removals is not None:
                self._answer = removals
            self._due = time.monotonic()
            self._cond.notify_all()
            return True

    def _heard(self, owner_id: int, kind: str) -> None:
        """The broker's listener: a note or label was written here (after its commit)."""
        if threading.current_thread() is self._thread:
            return  # the engine's own writes: what the server sent, nothing to send back
        now = time.monotonic()
        with self._cond:
            if self._first_change is None:
                self._first_change = now
            cap = self._first_change + DEBOUNCE_CAP * self.debounce
            self._changed_due = min(now + self.debounce, cap)
            self._cond.notify_all()

    # --- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                go, answer = self._wait()
                if not go:
                    return
                if not self._sync(answer) or self._finished():
                    return
        finally:
            self._unlisten()

    def _finished(self) -> bool:
        """A one-off worker ends once no other sync was asked for meanwhile."""
        with self._cond:
            if self.once and self._due is None:
                self._stopping = True  # from now on ``request`` says to start another
            return self._stopping

    def _wait(self) -> tuple[bool, str | None]:
        """Until a sync is due (True and the person's answer, if any) or stop (False)."""
        with self._cond:
            while not self._stopping:
                due = min(
                    (d for d in (self._due, self._changed_due) if d is not None), default=None
                )
                now = time.monotonic()
                if due is not None and due <= now:
                    self._due = self._changed_due = self._first_change = None
                    answer, self._answer = self._answer, None
                    return True, answer
                self._cond.wait(None if due is None else due - now)
            return False, None

    def _sync(self, answer: str | None) -> bool:
        """One sync; False when there is nothing more to sync (signed out, or stopped)."""
        state = store.load(self.data_dir)
        if state is None or state.stopped:
            message = state.last_error if state is not None else None
            self._done(Status("error", message, state.last_error_code) if state else Status())
            return False
        self.status = Status("syncing", paused_removals=self.status.paused_removals,
                             notes_here=self.status.notes_here)  # fmt: skip
        from webapp.sync.device import engine  # here: the desktop's start-up does not load it

        try:
            with self.app.app_context():
                report = engine.sync_now(removals=answer)
                paused = report.paused_removals
                notes_here = report.notes_here if paused else None
        except SyncError as exc:
            return self._failed(exc)
        except Exception:  # a bug must not end the worker: say so, try again later
            log.exception("sync failed")
            self._retry = self.retry_first
            message = "Sync failed unexpectedly; Kaap tries again later (details in its log)."
            self._done(Status("error", message, "sync_failed"), after=self.interval)
            return True
        self._retry = self.retry_first
        if paused:
            self._done(Status("paused", paused_removals=paused, notes_here=notes_here),
                       after=self.interval)  # fmt: skip
        else:
            self._done(Status("synced"), after=self.interval)
        return True

    def _failed(self, exc: SyncError) -> bool:
        if exc.code == "busy":  # another process (``flask sync now``) is syncing
            self._done(Status("syncing"), after=self.debounce)
        elif exc.code in OFFLINE_CODES:
            self._done(Status("offline", exc.message, exc.code), after=self._retry)
            self._retry = min(self._retry * 2, self.retry_max)
        else:
            self._retry = self.retry_first
            self._done(Status("error", exc.message, exc.code), after=self.interval)
            if exc.code == "identity_changed":
                return False  # stopped until a new connect
        return True

    def _done(self, status: Status, *, after: float | None = None) -> None:
        with self._cond:
            self.status = status
            if after is not None and not self.once:
                later = time.monotonic() + after
                self._due = later if self._due is None else min(self._due, later)

    def _unlisten(self) -> None:
        broker = self.app.extensions.get("kaap.events")
        if broker is not None:
            broker.remove_listener(self._heard)


# --- one worker per app ---------------------------------------------------------------------


def get(app: Flask) -> Worker | None:
    """The app's worker, while it runs."""
    worker = app.extensions.get(EXTENSION)
    return worker if worker is not None and worker._thread.is_alive() else None


def start(app: Flask) -> Worker | None:
    """Start the app's worker if sync is on for it: single-user mode, ``SYNC_WORKER``, and a
    connection that is not stopped. Returns the running worker, or None."""
    config = app.config
    if config["ACCOUNTS"] or not config["SYNC_WORKER"]:
        return None
    with _starting:
        running = get(app)
        if running is not None and not running._stopping:
            return running
        state = store.load(Path(config["DATA_DIR"]))
        if state is None or state.stopped:
            return None
        worker = app.extensions[EXTENSION] = Worker(app)
        worker.start()
        return worker


def sync_soon(app: Flask, removals: str | None = None) -> Worker:
    """Ask for a sync now: the running worker's, else one sync in a thread of its own."""
    with _starting:
        worker = get(app)
        if worker is not None and worker.request(removals):
            return worker
        worker = Worker(app, once=not app.config["SYNC_WORKER"])
        worker._answer = removals
        app.extensions[EXTENSION] = worker
        worker.start()
        return worker


def stop(app: Flask, timeout: float = 30) -> bool:
    """Stop the app's worker (sign-out, shutdown, a test's end), waiting up to ``timeout``
    seconds for its sync; False (and the worker goes on) when that sync is still running."""
    with _starting:
        worker = app.extensions.pop(EXTENSION, None)
    if worker is None or worker.stop(timeout):
        return True
    with _starting:
        if worker.resume() and EXTENSION not in app.extensions:
            app.extensions[EXTENSION] = worker
            return False
    start(app)  # it ended meanwhile after all: a new one, if still connected
    return False


def status(app: Flask) -> Status | None:
    """The live status of the app's latest worker (the last one-off sync's, too)."""
    worker = app.extensions.get(EXTENSION)
    return None if worker is None else worker.status


def init_app(app: Flask) -> None:
    """Outside the desktop (which starts it after its first page), the first request starts
    the worker: ``flask run`` in single-user mode syncs too."""
    if app.config["ACCOUNTS"] or not app.config["SYNC_WORKER"]:
        return
    if app.config["DEFER_HOUSEKEEPING"]:
        return  # the desktop: Shell.after_start
    started = threading.Event()

    @app.before_request
    def _start_sync_worker() -> None:
        if not started.is_set():
            started.set()
            start(app)
