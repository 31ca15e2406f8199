"""``GET /api/sync/device``'s live status and ``POST /api/sync/device/sync`` ("Sync now"),
with a fake ``sync_now``; connecting starts the worker, signing out stops it."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import error_code
from tests.sync.device.conftest import PASSWORD
from tests.sync.device.fakes import SHORT
from tests.sync.device.test_worker import wait_for
from webapp.sync.device import store, worker
from webapp.sync.device.client import SyncError
from webapp.sync.device.engine import Report

pytestmark = pytest.mark.usefixtures("no_sync_thread_left")


@pytest.fixture
def app_settings():
    return dict(SHORT)


def state(client) -> dict:
    return client.get("/api/sync/device").get_json()


def test_sync_now_answers_202_and_syncs_off_the_request_thread(client, fake, connected):
    response = client.post("/api/sync/device/sync")
    assert response.status_code == 202
    assert response.get_json()["connected"] is True
    wait_for(lambda: fake.calls)
    assert all(call["thread"] is not threading.current_thread() for call in fake.calls)
    wait_for(lambda: state(client)["status"] == "synced")


def test_sync_now_with_the_worker_off_runs_one_sync(app, client, fake, connected):
    app.config["SYNC_WORKER"] = False
    assert client.post("/api/sync/device/sync").status_code == 202
    wait_for(lambda: state(client)["status"] == "synced")
    assert len(fake.calls) == 1 and fake.calls[0]["thread"].name == "kaap-sync"
    assert worker.get(app) is None  # it ended after its one sync


def test_the_state_shows_the_live_error_as_a_sentence(client, fake, connected):
    fake.outcomes = [
        SyncError("The server's certificate is not trusted.", code="certificate_untrusted")
    ]
    client.post("/api/sync/device/sync")
    wait_for(lambda: state(client)["status"] == "error")
    body = state(client)
    assert body["last_error"] == "The server's certificate is not trusted."
    assert body["last_error_code"] == "certificate_untrusted"


def test_offline_is_its_own_status(client, fake, connected):
    fake.outcomes = [SyncError("Offline: the server cannot be reached.", code="offline")] * 50
    client.post("/api/sync/device/sync")
    wait_for(lambda: state(client)["status"] == "offline")
    assert state(client)["last_error_code"] == "offline"


def test_a_paused_sync_gives_the_counts_and_takes_an_answer(client, fake, connected, make_note):
    fake.outcomes = [Report(paused_removals=11, notes_here=50)]
    client.post("/api/sync/device/sync")
    wait_for(lambda: state(client)["status"] == "paused")
    body = state(client)
    assert (body["paused_removals"], body["notes_here"]) == (11, 50)
    response = client.post("/api/sync/device/sync", json={"removals": "apply"})
    assert response.status_code == 202
    wait_for(lambda: state(client)["status"] == "synced")
    assert [call["removals"] for call in fake.calls][-1] == "apply"
    assert "paused_removals" not in state(client)


def test_an_answer_without_a_pause_is_a_409(client, fake, connected):
    response = client.post("/api/sync/device/sync", json={"removals": "keep"})
    assert response.status_code == 409 and error_code(response) == "not_paused"


@pytest.mark.parametrize(
    "body", [{"removals": "all"}, {"removals": 1}, {"other": "x"}, ["apply"], "apply"]
)
def test_a_bad_answer_is_a_400(client, fake, connected, body):
    response = client.post("/api/sync/device/sync", json=body)
    assert response.status_code == 400 and error_code(response) == "invalid"


def test_bad_json_is_a_400(client, fake, connected):
    response = client.post(
        "/api/sync/device/sync", data="{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_sync_now_needs_a_connection(client, fake):
    response = client.post("/api/sync/device/sync")
    assert response.status_code == 409 and error_code(response) == "not_connected"


def test_sync_now_refuses_a_stopped_connection(client, fake, connected, data_dir):
    connected.stopped, connected.last_error = True, "Not the server Kaap was connected to."
    store.save(data_dir, connected)
    response = client.post("/api/sync/device/sync")
    assert response.status_code == 409 and error_code(response) == "sync_stopped"
    assert fake.calls == []


def test_sync_now_needs_the_csrf_token(app, fake, connected):
    assert app.test_client().post("/api/sync/device/sync").status_code == 400
    assert fake.calls == []


def test_the_stored_state_gives_the_status_without_a_worker(app, client, connected, data_dir):
    app.config["SYNC_WORKER"] = False
    assert state(client)["status"] == "idle"
    connected.last_sync_at = "2026-01-05T09:00:00.000000Z"
    store.save(data_dir, connected)
    assert state(client)["status"] == "synced"
    connected.last_error, connected.last_error_code = "Offline.", "offline"
    store.save(data_dir, connected)
    assert state(client)["status"] == "offline"


def test_connecting_starts_the_worker_and_signing_out_stops_it(app, client, fake, contract):
    body = {"url": contract.url, "username": "ana", "password": PASSWORD}
    assert client.post("/api/sync/device", json=body).status_code == 201
    wait_for(lambda: fake.calls)
    running = worker.get(app)
    assert running is not None
    assert client.delete("/api/sync/device").status_code == 204
    assert worker.get(app) is None and not running._thread.is_alive()


def test_the_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/api/swagger.json").get_json()["paths"]
    assert "post" in paths["/sync/device/sync"]


def test_a_pause_left_by_an_earlier_sync_is_shown_and_answered(app, client, fake, connected):
    """``flask sync now`` paused, or this Kaap restarted: sync.json's pending count shows."""
    app.config["SYNC_WORKER"] = False
    connected.pending_removals = 14
    store.save(app.config["DATA_DIR"], connected)
    body = state(client)
    assert (body["status"], body["paused_removals"]) == ("paused", 14)
    assert "pending_removals" not in body
    assert client.post("/api/sync/device/sync", json={"removals": "keep"}).status_code == 202
    wait_for(lambda: fake.calls)
    assert fake.calls[0]["removals"] == "keep"


