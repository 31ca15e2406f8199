"""Hostile input gets a 400 (or 412), never a 500, on SQLite and PostgreSQL alike: NUL in any
text, JSON nested too deep, numbers beyond any version, CR/LF in the login page's next=."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import PASSWORD, csrf_client
from tests.conftest import error_code

NUL = "a\u0000b"


@pytest.fixture
def ana(sign_up):
    return sign_up("ana")


@pytest.fixture
def note(ana) -> dict:
    return ana.post("/api/notes", json={"title": "x"}).get_json()


JSON_WRITES = [
    ("POST", "/api/auth/login", {"username": NUL, "password": "whatever it is"}),
    ("POST", "/api/auth/login", {"username": "ana", "password": NUL}),
    ("POST", "/api/auth/register", {"username": NUL, "password": PASSWORD}),
    ("POST", "/api/notes", {"title": NUL}),
    ("POST", "/api/notes", {"body": NUL}),
    ("POST", "/api/notes", {"items": [{"text": NUL}]}),
    ("PATCH", "/api/notes/{note}", {"title": NUL}),
    ("POST", "/api/labels", {"name": NUL}),
    ("PUT", "/api/drafts/composer", {"content": {"body": NUL}}),
    ("PUT", "/api/drafts/composer", {"content": {NUL: 1}}),
    ("PATCH", "/api/settings", {"theme": NUL}),
    ("POST", "/api/account/tokens", {"name": NUL}),
    ("POST", "/api/users", {"username": NUL, "password": PASSWORD}),
    ("PUT", "/api/account/password", {"current_password": NUL, "new_password": PASSWORD}),
]


@pytest.mark.parametrize(("method", "path", "body"), JSON_WRITES)
def test_a_nul_in_any_json_text_is_a_400(ana, note, method, path, body):
    response = ana.open(path.format(note=note["id"]), method=method, json=body)
    assert response.status_code == 400 and error_code(response) == "bad_request"
    assert "NUL" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "query",
    [{"q": NUL}, {"cursor": NUL}, {"color": NUL}, {"label": NUL}, {NUL: "1"}],
)
def test_a_nul_in_a_query_argument_is_a_400(ana, query):
    response = ana.get("/api/notes", query_string=query)
    assert response.status_code == 400 and error_code(response) == "bad_request"


@pytest.mark.parametrize(
    "path", ["/api/imports/a%00b", "/api/backups/a%00b/restore", "/api/drafts/note-1%00"]
)
def test_a_nul_in_the_path_is_a_400(ana, path):
    response = ana.open(path, method="GET" if "imports" in path else "POST")
    assert response.status_code == 400 and error_code(response) == "bad_request"


def test_a_nul_in_a_form_field_is_a_400_on_pages_and_uploads(app, ana):
    stranger = app.test_client()
    stranger.get("/login")
    token = stranger.get("/api/csrf").get_json()["csrf_token"]
    page = stranger.post("/login", data={"username": NUL, "password": "x", "csrf_token": token})
    assert page.status_code == 400 and b"NUL" in page.data
    upload = ana.post(
        "/api/notes/images",
        data={"note": '{"title": "a\\u0000"}'},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400 and "NUL" in upload.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/notes"), ("PUT", "/api/drafts/composer"), ("POST", "/api/auth/login")],
)
@pytest.mark.parametrize("depth", [33, 100_000])
def test_json_nested_too_deep_is_a_400(ana, method, path, depth):
    body = '{"content": ' + "[" * depth + "]" * depth + "}"
    response = ana.open(path, method=method, data=body, content_type="application/json")
    assert response.status_code == 400 and "nested" in response.get_json()["error"]["message"]


def test_json_nested_as_deep_as_a_draft_needs_is_kept(ana):
    content = {"fields": {"items": [{"text": "x"}]}}
    assert ana.put("/api/drafts/composer", json={"content": content}).status_code == 200


def test_the_note_form_field_nested_too_deep_is_a_400(ana):
    response = ana.post(
        "/api/notes/images", data={"note": "[" * 100_000}, content_type="multipart/form-data"
    )
    assert response.status_code == 400 and "nested" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('"9223372036854775807"', 412),
        (str(2**31), 412),
        (str(2**31 - 1), 412),
        (str(2**63), 400),
        ("1" * 5000, 400),
        ("²", 400),
        ("-1", 400),
    ],
)
def test_if_match_beyond_any_version_is_a_400_or_412(ana, note, if_match, status):
    response = ana.patch(
        f"/api/notes/{note['id']}", json={"title": "y"}, headers={"If-Match": if_match}
    )
    assert response.status_code == status, response.get_json()
    assert ana.get(f"/api/notes/{note['id']}").get_json()["title"] == "x"


@pytest.mark.parametrize("query", [{"label": str(2**63 - 1)}, {"label": str(2**31)}])
def test_a_label_id_beyond_the_id_columns_finds_nothing(ana, query):
    response = ana.get("/api/notes", query_string=query)
    assert response.status_code == 200 and response.get_json()["items"] == []


@pytest.mark.parametrize(
    "target", ["/\r\nSet-Cookie: x=1", "/notes\n", "/\\evil.example", "/\tevil", "/%0d%0a"]
)
def test_the_login_page_never_follows_an_unsafe_next(app, ana, target):
    # Logged in: GET /login goes straight to next=.
    response = ana.get("/login", query_string={"next": target})
    assert response.status_code == 302
    assert response.location in ("/", target) and "\n" not in response.location
    assert "\\" not in response.location
    stranger = csrf_client(app)
    token = stranger.environ_base["HTTP_X_CSRFTOKEN"]
    form = {"username": "ana", "password": PASSWORD, "next": target, "csrf_token": token}
    response = stranger.post("/login", data=form)
    assert response.status_code == 303 and response.location in ("/", "/%0d%0a")


@pytest.mark.parametrize("origin", ["http://[", "http://[::1", "null", "http://evil.example"])
def test_an_origin_that_is_not_this_server_is_a_403_even_unparsable(ana, origin):
    response = ana.post("/api/notes", json={"title": "x"}, headers={"Origin": origin})
    assert response.status_code == 403 and error_code(response) == "forbidden"


def test_an_unparsable_referer_over_https_is_a_csrf_400(app, sign_up):
    client = sign_up("ana")
    https = "https://localhost"
    token = client.get("/api/csrf", base_url=https).get_json()["csrf_token"]
    headers = {"X-CSRFToken": token, "Referer": "https://["}
    response = client.post("/api/notes", json={"title": "x"}, headers=headers, base_url=https)
    assert response.status_code == 400 and error_code(response) == "csrf"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_numbers_json_does_not_have_are_a_400(ana, number):
    body = '{"content": {"fields": {"x": NUMBER}}}'.replace("NUMBER", number)
    response = ana.put("/api/drafts/composer", data=body, content_type="application/json")
    assert response.status_code == 400 and error_code(response) == "bad_request"
    assert ana.get("/api/drafts").get_json() == []  # and every draft stays readable
    form = {"note": '{"title": "x", "label_ids": [NUMBER]}'.replace("NUMBER", number)}
    upload = ana.post("/api/notes/images", data=form, content_type="multipart/form-data")
    assert upload.status_code == 400
