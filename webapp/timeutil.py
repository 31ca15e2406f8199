"""UTC timestamps with microseconds, stored the same way on every database."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from sqlalchemy.types import DateTime, TypeDecorator


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def now() -> datetime:
    """The app's clock: ``app.extensions['kaap.clock']`` so tests can move time."""
    return current_app.extensions["kaap.clock"]()


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (SQLite has no zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 with microseconds and a ``Z``: ``2026-11-25T13:49:19.123456Z``."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
