"""SQLite settings, SQLite backups, and bringing the schema to the newest migration."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, g, has_app_context, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from webapp.db.prepared import execute_sql
from webapp.extensions import db
from webapp.paths import resource
from webapp.search.index import register_functions

log = logging.getLogger(__name__)

MIGRATIONS_DIR = resource("migrations")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout and synchronous=NORMAL on every connection.

    pysqlite's own transaction handling is turned off so we emit BEGIN ourselves: a request
    that writes takes the write lock up front (BEGIN IMMEDIATE), which waits for the busy
    timeout instead of failing with "database is locked" when it upgrades a read lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        register_functions(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        execute_sql(connection, "BEGIN IMMEDIATE" if _writing() else "BEGIN")


def _writing() -> bool:
    """Whether a transaction beginning now should take the write lock: ``g.kaap_write`` if
    set (a background job, or ``reading``), else whether the request writes."""
    if has_app_context() and "kaap_write" in g:
        return bool(g.kaap_write)
    return has_request_context() and request.method in WRITE_METHODS


@contextmanager
def reading(session: Session) -> Iterator[None]:
    """Statements inside begin a read transaction, even in a writing request.

    The transaction open before (a login check's) is committed first, and the read one is
    ended on leaving: slow work that follows (decoding images) holds no lock, and the next
    statement begins the request's write transaction.
    """
    session.commit()
    context = has_app_context()
    had, before = context and "kaap_write" in g, context and g.get("kaap_write")
    if context:
        g.kaap_write = False
    try:
        yield
    finally:
        session.rollback()  # a read has nothing to keep
        if had:
            g.kaap_write = before
        elif context:
            g.pop("kaap_write")


def backup_sqlite(source: Path, dest: Path) -> Path:
    """Copy a live SQLite database with SQLite's online backup API (never a file copy)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
            # The copy inherits WAL mode; a backup should be one self-contained file.
            out.execute("PRAGMA journal_mode=DELETE")
        finally:
            out.close()
    finally:
        src.close()
    return dest


# Alembic (through Flask-Migrate) costs about 0.3 s of imports, and most start-ups have
# nothing to migrate: the revisions are read with plain SQL and from the scripts' text, and
# Alembic is imported only to upgrade, or when a script is beyond that simple reading.
_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:["']([^"']+)["']|(None))\s*$""", re.M
)


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, or None before the first migration."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        if len(rows) <= 1:
            return rows[0][0] if rows else None
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()  # raises: several heads


def script_revisions() -> dict[str, str | None]:
    """Every migration script's revision and the one it revises, read from the scripts' text.

    Empty when a script is not in the plain one-parent form (a merge, say): Alembic decides.
    """
    found: dict[str, str | None] = {}
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        values = {m[1]: m[2] for m in _REVISION_LINE.finditer(script.read_text("utf-8"))}
        if set(values) != {"revision", "down_revision"}:
            return {}
        found[values["revision"]] = values["down_revision"]
    return found


def head_revision() -> str:
    """The newest migration."""
    parents = script_revisions()
    heads = set(parents) - set(parents.values())
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT 1 FROM sqlite_master LIMIT 1").first())


def upgrade_to_head(app: Flask) -> str | None:
    """Migrate the database to the newest revision, backing up a SQLite file first.

    Returns the path of the backup made, if any.
    """
    engine = db.engine
    current = current_revision(engine)
    if current == head_revision():
        return None
    backup = None
    path = sqlite_path(str(engine.url))
    if path is not None and path.exists() and _has_tables(engine):
        from webapp.backups import service as backups

        _room_to_migrate(app, path)
        backup = backups.create(
            path,
            Path(app.config["DATA_DIR"]) / "backups",
            "pre-migrate",
            app.extensions["kaap.clock"](),
            app.config["BACKUP_KEEP"],
            tag=current or "base",
        ).path
        log.info("backed up the database to %s before migrating", backup)
    from flask_migrate import upgrade

    bind_migrate(app)
    upgrade(directory=str(MIGRATIONS_DIR))
    log.info("database migrated from %s to %s", current or "empty", head_revision())
    return str(backup) if backup else None


def _room_to_migrate(app: Flask, path: Path) -> None:
    """Refuse to start a migration the disk has no room to finish: the backup before it is a
    copy of the file, and a migration may copy a table (SQLite's batch mode) on top."""
    from webapp.disk import DiskFullStartError, free_bytes, full_message

    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    needed = 2 * size + app.config["DISK_MIN_FREE_BYTES"]
    free = free_bytes(path.parent)
    if free is not None and free < needed:
        outcome = "Kaap did not start: it backs up and migrates the database first"
        raise DiskFullStartError(full_message(path.parent, needed, outcome))


class _MigrateOnDemand:
    """``app.extensions["migrate"]`` until something reads it: then Flask-Migrate is bound."""

    def __init__(self, app: Flask):
        self._app = app

    def __getattr__(self, name: str):
        return getattr(bind_migrate(self._app), name)


def bind_migrate(app: Flask):
    """Bind Flask-Migrate to ``app`` if it is not yet; returns its ``extensions["migrate"]``."""
    bound = app.extensions.get("migrate")
    if bound is None or isinstance(bound, _MigrateOnDemand):
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
        bound = app.extensions["migrate"]
    return bound


def init_app(app: Flask) -> None:
    db.init_app(app)
    app.extensions["migrate"] = _MigrateOnDemand(app)
    if click.get_current_context(silent=True) is not None:
        bind_migrate(app)  # under the ``flask`` command: ``flask db`` must be there
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
