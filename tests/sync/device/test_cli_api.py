"""``flask --app webapp sync ...`` and the page's ``/api/sync/device``, end to end."""

from __future__ import annotations

import json

import pytest

from tests.live import serving
from tests.sync.device.conftest import PASSWORD
from webapp import create_app


def token_of(data_dir) -> str:
    return (data_dir / "sync-token").read_text()


# --- the CLI -------------------------------------------------------------------------------


def test_cli_connect_status_disconnect(runner, data_dir, contract):
    result = runner.invoke(args=["sync", "connect", contract.url, "--user", "ana"], input=PASSWORD)
    assert result.exit_code == 0, result.output
    assert f"Connected to {contract.url} as ana" in result.output
    assert PASSWORD not in result.output  # the prompt does not echo it
    assert token_of(data_dir) in contract.tokens

    result = runner.invoke(args=["sync", "status"])
    assert result.exit_code == 0, result.output
    assert "not synced yet" in result.output

    result = runner.invoke(args=["sync", "status", "--json"])
    state = json.loads(result.output)
    assert state["connected"] and state["username"] == "ana" and state["last_sync_at"] is None
    assert token_of(data_dir) not in result.output

    result = runner.invoke(args=["sync", "disconnect"])
    assert result.exit_code == 0 and "notes on this computer are kept" in result.output
    assert contract.tokens == {}
    assert json.loads(runner.invoke(args=["sync", "status", "--json"]).output) == {
        "connected": False
    }


def test_cli_wrong_password_fails_with_one_sentence(runner, data_dir, contract):
    args = ["sync", "connect", contract.url, "--user", "ana", "--password", "nope"]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: Wrong user name or password."
    assert not (data_dir / "sync.json").exists()


def test_cli_refuses_plain_http_to_another_computer_without_the_flag(runner):
    args = ["sync", "connect", "http://kaap.lan", "--user", "ana", "--password", "x"]
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and "not encrypted" in result.output


def test_cli_status_fails_when_the_server_changed_identity(runner, contract):
    args = ["sync", "connect", contract.url, "--user", "ana", "--password", PASSWORD]
    assert runner.invoke(args=args).exit_code == 0
    contract.server_id = "another"
    result = runner.invoke(args=["sync", "status"])
    assert result.exit_code == 1 and "reset or replaced" in result.output


def test_cli_status_when_not_connected(runner):
    result = runner.invoke(args=["sync", "status"])
    assert result.exit_code == 0 and "Not connected" in result.output


@pytest.fixture
def server_app(tmp_path_factory, migrated_db):
    from webapp.db.sqlite import backup_sqlite

    folder = tmp_path_factory.mktemp("server")
    backup_sqlite(migrated_db, folder / "kaap.sqlite3")
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(folder), "ACCOUNTS": True})
    yield app
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def test_cli_needs_single_user_mode(server_app):
    result = server_app.test_cli_runner().invoke(args=["sync", "status"])
    assert result.exit_code == 1 and "KAAP_ACCOUNTS=false" in result.output


# --- the page's endpoints ------------------------------------------------------------------


def test_page_state_when_not_connected(client):
    assert client.get("/api/sync/device").get_json() == {"connected": False}


def test_page_connects_and_never_sees_the_token(client, data_dir, contract):
    body = {"url": contract.url, "username": "ana", "password": PASSWORD}
    response = client.post("/api/sync/device", json=body)
    assert response.status_code == 201, response.get_json()
    token = token_of(data_dir)
    assert token not in response.get_data(as_text=True)
    assert PASSWORD not in response.get_data(as_text=True)
    state = response.get_json()
    assert state["connected"] and state["host"] == contract.url.removeprefix("http://")
    assert state["insecure"] is False
    for url in ("/api/sync/device", "/api/sync/device?check=true"):
        answer = client.get(url).get_data(as_text=True)
        assert token not in answer and '"connected": true' in answer
    assert client.delete("/api/sync/device").status_code == 204
    assert client.get("/api/sync/device").get_json() == {"connected": False}


