import pytest

from tests.conftest import error_code
from webapp.drafts.service import DRAFTS_MAX

DRAFT = {"content": {"fields": {"title": "Unsaved", "body": "every word"}, "version": 3}}


def test_a_draft_is_kept_listed_replaced_and_dropped(client):
    response = client.put("/api/drafts/note-7", json=DRAFT)
    assert response.status_code == 200
    assert response.get_json()["content"] == DRAFT["content"]
    client.put("/api/drafts/composer", json={"content": {"fields": {"body": "new"}}})
    client.put("/api/drafts/note-7", json={"content": {"fields": {"body": "later"}}})
    drafts = client.get("/api/drafts").get_json()
    assert [(d["key"], d["content"]["fields"]["body"]) for d in drafts] == [
        ("composer", "new"),
        ("note-7", "later"),
    ]
    assert client.delete("/api/drafts/note-7").status_code == 204
    assert client.delete("/api/drafts/note-7").status_code == 204  # already gone: the same
    assert [d["key"] for d in client.get("/api/drafts").get_json()] == ["composer"]


def test_a_draft_keeps_any_text_exactly(client):
    text = "회의 ✓ \U0001f600 <b>&amp;</b>\n\ttabs"
    client.put("/api/drafts/composer", json={"content": {"fields": {"body": text}}})
    assert client.get("/api/drafts").get_json()[0]["content"]["fields"]["body"] == text


@pytest.mark.parametrize("key", ["note-0", "note-x", "notes-1", "composer2", "note-12345678901"])
def test_a_key_that_is_not_a_draft_is_not_found(client, key):
    response = client.put(f"/api/drafts/{key}", json=DRAFT)
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert client.delete(f"/api/drafts/{key}").status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"content": "text"}, {"content": [1]}, {"content": {}, "extra": 1}, []]
)
def test_a_body_that_is_not_a_draft_is_refused(client, body):
    response = client.put("/api/drafts/composer", json=body)
    assert response.status_code == 400
    error_code(response)
    assert client.get("/api/drafts").get_json() == []


def test_drafts_are_bounded_in_number(app, client):
    from webapp.drafts import service
    from webapp.extensions import db

    with app.app_context():
        for n in range(1, DRAFTS_MAX + 1):
            service.keep_draft(db.session, 1, f"note-{n}", {}, app.extensions["kaap.clock"]())
    response = client.put(f"/api/drafts/note-{DRAFTS_MAX + 1}", json=DRAFT)
    assert response.status_code == 409
    assert error_code(response) == "too_many_drafts"
    assert client.put("/api/drafts/note-1", json=DRAFT).status_code == 200  # replacing works


def test_a_write_without_the_csrf_token_is_refused(app):
    response = app.test_client().put("/api/drafts/composer", json=DRAFT)
    assert response.status_code == 400
    assert error_code(response) == "csrf"
