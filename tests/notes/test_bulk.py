"""``POST /api/notes/bulk``: one action on many notes, all or nothing, with its undo."""

from __future__ import annotations

import pytest

from tests.conftest import error_code
from webapp.extensions import db
from webapp.notes.models import Note
from webapp.timeutil import now


def bulk(client, ids, action, **extra):
    return client.post("/api/notes/bulk", json={"ids": ids, "action": action, **extra})


def ok(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def note(client, note_id) -> dict:
    return client.get(f"/api/notes/{note_id}").get_json()


def listed(client, state="active") -> list[int]:
    items = client.get(f"/api/notes?state={state}&limit=100").get_json()["items"]
    return [n["id"] for n in items]


@pytest.fixture
def three(make_note):
    return [make_note(title=f"note {i}") for i in range(3)]


def test_archive_moves_every_note_and_undo_brings_them_back_pinned_as_before(client, make_note):
    pinned, plain = make_note(title="p", pinned=True), make_note(title="q")
    body = ok(bulk(client, [pinned["id"], plain["id"]], "archive"))
    assert [(n["archived"], n["pinned"]) for n in body["notes"]] == [(True, False)] * 2
    assert listed(client) == [] and sorted(listed(client, "archived")) == sorted(
        [pinned["id"], plain["id"]]
    )
    assert body["undo"] == {
        "ids": [pinned["id"], plain["id"]],
        "action": "unarchive",
        "pins": [True, False],
    }
    ok(client.post("/api/notes/bulk", json=body["undo"]))
    assert note(client, pinned["id"])["pinned"] and not note(client, plain["id"])["pinned"]
    assert listed(client, "archived") == []


@pytest.mark.parametrize(
    ("action", "extra"),
    [
        ("pin", {}),
        ("archive", {}),
        ("trash", {}),
        ("color", {"color": "teal"}),
        ("add_label", None),
    ],
)
def test_each_changed_note_gets_a_new_version_and_edit_time(
    client, clock, three, make_label, action, extra
):
    if extra is None:
        extra = {"label_id": make_label("new")["id"]}
    clock.advance(minutes=1)
    body = ok(bulk(client, [n["id"] for n in three], action, **extra))
    for before, after in zip(three, body["notes"], strict=True):
        assert after["version"] == before["version"] + 1
        assert after["updated_at"] > before["updated_at"]
        assert note(client, before["id"]) == after


def test_a_note_the_action_leaves_as_it_was_keeps_its_version(client, make_note):
    pinned, plain = make_note(pinned=True), make_note()
    body = ok(bulk(client, [pinned["id"], plain["id"]], "pin"))
    assert [n["id"] for n in body["notes"]] == [plain["id"]]
    assert note(client, pinned["id"])["version"] == pinned["version"]
    assert body["undo"] == {"ids": [plain["id"]], "action": "unpin"}
    assert ok(bulk(client, [pinned["id"]], "pin")) == {"notes": [], "deleted": [], "undo": None}


def test_pin_and_unpin(client, three):
    ids = [n["id"] for n in three]
    assert all(n["pinned"] for n in ok(bulk(client, ids, "pin"))["notes"])
    assert not any(n["pinned"] for n in ok(bulk(client, ids, "unpin"))["notes"])


def test_trash_then_restore_and_delete_forever(client, three):
    ids = [n["id"] for n in three]
    body = ok(bulk(client, ids, "trash"))
    assert all(n["trashed_at"] for n in body["notes"])
    assert body["undo"] == {"ids": ids, "action": "restore"}
    assert sorted(listed(client, "trashed")) == sorted(ids)
    ok(bulk(client, ids[:1], "restore"))
    assert listed(client) == ids[:1]
    body = ok(bulk(client, ids[1:], "delete"))
    assert body == {"notes": [], "deleted": ids[1:], "undo": None}
    assert listed(client, "trashed") == []
    assert client.get(f"/api/notes/{ids[1]}").status_code == 404


def test_color_for_all_and_undo_gives_each_its_own_color_back(client, make_note):
    red, blue = make_note(color="red"), make_note(color="blue")
    body = ok(bulk(client, [red["id"], blue["id"]], "color", color="green"))
    assert [n["color"] for n in body["notes"]] == ["green", "green"]
    assert body["undo"]["colors"] == ["red", "blue"]
    ok(client.post("/api/notes/bulk", json=body["undo"]))
    assert [note(client, n["id"])["color"] for n in (red, blue)] == ["red", "blue"]


def test_add_and_remove_a_label_touch_only_the_notes_it_changes(client, make_note, make_label):
    work, home = make_label("work"), make_label("home")
    has, lacks = make_note(label_ids=[work["id"], home["id"]]), make_note(label_ids=[home["id"]])
    body = ok(bulk(client, [has["id"], lacks["id"]], "add_label", label_id=work["id"]))
    assert [n["id"] for n in body["notes"]] == [lacks["id"]]
    assert {lab["id"] for lab in note(client, lacks["id"])["labels"]} == {work["id"], home["id"]}
    assert body["undo"] == {"ids": [lacks["id"]], "action": "remove_label", "label_id": work["id"]}
    ok(client.post("/api/notes/bulk", json=body["undo"]))
    assert [lab["id"] for lab in note(client, lacks["id"])["labels"]] == [home["id"]]
    ok(bulk(client, [has["id"], lacks["id"]], "remove_label", label_id=home["id"]))
    assert [lab["id"] for lab in note(client, has["id"])["labels"]] == [work["id"]]
    assert note(client, lacks["id"])["labels"] == []


def test_labels_are_searchable_after_a_bulk_add(client, make_note, make_label):
    groceries = make_label("groceries")
    target = make_note(title="milk")
    ok(bulk(client, [target["id"]], "add_label", label_id=groceries["id"]))
    found = client.get("/api/notes?q=groceries").get_json()["items"]
    assert [n["id"] for n in found] == [target["id"]]


def test_copy_answers_the_new_notes_and_undo_trashes_them(client, make_note, make_label):
    label = make_label("kept")
    sources = [make_note(title="one", color="red", label_ids=[label["id"]]), make_note(title="two")]
    body = ok(bulk(client, [n["id"] for n in sources], "copy"))
    copies = body["notes"]
    assert [c["title"] for c in copies] == ["one", "two"]
    assert copies[0]["color"] == "red" and copies[0]["labels"] == sources[0]["labels"]
    assert not {c["id"] for c in copies} & {n["id"] for n in sources}
    assert body["undo"] == {"ids": [c["id"] for c in copies], "action": "trash"}
    assert len(listed(client)) == 4


@pytest.mark.parametrize(
    ("action", "extra"),
    [
        ("archive", {}),
        ("pin", {}),
        ("trash", {}),
        ("color", {"color": "red"}),
        ("copy", {}),
        ("restore", {}),
        ("delete", {}),
    ],
)
def test_an_unknown_id_among_them_changes_nothing(client, three, action, extra):
    ids = [n["id"] for n in three]
    if action in ("restore", "delete"):
        ok(bulk(client, ids, "trash"))
    state = "trashed" if action in ("restore", "delete") else "active"
    before = client.get(f"/api/notes?state={state}").get_json()["items"]
    response = bulk(client, [*ids, 999_999], action, **extra)
    assert response.status_code == 404 and error_code(response) == "not_found"
    assert "999999" in response.get_json()["error"]["fields"]["ids"]
    assert client.get(f"/api/notes?state={state}").get_json()["items"] == before


@pytest.mark.parametrize(
    ("action", "trashed", "code"),
    [
        ("delete", False, "not_trashed"),
        ("restore", False, "not_trashed"),
        ("archive", True, "trashed"),
        ("copy", True, "trashed"),
        ("add_label", True, "trashed"),
    ],
)
def test_a_note_in_the_wrong_view_refuses_the_whole_request(
    client, three, make_label, action, trashed, code
):
    ids = [n["id"] for n in three]
    ok(bulk(client, ids[:2], "trash"))
    label = make_label("x")
    extra = {"label_id": label["id"]} if action == "add_label" else {}
    # The odd one out: the one note of the other view, or the two.
    chosen = ids[:1] + ids[2:] if not trashed else ids
    before = [note(client, i) for i in ids]
    response = bulk(client, chosen, action, **extra)
    assert response.status_code == 409 and error_code(response) == code
    assert [note(client, i) for i in ids] == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": [], "action": "pin"}, "ids"),
        ({"ids": [1, 1], "action": "pin"}, "ids"),
        ({"ids": list(range(1, 1002)), "action": "pin"}, "ids"),
        ({"ids": [0], "action": "pin"}, "ids.0"),
        ({"ids": ["1"], "action": "pin"}, "ids.0"),
        ({"ids": [1], "action": "explode"}, "action"),
        ({"action": "pin"}, "ids"),
        ({"ids": [1]}, "action"),
        ({"ids": [1], "action": "pin", "extra": 1}, None),
        ({"ids": [1], "action": "color", "color": "mauve"}, "color"),
    ],
)
def test_a_malformed_request_is_a_400_with_the_envelope(client, body, field):
    response = client.post("/api/notes/bulk", json=body)
    assert response.status_code == 400 and error_code(response) == "invalid"
    if field:
        assert field in response.get_json()["error"]["fields"], response.get_json()


