"""Statements compiled once and run as plain SQL, for the hot paths on SQLite."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql import Executable


class Prepared:
    """A Core statement compiled once for a dialect and run with ``exec_driver_sql``.

    SQLAlchemy's ``execute`` derives a cache key from the statement and processes every
    value of every row on each call; for a page of notes that cost more than the SQL itself.
    A prepared statement binds its parameters with the types the statement gave them
    (``UTCDateTime`` and the like) and returns rows as the driver gives them: SQLite's text
    for timestamps, 0 and 1 for booleans. Connection events still fire, so the statement
    counts of the tests and the benchmark's SQL capture see these statements too.
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

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> CursorResult:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            processor = self.processors.get(name)
            values.append(value if processor is None or value is None else processor(value))
        if self.positional:
            return connection.exec_driver_sql(self.sql, tuple(values))
        return connection.exec_driver_sql(self.sql, dict(zip(self.names, values, strict=True)))


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
