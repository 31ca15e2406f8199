"""A device's token: the password checked as a login is, a personal API token made for it."""

import pytest

from tests.accounts import conftest as accounts
from tests.accounts.conftest import PASSWORD
from tests.conftest import error_code

sign_up = accounts.sign_up  # the fixture, in this package too


@pytest.fixture
def app_settings() -> dict:
    return {"ACCOUNTS": True}


def device(app, username="ana", password=PASSWORD, name="laptop"):
    body = {"username": username, "password": password, "device": name}
    return app.test_client().post("/api/sync/devices", json=body)  # no cookie, no CSRF token


def bearer(app, secret):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def test_a_device_gets_a_token_named_for_it(app, sign_up):
    ana = sign_up("ana")
    response = device(app)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"token", "token_id", "server_id", "account_id", "username"}
    assert body["username"] == "ana"
    names = {t["id"]: t["name"] for t in ana.get("/api/account/tokens").get_json()}
    assert names[body["token_id"]] == "Kaap on laptop"
    token = bearer(app, body["token"])
    identity = token.get("/api/sync/identity").get_json()
    assert identity == {k: body[k] for k in ("server_id", "account_id", "username")}
    assert token.get("/api/sync/changes").status_code == 200


def test_wrong_credentials_are_401_bad_credentials(app, sign_up):
    sign_up("ana")
    for response in (device(app, password="wrong"), device(app, username="nobody")):
        assert response.status_code == 401 and error_code(response) == "bad_credentials"


def test_device_tokens_share_the_login_limits(app, sign_up):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 10 minutes"
    sign_up("ana")
    for _ in range(3):
        assert device(app, password="guess").status_code == 401
    response = device(app)
    assert response.status_code == 429 and error_code(response) == "too_many_requests"


def test_the_feed_needs_a_login_or_a_token(app):
    for path in ("/api/sync/changes", "/api/sync/identity"):
        assert app.test_client().get(path).status_code == 401
    response = app.test_client().post("/api/sync/push", json={"changes": []})
    assert response.status_code == 401


def test_a_bad_device_body_is_a_400(app, sign_up):
    sign_up("ana")
    response = app.test_client().post("/api/sync/devices", json={"username": "ana"})
    assert response.status_code == 400 and error_code(response) == "invalid"
