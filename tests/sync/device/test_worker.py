"""The background sync worker (webapp/sync/device/worker.py) with a fake ``sync_now``."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.sync.device.fakes import SHORT, sync_threads
from webapp import create_app
from webapp.sync.device import engine, store, worker
from webapp.sync.device.client import SyncError
from webapp.sync.device.engine import Report

pytestmark = pytest.mark.usefixtures("no_sync_thread_left")


@pytest.fixture
def app_settings():
    return dict(SHORT)


def add_note(app, title: str) -> None:
    """A committed note write without a request (a request would start the worker)."""
    from webapp.accounts.auth import current_owner_id
    from webapp.extensions import db
    from webapp.notes.service import create_note
    from webapp.timeutil import now

    with app.test_request_context():
        create_note(db.session, current_owner_id(), {"title": title}, now())


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_the_worker_syncs_at_start_on_its_own_thread(app, fake, connected):
    running = worker.start(app)
    wait_for(lambda: fake.calls)
    assert fake.calls[0]["thread"] is running._thread
    assert fake.calls[0]["thread"] is not threading.current_thread()
    wait_for(lambda: worker.status(app).state == "synced")


def test_no_worker_without_a_connection_or_when_turned_off(app, fake, data_dir, connected):
    app.config["SYNC_WORKER"] = False
    assert worker.start(app) is None
    app.config["SYNC_WORKER"] = True
    store.forget(data_dir)
    assert worker.start(app) is None
    connected.stopped = True
    store.save(data_dir, connected)
    assert worker.start(app) is None
    assert fake.calls == []


def test_no_worker_with_accounts_on(app, fake, connected):
    app.config["ACCOUNTS"] = True
    assert worker.start(app) is None


def test_the_first_request_starts_the_worker(app, fake, connected):
    assert worker.get(app) is None
    app.test_client().get("/api/sync/device")
    wait_for(lambda: fake.calls)
    assert fake.calls[0]["thread"] is worker.get(app)._thread


def test_one_worker_per_app(app, fake, connected):
    assert worker.start(app) is worker.start(app)
    assert len(sync_threads()) == 1


def test_a_burst_of_changes_is_one_sync_after_the_debounce(app, fake, connected):
    app.config["SYNC_DEBOUNCE_SECONDS"] = 1.0  # room for a loaded machine's slow writes
    worker.start(app)
    wait_for(lambda: worker.status(app).state == "synced")
    started = time.monotonic()
    for text in ("a", "ab", "abc", "abcd", "abcde"):
        add_note(app, text)
    wait_for(lambda: len(fake.calls) == 2)
    assert fake.calls[1]["at"] - started >= 1.0
    time.sleep(1.5)
    assert len(fake.calls) == 2  # one sync for the whole burst


def test_typing_without_a_pause_still_syncs_within_a_few_debounces(app, fake, connected):
    worker.start(app)
    wait_for(lambda: worker.status(app).state == "synced")
    started = time.monotonic()
    while time.monotonic() - started < 2.5:  # a change every 0.1 s: never a 0.3 s pause
        add_note(app, "typing")
        time.sleep(0.1)
    during = [call for call in fake.calls[1:] if call["at"] < started + 2.5]
    assert during, "no sync while typing"
    assert during[0]["at"] - started < 4 * 0.3 + 0.5  # the cap: DEBOUNCE_CAP debounces


def test_a_change_during_a_sync_syncs_again_after_it(app, fake, connected, make_note):
    fake.gate = threading.Event()
    worker.start(app)
    wait_for(lambda: fake.calls)
    make_note(title="written while syncing")
    fake.gate.set()
    wait_for(lambda: len(fake.calls) == 2)


def test_the_engines_own_writes_do_not_start_another_sync(app, fake, connected, monkeypatch):
    def pulls_a_note(*, removals=None):
        # As the real engine does: a committed note write, heard by the broker.
        fake.calls.append({"thread": threading.current_thread(), "at": time.monotonic()})
        add_note(app, "from the server")
        return Report(pulled=1)

    heard = []
    app.extensions["kaap.events"].add_listener(lambda owner, kind: heard.append(kind))
    monkeypatch.setattr(engine, "sync_now", pulls_a_note)
    worker.start(app)
    wait_for(lambda: heard == ["created"])
    time.sleep(0.6)  # twice the debounce
    assert len(fake.calls) == 1


def test_it_syncs_every_interval(app, fake, connected):
    app.config["SYNC_INTERVAL_SECONDS"] = 0.2
    worker.start(app)
    wait_for(lambda: len(fake.calls) >= 3)
    gaps = [b["at"] - a["at"] for a, b in zip(fake.calls, fake.calls[1:], strict=False)]
    assert all(gap >= 0.19 for gap in gaps)


def test_offline_retries_with_a_doubling_wait_then_syncs(app, fake, connected):
    app.config.update(SYNC_RETRY_FIRST_SECONDS=0.2, SYNC_RETRY_MAX_SECONDS=0.8)
    offline = SyncError("Offline: the server cannot be reached.", code="offline", status=503)
    fake.outcomes = [offline, offline, offline, offline]
    worker.start(app)
    wait_for(lambda: len(fake.calls) == 2)
    status = worker.status(app)
    assert status.state == "offline" and status.error_code == "offline"
    wait_for(lambda: len(fake.calls) == 5)
    gaps = [b["at"] - a["at"] for a, b in zip(fake.calls, fake.calls[1:], strict=False)]
    # At least 0.2, 0.4, 0.8, then the cap: 0.8 again, not 1.6.
    for gap, wait in zip(gaps, (0.2, 0.4, 0.8, 0.8), strict=False):
        assert gap >= wait - 0.02, gaps
    assert gaps[3] < 1.6 - 0.02, gaps
    wait_for(lambda: worker.status(app).state == "synced")


def test_a_refusal_is_an_error_with_its_sentence(app, fake, connected):
    fake.outcomes = [SyncError("Wrong password.", code="token_revoked", status=409)]
    worker.start(app)
    wait_for(lambda: worker.status(app).state == "error")
    assert worker.status(app).error == "Wrong password."


def test_a_bug_in_the_engine_does_not_end_the_worker(app, fake, connected):
    app.config["SYNC_INTERVAL_SECONDS"] = 0.1
    fake.outcomes = [RuntimeError("bug")]
    running = worker.start(app)
    wait_for(lambda: len(fake.calls) == 2)
    assert running.alive
    wait_for(lambda: worker.status(app).state == "synced")


def test_busy_elsewhere_shows_syncing_and_tries_again_soon(app, fake, connected):
    fake.outcomes = [SyncError("Another sync is running.", code="busy", status=409)]
    worker.start(app)
    wait_for(lambda: fake.calls)
    wait_for(lambda: worker.status(app).state == "syncing")
    wait_for(lambda: len(fake.calls) == 2)


def test_a_pause_waits_for_the_answer(app, fake, connected):
    fake.outcomes = [Report(paused_removals=12, notes_here=40)]
    worker.start(app)
    wait_for(lambda: worker.status(app).state == "paused")
    status = worker.status(app)
    assert (status.paused_removals, status.notes_here) == (12, 40)
    worker.sync_soon(app, "keep")
    wait_for(lambda: len(fake.calls) == 2)
    assert fake.calls[1]["removals"] == "keep"
    wait_for(lambda: worker.status(app).state == "synced")


def test_stop_ends_the_thread_after_its_sync(app, fake, connected):
    fake.gate = threading.Event()
    running = worker.start(app)
    wait_for(lambda: fake.calls)
    threading.Timer(0.1, fake.gate.set).start()
    worker.stop(app)
    assert not running._thread.is_alive()
    assert worker.get(app) is None
    assert len(fake.calls) == 1


def test_sync_soon_without_a_worker_runs_one_sync_in_a_thread(app, fake, connected):
    app.config["SYNC_WORKER"] = False
    one = worker.sync_soon(app)
    wait_for(lambda: not one._thread.is_alive())
    assert len(fake.calls) == 1 and fake.calls[0]["thread"] is one._thread
    assert worker.status(app).state == "synced"


def test_an_identity_change_stops_the_worker(app, fake, connected):
    fake.outcomes = [SyncError("Not the same server.", code="identity_changed", status=409)]
    running = worker.start(app)
    wait_for(lambda: not running._thread.is_alive())
    assert worker.status(app).state == "error"


def test_the_desktop_starts_it_after_its_first_page_and_stops_it_on_shutdown(app, fake, connected):
    import argparse

    from desktop.shell import Shell
    from desktop.thin import ShellCache

    class Deferred:  # the app the shell built, as desktop.server.DeferredApp holds it
        started = done = True

        def __init__(self, app):
            self.app = app

        def wait(self):
            return True

    class Stoppable:
        def start(self, *args):
            pass

        def stop(self, *args):
            pass

    shell = Shell(argparse.Namespace())
    shell.deferred, shell.later, shell.server = Deferred(app), Stoppable(), Stoppable()
    shell.token, shell.shell_cache = "t", ShellCache(Path(app.config["DATA_DIR"]))
    shell.after_start()
    wait_for(lambda: fake.calls)
    running = worker.get(app)
    assert fake.calls[0]["thread"] is running._thread
    shell.after_start()  # every page load calls it: still one worker
    assert worker.get(app) is running and len(sync_threads()) == 1
    shell.shutdown()
    assert worker.get(app) is None and sync_threads() == []


def test_the_desktop_waits_for_its_shell_not_the_first_request(data_dir, fake, connected):
    """In desktop mode the first request (the window's page) starts no sync: after_start does."""
    desktop = create_app(
        {
            "CONFIG": "desktop",
            "DATA_DIR": str(data_dir),
            "LAUNCH_TOKEN": "t" * 43,
            "SYNC_KEYRING": False,
            **SHORT,
        }
    )
    try:
        window = desktop.test_client()
        base = "http://127.0.0.1:5123"
        assert window.get(f"/?kaap_token={'t' * 43}", base_url=base).status_code == 303
        assert window.get("/api/sync/device", base_url=base).status_code == 200
        assert worker.get(desktop) is None and fake.calls == []
    finally:
        worker.stop(desktop)
        with desktop.app_context():
            from webapp.extensions import db

            db.engine.dispose()
