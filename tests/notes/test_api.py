import pytest

from tests.conftest import error_code
from webapp import inputs


def test_create_returns_201_with_location_and_defaults(client):
    response = client.post("/api/notes", json={"title": "Groceries"})
    assert response.status_code == 201
    note = response.get_json()
    assert response.headers["Location"] == f"/api/notes/{note['id']}"
    assert response.headers["ETag"] == '"1"'
    assert note["title"] == "Groceries"
    assert note | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0, "title": "Groceries", "body": "", "kind": "text", "items": [], "color": "default",
        "pinned": False, "archived": False, "labels": [], "images": [], "trashed_at": None,
        "created_at": "", "updated_at": "", "version": 1, "position": "a0", "reminder": None,
    }  # fmt: skip


def test_timestamps_are_utc_with_microseconds(make_note):
    note = make_note()
    assert note["created_at"].endswith("Z")
    assert len(note["created_at"]) == len("2026-01-05T09:00:00.000000Z")


def test_checklist_note_keeps_items_in_order(client, make_note):
    items = [{"text": "milk", "checked": True}, {"text": "eggs"}, {"text": "bread"}]
    note = make_note(kind="checklist", items=items)
    got = client.get(f"/api/notes/{note['id']}").get_json()
    assert got["kind"] == "checklist"
    assert [{k: i[k] for k in ("text", "checked")} for i in got["items"]] == [
        {"text": "milk", "checked": True},
        {"text": "eggs", "checked": False},
        {"text": "bread", "checked": False},
    ]


def test_get_unknown_note_is_404(client):
    response = client.get("/api/notes/999")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_patch_changes_only_given_fields_and_bumps_version(client, make_note):
    note = make_note(title="Old", body="Keep me", color="red")
    response = client.patch(f"/api/notes/{note['id']}", json={"title": "New", "pinned": True})
    assert response.status_code == 200
    got = response.get_json()
    assert (got["title"], got["body"], got["color"], got["pinned"]) == (
        "New",
        "Keep me",
        "red",
        True,
    )
    assert got["version"] == 2
    assert got["updated_at"] > note["updated_at"]
    assert got["created_at"] == note["created_at"]
    assert response.headers["ETag"] == '"2"'


@pytest.mark.parametrize("header", ['"1"', "1", 'W/"1"'])
def test_patch_with_current_version_succeeds(client, make_note, header):
    note = make_note()
    response = client.patch(
        f"/api/notes/{note['id']}", json={"body": "x"}, headers={"If-Match": header}
    )
    assert response.status_code == 200


