"""UTC timestamps with microseconds: the app's clock and the API's text form."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def now() -> datetime:
    """The app's clock, ``app.extensions["kaap.clock"]``: ``utcnow`` unless the ``CLOCK``
    setting gives another (tests move time with it)."""
    return current_app.extensions["kaap.clock"]()


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 with microseconds and a ``Z``: ``2026-11-25T13:49:19.123456Z``."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
