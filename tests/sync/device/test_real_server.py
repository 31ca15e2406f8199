"""The desktop client against a real Kaap server (accounts on) on a real socket.

Runs once the server side's POST /api/sync/devices is in the app (h14-S1's branch); until
then it skips and the contract server of conftest.py stands in.
"""

from __future__ import annotations

import pytest

from tests.live import serving
from tests.sync.device.conftest import PASSWORD
from webapp import create_app
from webapp.sync.device import service, store
from webapp.sync.device.client import SyncError


@pytest.fixture
def real_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real-server")
    app = create_app(
        {"CONFIG": "testing", "DATA_DIR": str(folder), "ACCOUNTS": True, "OPEN_SIGNUP": True}
    )
    if "/api/sync/devices" not in {rule.rule for rule in app.url_map.iter_rules()}:
        pytest.skip("the server side of sync (POST /api/sync/devices) is not merged yet")
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    body = {"username": "ana", "password": PASSWORD}
    assert client.post("/api/auth/register", json=body).status_code == 201
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}"
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def connect(data_dir, url, password=PASSWORD):
    return service.connect(data_dir, url, "ana", password, use_keyring=False, now="2026-01-05")


def test_real_server_connect_check_and_sign_out(data_dir, real_server):
    with pytest.raises(SyncError, match="Wrong user name or password"):
        connect(data_dir, real_server, password="not it")
    assert store.load(data_dir) is None
    state = connect(data_dir, real_server)
    assert state.username == "ana" and state.server_id and state.token_id
    assert (data_dir / "sync-token").read_text() not in (data_dir / "sync.json").read_text()
    checked = service.check(data_dir)
    assert checked.last_error is None and not checked.stopped
    secret = (data_dir / "sync-token").read_text().strip()
    service.disconnect(data_dir)
    assert store.load(data_dir) is None and not (data_dir / "sync-token").exists()
    # Revoked on the server too: the token it held opens nothing any more.
    import httpx

    gone = httpx.get(
        f"{real_server}/api/sync/identity", headers={"Authorization": f"Bearer {secret}"}
    )
    assert gone.status_code == 401