def test_patch_with_stale_version_is_412_and_changes_nothing(client, make_note):
    note = make_note(title="Mine")
    client.patch(f"/api/notes/{note['id']}", json={"title": "Theirs"})
    response = client.patch(
        f"/api/notes/{note['id']}", json={"title": "Mine again"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 412
    assert error_code(response) == "version_conflict"
    assert response.get_json()["error"]["fields"] == {"version": "2"}
    assert client.get(f"/api/notes/{note['id']}").get_json()["title"] == "Theirs"


def test_malformed_if_match_is_400(client, make_note):
    note = make_note()
    response = client.patch(f"/api/notes/{note['id']}", json={}, headers={"If-Match": "abc"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x", "nonsense": 1}, "nonsense"),
        ({"title": 5}, "title"),
        ({"title": None}, "title"),
        ({"title": "t" * 1001}, "title"),
        ({"title": "x", "color": "mauve"}, "color"),
        ({"title": "x", "kind": "drawing"}, "kind"),
        ({"title": "x", "pinned": "yes"}, "pinned"),
        ({"title": "x", "items": [{"text": "a", "done": True}]}, "items.0.done"),
        ({"title": "x", "items": [{"checked": True}]}, "items.0.text"),
        ({"title": "x", "items": [{"text": "a"}] * 1001}, "items"),
        ({"title": "x", "label_ids": ["a"]}, "label_ids.0"),
        ({"title": "x", "label_ids": [12345]}, "label_ids"),
        ({"body": "é" * 500_001}, "body"),
    ],
)
def test_invalid_fields_are_400_with_the_field_named(client, payload, field):
    response = client.post("/api/notes", json=payload)
    assert response.status_code == 400, response.get_json()
    assert error_code(response) == "invalid"
    assert field in response.get_json()["error"]["fields"]
    assert client.get("/api/notes").get_json()["items"] == []


@pytest.mark.parametrize(
    "raw", ['{"title": "a\\ud800b"}', '{"items": [{"text": "\\uDFFF"}]}', '{"\\ud800": 1}']
)
def test_lone_surrogates_are_400_not_500(client, make_note, raw):
    note = make_note(title="kept")
    for method, path in (("POST", "/api/notes"), ("PATCH", f"/api/notes/{note['id']}")):
        response = client.open(path, method=method, data=raw, content_type="application/json")
        assert response.status_code == 400, response.get_json()
        assert "not valid Unicode" in response.get_json()["error"]["message"]
    assert [n["title"] for n in client.get("/api/notes").get_json()["items"]] == ["kept"]


def test_a_body_is_checked_for_lone_surrogates_once(client, monkeypatch):
    checks = []
    real = inputs.check_unicode
    monkeypatch.setattr(inputs, "check_unicode", lambda *a: checks.append(1) or real(*a))
    response = client.post(
        "/api/notes", data='{"title": "caf\\u00e9"}', content_type="application/json"
    )
    assert response.status_code == 201 and response.get_json()["title"] == "café"
    assert len(checks) == 1


def test_escaped_emoji_pairs_are_text(client):
    response = client.post(
        "/api/notes", data='{"title": "\\ud83d\\ude00"}', content_type="application/json"
    )
    assert response.status_code == 201
    assert response.get_json()["title"] == "\N{GRINNING FACE}"


def test_body_of_exactly_one_megabyte_is_accepted(client):
    assert client.post("/api/notes", json={"body": "a" * 1_000_000}).status_code == 201


@pytest.mark.parametrize(
    "payload", [{}, {"title": "  ", "body": "\n"}, {"kind": "checklist", "items": [{"text": " "}]}]
)
def test_empty_note_is_not_saved(client, payload):
    response = client.post("/api/notes", json=payload)
    assert response.status_code == 400
    assert error_code(response) == "empty_note"
    assert client.get("/api/notes").get_json()["items"] == []


def test_rejected_patch_changes_nothing(client, make_note):
    note = make_note(title="Safe")
    response = client.patch(f"/api/notes/{note['id']}", json={"title": "Lost", "color": "mauve"})
    assert response.status_code == 400
    got = client.get(f"/api/notes/{note['id']}").get_json()
    assert (got["title"], got["version"]) == ("Safe", 1)


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("title=x", "application/x-www-form-urlencoded", 415),
        ("[1, 2]", "application/json", 400),
        ('"just a string"', "application/json", 400),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused(client, data, content_type, status):
    response = client.post("/api/notes", data=data, content_type=content_type)
    assert response.status_code == status
    error_code(response)


def test_oversized_request_is_413(client):
    response = client.post("/api/notes", json={"body": "x" * (9 * 1024 * 1024)})
    assert response.status_code == 413
    assert error_code(response) == "request_entity_too_large"


def test_unknown_route_and_wrong_method_use_the_envelope(client):
    assert error_code(client.get("/api/nothing-here")) == "not_found"
    response = client.put("/api/notes")
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"


def test_labels_come_with_each_note(client, make_note, make_label):
    work, home = make_label("Work"), make_label("home")
    note = make_note(label_ids=[work["id"], home["id"]])
    got = client.get(f"/api/notes/{note['id']}").get_json()
    assert got["labels"] == [{"id": home["id"], "name": "home"}, {"id": work["id"], "name": "Work"}]


def test_patch_replaces_labels_and_items(client, make_note, make_label):
    work = make_label("Work")
    note = make_note(kind="checklist", items=[{"text": "a"}, {"text": "b"}], label_ids=[work["id"]])
    response = client.patch(
        f"/api/notes/{note['id']}",
        json={"items": [{"text": "b", "checked": True}], "label_ids": []},
    )
    got = response.get_json()
    assert [(i["text"], i["checked"]) for i in got["items"]] == [("b", True)]
    assert got["labels"] == []


def test_copy_makes_a_new_note_with_the_same_content(client, make_note, make_label):
    work = make_label("Work")
    note = make_note(title="T", body="B", color="teal", label_ids=[work["id"]], archived=True,
                     kind="checklist", items=[{"text": "x", "checked": True}])  # fmt: skip
    response = client.post(f"/api/notes/{note['id']}/copy")
    assert response.status_code == 201
    copy = response.get_json()
    assert copy["id"] != note["id"]
    assert response.headers["Location"] == f"/api/notes/{copy['id']}"
    for field in ("title", "body", "color", "labels", "kind"):
        assert copy[field] == note[field]
    # The copy's items are its own (their ids are new).
    assert [(i["text"], i["checked"]) for i in copy["items"]] == [("x", True)]
    assert copy["items"][0]["id"] != note["items"][0]["id"]
    assert copy["archived"] is False


def test_trashed_note_cannot_be_copied(client, make_note):
    note = make_note()
    client.post(f"/api/notes/{note['id']}/trash")
    response = client.post(f"/api/notes/{note['id']}/copy")
    assert response.status_code == 409
    error_code(response)


@pytest.mark.parametrize("path", ["/api/notes/0", "/api/notes/0/trash", "/api/notes/0/copy"])
def test_actions_on_missing_notes_are_404(client, path):
    response = client.post(path) if path.count("/") == 4 else client.patch(path, json={})
    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.sqlite_only
def test_a_write_that_cannot_get_the_lock_is_a_503_and_saves_nothing(data_dir, clock):
    import sqlite3

    from webapp import create_app

    settings = {"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock}
    app = create_app({**settings, "SQLITE_BUSY_TIMEOUT_MS": 50})
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    holder = sqlite3.connect(data_dir / "kaap.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        response = client.post("/api/notes", json={"title": "waiting"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "busy"
    assert response.headers["Retry-After"] == "1"
    assert client.get("/api/notes").get_json()["items"] == []
    assert client.post("/api/notes", json={"title": "again"}).status_code == 201
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def test_an_item_sent_back_with_its_id_keeps_it_across_edits(client, make_note):
    note = make_note(kind="checklist", items=[{"text": "milk"}, {"text": "eggs"}])
    milk, eggs = note["items"]
    items = [{"id": eggs["id"], "text": "eggs!", "checked": True}, {"text": "bread"}]
    got = client.patch(f"/api/notes/{note['id']}", json={"items": items}).get_json()
    assert got["items"][0] == {"id": eggs["id"], "text": "eggs!", "checked": True}
    assert got["items"][1]["id"] not in (milk["id"], eggs["id"], "")
    assert client.get(f"/api/notes/{note['id']}").get_json()["items"] == got["items"]


def test_two_items_with_one_id_are_refused(client, make_note):
    note = make_note(kind="checklist", items=[{"text": "milk"}])
    same = note["items"][0]["id"]
    items = [{"id": same, "text": "a"}, {"id": same, "text": "b"}]
    response = client.patch(f"/api/notes/{note['id']}", json={"items": items})
    assert response.status_code == 400 and "items" in response.get_json()["error"]["fields"]
