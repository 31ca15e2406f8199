"""A bound on the work of a search's statements, so a costly query answers 503, not a hang.

SQLite: a progress handler on the request's own connection interrupts the search statements
once their time is spent (it runs between virtual machine steps; one step inside FTS5 or one
``instr`` over a note runs to its end, which the owner's term in the index keeps to the
searcher's own rows). PostgreSQL: ``statement_timeout``, set for the search statements only
and put back after them. Other statements and other connections are never bounded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from webapp.errors import KaapError

# How many SQLite virtual machine steps between two looks at the clock: a look costs a
# Python call (about 0.3 us), these steps 10 to 50 us.
STEPS_PER_CHECK = 1000
_SQLITE_INTERRUPT = 9
_QUERY_CANCELED = "57014"


class SearchTooCostlyError(KaapError):
    status = 503
    code = "search_too_costly"


def _too_costly(error: OperationalError) -> bool:
    orig = error.orig
    if getattr(orig, "sqlite_errorcode", None) == _SQLITE_INTERRUPT:
        return True
    return getattr(orig, "sqlstate", None) == _QUERY_CANCELED


# The setting as it was, then the search's own, in one round trip (OFFSET 0 keeps the
# subquery apart, so it is read before the outer query sets it).
_SWAP_TIMEOUT = text(
    "SELECT old.value, set_config('statement_timeout', :value, true) FROM "
    "(SELECT current_setting('statement_timeout') AS value OFFSET 0) AS old"
)
_SET_TIMEOUT = text("SELECT set_config('statement_timeout', :value, true)")


@contextmanager
def bounded(connection: Connection, timeout_ms: int | None) -> Iterator[None]:
    """Statements run inside stop after ``timeout_ms`` with a 503 (None or 0: unbounded)."""
    if not timeout_ms:
        yield
        return
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        deadline = time.monotonic() + timeout_ms / 1000
        driver = connection.connection.driver_connection
        driver.set_progress_handler(lambda: time.monotonic() > deadline, STEPS_PER_CHECK)
    else:
        # Transaction-local: a rollback (the timeout's own, say) puts it back as well.
        value = f"{int(timeout_ms)}ms"
        before = connection.execute(_SWAP_TIMEOUT, {"value": value}).first()[0]
    try:
        yield
    except OperationalError as error:
        if not _too_costly(error):
            raise
        raise SearchTooCostlyError(
            "This search took too long and was stopped; add words or filters to narrow it.",
            fields={"q": "too costly to search; narrow it"},
        ) from error
    else:
        if not sqlite:
            connection.execute(_SET_TIMEOUT, {"value": before})
    finally:
        if sqlite:
            driver.set_progress_handler(None, 0)
