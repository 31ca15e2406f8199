"""Accounts in server mode: registration rules, logging in and out, passwords, tokens."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from tests.accounts.conftest import PASSWORD, csrf_client, refresh_csrf
from tests.conftest import error_code
from webapp.accounts.models import ApiToken, User, UserSession
from webapp.extensions import db
from webapp.notes.models import Note


def register(client, username, password=PASSWORD):
    return client.post("/api/auth/register", json={"username": username, "password": password})


def login(client, username, password=PASSWORD):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


# --- registration ------------------------------------------------------------------------


def test_the_first_user_becomes_admin_then_registration_closes(app, sign_up):
    ana = sign_up("Ana")
    assert ana.get("/api/auth/me").get_json()["username"] == "ana"
    assert ana.get("/api/auth/me").get_json()["is_admin"] is True
    response = register(csrf_client(app), "bob")
    assert response.status_code == 403 and error_code(response) == "signup_closed"


def test_open_signup_lets_anyone_register_as_a_plain_user(app, sign_up):
    app.config["OPEN_SIGNUP"] = True
    sign_up("ana")
    bob = sign_up("bob")
    assert bob.get("/api/auth/me").get_json()["is_admin"] is False


def test_an_admin_creates_users_whatever_open_signup_says(sign_up, log_in):
    ana = sign_up("ana")
    response = ana.post("/api/users", json={"username": "bob", "password": PASSWORD})
    assert response.status_code == 201 and response.get_json()["is_admin"] is False
    bob = log_in("bob")
    assert bob.get("/api/users").status_code == 404  # not an admin: no such list for them
    assert [u["username"] for u in ana.get("/api/users").get_json()] == ["ana", "bob"]


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("ana", "short", "password"),
        ("ana", "password123", "password"),  # among the most common
        ("ana", "Qwerty123", "password"),
        ("anastasia", "Anastasia", "password"),  # the user name itself
        ("a", PASSWORD, "username"),
        ("ana smith", PASSWORD, "username"),
        ("../etc", PASSWORD, "username"),
    ],
)
def test_registration_rules(app, username, password, field):
    response = register(csrf_client(app), username, password)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_user_names_are_unique_whatever_the_case(app, sign_up):
    app.config["OPEN_SIGNUP"] = True
    sign_up("ana")
    response = register(csrf_client(app), "ANA")
    assert response.status_code == 409 and error_code(response) == "conflict"


def test_the_first_account_takes_over_the_local_users_notes(app):
    from webapp import create_app

    settings = {key: app.config[key] for key in ("CONFIG", "DATA_DIR", "CLOCK")}
    settings["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    desktop_app = create_app({**settings, "ACCOUNTS": False})
    desktop = desktop_app.test_client()
    desktop.environ_base["HTTP_X_CSRFTOKEN"] = desktop.get("/api/csrf").get_json()["csrf_token"]
    assert desktop.post("/api/notes", json={"title": "written before"}).status_code == 201
    with desktop_app.app_context():
        db.engine.dispose()
    server = csrf_client(app)  # the same database, now in server mode
    assert register(server, "ana").status_code == 201
    refresh_csrf(server)
    titles = [n["title"] for n in server.get("/api/notes").get_json()["items"]]
    assert titles == ["written before"]


# --- logging in and out ------------------------------------------------------------------


def test_login_answers_the_same_for_an_unknown_user_and_a_wrong_password(app, sign_up):
    sign_up("ana")
    wrong = login(csrf_client(app), "ana", "not the password")
    unknown = login(csrf_client(app), "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_login_is_case_insensitive_for_the_name_and_gives_a_fresh_session(app, sign_up):
    sign_up("ana")
    client = csrf_client(app)
    assert login(client, "ANA").status_code == 200
    refresh_csrf(client)
    assert client.get("/api/auth/me").status_code == 200
    assert client.post("/api/notes", json={"title": "x"}).status_code == 201


def test_pages_send_strangers_to_the_login_page_and_the_api_answers_401(app, sign_up):
    sign_up("ana")
    stranger = app.test_client()
    response = stranger.get("/settings")
    assert response.status_code == 302 and response.location.endswith("/login?next=/settings")
    response = stranger.get("/api/notes")
    assert response.status_code == 401 and error_code(response) == "unauthorized"
    assert stranger.get("/login").status_code == 200
    assert stranger.get("/api/swagger.json").status_code == 200  # the docs hold no data


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/notes"), ("DELETE", "/api/trash"), ("PATCH", "/api/settings"),
     ("POST", "/api/auth/logout"), ("DELETE", "/api/users/1")],
)  # fmt: skip
def test_a_strangers_write_gets_401_before_any_csrf_check(app, sign_up, method, path):
    sign_up("ana")
    for stranger in (app.test_client(), csrf_client(app)):  # no CSRF token, then one
        response = stranger.open(path, method=method, json={})
        assert response.status_code == 401 and error_code(response) == "unauthorized"


def test_the_login_page_logs_in_and_goes_only_to_a_local_next(app, sign_up):
    sign_up("ana")
    client = app.test_client()
    client.get("/login")
    token = client.get("/api/csrf").get_json()["csrf_token"]
    for target, expected in (("/settings", "/settings"), ("//evil.example/x", "/")):
        response = client.post(
            "/login",
            data={"username": "ana", "password": PASSWORD, "next": target, "csrf_token": token},
        )
        assert response.status_code == 303 and response.location == expected
        token = client.get("/api/csrf").get_json()["csrf_token"]
    bad = client.post("/login", data={"username": "ana", "password": "nope", "csrf_token": token})
    assert bad.status_code == 401 and b"Wrong user name or password." in bad.data


def test_logout_ends_the_session_even_for_a_copy_of_the_cookie(app, sign_up):
    ana = sign_up("ana")
    copy = app.test_client()
    copy.set_cookie("kaap_session", ana.get_cookie("kaap_session").value)
    assert copy.get("/api/auth/me").status_code == 200
    assert ana.post("/api/auth/logout").status_code == 204
    assert copy.get("/api/auth/me").status_code == 401
    assert ana.get("/api/auth/me").status_code == 401


def test_the_session_cookie_is_httponly_and_lax(app, sign_up):
    ana = sign_up("ana")
    cookie = ana.get_cookie("kaap_session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert app.config["SESSION_COOKIE_NAME"] == "kaap_session"


def test_production_cookies_are_secure(tmp_path):
    from webapp import create_app

    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    app = create_app(
        {"CONFIG": "production", "DATA_DIR": str(tmp_path), "DATABASE_URL": url, "SECRET_KEY": "s"}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["ACCOUNTS"] is True


# --- rate limits -------------------------------------------------------------------------


def test_failed_logins_are_limited_per_account(app, sign_up):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 10 minutes"
    sign_up("ana")
    client = csrf_client(app)
    for _ in range(3):
        assert login(client, "ana", "guess").status_code == 401
    response = login(client, "ana")  # even the right password, until the window moves on
    assert response.status_code == 429 and error_code(response) == "too_many_requests"
    assert int(response.headers["Retry-After"]) > 0
    # Other accounts from the same address are not locked by it.
    app.config["OPEN_SIGNUP"] = True
    csrf_client(app).post("/api/auth/register", json={"username": "bob", "password": PASSWORD})
    assert login(csrf_client(app), "bob").status_code == 200


def test_failed_logins_are_limited_per_address(app, sign_up):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "4 per 10 minutes"
    sign_up("ana")
    client = csrf_client(app)
    for name in ("a1", "a2", "a3", "a4"):
        assert login(client, name, "guess").status_code == 401
    assert login(client, "ana").status_code == 429
    elsewhere = csrf_client(app)
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert login(elsewhere, "ana").status_code == 200


def test_successful_logins_do_not_count(app, sign_up):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 10 minutes"
    sign_up("ana")
    for _ in range(4):
        assert login(csrf_client(app), "ana").status_code == 200


def test_the_login_page_shows_the_limit_too(app, sign_up):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "1 per 10 minutes"
    sign_up("ana")
    client = app.test_client()
    client.get("/login")
    token = client.get("/api/csrf").get_json()["csrf_token"]
    form = {"username": "ana", "password": "nope", "csrf_token": token}
    assert client.post("/login", data=form).status_code == 401
    response = client.post("/login", data=form)
    assert response.status_code == 429 and b"Too many attempts" in response.data


# --- passwords and deletion ----------------------------------------------------------------


def test_changing_the_password_ends_every_other_session(app, sign_up, log_in):
    ana = sign_up("ana")
    laptop = log_in("ana")
    response = ana.put(
        "/api/account/password",
        json={"current_password": PASSWORD, "new_password": "a much better secret"},
    )
    assert response.status_code == 204
    assert laptop.get("/api/auth/me").status_code == 401
    assert ana.get("/api/auth/me").status_code == 200  # this one got a fresh session
    assert login(csrf_client(app), "ana").status_code == 401
    assert login(csrf_client(app), "ana", "a much better secret").status_code == 200


def test_changing_the_password_needs_the_current_one_and_the_rules(sign_up):
    ana = sign_up("ana")
    wrong = ana.put(
        "/api/account/password", json={"current_password": "x", "new_password": "a fine secret"}
    )
    assert wrong.status_code == 403
    weak = ana.put(
        "/api/account/password", json={"current_password": PASSWORD, "new_password": "12345678"}
    )
    assert weak.status_code == 400 and "new_password" in weak.get_json()["error"]["fields"]


def test_deleting_an_account_removes_everything_it_owns(app, sign_up, log_in):
    ana = sign_up("ana")
    ana.post("/api/users", json={"username": "bob", "password": PASSWORD})
    bob = log_in("bob")
    label = bob.post("/api/labels", json={"name": "Mine"}).get_json()
    note = bob.post("/api/notes", json={"title": "bob's", "label_ids": [label["id"]]}).get_json()
    upload = bob.post(
        f"/api/notes/{note['id']}/images", data={"file": (io.BytesIO(png()), "a.png")}
    )
    assert upload.status_code == 201, upload.get_json()
    bob.post("/api/account/tokens", json={"name": "script"})
    images = app.extensions["kaap.images"]
    assert images.names()
    ana.post("/api/notes", json={"title": "ana's"})

    assert bob.delete("/api/account", json={"password": "wrong"}).status_code == 403
    assert bob.delete("/api/account", json={"password": PASSWORD}).status_code == 204
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(username="bob")) is None
        assert [n.title for n in db.session.scalars(select(Note))] == ["ana's"]
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
        owners = db.session.scalars(select(UserSession.user_id)).all()
        assert set(owners) == {db.session.scalar(select(User.id).filter_by(username="ana"))}
    assert images.names() == set()
    assert bob.get("/api/auth/me").status_code == 401
    assert login(csrf_client(app), "bob").status_code == 401


def test_the_last_admin_cannot_leave_other_users_without_one(sign_up):
    ana = sign_up("ana")
    ana.post("/api/users", json={"username": "bob", "password": PASSWORD})
    response = ana.delete("/api/account", json={"password": PASSWORD})
    assert response.status_code == 409 and error_code(response) == "last_admin"


# --- CSRF and API tokens -------------------------------------------------------------------


def test_cookie_requests_need_the_csrf_token(sign_up):
    ana = sign_up("ana")
    del ana.environ_base["HTTP_X_CSRFTOKEN"]
    response = ana.post("/api/notes", json={"title": "x"})
    assert response.status_code == 400 and error_code(response) == "csrf"


def test_token_requests_need_no_csrf_token_and_ignore_the_cookie(app, sign_up):
    ana = sign_up("ana")
    secret = ana.post("/api/account/tokens", json={"name": "script"}).get_json()["token"]
    script = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    response = script.post("/api/notes", json={"title": "from a script"}, headers=bearer)
    assert response.status_code == 201
    assert script.get("/api/notes", headers=bearer).get_json()["items"][0]["title"] == (
        "from a script"
    )
    # A bad token is refused even next to a valid session cookie.
    response = ana.get("/api/notes", headers={"Authorization": "Bearer kaap_wrong"})
    assert response.status_code == 401 and error_code(response) == "bad_token"


def test_tokens_are_shown_once_stored_hashed_and_revocable(app, sign_up):
    ana = sign_up("ana")
    created = ana.post("/api/account/tokens", json={"name": "backup script"}).get_json()
    secret = created["token"]
    assert secret.startswith(created["prefix"]) and len(secret) > 40
    listed = ana.get("/api/account/tokens").get_json()
    assert [t["name"] for t in listed] == ["backup script"]
    assert "token" not in listed[0] and secret not in str(listed)
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).one()
        assert secret not in stored
    bearer = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/notes", headers=bearer).status_code == 200
    assert ana.get("/api/account/tokens").get_json()[0]["last_used_at"] is not None
    assert ana.delete(f"/api/account/tokens/{created['id']}").status_code == 204
    assert app.test_client().get("/api/notes", headers=bearer).status_code == 401


def test_a_token_never_used_matches_the_documented_schema(sign_up):
    from tests.api.test_docs import _validator

    ana = sign_up("ana")
    ana.post("/api/account/tokens", json={"name": "unused"})
    spec = ana.get("/api/swagger.json").get_json()
    (token,) = ana.get("/api/account/tokens").get_json()
    assert token["last_used_at"] is None
    _validator(spec, "Token").validate(token)


def test_a_token_cannot_manage_the_account(app, sign_up):
    ana = sign_up("ana")
    secret = ana.post("/api/account/tokens", json={"name": "s"}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {secret}"}
    script = app.test_client()
    for method, path, body in (
        ("post", "/api/account/tokens", {"name": "more"}),
        ("put", "/api/account/password", {"current_password": PASSWORD, "new_password": "x" * 12}),
        ("delete", "/api/account", {"password": PASSWORD}),
    ):
        response = getattr(script, method)(path, json=body, headers=bearer)
        assert response.status_code == 403, path
        assert error_code(response) == "session_required"


def token_of(client, **body) -> dict:
    response = client.post("/api/account/tokens", json={"name": "script", **body})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


# Every operation only an admin may do: tests/accounts/test_isolation.py walks them all too.
ADMIN_OPERATIONS = [
    ("get", "/api/users", None),
    ("post", "/api/users", {"username": "mallory", "password": PASSWORD, "is_admin": True}),
    ("delete", "/api/users/{bob}", None),
    ("delete", "/api/users/{ana}", None),
    ("get", "/api/backups", None),
    ("post", "/api/backups", None),
    ("post", "/api/backups/{backup}/restore", None),
]


def test_the_admin_operations_are_every_operation_on_users_and_backups(app):
    spec = app.test_client().get("/api/swagger.json").get_json()
    documented = {
        (method, path)
        for path, item in spec["paths"].items()
        if path.startswith(("/users", "/backups"))
        for method in item
        if method != "parameters"
    }

    def template(path: str) -> str:
        return re.sub(r"\{\w+\}", "{}", path.removeprefix("/api"))

    named = {(method, template(path)) for method, path, _ in ADMIN_OPERATIONS}
    assert {(method, template(path)) for method, path in documented} == named


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_OPERATIONS)
def test_an_admins_token_administers_nothing_without_the_admin_scope(
    app, sign_up, method, path, body
):
    ana = sign_up("ana")
    bob = ana.post("/api/users", json={"username": "bob", "password": PASSWORD}).get_json()
    url = path.format(bob=bob["id"], ana=1, backup="manual-20260101T000000000000Z.sqlite3")
    script = app.test_client(use_cookies=False)
    response = getattr(script, method)(url, json=body, headers=token_of(ana))
    assert response.status_code == 403 and error_code(response) == "admin_scope_required"
    listed = ana.get("/api/users").get_json()
    assert [(u["username"], u["is_admin"]) for u in listed] == [("ana", True), ("bob", False)]


def test_a_token_with_the_admin_scope_administers(app, sign_up):
    ana = sign_up("ana")
    script = app.test_client(use_cookies=False)
    headers = token_of(ana, admin=True)
    assert ana.get("/api/account/tokens").get_json()[0]["admin"] is True
    made = script.post(
        "/api/users", json={"username": "bob", "password": PASSWORD}, headers=headers
    )
    assert made.status_code == 201
    assert script.delete(f"/api/users/{made.get_json()['id']}", headers=headers).status_code == 204


def test_only_an_admin_with_a_session_grants_the_admin_scope(app, sign_up, log_in):
    ana = sign_up("ana")
    ana.post("/api/users", json={"username": "bob", "password": PASSWORD})
    bob = log_in("bob")
    refused = bob.post("/api/account/tokens", json={"name": "s", "admin": True})
    assert refused.status_code == 403 and error_code(refused) == "not_admin"
    assert bob.get("/api/account/tokens").get_json() == []
    by_token = app.test_client(use_cookies=False).post(
        "/api/account/tokens", json={"name": "s", "admin": True}, headers=token_of(ana, admin=True)
    )
    assert by_token.status_code == 403 and error_code(by_token) == "session_required"


def test_an_admin_never_deletes_themself_through_the_user_list(app, sign_up):
    ana = sign_up("ana")
    me = ana.get("/api/auth/me").get_json()["id"]
    by_token = app.test_client(use_cookies=False)
    for client, headers in ((ana, {}), (by_token, token_of(ana, admin=True))):
        response = client.delete(f"/api/users/{me}", headers=headers)
        assert response.status_code == 403 and error_code(response) == "own_account"
    assert ana.get("/api/auth/me").status_code == 200


# --- modes ------------------------------------------------------------------------------


def test_without_accounts_there_is_no_login_at_all(tmp_path):
    from webapp import create_app

    app = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path)})
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/api/notes").status_code == 200
    assert client.get("/login").status_code == 404
    assert client.get("/api/auth/me").status_code == 404


def test_backups_are_for_admins_only(sign_up, log_in):
    ana = sign_up("ana")
    ana.post("/api/users", json={"username": "bob", "password": PASSWORD})
    bob = log_in("bob")
    assert bob.get("/api/backups").status_code == 404
    assert bob.post("/api/backups").status_code == 404


# --- the command line ------------------------------------------------------------------------


def test_operators_manage_users_and_tokens_from_the_command_line(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "ana", "--admin", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    weak = runner.invoke(args=["users", "create", "bob", "--password", "password"])
    assert weak.exit_code != 0 and "too common" in weak.output
    assert "ana\tadmin" in runner.invoke(args=["users", "list"]).output
    token = runner.invoke(args=["tokens", "create", "ana", "--name", "cron"])
    secret = token.stdout.strip().splitlines()[0]
    assert (
        app.test_client()
        .get("/api/notes", headers={"Authorization": f"Bearer {secret}"})
        .status_code
        == 200
    )
    assert "cron" in runner.invoke(args=["tokens", "list", "ana"]).output
    scoped = runner.invoke(args=["tokens", "create", "ana", "--name", "ops", "--admin"])
    assert scoped.exit_code == 0, scoped.output
    assert runner.invoke(args=["tokens", "list", "ana"]).output.rstrip().endswith("\tadmin")
    result = runner.invoke(args=["users", "set-password", "ana", "--password", "another secret"])
    assert result.exit_code == 0, result.output
    assert login(csrf_client(app), "ana", "another secret").status_code == 200
    export = runner.invoke(args=["export", str(app.config["DATA_DIR"]) + "/x.zip"])
    assert export.exit_code != 0 and "--user" in export.output
    result = runner.invoke(args=["users", "delete", "ana", "--yes"])
    assert result.exit_code == 0, result.output


def test_passwords_are_hashed_with_full_cost_scrypt_outside_tests(tmp_path):
    from webapp import create_app
    from webapp.accounts import passwords

    app = create_app({"CONFIG": "development", "DATA_DIR": str(tmp_path)})
    with app.app_context():
        stored = passwords.hash_password(PASSWORD)
        assert stored.startswith("scrypt:32768:8:1$") and PASSWORD not in stored
        assert passwords.verify(stored, PASSWORD) and not passwords.verify(stored, "nope")
        db.engine.dispose()


def test_a_session_ends_after_the_cookie_lifetime_even_if_the_cookie_stays(app, sign_up, clock):
    ana = sign_up("ana")
    clock.advance(days=29)
    assert ana.get("/api/auth/me").status_code == 200
    clock.advance(days=2)
    assert ana.get("/api/auth/me").status_code == 401
    from webapp import maintenance

    with app.app_context():
        maintenance.run(app)
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_accounts_without_their_packages_is_one_sentence(tmp_path, monkeypatch):
    # The desktop executable leaves server mode's packages out: KAAP_ACCOUNTS=1 there must
    # say so, not end in a ModuleNotFoundError.
    import importlib.util

    from webapp import ConfigError, create_app

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "limits" else real(name, *a)
    )
    with pytest.raises(ConfigError, match="need limits, which this build of Kaap leaves out"):
        create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path), "ACCOUNTS": True})
