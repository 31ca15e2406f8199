"""Statements compiled once and run as plain SQL, for the hot paths on SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.sql import Executable


class Prepared:
    """A Core statement compiled once for a dialect and run with ``exec_driver_sql``.

    SQLAlchemy's ``execute`` derives a cache key from the statement and processes every
    value of every row on each call; for a page of notes that cost more than the SQL itself.
    A prepared statement binds its parameters with the types the statement gave them
    (``UTCDateTime`` and the like) and returns rows as the driver gives them: SQLite's text
    for timestamps, 0 and 1 for booleans.

    When nothing listens for statements (the server, the desktop) it runs on the driver's own
    connection, inside the same transaction: SQLAlchemy's per-statement bookkeeping (execution
    context, result metadata) cost as much as a small indexed query. When something listens
    (the tests' statement counts, the benchmark's SQL capture, query logging) it goes through
    ``exec_driver_sql`` so they see it.
    """

    def __init__(self, statement: Executable, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = compiled.positional
        self.names = list(compiled.positiontup if compiled.positional else compiled.binds)
        # Values fixed when the statement was built (a LIMIT's OFFSET 0, say).
        self.defaults = compiled.params
        self.processors = {}
        for name in set(self.names):
            processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> CursorResult | Rows:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            processor = self.processors.get(name)
            values.append(value if processor is None or value is None else processor(value))
        params = tuple(values) if self.positional else dict(zip(self.names, values, strict=True))
        return execute_sql(connection, self.sql, params)


def execute_sql(connection: Connection, sql: str, params=()) -> CursorResult | Rows:
    """Plain SQL on SQLite, on the driver's connection unless something listens for statements.

    The rows are fetched at once (Kaap's statements return a page at most), so a driver error
    can only come from here, and comes as SQLAlchemy's: "database is locked" is a 503, a
    damaged file a 503 that names the backup to restore, not a 500.
    """
    dispatch = connection.dispatch
    if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
        return connection.exec_driver_sql(sql, params)
    try:
        return Rows(connection.connection.driver_connection.execute(sql, params).fetchall())
    except sqlite3.Error as error:
        raise DBAPIError.instance(
            sql, params, error, sqlite3.Error, dialect=connection.dialect
        ) from error


class Rows:
    """Fetched rows with the few result methods Kaap uses."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list):
        self._rows = rows

    def __iter__(self):
        return iter(self._rows)

    def all(self) -> list:
        return self._rows

    fetchall = all

    def first(self):
        return self._rows[0] if self._rows else None

    def scalar_one(self):
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0][0]


@lru_cache(maxsize=64)
def prepare(statement: Executable, dialect: Dialect) -> Prepared:
    """The statement (built once, at import) prepared for a dialect, once."""
    return Prepared(statement, dialect)


def run(connection: Connection, statement: Executable, params: Mapping[str, Any]):
    """Run a statement built once: prepared on SQLite (raw rows), SQLAlchemy's own way elsewhere
    (rows of Python values)."""
    if connection.dialect.name == "sqlite":
        return prepare(statement, connection.dialect).execute(connection, params)
    return connection.execute(statement, params)
