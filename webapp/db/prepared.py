"""Statements compiled once and run as plain SQL on the driver's connection, for the hot paths
on SQLite; elsewhere the same statements run SQLAlchemy's own way.

Rows come back either as the driver gives them (no ``into``: scalars, ids) or, with ``into``,
converted here and passed to ``into``: timestamps as the API's text
(``2026-11-25T13:49:19.123456Z``, see ``time_text``) and booleans as ``bool``, whatever the
database, so no caller needs to know what SQLite returns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Boolean, DateTime
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.sql import Executable

from webapp.timeutil import isoformat


def time_text(text: str | None) -> str | None:
    """A timestamp as SQLite keeps it (``2026-11-25 13:49:19.123456``, UTC) in the API's form
    (``2026-11-25T13:49:19.123456Z``): for a page of rows, text is cheaper than datetimes."""
    if text is None:
        return None
    if len(text) == 26 and text[10] == " ":  # SQLAlchemy's own format, microseconds included
        return f"{text[:10]}T{text[11:]}Z"
    return isoformat(datetime.fromisoformat(text).replace(tzinfo=UTC))


def row_converter(statement: Executable, into: Callable, *, raw: bool) -> Callable:
    """A function making ``into(*values)`` of one of the statement's rows: ``raw`` rows as
    SQLite's driver gives them, else as SQLAlchemy does (datetimes, bools)."""
    times, flags = [], []
    for i, column in enumerate(statement.selected_columns):
        affinity = column.type._type_affinity
        if affinity is not None and issubclass(affinity, DateTime):
            times.append(i)
        elif raw and affinity is not None and issubclass(affinity, Boolean):
            flags.append(i)  # SQLite gives 0 and 1
    to_text = time_text if raw else isoformat
    if not times and not flags:
        return lambda row: into(*row)

    def convert(row):
        values = list(row)
        for i in times:
            values[i] = to_text(values[i])
        for i in flags:
            if values[i] is not None:
                values[i] = bool(values[i])
        return into(*values)

    return convert


class Prepared:
    """A Core statement compiled once for a dialect and run on the driver's connection.

    SQLAlchemy's ``execute`` derives a cache key from the statement and processes every
    value of every row on each call; for a page of notes that cost more than the SQL itself.
    A prepared statement binds its parameters with the types the statement gave them
    (``UTCDateTime`` and the like) and returns the driver's rows, converted for ``into`` if
    given (see the module's docstring).
    """

    def __init__(self, statement: Executable, dialect: Dialect, into: Callable | None = None):
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
        self.convert = row_converter(statement, into, raw=True) if into is not None else None

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> Rows:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            processor = self.processors.get(name)
            values.append(value if processor is None or value is None else processor(value))
        params = tuple(values) if self.positional else dict(zip(self.names, values, strict=True))
        rows = execute_sql(connection, self.sql, params)
        if self.convert is not None:
            rows._rows = [self.convert(row) for row in rows._rows]
        return rows


def execute_sql(connection: Connection, sql: str, params=()) -> Rows:
    """Plain SQL on SQLite's driver connection, inside the connection's transaction.

    SQLAlchemy's per-statement bookkeeping (execution context, result metadata) cost as much
    as a small indexed query, so the statement always runs on the driver's connection; the
    engine's ``before_cursor_execute`` and ``after_cursor_execute`` listeners (the tests'
    statement counts, the benchmark's SQL capture) are told of it as of any other statement
    (with no cursor and no execution context), so what they see is what runs.

    The rows are fetched at once (Kaap's statements return a page at most), so a driver error
    can only come from here, and comes as SQLAlchemy's: "database is locked" is a 503, a
    damaged file a 503 that names the backup to restore, not a 500.
    """
    dispatch = connection.dispatch
    if dispatch.before_cursor_execute:
        for listener in dispatch.before_cursor_execute:
            sql, params = listener(connection, None, sql, params, None, False)
    try:
        rows = Rows(connection.connection.driver_connection.execute(sql, params).fetchall())
    except sqlite3.Error as error:
        raise DBAPIError.instance(
            sql, params, error, sqlite3.Error, dialect=connection.dialect
        ) from error
    if dispatch.after_cursor_execute:
        for listener in dispatch.after_cursor_execute:
            listener(connection, None, sql, params, None, False)
    return rows


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
def prepare(statement: Executable, dialect: Dialect, into: Callable | None = None) -> Prepared:
    """The statement (built once, at import) prepared for a dialect, once."""
    return Prepared(statement, dialect, into)


@lru_cache(maxsize=64)
def _converter(statement: Executable, into: Callable) -> Callable:
    return row_converter(statement, into, raw=False)


def run(
    connection: Connection,
    statement: Executable,
    params: Mapping[str, Any],
    into: Callable | None = None,
):
    """Run a statement built once: prepared on SQLite, SQLAlchemy's own way elsewhere; with
    ``into``, every row comes as ``into(*values)`` converted the same on every database."""
    if connection.dialect.name == "sqlite":
        return prepare(statement, connection.dialect, into).execute(connection, params)
    result = connection.execute(statement, params)
    if into is None:
        return result
    convert = _converter(statement, into)
    return Rows([convert(row) for row in result])


def fetch(connection: Connection, statement: Executable, into: Callable) -> list:
    """Every row of a statement built for this one request (values in place), as ``run`` with
    ``into`` gives them."""
    convert = row_converter(statement, into, raw=False)
    return [convert(row) for row in connection.execute(statement)]
