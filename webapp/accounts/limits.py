"""Rate limits on logging in and signing up (the ``limits`` library's storage and strategy).

Every attempt counts, per address and per account, before the password is checked; a
successful login clears its account's count. Once a limit is reached every attempt gets 429
until the window moves on, the right password included, so guessing stays slow.
``limits`` (what Flask-Limiter is built on) is used directly: Kaap limits two actions, not
routes, and Flask-Limiter's per-request hooks cost 0.1-0.2 ms on every request for nothing.
It is only loaded in accounts mode: the desktop never pays for its import.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, request

from webapp.errors import KaapError

log = logging.getLogger(__name__)


class TooManyAttempts(KaapError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


def _strategies():
    """The configured storage's strategy, then the in-memory one it falls back on."""
    return current_app.extensions["kaap.limits"]


def _run(method: str, *args):
    shared, local = _strategies()
    try:
        return getattr(shared, method)(*args)
    except Exception:  # the storage (Redis) is down: keep limiting, in this process only
        log.warning("rate-limit storage unavailable; counting in memory", exc_info=True)
        return getattr(local, method)(*args)


def _limits(kind: str, account: str | None) -> list[tuple[object, tuple[str, ...]]]:
    from limits import parse

    config = current_app.config
    address = request.remote_addr or "unknown"
    out = [(parse(config[f"{kind.upper()}_LIMIT_PER_ADDRESS"]), (kind, "address", address))]
    if account is not None:
        out.append((parse(config["LOGIN_LIMIT_PER_ACCOUNT"]), (kind, "account", account)))
    return out


def attempt(kind: str, account: str | None = None) -> None:
    """Count one attempt ("login", "signup") against each limit, before it is tried; 429 when
    a limit is used up. The storage counts and compares in one step (a lock in memory, a
    script in Redis): parallel attempts cannot all pass a check made before any was counted."""
    for item, keys in _limits(kind, account):
        if not _run("hit", item, *keys):
            reset = _run("get_window_stats", item, *keys).reset_time
            wait = max(1, int(reset - time.time()) + 1)
            raise TooManyAttempts(
                f"Too many attempts; try again in {wait} seconds.", retry_after=wait
            )


def forgive(account: str) -> None:
    """A successful login clears its account's count: the owner has proved the password.
    The address's count stays, or logging in to one's own account would reset it."""
    from limits import parse

    item = parse(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])
    _run("clear", item, "login", "account", account)


def init_app(app: Flask) -> None:
    from limits.storage import MemoryStorage, storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    # The configured storage (memory://, or redis:// shared between processes), and the
    # in-memory one it falls back on when that storage is down.
    shared = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["kaap.limits"] = (
        MovingWindowRateLimiter(shared),
        MovingWindowRateLimiter(MemoryStorage()),
    )
