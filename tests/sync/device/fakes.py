"""A fake ``engine.sync_now`` for the worker's, the API's and the page's tests."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from webapp.sync.device import store
from webapp.sync.device.engine import Report

# The worker's waits, made short (the defaults are 3 s, 45 s, 5 s doubling to 60 s).
SHORT = {
    "SYNC_WORKER": True,
    "SYNC_DEBOUNCE_SECONDS": 0.3,
    "SYNC_INTERVAL_SECONDS": 30.0,
    "SYNC_RETRY_FIRST_SECONDS": 0.1,
    "SYNC_RETRY_MAX_SECONDS": 0.4,
}


class FakeEngine:
    """Stands in for ``engine.sync_now``: records each call, answers from ``outcomes``."""

    def __init__(self, data_dir=None):
        # ``data_dir``: a sync that succeeds stamps last_sync_at in sync.json, as the engine does.
        self.data_dir = data_dir
        self.calls: list[dict] = []
        self.outcomes: list = []  # a Report or an exception per call; then ``then``
        self.then = Report()
        self.gate: threading.Event | None = None  # set: a call waits for it

    def __call__(self, *, removals=None):
        data_dir = self.data_dir
        self.calls.append(
            {"thread": threading.current_thread(), "removals": removals, "at": time.monotonic()}
        )
        if self.gate is not None:
            self.gate.wait(5)
        outcome = self.outcomes.pop(0) if self.outcomes else self.then
        if isinstance(outcome, BaseException):
            raise outcome
        state = store.load(data_dir) if data_dir and not outcome.paused_removals else None
        if state is not None:
            state.last_sync_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            state.last_error = state.last_error_code = None
            store.save(data_dir, state)
        return outcome


def connect_without_a_server(data_dir, **fields) -> store.State:
    """A stored connection (sync.json) as a connect leaves it; no server is asked."""
    state = store.State(
        server_url="https://kaap.example.org",
        server_id="srv",
        account_id="acct",
        username="ana",
        token_id=1,
        device="laptop",
        **fields,
    )
    store.save(data_dir, state)
    return state


def sync_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "kaap-sync"]
