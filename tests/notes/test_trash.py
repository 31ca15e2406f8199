from tests.conftest import error_code
from webapp import create_app, maintenance
from webapp.extensions import db
from webapp.notes.models import Note


def ids(client, state="active"):
    return [n["id"] for n in client.get(f"/api/notes?state={state}").get_json()["items"]]


def test_trash_and_restore_move_a_note_between_views(client, make_note):
    note = make_note()
    trashed = client.post(f"/api/notes/{note['id']}/trash").get_json()
    assert trashed["trashed_at"] is not None
    assert ids(client) == []
    assert ids(client, "trashed") == [note["id"]]
    restored = client.post(f"/api/notes/{note['id']}/restore").get_json()
    assert restored["trashed_at"] is None
    assert ids(client) == [note["id"]]


def test_archived_notes_have_their_own_view(client, make_note):
    note = make_note(archived=True)
    assert ids(client) == []
    assert ids(client, "archived") == [note["id"]]


def test_delete_forever_only_from_the_trash(client, make_note):
    note = make_note()
    response = client.delete(f"/api/notes/{note['id']}")
    assert response.status_code == 409
    assert error_code(response) == "not_trashed"
    client.post(f"/api/notes/{note['id']}/trash")
    assert client.delete(f"/api/notes/{note['id']}").status_code == 204
    assert client.get(f"/api/notes/{note['id']}").status_code == 404


def test_empty_trash_deletes_only_trashed_notes(client, make_note):
    keep, gone = make_note(), make_note()
    client.post(f"/api/notes/{gone['id']}/trash")
    response = client.delete("/api/trash")
    assert response.get_json() == {"deleted": 1}
    assert ids(client) == [keep["id"]]
    assert ids(client, "trashed") == []


def test_trashed_note_is_purged_after_seven_days(app, client, clock, make_note):
    old, recent = make_note(title="old"), make_note(title="recent")
    client.post(f"/api/notes/{old['id']}/trash")
    clock.advance(days=5)
    client.post(f"/api/notes/{recent['id']}/trash")
    clock.advance(days=2, hours=1)
    with app.app_context():
        assert maintenance.run(app) == 1
    assert ids(client, "trashed") == [recent["id"]]


def test_purge_runs_by_itself_on_a_later_request(client, clock, make_note):
    note = make_note()
    client.post(f"/api/notes/{note['id']}/trash")
    clock.advance(days=8)
    assert ids(client, "trashed") == []


def test_purge_runs_at_start_up(client, data_dir, clock, make_note):
    note = make_note()
    client.post(f"/api/notes/{note['id']}/trash")
    clock.advance(days=8)
    fresh = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock})
    with fresh.app_context():
        assert db.session.get(Note, note["id"]) is None
        db.engine.dispose()


def test_trash_days_is_configurable(data_dir, clock):
    app = create_app(
        {"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock, "TRASH_DAYS": 1}
    )
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    note = client.post("/api/notes", json={"title": "x"}).get_json()
    client.post(f"/api/notes/{note['id']}/trash")
    clock.advance(days=1, hours=1)
    assert ids(client, "trashed") == []


def test_labels_survive_when_their_notes_are_purged(client, make_note, make_label):
    label = make_label("keep me")
    note = make_note(label_ids=[label["id"]])
    client.post(f"/api/notes/{note['id']}/trash")
    client.delete("/api/trash")
    assert client.get("/api/labels").get_json() == [
        {"id": label["id"], "name": "keep me", "note_count": 0}
    ]
