"""Housekeeping: purge the trash at start-up and then at most once per interval."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Flask, current_app, request

from webapp import disk
from webapp.accounts.service import ensure_local_user, prune_sessions
from webapp.backups import live as backups
from webapp.disk import freeing_space
from webapp.extensions import db
from webapp.history import service as history
from webapp.images import service as images
from webapp.notes import service as notes
from webapp.sync import blobs as sync_blobs
from webapp.sync import service as sync
from webapp.timeutil import now

log = logging.getLogger(__name__)
_lock = threading.Lock()


def run(app: Flask) -> int:
    """Purge notes past their time in the trash and forget stale list positions.

    Only deletes, so on a full disk it may use the reserve (``webapp.disk``); if even that
    is not enough, or the disk turned read-only, it waits for the next interval, logged,
    rather than fail a start-up or the request that triggered it.
    """
    when = now()
    try:
        purged = freeing_space(
            app.extensions[disk.EXTENSION], lambda: _purge(app, when), db.session.rollback
        )
    except Exception as exc:
        if not (disk.is_disk_full(exc) or disk.is_read_only(exc)):
            raise
        db.session.rollback()
        log.warning("the trash purge waits for the next interval: the disk refused it (%s)", exc)
        purged = 0
    app.extensions["kaap.last_maintenance"] = when
    if purged:
        log.info("purged %d note(s) from the trash", purged)
    return purged


def _purge(app: Flask, when) -> int:
    store = app.extensions["kaap.images"]
    purged = notes.purge_trash(db.session, when, app.config["TRASH_DAYS"], store)
    notes.prune_moves(db.session, when, timedelta(seconds=app.config["CURSOR_MAX_AGE"]))
    prune_sessions(db.session, when - app.permanent_session_lifetime)
    sync.prune_tombstones(db.session, when, app.config["SYNC_TOMBSTONE_DAYS"])
    sync_blobs.prune(db.session, store, when)
    history.prune(db.session, store, when, app.config["HISTORY_DAYS"], app.config["HISTORY_KEEP"])
    return purged


def on_start(app: Flask) -> None:
    """Run inside an app context once the schema is current."""
    if not app.config["ACCOUNTS"]:
        # Server mode has only the accounts someone made: every ``flask`` command builds the
        # app, and a passwordless ``local`` made here would show in Settings -> Users.
        ensure_local_user(db.session)
    if app.config["DEFER_HOUSEKEEPING"]:
        # after_start purges soon; until then requests do not (the first would wait for it).
        app.extensions["kaap.last_maintenance"] = now()
    else:
        run(app)
    # Before any request: the sweep would take an upload in progress for an orphan.
    try:
        images.sweep(db.session, app.extensions["kaap.images"], now())
    except Exception as exc:
        if not disk.is_disk_full(exc):
            raise
        db.session.rollback()
        log.warning("the disk is full: the image sweep waits for the next start (%s)", exc)


def after_start(app: Flask, cancelled: threading.Event) -> str | None:
    """What ``DEFER_HOUSEKEEPING`` leaves for once the page shows: the full database check
    and the daily backup (``backups.after_start``), then the trash purge.

    Returns the message if the database turned out damaged (requests then get it, 503).
    """
    message = backups.after_start(app, cancelled)
    if message is None and not cancelled.is_set():
        with app.app_context(), _lock:
            run(app)
    return message


def _maybe_run() -> None:
    # A request, not a timer thread: nothing runs in the background of a sleeping laptop,
    # and a server started without requests has nothing to purge for.
    if request.endpoint == "hosting.healthz":
        return  # a probe must answer 503, not fail here, when the database is down
    app = current_app._get_current_object()
    last = app.extensions.get("kaap.last_maintenance")
    if last is not None and now() - last < timedelta(seconds=app.config["PURGE_INTERVAL"]):
        return
    if _lock.acquire(blocking=False):
        try:
            run(app)
        finally:
            _lock.release()


def init_app(app: Flask) -> None:
    app.before_request(_maybe_run)
