"""Backups of the app's SQLite database: its paths, on demand, daily at start-up, before
migrating and restoring; and a clear stop instead of a crash when the file is damaged.

``service`` holds the plain functions over paths; this module ties them to the app (its
clock, config, engine and migrations); ``api`` and ``cli`` are thin layers over it.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app, jsonify, request

from webapp.backups import service
from webapp.backups.service import Backup
from webapp.db.migrate import current_revision, head_revision, known_revisions, upgrade_to_head
from webapp.db.sqlite import has_tables, sqlite_path
from webapp.disk import (
    MB,
    START_ROOM,
    DiskFullStartError,
    free_bytes,
    full_message,
    is_disk_full,
    read_only_message,
    read_only_reason,
)
from webapp.errors import ConfigError, ConflictError, error_body
from webapp.extensions import db
from webapp.timeutil import now

log = logging.getLogger(__name__)

EXTENSION = "kaap.damaged_database"
DAILY = timedelta(days=1)
_restore_lock = threading.Lock()


class CorruptDatabaseError(ConfigError):
    """The database file is damaged: the app does not start on it, and leaves it alone."""


class UnreadableDatabaseError(ConfigError):
    """The database file could not be opened (read-only, a full disk): it is not damaged."""


def backups_dir(app: Flask) -> Path:
    """``<DATA_DIR>/backups``."""
    return Path(app.config["DATA_DIR"]) / "backups"


def live_path(app: Flask) -> Path | None:
    """The SQLite file the app uses, or None when the database is not a SQLite file."""
    return sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])


def _require_sqlite(app: Flask) -> Path:
    path = live_path(app)
    if path is None:
        raise ConflictError("Backups are only made for SQLite databases.", code="not_sqlite")
    return path


def list_all(app: Flask) -> list[Backup]:
    """Every backup, newest first."""
    return service.list_backups(backups_dir(app))


def create(app: Flask, kind: str = "manual") -> Backup:
    """Back up the live database now (``manual`` unless told otherwise)."""
    path = _require_sqlite(app)
    backup = service.create(path, backups_dir(app), kind, now(), app.config["BACKUP_KEEP"])
    log.info("backed up the database to %s", backup.path)
    return backup


ORPHAN_HOLD = timedelta(days=30)


def restore(app: Flask, name: str) -> tuple[Backup, str]:
    """Put backup ``name`` in place of the live database; returns it and where the old went.

    The live database is first backed up as ``pre-restore`` (or, if it is damaged, renamed
    to ``kaap.sqlite3.corrupt-<timestamp>``); the backup's content is then written into the
    live file with SQLite's backup API and migrated to the newest revision.
    """
    live = _require_sqlite(app)
    backup = service.find(backups_dir(app), name)
    service.validate(backup.path, known_revisions())
    with _restore_lock:
        db.session.remove()
        db.engine.dispose()
        try:
            damage = service.problem(live) if live.exists() else None
        except sqlite3.Error as exc:  # unreadable is not damaged: it is never moved aside
            raise ConflictError(
                f"The database could not be read ({exc}); nothing was restored.", code="unreadable"
            ) from exc
        if live.exists() and damage is None:
            kept = create(app, "pre-restore").name
        elif live.exists():
            kept = str(service.move_aside(live, now()))
            log.warning("moved the damaged database aside to %s", kept)
        else:
            kept = ""
        try:
            service.restore_into(backup.path, live, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        except sqlite3.OperationalError as exc:  # locked past the busy timeout: nothing changed
            raise ConflictError(f"The database is busy ({exc}); try again.", code="busy") from exc
        db.engine.dispose()  # connections opened meanwhile cached the old schema
        app.extensions.pop(EXTENSION, None)
        migrate(app)
        # Images of notes the restored database does not know are still those of the
        # pre-restore backup: keep them on disk for a while so restoring that one works.
        app.extensions["kaap.images"].hold_orphans(now(), ORPHAN_HOLD)
    log.info("restored the database from %s (the previous one: %s)", backup.name, kept)
    return backup, kept


def migrate(app: Flask) -> Path | None:
    """Bring the database to the newest revision, backing up a SQLite file first.

    Returns the backup made, if any.
    """
    current = current_revision(db.engine)
    if current == head_revision():
        return None
    backup = None
    path = live_path(app)
    if path is not None and path.exists() and has_tables(db.engine):
        _room_to_migrate(app, path)
        backup = service.create(
            path, backups_dir(app), "pre-migrate", now(), app.config["BACKUP_KEEP"],
            tag=current or "base",
        ).path  # fmt: skip
        log.info("backed up the database to %s before migrating", backup)
    upgrade_to_head(app)
    return backup


def _room_to_migrate(app: Flask, path: Path) -> None:
    """Refuse to start a migration the disk has no room to finish: the backup before it is a
    copy of the file, and a migration may copy a table (SQLite's batch mode) on top."""
    needed = 2 * _copy_size(path) + app.config["DISK_MIN_FREE_BYTES"]
    free = free_bytes(path.parent)
    if free is not None and free < needed:
        outcome = "Kaap did not start: it backs up and migrates the database first"
        raise DiskFullStartError(full_message(path.parent, needed, outcome))


def _has_user_data(app: Flask) -> bool:
    with db.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT EXISTS (SELECT 1 FROM notes) OR EXISTS (SELECT 1 FROM labels)"
        ).first()
    return bool(row and row[0])


