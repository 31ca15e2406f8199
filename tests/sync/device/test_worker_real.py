"""The background worker with the real engine and a real server (accounts on, on a socket):
a connect through the page syncs, a note written here reaches the server by itself."""

from __future__ import annotations

import pytest

from tests.sync.device.conftest import PASSWORD
from tests.sync.device.fakes import SHORT, sync_threads
from tests.sync.device.test_engine import _server
from tests.sync.device.test_worker import wait_for
from webapp import create_app
from webapp.sync.device import worker


@pytest.fixture
def real_server(tmp_path_factory):
    yield from _server(tmp_path_factory)


@pytest.fixture
def desktop(data_dir):
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), **SHORT})
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    yield app, client
    worker.stop(app)
    assert sync_threads() == []
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def server_titles(real_server) -> list[str]:
    items = real_server.client.get("/api/notes", query_string={"limit": 100}).get_json()["items"]
    return sorted(note["title"] for note in items)


def test_the_worker_syncs_a_new_note_to_the_server_by_itself(desktop, real_server):
    _, client = desktop
    client.post("/api/notes", json={"title": "Before connecting"})
    body = {"url": real_server.url, "username": "ana", "password": PASSWORD}
    assert client.post("/api/sync/device", json=body).status_code == 201
    wait_for(lambda: client.get("/api/sync/device").get_json()["status"] == "synced", 15)
    assert server_titles(real_server) == ["Before connecting"]
    state = client.get("/api/sync/device").get_json()
    assert state["last_sync_at"] and "last_error" not in state

    client.post("/api/notes", json={"title": "Written later"})  # no "Sync now": the debounce
    wait_for(lambda: server_titles(real_server) == ["Before connecting", "Written later"], 15)
    wait_for(lambda: client.get("/api/sync/device").get_json()["status"] == "synced", 15)


def test_offline_then_back_syncs_soon_after(desktop, real_server, closed_port):
    from webapp.sync.device import store

    app, client = desktop
    body = {"url": real_server.url, "username": "ana", "password": PASSWORD}
    assert client.post("/api/sync/device", json=body).status_code == 201
    wait_for(lambda: client.get("/api/sync/device").get_json()["status"] == "synced", 15)
    # The server unreachable: the same server behind an address where nothing listens.
    data_dir = app.config["DATA_DIR"]
    state = store.load(data_dir)
    reachable, state.server_url = state.server_url, f"http://127.0.0.1:{closed_port}"
    store.save(data_dir, state)
    client.post("/api/notes", json={"title": "Written offline"})
    wait_for(lambda: client.get("/api/sync/device").get_json()["status"] == "offline", 15)
    offline = client.get("/api/sync/device").get_json()
    assert offline["last_error_code"] == "offline"

    # Back: the next retry (0.1 s doubling to 0.4 s here) finds it.
    def back() -> bool:
        state = store.load(data_dir)
        if state.server_url != reachable:  # (a failing retry may have saved over the change)
            state.server_url = reachable
            store.save(data_dir, state)
        return server_titles(real_server) == ["Written offline"]

    wait_for(back, 15)
    wait_for(lambda: client.get("/api/sync/device").get_json()["status"] == "synced", 15)
