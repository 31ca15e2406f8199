"""The change feed: every kind of write takes the next number, pages walk it exactly, and
deletions leave tombstones until the horizon."""

import io
import json
import zipfile

import pytest
from PIL import Image

from tests.conftest import error_code


def feed(client, since=0, limit=None):
    url = f"/api/sync/changes?since={since}" + (f"&limit={limit}" if limit else "")
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def high(client) -> int:
    return feed(client)["high_water"]


def png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (3, 2), "red").save(out, "PNG")
    out.seek(0)
    return out


def import_zip() -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        note = {"title": "From Keep", "textContent": "x", "userEditedTimestampUsec": 1,
                "createdTimestampUsec": 1}  # fmt: skip
        archive.writestr("Takeout/Keep/a.json", json.dumps(note))
    out.seek(0)
    return out


# What each kind of write does through the API, given a note and a label made before.
WRITES = {
    "create": lambda c, n, lb: c.post("/api/notes", json={"title": "new"}),
    "edit": lambda c, n, lb: c.patch(f"/api/notes/{n['id']}", json={"title": "edited"}),
    "trash": lambda c, n, lb: c.post(f"/api/notes/{n['id']}/trash"),
    "copy": lambda c, n, lb: c.post(f"/api/notes/{n['id']}/copy"),
    "bulk": lambda c, n, lb: c.post("/api/notes/bulk", json={"ids": [n["id"]], "action": "pin"}),
    "label create": lambda c, n, lb: c.post("/api/labels", json={"name": "Other"}),
    "label rename": lambda c, n, lb: c.patch(f"/api/labels/{lb['id']}", json={"name": "Ren"}),
    "label delete": lambda c, n, lb: c.delete(f"/api/labels/{lb['id']}"),
    "label onto note": lambda c, n, lb: c.post(
        "/api/notes/bulk", json={"ids": [n["id"]], "action": "add_label", "label_id": lb["id"]}
    ),
    "image add": lambda c, n, lb: c.post(
        f"/api/notes/{n['id']}/images", data={"file": (png(), "a.png")}
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_kind_of_write_bumps_the_sequence(client, make_note, make_label, write):
    note, label = make_note(title="n"), make_label("Work")
    before = high(client)
    response = WRITES[write](client, note, label)
    assert response.status_code < 300, response.get_json()
    after = feed(client, since=before)
    assert after["high_water"] > before
    assert after["changes"] or after["labels"] or after["tombstones"]


def test_an_import_bumps_it(app, client, tmp_path):
    path = tmp_path / "takeout.zip"
    path.write_bytes(import_zip().getvalue())
    before = high(client)
    result = app.test_cli_runner().invoke(args=["import-keep", str(path)])
    assert "Imported 1" in result.output, result.output
    assert [c["title"] for c in feed(client, since=before)["changes"]] == ["From Keep"]


def test_restore_delete_forever_and_empty_trash_bump_it(client, make_note):
    note, other = make_note(title="a"), make_note(title="b")
    for n in (note, other):
        client.post(f"/api/notes/{n['id']}/trash")
    before = high(client)
    client.post(f"/api/notes/{note['id']}/restore")
    restored = feed(client, since=before)
    assert [c["uid"] for c in restored["changes"]] and not restored["changes"][0]["trashed"]
    client.post(f"/api/notes/{note['id']}/trash")
    mark = high(client)
    assert client.delete(f"/api/notes/{note['id']}").status_code == 204
    assert [t["kind"] for t in feed(client, since=mark)["tombstones"]] == ["note"]
    mark = high(client)
    assert client.delete("/api/trash").status_code in (200, 204)
    assert len(feed(client, since=mark)["tombstones"]) == 1


def test_image_removal_bumps_it_and_the_feed_gives_the_images_hash(client, make_note):
    note = make_note(title="pic")
    image = client.post(f"/api/notes/{note['id']}/images", data={"file": (png(), "a.png")})
    (shown,) = feed(client)["changes"]
    assert len(shown["images"][0]["sha256"]) == 64 and shown["images"][0]["width"] == 3
    before = high(client)
    image_id = image.get_json()["images"][0]["id"] if "images" in image.get_json() else None
    image_id = image_id or client.get(f"/api/notes/{note['id']}").get_json()["images"][0]["id"]
    assert client.delete(f"/api/images/{image_id}").status_code == 204
    (after,) = feed(client, since=before)["changes"]
    assert after["images"] == []


def test_purge_leaves_tombstones(app, client, make_note, clock):
    from webapp.extensions import db
    from webapp.notes import service

    note = make_note(title="old")
    client.post(f"/api/notes/{note['id']}/trash")
    before = high(client)
    clock.advance(days=8)
    with app.app_context():
        assert service.purge_trash(db.session, clock(), 7) == 1
    (stone,) = feed(client, since=before)["tombstones"]
    assert stone["uid"] == client.get("/api/sync/changes").get_json()["tombstones"][0]["uid"]


def test_a_note_in_the_feed_is_whole(client, make_note, make_label):
    work = make_label("Work")
    make_note(kind="checklist", items=[{"text": "milk", "checked": True}], color="teal",
              label_ids=[work["id"]])  # fmt: skip
    page = feed(client)
    (note,) = page["changes"]
    assert note["items"][0]["text"] == "milk" and note["items"][0]["id"]
    assert note["label_uids"] == [page["labels"][0]["uid"]]
    assert set(note["field_times"]) == {"color", "pinned", "archived", "trashed", "reminder"}
    assert note["version"] == 1 and note["seq"] == page["high_water"]
    assert client.get(f"/api/notes/{note['id']}").status_code == 200


def test_field_times_move_only_for_the_field_that_changed(client, make_note, clock):
    note = make_note(title="t")
    (first,) = feed(client)["changes"]
    clock.advance(minutes=5)
    client.patch(f"/api/notes/{note['id']}", json={"color": "red", "title": "u"})
    (second,) = feed(client)["changes"]
    assert second["field_times"]["color"] > first["field_times"]["color"]
    assert second["field_times"]["pinned"] == first["field_times"]["pinned"]
    clock.advance(minutes=5)
    client.post(f"/api/notes/{note['id']}/trash")
    (third,) = feed(client)["changes"]
    assert third["field_times"]["trashed"] > second["field_times"]["trashed"]
    assert third["field_times"]["color"] == second["field_times"]["color"]


def test_nothing_changed_is_an_empty_answer_at_the_same_mark(client, make_note):
    make_note(title="x")
    mark = high(client)
    assert feed(client, since=mark) == {
        "changes": [], "labels": [], "tombstones": [], "high_water": mark, "more": False
    }  # fmt: skip


def test_pages_neither_repeat_nor_skip_while_writes_happen(client, make_note, make_label):
    notes = [make_note(title=f"n{i}") for i in range(7)]
    make_label("L")
    seen, since, rounds = [], 0, 0
    while True:
        page = feed(client, since=since, limit=2)
        seen += [c["seq"] for c in page["changes"]] + [lb["seq"] for lb in page["labels"]]
        seen += [t["seq"] for t in page["tombstones"]]
        since = page["high_water"]
        if rounds < 3:  # a write between pages: an old note changes, a new one comes
            client.patch(f"/api/notes/{notes[rounds]['id']}", json={"title": "again"})
            make_note(title=f"late{rounds}")
        rounds += 1
        if not page["more"] and rounds > 3:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    final = {c["uid"]: c["seq"] for c in feed(client)["changes"]}
    assert set(final.values()) <= set(seen)  # every note's last change was walked


@pytest.mark.parametrize("since", ["-1", "abc", "1.5", "\uff11"])
def test_since_must_be_a_non_negative_integer(client, since):
    response = client.get(f"/api/sync/changes?since={since}")
    assert response.status_code == 400 and error_code(response) == "invalid"


@pytest.mark.parametrize("limit", ["0", "1001", "x"])
def test_limit_is_1_to_1000(client, limit):
    assert client.get(f"/api/sync/changes?limit={limit}").status_code == 400


def test_a_device_behind_the_tombstone_horizon_resyncs(app, client, make_note, clock):
    from webapp import maintenance

    note = make_note(title="gone")
    old = high(client)
    client.post(f"/api/notes/{note['id']}/trash")
    client.delete(f"/api/notes/{note['id']}")
    make_note(title="later")
    clock.advance(days=91)
    with app.app_context():
        maintenance.run(app)
    assert feed(client, since=old) == {"resync": True, "high_water": high(client)}
    assert "resync" not in feed(client, since=high(client))
    assert "resync" not in feed(client, since=0)


def test_a_since_ahead_of_the_server_resyncs(client, make_note):
    make_note(title="x")
    assert feed(client, since=high(client) + 5)["resync"] is True


def test_identity_names_the_server_and_account(client):
    first = client.get("/api/sync/identity").get_json()
    assert set(first) == {"server_id", "account_id", "username"} and len(first["server_id"]) == 36
    assert client.get("/api/sync/identity").get_json() == first


def test_the_openapi_document_has_the_sync_routes(client):
    paths = client.get("/api/swagger.json").get_json()["paths"]
    for path in ("/sync/changes", "/sync/push", "/sync/identity", "/sync/devices"):
        assert path in paths
