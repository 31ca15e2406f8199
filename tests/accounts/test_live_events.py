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


@pytest.fixture
def checked_each_chunk(monkeypatch):
    """The session is asked about before every chunk (not once a second)."""
    from webapp.events import api as events_api

    monkeypatch.setattr(events_api, "ALLOWED_FOR", 0)


def test_a_page_that_logged_out_hears_no_more_changes(sign_up, log_in, checked_each_chunk):
    ana = sign_up("ana")
    other_tab = log_in("ana")  # another session of hers goes on writing
    with Stream(ana) as stream:
        stream.next()
        made = other_tab.post("/api/notes", json={"title": "still in"}).get_json()
        assert stream.notes()[0]["ids"] == [made["id"]]
        assert ana.post("/api/auth/logout").status_code < 300
        other_tab.post("/api/notes", json={"title": "after the logout"})
        with pytest.raises(StopIteration):  # the stream ends, without the change
            stream.next()
    assert other_tab.get("/api/notes").status_code == 200  # her other session holds


def test_a_stream_opened_with_a_revoked_token_ends(app, sign_up, checked_each_chunk):
    ana = sign_up("ana")
    made = ana.post("/api/account/tokens", json={"name": "s"}).get_json()
    with Stream(token_client(app, made["token"])) as stream:
        stream.next()
        assert ana.delete(f"/api/account/tokens/{made['id']}").status_code < 300
        ana.post("/api/notes", json={"title": "after the revocation"})
        with pytest.raises(StopIteration):
            stream.next()
