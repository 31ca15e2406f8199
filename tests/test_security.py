import pytest

from tests.conftest import error_code


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/notes"), ("delete", "/api/trash"), ("post", "/api/labels")],
)
def test_writes_without_a_csrf_token_are_refused(app, method, path):
    client = app.test_client()
    response = getattr(client, method)(path, json={"title": "x", "name": "x"})
    assert response.status_code == 400
    assert error_code(response) == "csrf"


def test_writes_with_a_foreign_origin_are_403(client):
    response = client.post(
        "/api/notes", json={"title": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    assert client.get("/api/notes").get_json()["items"] == []


def test_writes_from_the_same_origin_are_allowed(client):
    response = client.post(
        "/api/notes", json={"title": "x"}, headers={"Origin": "http://localhost"}
    )
    assert response.status_code == 201


def test_no_cors_headers_are_sent(client):
    response = client.get("/api/notes", headers={"Origin": "https://evil.example"})
    assert not [name for name, _ in response.headers if name.lower().startswith("access-control")]


def test_pages_get_a_strict_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert client.get("/").headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_has_an_app_specific_name(client):
    cookies = {cookie.key for cookie in client._cookies.values()}
    assert "kaap_session" in cookies
    assert "session" not in cookies