def test_page_wrong_password_is_a_400_envelope(client, contract):
    body = {"url": contract.url, "username": "ana", "password": "nope"}
    response = client.post("/api/sync/device", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_credentials"


def test_page_insecure_url_is_refused_with_the_field(client):
    body = {"url": "http://kaap.lan", "username": "ana", "password": "x"}
    error = client.post("/api/sync/device", json=body).get_json()["error"]
    assert error["code"] == "insecure_url" and "url" in error["fields"]


def test_page_check_shows_an_identity_change(client, contract):
    body = {"url": contract.url, "username": "ana", "password": PASSWORD}
    client.post("/api/sync/device", json=body)
    contract.account_id = "someone-else"
    state = client.get("/api/sync/device?check=true").get_json()
    assert state["stopped"] and "reset or replaced" in state["last_error"]


def test_page_writes_need_the_csrf_token(app, contract):
    bare = app.test_client()
    body = {"url": contract.url, "username": "ana", "password": PASSWORD}
    assert bare.post("/api/sync/device", json=body).status_code == 400
    assert bare.delete("/api/sync/device").status_code == 400
    assert contract.devices == []


def test_page_refuses_unknown_fields(client, contract):
    body = {"url": contract.url, "username": "ana", "password": PASSWORD, "token": "x"}
    assert client.post("/api/sync/device", json=body).status_code == 400


def test_page_endpoints_are_404_in_server_mode(server_app):
    client = server_app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    # Not even a login opens them: a server does not connect to another server.
    client.post("/api/auth/register", json={"username": "root", "password": PASSWORD})
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    body = {"url": "https://kaap.example.org", "username": "ana", "password": PASSWORD}
    for method in ("get", "post", "delete"):
        response = getattr(client, method)("/api/sync/device", json=body)
        assert response.status_code == 404, method
        assert response.get_json()["error"]["code"] == "not_found"


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/swagger.json").get_json()["paths"]
    assert set(paths["/sync/device"]) >= {"get", "post", "delete"}


# --- the real server today -----------------------------------------------------------------


def test_a_device_token_revokes_itself_and_no_other(server_app):
    """Disconnect revokes the device's token on the server with that token itself: a token may
    revoke itself, never another token (that still needs a logged-in session)."""
    import httpx

    client = server_app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    client.post("/api/auth/register", json={"username": "ana", "password": PASSWORD})
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    laptop = client.post("/api/account/tokens", json={"name": "laptop"}).get_json()
    phone = client.post("/api/account/tokens", json={"name": "phone"}).get_json()
    with serving(server_app) as port:
        base = f"http://127.0.0.1:{port}/api"

        def delete(token_id: int, secret: str) -> httpx.Response:
            return httpx.delete(
                f"{base}/account/tokens/{token_id}", headers={"Authorization": f"Bearer {secret}"}
            )

        other = delete(phone["id"], laptop["token"])
        assert other.status_code == 403
        assert other.json()["error"]["code"] == "session_required"
        assert delete(laptop["id"], laptop["token"]).status_code == 204
        after = httpx.get(
            f"{base}/sync/identity", headers={"Authorization": f"Bearer {laptop['token']}"}
        )
        assert after.status_code == 401
        phone_still = httpx.get(
            f"{base}/sync/identity", headers={"Authorization": f"Bearer {phone['token']}"}
        )
        assert phone_still.status_code == 200


# --- the desktop's local boundary ------------------------------------------------------------

LAUNCH = "t0k3n-" + "y" * 37
BASE = "http://127.0.0.1:5123"


@pytest.fixture
def desktop_app(data_dir):
    settings = {"CONFIG": "desktop", "DATA_DIR": str(data_dir), "LAUNCH_TOKEN": LAUNCH}
    app = create_app({**settings, "SYNC_KEYRING": False})  # never this machine's keyring
    yield app
    from webapp.sync.device import worker

    worker.stop(app)  # a connect through the page started it
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def test_desktop_endpoints_sit_behind_the_launch_cookie_origin_and_csrf(
    desktop_app, data_dir, contract
):
    body = {"url": contract.url, "username": "ana", "password": PASSWORD}
    stranger = desktop_app.test_client()
    assert stranger.get("/api/sync/device", base_url=BASE).status_code == 401
    assert stranger.post("/api/sync/device", json=body, base_url=BASE).status_code == 401
    window = desktop_app.test_client()
    assert window.get(f"/?kaap_token={LAUNCH}", base_url=BASE).status_code == 303
    csrf = window.get("/api/csrf", base_url=BASE).get_json()["csrf_token"]
    foreign = {"X-CSRFToken": csrf, "Origin": "https://evil.example"}
    response = window.post("/api/sync/device", json=body, base_url=BASE, headers=foreign)
    assert response.status_code == 403
    assert window.post("/api/sync/device", json=body, base_url=BASE).status_code == 400  # CSRF
    assert contract.devices == []
    headers = {"X-CSRFToken": csrf}
    response = window.post("/api/sync/device", json=body, base_url=BASE, headers=headers)
    assert response.status_code == 201
    assert token_of(data_dir) not in response.get_data(as_text=True)
