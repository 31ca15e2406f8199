"""A push's label deletions and field times, and what a label deletion does to its notes."""

import uuid

import pytest

from tests.sync.test_changes import feed
from tests.sync.test_push import change


def push(client, *changes, labels=None, deleted_labels=None):
    body = {"changes": list(changes)}
    body |= {"labels": labels} if labels is not None else {}
    body |= {"deleted_labels": deleted_labels} if deleted_labels is not None else {}
    response = client.post("/api/sync/push", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def pushed_label(client, name="Trips"):
    """A label pushed by a device, on a note it pushed; returns (label uid, note uid)."""
    label = str(uuid.uuid4())
    new = change(label_uids=[label])
    push(client, new, labels=[{"uid": label, "name": name}])
    return label, new["uid"]


def the_note(client, uid):
    return next(note for note in feed(client)["changes"] if note["uid"] == uid)


def test_a_pushed_label_deletion_deletes_the_label_and_leaves_a_tombstone(client):
    label, uid = pushed_label(client)
    mark = feed(client)["high_water"]
    push(client, deleted_labels=[label])
    page = feed(client, since=mark)
    assert [(t["kind"], t["uid"]) for t in page["tombstones"]] == [("label", label)]
    assert client.get("/api/labels").get_json() == []
    assert the_note(client, uid)["label_uids"] == []


def test_a_pushed_label_deletion_is_idempotent_and_ignores_unknown_uids(client):
    label, _ = pushed_label(client)
    push(client, deleted_labels=[label, "never-was"])
    mark = feed(client)["high_water"]
    push(client, deleted_labels=[label, "never-was"])
    assert feed(client)["high_water"] == mark


def test_label_deletions_apply_before_the_batchs_labels(client, make_label):
    old = make_label("Home")
    old_uid = feed(client)["labels"][0]["uid"]
    again = str(uuid.uuid4())
    out = push(client, change(label_uids=[again]), deleted_labels=[old_uid],
               labels=[{"uid": again, "name": "Home"}])  # fmt: skip
    # Made again by name after the deletion: a new label, not merged into the deleted one.
    assert out["label_uids"] == {} and out["results"][0]["status"] == "applied"
    (label,) = client.get("/api/labels").get_json()
    assert label["name"] == old["name"]
    assert [lb["uid"] for lb in feed(client)["labels"]] == [again]


@pytest.mark.parametrize("bad", ["one", [1], ["has spaces"], ["x"] * 1001])
def test_malformed_deleted_labels_is_a_400(client, bad):
    response = client.post("/api/sync/push", json={"changes": [], "deleted_labels": bad})
    assert response.status_code == 400
    assert "deleted_labels" in response.get_json()["error"]["fields"]


def test_deleting_a_label_gives_its_notes_a_new_version_and_sequence(client, make_label):
    label = make_label("Home")
    other = make_label("Work")
    note = client.post("/api/notes", json={"title": "n", "label_ids": [label["id"], other["id"]]})
    note = note.get_json()
    before = feed(client)["changes"][0]
    mark = feed(client)["high_water"]
    assert client.delete(f"/api/labels/{label['id']}").status_code == 204
    page = feed(client, since=mark)
    (again,) = page["changes"]
    assert again["uid"] == before["uid"] and again["version"] == before["version"] + 1
    assert again["label_uids"] == [
        lb for lb in before["label_uids"] if lb != page["tombstones"][0]["uid"]
    ]
    # The note's ETag changed with its content: a page's If-Match on the old one is stale.
    stale = client.patch(f"/api/notes/{note['id']}", json={"title": "x"},
                         headers={"If-Match": f'"{note["version"]}"'})  # fmt: skip
    assert stale.status_code == 412


def test_an_edit_based_on_the_copy_with_the_deleted_label_is_a_conflict(client):
    label, uid = pushed_label(client)
    push(client, deleted_labels=[label])
    (result,) = push(client, change(uid=uid, base=1, title="edited", label_uids=[label]))["results"]
    assert result["status"] == "conflict"
    assert result["note"]["version"] == 2 and result["note"]["label_uids"] == []


def test_a_label_without_notes_is_deleted_without_touching_notes(client, make_label, make_note):
    make_note(title="unlabelled")
    label = make_label("Empty")
    mark = feed(client)["high_water"]
    client.delete(f"/api/labels/{label['id']}")
    page = feed(client, since=mark)
    assert page["changes"] == [] and len(page["tombstones"]) == 1


# Field times ---------------------------------------------------------------------------


def test_pushed_field_times_are_kept_for_the_fields_the_push_changes(client, clock):
    new = change()
    push(client, new)
    kept = the_note(client, new["uid"])["field_times"]
    times = {"color": "2026-01-05T08:00:00Z", "pinned": "2026-01-05T08:01:00+01:00",
             "archived": "2026-01-05T08:02:00Z", "trashed": "2026-01-05T08:03:00Z"}  # fmt: skip
    edit = change(uid=new["uid"], base=1, color="red", pinned=True, field_times=times)
    assert push(client, edit)["results"][0]["status"] == "applied"
    got = the_note(client, new["uid"])["field_times"]
    assert got["color"] == "2026-01-05T08:00:00.000000Z"
    assert got["pinned"] == "2026-01-05T07:01:00.000000Z"
    # Not changed by this push: the server's times stay.
    assert got["archived"] == kept["archived"] and got["trashed"] == kept["trashed"]


def test_a_pushed_trash_move_keeps_its_time(client):
    new = change()
    push(client, new)
    push(client, change(uid=new["uid"], base=1, trashed=True,
                        field_times={"trashed": "2026-01-04T10:00:00Z"}))  # fmt: skip
    assert the_note(client, new["uid"])["field_times"]["trashed"] == "2026-01-04T10:00:00.000000Z"


def test_a_new_note_keeps_every_pushed_field_time(client):
    new = change(color="blue", field_times={"color": "2025-12-31T23:00:00Z"})
    push(client, new)
    assert the_note(client, new["uid"])["field_times"]["color"] == "2025-12-31T23:00:00.000000Z"


def test_a_field_time_far_in_the_future_is_taken_as_now(client, clock):
    new = change()
    push(client, new)
    ahead = change(uid=new["uid"], base=1, color="red",
                   field_times={"color": "2030-01-01T00:00:00Z"})  # fmt: skip
    push(client, ahead)
    got = the_note(client, new["uid"])["field_times"]["color"]
    assert got < "2026-01-06" and got > "2026-01-05"


def test_a_field_time_a_little_ahead_is_kept(client, clock):
    new = change()
    push(client, new)
    soon = (clock.current.replace(microsecond=0).isoformat()).replace("09:00", "09:04")
    push(client, change(uid=new["uid"], base=1, color="red", field_times={"color": soon}))
    assert the_note(client, new["uid"])["field_times"]["color"].startswith("2026-01-05T09:04")


@pytest.mark.parametrize(
    "times",
    [
        {"color": "yesterday"},
        {"color": "2026-01-05T08:00:00"},  # no zone
        {"color": 12},
        {"title": "2026-01-05T08:00:00Z"},
        "2026-01-05T08:00:00Z",
    ],
)
def test_a_malformed_field_time_is_invalid(client, times):
    new = change()
    push(client, new)
    (result,) = push(client, change(uid=new["uid"], base=1, color="red", field_times=times))[
        "results"
    ]
    assert result["status"] == "invalid" and "field_times" in result["error"]["fields"]
    assert the_note(client, new["uid"])["version"] == 1
