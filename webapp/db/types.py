"""Column types: UTC timestamps with microseconds, stored the same way on every database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.types import DateTime, TypeDecorator

# The id columns are INTEGER: 64-bit on SQLite, 32-bit on PostgreSQL. No id is ever larger
# than the smaller of the two, and a larger one must not reach PostgreSQL's driver (an
# overflow there is a 500): the API's inputs, its URLs and the list cursors stop at this.
MAX_ID = 2**31 - 1


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
