"""The local boundary of desktop mode, in process: token, cookie, Host, Origin."""

from __future__ import annotations

import logging

import pytest

from tests.desktop.conftest import TOKEN
from webapp import create_app
from webapp.extensions import db

BASE = "http://127.0.0.1:5123"


@pytest.fixture
def window(desktop_app):
    """A client that came in through the start URL, as the window does."""
    client = desktop_app.test_client()
    response = client.get(f"/?kaap_token={TOKEN}", base_url=BASE)
    assert response.status_code == 303
    return client


@pytest.mark.parametrize(
    "path",
    ["/", "/api/notes", "/api/events", "/api/docs", "/api/swagger.json", "/nope", "/favicon.ico",
     "/manifest.webmanifest", "/static/icons/kaap-192.png"],
)  # fmt: skip
def test_without_the_cookie_every_route_answers_401(desktop_app, path):
    response = desktop_app.test_client().get(path, base_url=BASE)
    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response.headers


def test_api_401_uses_the_error_envelope(desktop_app):
    body = desktop_app.test_client().get("/api/notes", base_url=BASE).get_json()
    assert body["error"]["code"] == "unauthorized"
    assert set(body["error"]) == {"code", "message", "fields"}


def test_the_start_url_sets_a_strict_httponly_cookie_and_redirects_to_a_clean_url(desktop_app):
    response = desktop_app.test_client().get(f"/?kaap_token={TOKEN}&view=list", base_url=BASE)
    assert response.headers["Location"] == "/?view=list"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("kaap_launch=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert TOKEN not in response.get_data(as_text=True)


def test_a_wrong_token_is_refused(desktop_app):
    assert desktop_app.test_client().get("/?kaap_token=nope", base_url=BASE).status_code == 401


def test_with_the_cookie_the_page_and_api_work_and_never_show_the_token(window):
    page = window.get("/", base_url=BASE)
    assert page.status_code == 200
    assert TOKEN not in page.get_data(as_text=True)
    for path in ("/api/notes", "/api/csrf"):
        response = window.get(path, base_url=BASE)
        assert response.status_code == 200
        assert TOKEN not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/favicon.ico", "/manifest.webmanifest", "/static/icons/kaap-512.png"]
)
def test_the_window_gets_the_icons_and_manifest_like_other_static_files(window, path):
    with window.get(path, base_url=BASE) as response:
        assert response.status_code == 200


def test_a_write_needs_the_csrf_token_too(window):
    response = window.post("/api/notes", json={"title": "x"}, base_url=BASE)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5123", "127.0.0.2:5123"])
def test_a_foreign_host_gets_400(window, host):
    assert window.get("/api/notes", base_url=f"http://{host}").status_code == 400


@pytest.mark.parametrize("host", ["127.0.0.1:5123", "localhost:5123"])
def test_loopback_hosts_are_trusted(desktop_app, host):
    # The cookie is per host name, so only the absence of a 400 is checked here.
    assert desktop_app.test_client().get("/", base_url=f"http://{host}").status_code == 401


def test_a_foreign_origin_write_gets_403_even_without_the_cookie(desktop_app):
    response = desktop_app.test_client().post(
        "/api/notes", json={"title": "x"}, base_url=BASE, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403


def test_the_token_is_not_logged_at_info(data_dir, caplog):
    caplog.set_level(logging.INFO)
    app = create_app({"CONFIG": "desktop", "DATA_DIR": str(data_dir), "LAUNCH_TOKEN": TOKEN})
    client = app.test_client()
    client.get(f"/?kaap_token={TOKEN}", base_url=BASE)
    client.get("/", base_url=BASE)
    with app.app_context():
        db.engine.dispose()
    assert TOKEN not in caplog.text


def test_without_a_given_token_desktop_mode_makes_an_unguessable_one(data_dir):
    app = create_app({"CONFIG": "desktop", "DATA_DIR": str(data_dir)})
    assert len(app.config["LAUNCH_TOKEN"]) >= 43
    assert app.test_client().get("/", base_url=BASE).status_code == 401
    with app.app_context():
        db.engine.dispose()


def test_web_mode_is_unchanged(client):
    assert client.get("/api/notes").status_code == 200