def on_start(app: Flask) -> Backup | None:
    """Run once the schema is current: a daily backup when the newest is a day old.

    With ``DEFER_HOUSEKEEPING`` it waits for ``after_start``, behind the full check.
    """
    if app.config["DEFER_HOUSEKEEPING"]:
        return None
    return _daily_backup(app)


def after_start(app: Flask, cancelled: threading.Event) -> str | None:
    """The start-up work ``DEFER_HOUSEKEEPING`` leaves for once the page shows: the full check
    of the database (every page), then the daily backup.

    A damaged file gets the message ``database_is_sound`` would have raised, returned and
    answered to every request from then on (503). ``cancelled`` (the app is closing) stops it.
    """
    path = live_path(app)
    if path is None or not path.exists() or EXTENSION in app.extensions:
        return None
    problem = service.problem(path, cancelled)
    if cancelled.is_set():
        return None
    with app.app_context():
        if problem is not None:
            message = damaged_message(app, path, problem)
            log.error("%s", message)
            app.extensions[EXTENSION] = message
            return message
        _daily_backup(app)
    return None


def _daily_backup(app: Flask) -> Backup | None:
    path = live_path(app)
    if path is None:
        log.info("no automatic backups: the database is not a SQLite file")
        return None
    newest = next(iter(list_all(app)), None)
    if newest is not None and now() - newest.created_at < DAILY:
        return None
    if not _has_user_data(app):
        return None  # nothing to keep yet, and an empty copy would push out older ones
    # A start-up must not fail, nor take the last free space, for want of a backup.
    needed = _copy_size(path) + app.config["DISK_MIN_FREE_BYTES"]
    free = free_bytes(path.parent)
    if free is not None and free < needed:
        log.warning(
            "skipped the daily backup: the disk of %s has %d MB free, it needs %d MB",
            path.parent, free // MB, -(-needed // MB),
        )  # fmt: skip
        return None
    try:
        return create(app, "daily")
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        log.warning("skipped the daily backup: the disk of %s is full (%s)", path.parent, exc)
        return None


def _copy_size(path: Path) -> int:
    """At most what a backup of the database at ``path`` takes: the file and its WAL."""
    size = 0
    for part in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            size += part.stat().st_size
    return size


def unreadable_message(path: Path, exc: Exception) -> str:
    """One sentence for a database that could not be opened: why, and never a restore."""
    free = free_bytes(path.parent)
    # Creating the -shm file on a full disk is a "disk I/O error", not SQLITE_FULL.
    if is_disk_full(exc) or (free is not None and free < START_ROOM):
        return full_message(
            path.parent, START_ROOM, "Kaap could not open the database and did not start"
        )
    reason = read_only_reason(path.parent)
    if reason is not None:
        return read_only_message(path.parent, reason)
    return (
        f"The database {path} could not be read ({exc}); Kaap left it untouched and did not "
        "start: check the disk and the permissions of the file and its folder, then start again."
    )


