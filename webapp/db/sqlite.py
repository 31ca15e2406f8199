"""SQLite's settings on every connection, the BEGIN each transaction takes, online copies."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from webapp.db.prepared import execute_sql

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout and synchronous=NORMAL on every connection (the
    search's functions are added by ``webapp.search.init_app``, after these).

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


def has_tables(engine: Engine) -> bool:
    """Whether the SQLite database behind ``engine`` holds any table yet."""
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT 1 FROM sqlite_master LIMIT 1").first())
