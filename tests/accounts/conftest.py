from __future__ import annotations

import pytest

PASSWORD = "correct horse battery"


@pytest.fixture
def app_settings() -> dict:
    return {"ACCOUNTS": True}


def csrf_client(app):
    """A client that sends its session's CSRF token on every write, as the page does."""
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    return client


def refresh_csrf(client) -> None:
    """Logging in starts a new session, with a new CSRF secret: fetch the new token."""
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]


@pytest.fixture
def sign_up(app):
    """Register a user through the API; returns a client logged in as them."""

    def sign_up(username: str, password: str = PASSWORD):
        client = csrf_client(app)
        response = client.post(
            "/api/auth/register", json={"username": username, "password": password}
        )
        assert response.status_code == 201, response.get_json()
        refresh_csrf(client)
        return client

    return sign_up


@pytest.fixture
def log_in(app):
    def log_in(username: str, password: str = PASSWORD):
        client = csrf_client(app)
        response = client.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        refresh_csrf(client)
        return client

    return log_in
