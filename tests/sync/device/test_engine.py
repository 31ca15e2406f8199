"""The engine end to end: a real server (accounts on, waitress on a socket) and desktop apps
(single-user, each its own data directory) syncing through it."""

from __future__ import annotations

import pytest

from tests.live import serving
from tests.sync.device.conftest import PASSWORD
from webapp import create_app
from webapp.sync.device import engine, service, store


@pytest.fixture
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    app = create_app(
        {"CONFIG": "testing", "DATA_DIR": str(folder), "ACCOUNTS": True, "OPEN_SIGNUP": True}
    )
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    assert client.post(
        "/api/auth/register", json={"username": "ana", "password": PASSWORD}
    ).status_code == 201  # fmt: skip
    with serving(app) as port:
        app.url = f"http://127.0.0.1:{port}"
        app.client = client
        yield app


class Desktop:
    """A desktop Kaap: its app, an API client, and one sync at a time."""

    def __init__(self, folder, url):
        self.folder = folder
        self.app = create_app({"CONFIG": "testing", "DATA_DIR": str(folder), "ACCOUNTS": False})
        self.client = self.app.test_client()
        token = self.client.get("/api/csrf").get_json()["csrf_token"]
        self.client.environ_base["HTTP_X_CSRFTOKEN"] = token
        service.connect(folder, url, "ana", PASSWORD, use_keyring=False, now="2026-12-01")

    def sync(self, **kwargs) -> engine.Report:
        with self.app.app_context():
            return engine.sync_now(**kwargs)

    def create(self, **fields) -> dict:
        response = self.client.post("/api/notes", json={"title": "", **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def notes(self, **query) -> list[dict]:
        answer = self.client.get("/api/notes", query_string={"limit": 100, **query})
        return answer.get_json()["items"]

    def by_title(self, title: str, **query) -> dict:
        (note,) = [n for n in self.notes(**query) if n["title"] == title]
        return note

    def delete_forever(self, note: dict) -> None:
        assert self.client.post(f"/api/notes/{note['id']}/trash").status_code == 200
        assert self.client.delete(f"/api/notes/{note['id']}").status_code == 204

    def patch(self, note: dict, **fields) -> dict:
        response = self.client.patch(f"/api/notes/{note['id']}", json=fields)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def desktops(server, tmp_path_factory):
    made = []

    def make() -> Desktop:
        desktop = Desktop(tmp_path_factory.mktemp("desktop"), server.url)
        made.append(desktop)
        return desktop

    yield make
    for desktop in made:
        with desktop.app.app_context():
            from webapp.extensions import db

            db.engine.dispose()


def test_a_note_made_on_one_desktop_appears_on_the_other(desktops):
    a, b = desktops(), desktops()
    a.create(title="Groceries", body="milk\neggs", color="yellow")
    report = a.sync()
    assert report.pushed == 1 and report.in_step
    report = b.sync()
    assert report.pulled == 1 and report.in_step
    note = b.by_title("Groceries")
    assert (note["body"], note["color"]) == ("milk\neggs", "yellow")
    # Nothing moves the second time, on either side.
    again = a.sync(), b.sync()
    assert all(r.pushed == 0 and r.pulled == 0 and r.in_step for r in again)
    assert len(a.notes()) == len(b.notes()) == 1


def test_edits_flow_both_ways_and_labels_follow_by_uid(desktops):
    a, b = desktops(), desktops()
    label = a.client.post("/api/labels", json={"name": "Home"}).get_json()
    a.create(title="Plan", body="one", label_ids=[label["id"]])
    a.sync(), b.sync()
    note_b = b.by_title("Plan")
    assert [lab["name"] for lab in note_b["labels"]] == ["Home"]
    b.patch(note_b, body="one\ntwo")
    b_label = b.client.get("/api/labels").get_json()[0]
    assert b.client.patch(f"/api/labels/{b_label['id']}", json={"name": "House"}).status_code == 200
    b.sync(), a.sync()
    note_a = a.by_title("Plan")
    assert note_a["body"] == "one\ntwo"
    assert [lab["name"] for lab in note_a["labels"]] == ["House"]


def test_the_same_label_made_on_two_desktops_becomes_one(desktops):
    a, b = desktops(), desktops()
    for desktop in (a, b):
        label = desktop.client.post("/api/labels", json={"name": "Work"}).get_json()
        desktop.create(title=f"from {desktop.folder.name}", label_ids=[label["id"]])
    a.sync(), b.sync(), a.sync()
    for desktop in (a, b):
        labels = desktop.client.get("/api/labels").get_json()
        assert [lab["name"] for lab in labels] == ["Work"]
        assert all([lab["name"] for lab in n["labels"]] == ["Work"] for n in desktop.notes())
        assert len(desktop.notes()) == 2


def test_trash_and_delete_forever_follow(desktops):
    a, b = desktops(), desktops()
    one, two = a.create(title="one"), a.create(title="two")
    a.sync(), b.sync()
    assert a.client.post(f"/api/notes/{one['id']}/trash").status_code == 200
    a.delete_forever(two)
    a.sync()
    report = b.sync()
    assert report.deleted_here == 2
    assert [n["title"] for n in b.notes()] == []
    assert [n["title"] for n in b.notes(state="trashed")] == ["one"]


def test_delete_forever_against_an_edit_keeps_the_edited_note(desktops):
    a, b = desktops(), desktops()
    note = a.create(title="keep me", body="v1")
    a.sync(), b.sync()
    a.delete_forever(note)
    b.patch(b.by_title("keep me"), body="v2 edited")
    a.sync(), b.sync(), a.sync()
    assert [n["body"] for n in a.notes()] == ["v2 edited"]
    assert [n["body"] for n in b.notes()] == ["v2 edited"]


def test_first_sync_of_a_desktop_with_notes_merges_the_two_sets(desktops):
    a, b = desktops(), desktops()
    a.create(title="from a")
    b.create(title="from b")
    a.sync(), b.sync(), a.sync()
    b.sync(), a.sync()  # run twice: nothing doubles
    for desktop in (a, b):
        assert sorted(n["title"] for n in desktop.notes()) == ["from a", "from b"]


def test_a_backup_is_taken_before_the_first_sync(desktops):
    a = desktops()
    a.create(title="precious")
    a.sync()
    backups = list((a.folder / "backups").glob("pre-sync-*"))
    assert len(backups) == 1
    a.sync()
    assert len(list((a.folder / "backups").glob("pre-sync-*"))) == 1


def test_a_pull_removing_many_notes_pauses_until_the_person_answers(desktops):
    a, b = desktops(), desktops()
    made = [a.create(title=f"note {i}") for i in range(12)]
    a.sync(), b.sync()
    for note in made[:10]:
        assert a.client.post(f"/api/notes/{note['id']}/trash").status_code == 200
    a.sync()
    report = b.sync()
    assert report.paused_removals == 10 and report.notes_here == 12 and not report.in_step
    assert len(b.notes()) == 12  # nothing applied
    assert store.load(b.folder).pending_removals == 10
    report = b.sync(removals="apply")
    assert report.deleted_here == 10 and report.in_step
    assert len(b.notes()) == 2
    assert store.load(b.folder).pending_removals is None
    assert list((b.folder / "backups").glob("pre-sync-*"))


def test_keeping_the_notes_puts_them_back_on_the_server(desktops):
    a, b = desktops(), desktops()
    made = [a.create(title=f"note {i}") for i in range(12)]
    a.sync(), b.sync()
    for note in made[:10]:
        assert a.client.post(f"/api/notes/{note['id']}/trash").status_code == 200
    a.sync()
    assert b.sync().paused_removals == 10
    report = b.sync(removals="keep")
    assert report.in_step
    assert len(b.notes()) == 12
    a.sync()
    assert len(a.notes()) == 12


def test_a_second_sync_at_once_is_told_busy(desktops, monkeypatch):
    a = desktops()
    import fcntl

    with open(a.folder / engine.LOCK_FILE, "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(engine.SyncError) as caught:
            a.sync()
    assert caught.value.code == "busy"


def test_a_server_reset_stops_sync_and_keeps_every_note(desktops, server):
    a = desktops()
    a.create(title="mine")
    a.sync()
    state = store.load(a.folder)
    state.server_id = "another-server"
    store.save(a.folder, state)
    with pytest.raises(engine.SyncError) as caught:
        a.sync()
    assert caught.value.code == "identity_changed"
    assert store.load(a.folder).stopped
    assert [n["title"] for n in a.notes()] == ["mine"]


def test_flask_sync_now_prints_what_moved_and_exits_0_in_step(desktops):
    a = desktops()
    a.create(title="from the cli")
    result = a.app.test_cli_runner().invoke(args=["sync", "now"])
    assert result.exit_code == 0, result.output
    assert "pushed 1" in result.output and "In step with the server." in result.output


def test_flask_sync_now_says_why_when_it_cannot(desktops):
    a = desktops()
    service.disconnect(a.folder)
    result = a.app.test_cli_runner().invoke(args=["sync", "now"])
    assert result.exit_code != 0 and "Not connected to a server" in result.output


def test_a_device_behind_the_forgotten_deletions_resyncs_without_deleting_its_notes(
    desktops, server
):
    a, b = desktops(), desktops()
    a.create(title="kept")
    gone = a.create(title="gone")
    a.sync(), b.sync()
    b.create(title="only on b, not synced yet")
    a.delete_forever(gone)
    a.sync()
    # The server forgets its tombstones (past SYNC_TOMBSTONE_DAYS): b cannot hear of the deletion.
    from datetime import timedelta

    from webapp.extensions import db
    from webapp.sync import service as feed
    from webapp.timeutil import utcnow

    with server.app_context():
        feed.prune_tombstones(db.session, utcnow() + timedelta(days=1), 0)
    report = b.sync()
    assert report.in_step
    # Nothing deleted on b: the note gone on the server comes back there, as a new one.
    assert sorted(n["title"] for n in b.notes()) == ["gone", "kept", "only on b, not synced yet"]
    a.sync()
    assert sorted(n["title"] for n in a.notes()) == ["gone", "kept", "only on b, not synced yet"]
