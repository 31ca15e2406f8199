"""A note's history: recording, coalescing, pruning, the routes, restore, images."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.images.samples import png
from webapp import maintenance
from webapp.extensions import db
from webapp.history import service
from webapp.history.models import NoteVersion, VersionFile


def edit(client, note_id, **fields):
    response = client.patch(f"/api/notes/{note_id}", json=fields)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def versions(client, note_id, **params):
    response = client.get(f"/api/notes/{note_id}/versions", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def version(client, note_id, number, **params):
    response = client.get(f"/api/notes/{note_id}/versions/{number}", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def upload(client, note_id, *files):
    data = {"file": [(io.BytesIO(content), "x.png") for content in files]}
    response = client.post(
        f"/api/notes/{note_id}/images", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["images"]


def fetched(client, url):
    response = client.get(url)
    response.close()  # a file response holds its file open until closed
    return response


def test_a_new_note_is_its_first_version(client, make_note):
    note = make_note(title="Groceries", body="milk\neggs")
    listed = versions(client, note["id"])["versions"]
    assert [(v["number"], v["title"], v["first_line"], v["current"]) for v in listed] == [
        (1, "Groceries", "milk", True)
    ]
    assert listed[0]["device"] is None


def test_saves_apart_make_versions_and_saves_close_together_one(client, make_note, clock):
    note = make_note(title="a", body="one")
    edit(client, note["id"], body="one two")  # typing: replaces version 1
    edit(client, note["id"], body="one two three")
    assert [v["number"] for v in versions(client, note["id"])["versions"]] == [1]
    clock.advance(minutes=6)
    edit(client, note["id"], body="one two three four")
    listed = versions(client, note["id"])["versions"]
    assert [v["number"] for v in listed] == [2, 1]
    assert version(client, note["id"], 1)["note"]["body"] == "one two three"
    assert version(client, note["id"], 2)["note"]["body"] == "one two three four"


def test_coalescing_rebases_the_version_before(client, make_note, clock):
    note = make_note(title="t", body="alpha beta")
    clock.advance(minutes=10)
    edit(client, note["id"], body="alpha beta gamma")
    edit(client, note["id"], body="alpha gamma delta")  # replaces version 2
    assert version(client, note["id"], 1)["note"]["body"] == "alpha beta"
    assert version(client, note["id"], 2)["note"]["body"] == "alpha gamma delta"


@pytest.mark.parametrize("app_settings", [{"HISTORY_COALESCE_SECONDS": 0}])
def test_the_coalescing_window_is_configurable(client, make_note):
    note = make_note(title="t")
    edit(client, note["id"], title="u")
    assert [v["number"] for v in versions(client, note["id"])["versions"]] == [2, 1]


def test_a_pin_or_a_move_makes_no_version(client, make_note, clock):
    note = make_note(title="t")
    clock.advance(minutes=10)
    edit(client, note["id"], pinned=True)
    client.post(f"/api/notes/{note['id']}/trash")
    assert [v["number"] for v in versions(client, note["id"])["versions"]] == [1]


def test_older_versions_are_stored_as_small_deltas(app, client, make_note, clock):
    body = " ".join(f"word{i}" for i in range(400))
    note = make_note(title="long", body=body)
    clock.advance(minutes=10)
    edit(client, note["id"], body=body.replace("word200", "changed"))
    with app.app_context():
        rows = db.session.execute(
            select(NoteVersion.number, NoteVersion.full, func.length(NoteVersion.data))
            .where(NoteVersion.note_id == note["id"]).order_by(NoteVersion.number)
        ).all()  # fmt: skip
    (first, first_full, first_size), (_, second_full, _) = rows
    assert (first, first_full, second_full) == (1, False, True)
    assert first_size < 60  # the changed word and two ranges


def test_the_list_is_paged(client, make_note, clock):
    note = make_note(title="0")
    for i in range(1, 5):
        clock.advance(minutes=10)
        edit(client, note["id"], title=str(i))
    page = versions(client, note["id"], limit=2)
    assert [v["number"] for v in page["versions"]] == [5, 4]
    assert page["next_before"] == 4
    rest = versions(client, note["id"], limit=2, before=4)
    assert [v["number"] for v in rest["versions"]] == [3, 2]
    assert [v["current"] for v in rest["versions"]] == [False, False]


def test_an_unknown_version_or_bad_paging_is_a_clear_error(client, make_note):
    note = make_note(title="t")
    missing = client.get(f"/api/notes/{note['id']}/versions/9")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "no_such_version"
    assert client.get(f"/api/notes/{note['id']}/versions?limit=0").status_code == 400
    assert client.get(f"/api/notes/{note['id']}/versions/1?compare=x").status_code == 400
    assert client.get("/api/notes/999/versions").status_code == 404
    assert client.post(f"/api/notes/{note['id']}/versions/9/restore").status_code == 404


def test_compare_with_the_current_note_gives_runs_per_field(client, make_note, clock):
    note = make_note(title="Trip", body="pack the red bag")
    clock.advance(minutes=10)
    edit(client, note["id"], body="pack the blue bag", color="yellow")
    changes = version(client, note["id"], 1, compare="current")["changes"]
    assert changes["body"] == [
        {"op": "equal", "text": "pack the "},
        {"op": "delete", "text": "blue"},
        {"op": "insert", "text": "red"},
        {"op": "equal", "text": " bag"},
    ]
    assert changes["title"] == [{"op": "equal", "text": "Trip"}]
    assert changes["changed"] == ["body", "color"]


def test_restore_makes_a_new_version_that_can_be_undone(client, make_note, clock):
    note = make_note(title="Plan", body="first draft")
    clock.advance(minutes=10)
    edit(client, note["id"], body="second draft")
    restored = client.post(f"/api/notes/{note['id']}/versions/1/restore")
    assert restored.status_code == 200, restored.get_json()
    assert restored.get_json()["body"] == "first draft"
    assert restored.headers["ETag"] == f'"{restored.get_json()["version"]}"'
    assert [v["number"] for v in versions(client, note["id"])["versions"]] == [3, 2, 1]
    undone = client.post(f"/api/notes/{note['id']}/versions/2/restore")
    assert undone.get_json()["body"] == "second draft"


def test_restore_checks_if_match(client, make_note):
    note = make_note(title="t")
    stale = client.post(f"/api/notes/{note['id']}/versions/1/restore", headers={"If-Match": "0"})
    assert stale.status_code == 412
    assert stale.get_json()["error"]["code"] == "version_conflict"


def test_restore_of_a_trashed_note_is_refused(client, make_note):
    note = make_note(title="t")
    client.post(f"/api/notes/{note['id']}/trash")
    response = client.post(f"/api/notes/{note['id']}/versions/1/restore")
    assert response.status_code == 409


def test_restoring_a_checklist_brings_back_images_removed_since(app, client, make_note, clock):
    note = make_note(kind="checklist", title="Shop",
                     items=[{"text": "milk"}, {"text": "eggs", "checked": True}])  # fmt: skip
    red, blue = upload(client, note["id"], png(), png(color=(0, 0, 200)))
    clock.advance(minutes=10)
    edit(client, note["id"], items=[{"text": "bread"}])
    assert client.delete(f"/api/images/{red['id']}").status_code == 204
    assert client.delete(f"/api/images/{blue['id']}").status_code == 204
    old = version(client, note["id"], 1)["note"]
    assert [i["text"] for i in old["items"]] == ["milk", "eggs"]
    shown = fetched(client, old["images"][0]["url"])
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert fetched(client, old["images"][1]["thumb_url"]).status_code == 200

    restored = client.post(f"/api/notes/{note['id']}/versions/1/restore").get_json()
    assert [(i["text"], i["checked"]) for i in restored["items"]] == [
        ("milk", False), ("eggs", True)
    ]  # fmt: skip
    assert len(restored["images"]) == 2
    again = version(client, note["id"], restored_number(client, note["id"]))["note"]
    assert [i["digest"] for i in again["images"]] == [i["digest"] for i in old["images"]]
    for image in restored["images"]:
        assert fetched(client, image["url"]).status_code == 200


def restored_number(client, note_id):
    return versions(client, note_id)["versions"][0]["number"]


def test_the_sweep_keeps_files_a_version_names(app, client, make_note, clock):
    note = make_note(title="pics")
    (image,) = upload(client, note["id"], png())
    clock.advance(minutes=10)
    client.delete(f"/api/images/{image['id']}")
    with app.app_context():
        from webapp.images import service as images

        images.sweep(db.session, app.extensions["kaap.images"])
    url = version(client, note["id"], 1)["note"]["images"][0]["url"]
    assert fetched(client, url).status_code == 200


def stored(app):
    return {p.name for p in app.extensions["kaap.images"].root.glob("??/*")}


def test_deleting_a_note_forever_deletes_its_history_and_kept_files(app, client, make_note, clock):
    note = make_note(title="gone")
    (image,) = upload(client, note["id"], png())
    clock.advance(minutes=10)
    client.delete(f"/api/images/{image['id']}")
    assert stored(app)
    client.post(f"/api/notes/{note['id']}/trash")
    assert client.delete(f"/api/notes/{note['id']}").status_code == 204
    assert stored(app) == set()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NoteVersion)) == 0
        assert db.session.scalar(select(func.count()).select_from(VersionFile)) == 0


@pytest.mark.parametrize("app_settings", [{"HISTORY_KEEP": 3, "HISTORY_DAYS": 30}])
def test_pruning_keeps_30_days_and_at_least_the_last_versions(app, client, make_note, clock):
    note = make_note(title="0")
    for i in range(1, 8):  # 8 versions, a day apart
        clock.advance(days=1)
        edit(client, note["id"], title=str(i))
    clock.advance(days=25, hours=12)  # versions 1 to 3 are now over 30 days old
    with app.app_context():
        maintenance.run(app)
    assert [v["number"] for v in versions(client, note["id"])["versions"]] == [8, 7, 6, 5, 4]
    clock.advance(days=30)
    with app.app_context():
        maintenance.run(app)
    listed = versions(client, note["id"])["versions"]
    assert [v["number"] for v in listed] == [8, 7, 6]
    assert version(client, note["id"], 6)["note"]["title"] == "5"


def test_pruning_works_in_batches_and_frees_the_kept_files(app, client, make_note, clock):
    note = make_note(title="0")
    (image,) = upload(client, note["id"], png())
    clock.advance(minutes=10)
    client.delete(f"/api/images/{image['id']}")
    for i in range(1, 5):
        clock.advance(minutes=10)
        edit(client, note["id"], title=str(i))
    clock.advance(days=31)
    with app.app_context():
        pruned = service.prune(db.session, app.extensions["kaap.images"], clock(), 30, 2, 2)
    assert pruned == 4
    assert stored(app) == set()
    assert [v["number"] for v in versions(client, note["id"])["versions"]] == [6, 5]
