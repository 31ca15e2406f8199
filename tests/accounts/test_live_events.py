"""Server mode: a stream carries its own account's changes and nobody else's."""

from __future__ import annotations

import pytest

from tests.accounts.world import token_client
from tests.events.sse import Stream


@pytest.fixture
def app_settings() -> dict:
    return {"ACCOUNTS": True, "OPEN_SIGNUP": True}


def test_a_stream_hears_its_own_accounts_changes_only(sign_up):
    ana, bob = sign_up("ana"), sign_up("bob")
    with Stream(ana) as stream:
        stream.next()
        bob.post("/api/notes", json={"title": "bob's"})
        mine = ana.post("/api/notes", json={"title": "ana's"}).get_json()
        assert stream.notes() == [{"ids": [mine["id"]], "kind": "created", "versions": [1]}]


def test_a_stream_needs_a_login(app):
    response = app.test_client().get("/api/events")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert app.extensions["kaap.events"].open_streams() == 0


def test_an_api_token_opens_a_stream_too(app, sign_up):
    ana = sign_up("ana")
    secret = ana.post("/api/account/tokens", json={"name": "s"}).get_json()["token"]
    with Stream(token_client(app, secret)) as stream:
        assert stream.status == 200
        stream.next()
        made = ana.post("/api/notes", json={"title": "x"}).get_json()
        assert stream.notes()[0]["ids"] == [made["id"]]


def test_the_per_account_cap_leaves_other_accounts_their_streams(app, sign_up):
    app.config["EVENTS_MAX_STREAMS_PER_USER"] = 1
    ana, bob = sign_up("ana"), sign_up("bob")
    with Stream(ana):
        assert Stream(ana).status == 429
        with Stream(bob) as bobs:
            assert bobs.status == 200
