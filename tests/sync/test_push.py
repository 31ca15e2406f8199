"""Pushes: each change applied once and atomically, or answered with the server's note."""

import uuid

import pytest

from tests.sync.test_changes import feed


def push(client, *changes, labels=None):
    body = {"changes": list(changes)} | ({"labels": labels} if labels is not None else {})
    response = client.post("/api/sync/push", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def change(uid=None, base=None, change_id=None, **note):
    note.setdefault("title", "from the device")
    return {"change_id": change_id or str(uuid.uuid4()), "uid": uid or str(uuid.uuid4()),
            "base_version": base, "note": note}  # fmt: skip


def test_a_new_note_is_created_with_the_devices_uid(client):
    new = change(kind="checklist", items=[{"id": "i-1", "text": "milk"}])
    (result,) = push(client, new)["results"]
    assert result["status"] == "applied" and result["version"] == 1
    (note,) = feed(client)["changes"]
    assert note["uid"] == new["uid"] and note["seq"] == result["seq"]
    assert note["items"][0]["id"] == "i-1"


def test_an_edit_on_the_current_version_applies(client):
    new = change()
    push(client, new)
    (result,) = push(client, change(uid=new["uid"], base=1, title="edited"))["results"]
    assert result["status"] == "applied" and result["version"] == 2
    assert feed(client)["changes"][0]["title"] == "edited"


def test_an_edit_on_an_old_version_is_a_conflict_with_the_servers_note(client):
    new = change()
    push(client, new)
    push(client, change(uid=new["uid"], base=1, title="server side"))
    (result,) = push(client, change(uid=new["uid"], base=1, title="stale"))["results"]
    assert result["status"] == "conflict" and result["note"]["title"] == "server side"
    assert result["note"]["version"] == 2


def test_a_retried_batch_is_applied_once(client):
    new = change()
    first = push(client, new)["results"]
    mark = feed(client)["high_water"]
    assert push(client, new)["results"] == first
    assert feed(client)["high_water"] == mark


def test_a_deletion_on_the_current_version_leaves_a_tombstone(client):
    new = change()
    push(client, new)
    gone = {"change_id": "d1", "uid": new["uid"], "base_version": 1, "deleted": True}
    (result,) = push(client, gone)["results"]
    assert result["status"] == "applied" and result["deleted"]
    page = feed(client)
    assert page["changes"] == [] and page["tombstones"][0]["uid"] == new["uid"]


def test_a_deletion_of_an_old_version_is_a_conflict(client):
    new = change()
    push(client, new)
    push(client, change(uid=new["uid"], base=1, title="kept"))
    gone = {"change_id": "d1", "uid": new["uid"], "base_version": 1, "deleted": True}
    (result,) = push(client, gone)["results"]
    assert result["status"] == "conflict" and result["note"]["title"] == "kept"


@pytest.mark.parametrize(
    "bad",
    [
        {"uid": "x", "base_version": None, "note": {}},  # no change_id
        {"change_id": "c", "uid": "has spaces", "base_version": None, "note": {}},
        {"change_id": "c", "uid": "u", "base_version": "1", "note": {}},
        {"change_id": "c", "uid": "u", "base_version": None, "note": {"color": "plaid"}},
        {"change_id": "c", "uid": "u", "base_version": None, "note": {"label_uids": ["nope"]}},
        {"change_id": "c", "uid": "u", "base_version": None, "note": {"sneaky": 1}},
        "not an object",
    ],
)
def test_an_invalid_change_is_answered_without_stopping_the_batch(client, bad):
    good = change()
    invalid, applied = push(client, bad, good)["results"]
    assert invalid["status"] == "invalid" and invalid["error"]["message"]
    assert applied["status"] == "applied"


def test_more_than_100_changes_is_a_400(client):
    response = client.post("/api/sync/push", json={"changes": [change() for _ in range(101)]})
    assert response.status_code == 400


def test_labels_are_pushed_by_uid_and_the_same_name_becomes_one(client, make_label):
    home = make_label("Home")
    server_uid = feed(client)["labels"][0]["uid"]
    mine = str(uuid.uuid4())
    out = push(client, change(label_uids=[mine, "dev-home"]),
               labels=[{"uid": mine, "name": "Trips"}, {"uid": "dev-home", "name": "home"}])  # fmt: skip
    assert out["label_uids"] == {"dev-home": server_uid}
    assert out["results"][0]["status"] == "applied"
    (note,) = feed(client)["changes"]
    assert sorted(note["label_uids"]) == sorted([mine, server_uid])
    push(client, change(), labels=[{"uid": mine, "name": "Travel"}])
    names = {lb["uid"]: lb["name"] for lb in feed(client)["labels"]}
    assert names[mine] == "Travel" and names[server_uid] == home["name"]


def test_pushed_trash_moves_the_note_into_the_trash(client):
    new = change()
    push(client, new)
    push(client, change(uid=new["uid"], base=1, trashed=True))
    assert feed(client)["changes"][0]["trashed"] is True


def test_push_answers_are_forgotten_past_the_horizon(app, client, clock):
    from sqlalchemy import func, select

    from webapp import maintenance
    from webapp.extensions import db
    from webapp.sync.models import AppliedChange

    push(client, change())
    clock.advance(days=91)
    with app.app_context():
        maintenance.run(app)
        assert db.session.scalar(select(func.count()).select_from(AppliedChange)) == 0