def test_signing_out_during_a_long_sync_says_so_and_the_sync_goes_on(
    app, client, fake, connected, monkeypatch, data_dir
):
    from webapp.sync.device import api

    monkeypatch.setattr(api, "STOP_WAIT_SECONDS", 0.2)
    fake.gate = threading.Event()
    running = worker.start(app)
    wait_for(lambda: fake.calls)
    response = client.delete("/api/sync/device")
    assert response.status_code == 409 and error_code(response) == "sync_running"
    assert store.load(data_dir) is not None  # still connected
    assert worker.get(app) is running and running.alive  # and still syncing
    fake.gate.set()
    wait_for(lambda: state(client)["status"] == "synced")
    assert client.delete("/api/sync/device").status_code == 204
    assert worker.get(app) is None and store.load(data_dir) is None


def test_on_the_desktop_sync_now_sits_behind_the_launch_cookie_and_origin(
    data_dir, fake, connected
):
    from webapp import create_app

    launch, base = "t" * 43, "http://127.0.0.1:5123"
    desktop = create_app(
        {"CONFIG": "desktop", "DATA_DIR": str(data_dir), "LAUNCH_TOKEN": launch, **SHORT}
    )
    try:
        stranger = desktop.test_client()
        assert stranger.post("/api/sync/device/sync", base_url=base).status_code == 401
        window = desktop.test_client()
        assert window.get(f"/?kaap_token={launch}", base_url=base).status_code == 303
        csrf = window.get("/api/csrf", base_url=base).get_json()["csrf_token"]
        foreign = {"X-CSRFToken": csrf, "Origin": "https://evil.example"}
        response = window.post("/api/sync/device/sync", base_url=base, headers=foreign)
        assert response.status_code == 403
        assert window.post("/api/sync/device/sync", base_url=base).status_code == 400  # CSRF
        assert fake.calls == []
        headers = {"X-CSRFToken": csrf}
        response = window.post("/api/sync/device/sync", base_url=base, headers=headers)
        assert response.status_code == 202
        wait_for(lambda: fake.calls)
    finally:
        worker.stop(desktop)
        with desktop.app_context():
            from webapp.extensions import db

            db.engine.dispose()