@pytest.mark.parametrize(
    ("action", "extra", "field"),
    [
        ("color", {}, "color"),
        ("color", {"color": "red", "colors": ["red"]}, "color"),
        ("color", {"colors": ["red", "blue"]}, "colors"),
        ("add_label", {}, "label_id"),
        ("pin", {"label_id": 1}, "label_id"),
        ("pin", {"color": "red"}, "color"),
        ("archive", {"pins": [True]}, "pins"),
        ("add_label", {"label_id": 2**31 - 1}, "label_id"),
    ],
)
def test_parameters_that_do_not_fit_the_action_are_refused(client, make_note, action, extra, field):
    target = make_note()
    response = bulk(client, [target["id"]], action, **extra)
    assert response.status_code == 400 and error_code(response) == "invalid"
    assert field in response.get_json()["error"]["fields"], response.get_json()
    assert note(client, target["id"]) == target


def test_a_thousand_notes_in_one_call(client, app, make_note):
    first = make_note()
    with app.app_context():
        owner_id = db.session.get(Note, first["id"]).owner_id
        stamp = now()
        notes = [
            Note(title=f"n{i}", body="", kind="text", color="default", pinned=False,
                 archived=False, created_at=stamp, updated_at=stamp, version=1,
                 search_text=f"n{i}", owner_id=owner_id)
            for i in range(999)
        ]  # fmt: skip
        db.session.add_all(notes)
        db.session.commit()
        ids = [first["id"], *(n.id for n in notes)]
    assert len(ok(bulk(client, ids, "archive"))["notes"]) == 1000
    assert listed(client) == []