def damaged_message(app: Flask, path: Path, problem: str) -> str:
    """One sentence: what is wrong, that the file is untouched, and how to restore."""
    good = service.newest_good(backups_dir(app), known_revisions())
    head = f"The database {path} is damaged ({problem}); Kaap left it untouched and did not start"
    if good is None:
        return (
            f"{head}, and found no good backup in {backups_dir(app)}: move the damaged file "
            "elsewhere to start with an empty database."
        )
    if app.config["CONFIG"] == "desktop":
        data_dir = shlex.quote(app.config["DATA_DIR"])
        command = f"Kaap --data-dir {data_dir} --restore-backup {good.name}"
    else:
        command = (
            f"KAAP_DATA_DIR={shlex.quote(app.config['DATA_DIR'])} "
            f"flask --app webapp backups restore {good.name}"
        )
    when = good.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"{head}; restore the newest good backup ({good.name}, from {when}) with: {command}"


def database_is_sound(app: Flask) -> bool:
    """Check the SQLite file at start-up (``PRAGMA quick_check``) before anything writes it.

    With ``DEFER_HOUSEKEEPING`` (the desktop) only a glance at the header, size and schema is
    taken now, unless a migration is about to write the file; ``after_start`` reads every
    page once the window shows.

    A damaged file raises ``CorruptDatabaseError``, except under the ``flask`` command (or with
    ``START_ON_DAMAGED``, as ``Kaap --restore-backup`` sets), where the app still loads so
    that ``flask --app webapp backups restore`` can run; its
    pages and API then answer 503 with the same message.
    """
    path = live_path(app)
    if path is None or not path.exists():
        return True
    size = path.stat().st_size
    if size == 0 and not list_all(app):
        return True  # an empty file is a new database, unless backups say there was one
    try:
        if size == 0:
            problem = "the file is empty"
        elif app.config["DEFER_HOUSEKEEPING"]:
            problem = _glance(path)
        else:
            problem = service.problem(path)
    except sqlite3.Error as exc:  # not damage: the file could not be read at all
        raise UnreadableDatabaseError(unreadable_message(path, exc)) from exc
    if problem is None:
        return True
    message = damaged_message(app, path, problem)
    if click.get_current_context(silent=True) is None and not app.config.get("START_ON_DAMAGED"):
        raise CorruptDatabaseError(message)
    log.error("%s", message)
    app.extensions[EXTENSION] = message
    return False


def _glance(path: Path) -> str | None:
    """The check at start-up with ``DEFER_HOUSEKEEPING``: every page only if a migration is
    about to write the file."""
    problem = service.first_problem(path)
    if problem is not None:
        return problem
    try:
        current = service.stored_revision(path) == head_revision()
    except sqlite3.DatabaseError as exc:
        return service.damage(exc)
    return None if current else service.problem(path)


def record_damage(app: Flask, exc: Exception) -> str:
    """A request found the file damaged (before the desktop's deferred check got to it, or
    once it broke while running): from now on every request is refused with the message,
    which names the newest good backup. Returns the message."""
    message = app.extensions.get(EXTENSION)
    if message is None:
        problem = str(getattr(exc, "orig", None) or exc)
        message = damaged_message(app, live_path(app), problem)
        log.error("%s", message)
        app.extensions[EXTENSION] = message
    return message


def refuse_while_damaged():
    """Before every request, first of all (the other hooks read the database): once the file
    is known to be damaged, every request gets the message, 503."""
    message = current_app.extensions.get(EXTENSION)
    if message is None:
        return None
    if request.path.startswith("/api/") or request.path == "/api":
        return jsonify(error_body("database_damaged", message)), 503
    return message, 503, {"Content-Type": "text/plain; charset=utf-8"}
