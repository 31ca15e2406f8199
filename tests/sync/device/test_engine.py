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
    yield from _server(tmp_path_factory)


@pytest.fixture
def second_server(tmp_path_factory):
    yield from _server(tmp_path_factory)


def _server(tmp_path_factory):
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

    def __init__(self, folder, url, clock=None):
        self.folder = folder
        config = {"CONFIG": "testing", "DATA_DIR": str(folder), "ACCOUNTS": False}
        if clock is not None:
            config["CLOCK"] = clock
        self.app = create_app(config)
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

    def make(clock=None) -> Desktop:
        desktop = Desktop(tmp_path_factory.mktemp("desktop"), server.url, clock)
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


def test_switching_servers_keeps_every_note_and_brings_them_to_the_new_one(desktops, second_server):
    a = desktops()
    a.create(title="written before")
    a.sync()
    service.connect(a.folder, second_server.url, "ana", PASSWORD, use_keyring=False, now="x")
    a.create(title="written after")
    report = a.sync()
    assert report.pushed == 2 and report.in_step
    assert sorted(n["title"] for n in a.notes()) == ["written after", "written before"]
    there = second_server.client  # signed up, so logged in
    titles = sorted(n["title"] for n in there.get("/api/notes").get_json()["items"])
    assert titles == ["written after", "written before"]


def test_edits_to_different_lines_on_two_desktops_merge(desktops):
    a, b = desktops(), desktops()
    a.create(title="Poem", body="one\ntwo\nthree")
    a.sync(), b.sync()
    a.patch(a.by_title("Poem"), body="ONE\ntwo\nthree")
    b.patch(b.by_title("Poem"), body="one\ntwo\nTHREE")
    a.sync(), b.sync(), a.sync()
    for desktop in (a, b):
        assert [n["body"] for n in desktop.notes()] == ["ONE\ntwo\nTHREE"]


def test_edits_to_the_same_line_keep_the_servers_and_make_one_conflict_copy(desktops):
    a, b = desktops(), desktops()
    a.create(title="Plan", body="meet at noon")
    a.sync(), b.sync()
    a.patch(a.by_title("Plan"), body="meet at one")
    b.patch(b.by_title("Plan"), body="meet at two")
    a.sync()
    report = b.sync()
    assert report.conflict_copies == 1
    a.sync(), b.sync()
    for desktop in (a, b):
        found = {n["title"]: n for n in desktop.notes()}
        assert found["Plan"]["body"] == "meet at one"
        (copy,) = [n for t, n in found.items() if t.startswith("Plan (conflict on ")]
        assert copy["body"] == "meet at two"
        assert [lab["name"] for lab in copy["labels"]] == ["Conflicts"]
        assert len(found) == 2
    # Syncing again makes no second copy.
    assert b.sync().conflict_copies == 0 and a.sync().conflict_copies == 0


def test_a_tick_on_one_desktop_and_a_new_item_on_the_other_merge(desktops):
    a, b = desktops(), desktops()
    a.create(title="Shop", kind="checklist", items=[{"text": "milk"}, {"text": "eggs"}])
    a.sync(), b.sync()
    note_a = a.by_title("Shop")
    a.patch(note_a, items=[{**note_a["items"][0], "checked": True}, note_a["items"][1]])
    note_b = b.by_title("Shop")
    b.patch(note_b, items=[*note_b["items"], {"text": "bread"}])
    a.sync(), b.sync(), a.sync()
    for desktop in (a, b):
        items = desktop.by_title("Shop")["items"]
        assert [(i["text"], i["checked"]) for i in items] == [
            ("milk", True), ("eggs", False), ("bread", False)
        ]  # fmt: skip


def test_a_label_added_on_one_desktop_and_another_removed_on_the_other(desktops):
    a, b = desktops(), desktops()
    home = a.client.post("/api/labels", json={"name": "Home"}).get_json()
    a.client.post("/api/labels", json={"name": "Work"})
    a.create(title="Tagged", label_ids=[home["id"]])
    a.sync(), b.sync()
    work_a = next(lab for lab in a.client.get("/api/labels").get_json() if lab["name"] == "Work")
    a.patch(a.by_title("Tagged"), label_ids=[home["id"], work_a["id"]])
    b.patch(b.by_title("Tagged"), label_ids=[])
    a.sync(), b.sync(), a.sync()
    for desktop in (a, b):
        assert [lab["name"] for lab in desktop.by_title("Tagged")["labels"]] == ["Work"]


def test_trash_on_one_desktop_against_an_edit_on_the_other_keeps_the_edit_out_of_the_trash(
    desktops,
):
    a, b = desktops(), desktops()
    a.create(title="Draft", body="v1")
    a.sync(), b.sync()
    assert a.client.post(f"/api/notes/{a.by_title('Draft')['id']}/trash").status_code == 200
    b.patch(b.by_title("Draft"), body="v1\nmore")
    b.sync(), a.sync(), b.sync()
    for desktop in (a, b):
        assert [(n["title"], n["body"]) for n in desktop.notes()] == [("Draft", "v1\nmore")]


def _answer_lost(monkeypatch):
    """The next push reaches the server, its answer does not reach the desktop."""
    from webapp.sync.device import client

    real = client.Connection.push

    def push(self, body):
        real(self, body)
        monkeypatch.setattr(client.Connection, "push", real)
        raise client.SyncError("Offline: the connection broke off.", code="offline")

    monkeypatch.setattr(client.Connection, "push", push)


@pytest.mark.parametrize("new_note", [True, False])
def test_a_push_whose_answer_was_lost_is_not_merged_against_itself(desktops, monkeypatch, new_note):
    a, b = desktops(), desktops()
    note = a.create(title="Plan", body="line one")
    if not new_note:
        a.sync()
        note = a.patch(note, body="line one, edited")
    _answer_lost(monkeypatch)
    with pytest.raises(engine.SyncError):
        a.sync()
    a.patch(a.by_title("Plan"), body=a.by_title("Plan")["body"] + "\nline two")
    report = a.sync()
    assert report.in_step and report.conflict_copies == 0
    b.sync()
    expected = ("line one" if new_note else "line one, edited") + "\nline two"
    assert [n["body"] for n in b.notes()] == [expected]
    assert [n["body"] for n in a.notes()] == [expected]


def _add_image(desktop: Desktop, note: dict, fmt="JPEG", color=(120, 40, 200)) -> None:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, fmt)
    response = desktop.client.post(
        f"/api/notes/{note['id']}/images",
        data={"file": (io.BytesIO(out.getvalue()), f"photo.{fmt.lower()}")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_an_image_travels_by_content_once_and_its_removal_follows(desktops, fmt):
    a, b = desktops(), desktops()
    note = a.create(title="Trip")
    _add_image(a, note, fmt)
    report = a.sync()
    assert report.images_up == 1 and report.in_step
    report = b.sync()
    assert report.images_down == 1 and report.in_step
    (pic_b,) = b.by_title("Trip")["images"]
    (pic_a,) = a.by_title("Trip")["images"]
    assert (pic_a["width"], pic_a["height"]) == (pic_b["width"], pic_b["height"]) == (40, 30)
    with b.client.get(pic_b["url"]) as served:
        assert served.status_code == 200
    # In step: nothing goes up or down again.
    again = a.sync(), b.sync()
    assert all(r.images_up == r.images_down == r.pushed == r.pulled == 0 for r in again)
    assert b.client.delete(f"/api/images/{pic_b['id']}").status_code == 204
    b.sync(), a.sync()
    assert a.by_title("Trip")["images"] == []


def test_images_added_on_both_sides_are_a_union(desktops):
    a, b = desktops(), desktops()
    note = a.create(title="Album", body="x")
    a.sync(), b.sync()
    _add_image(a, note, "PNG", (255, 0, 0))
    _add_image(b, b.by_title("Album"), "PNG", (0, 0, 255))
    a.sync(), b.sync(), a.sync()
    for desktop in (a, b):
        assert len(desktop.by_title("Album")["images"]) == 2


def test_a_color_changed_on_both_desktops_is_the_later_one_whoever_syncs_first(desktops):
    from datetime import timedelta

    from webapp.timeutil import utcnow

    # Minutes apart, a little ahead of the server (it takes a device's times up to 5 min on).
    start = utcnow()
    times = {"a": start, "b": start}

    def ticking(name):
        def clock():
            times[name] += timedelta(microseconds=10)  # a clock moves between two writes
            return times[name]

        return clock

    a, b = desktops(ticking("a")), desktops(ticking("b"))
    a.create(title="Colors")
    a.sync(), b.sync()
    times["b"] = start + timedelta(minutes=1)
    b.patch(b.by_title("Colors"), color="blue")
    times["a"] = start + timedelta(minutes=2)
    a.patch(a.by_title("Colors"), color="red", archived=True)  # the later color
    b.sync(), a.sync(), b.sync()  # the earlier one pushes first
    for desktop in (a, b):
        note = desktop.notes(state="archived")[0]
        assert (note["color"], note["archived"]) == ("red", True)
    times["a"] = start + timedelta(minutes=3)
    a.patch(a.notes(state="archived")[0], color="yellow")
    times["b"] = start + timedelta(minutes=4)
    b.patch(b.notes(state="archived")[0], color="green")  # the later color
    # The later one pushes first: the server must keep b's time (not its own clock's,
    # which is behind the desktops'), or a's older yellow would win at a's merge.
    b.sync(), a.sync(), b.sync()
    for desktop in (a, b):
        assert desktop.notes(state="archived")[0]["color"] == "green"


def test_a_note_from_a_server_whose_clock_is_ahead_shows_at_once(desktops):
    from datetime import timedelta

    from webapp.timeutil import utcnow

    behind = desktops(lambda: utcnow() - timedelta(minutes=30))
    ahead = desktops()
    ahead.create(title="written on time")
    ahead.sync()
    behind.sync()
    assert [n["title"] for n in behind.notes()] == ["written on time"]


def test_a_note_trashed_and_restored_after_syncing_is_restored_on_the_server(desktops):
    a, b = desktops(), desktops()
    note = a.create(title="back again")
    a.sync()
    assert a.client.post(f"/api/notes/{note['id']}/trash").status_code == 200
    a.sync()
    assert a.client.post(f"/api/notes/{note['id']}/restore").status_code == 200
    assert a.sync().in_step
    b.sync()
    assert [n["title"] for n in b.notes()] == ["back again"]


def test_a_note_deleted_then_brought_back_by_another_desktop_reaches_a_third(desktops):
    a, b, c = desktops(), desktops(), desktops()
    a.create(title="contested", body="v1")
    a.sync(), b.sync(), c.sync()
    b.delete_forever(b.by_title("contested"))
    c.patch(c.by_title("contested"), body="v1\nedited on c")
    b.sync(), c.sync()  # c's edit brings the note back after b's deletion
    a.sync()  # one page holds the tombstone, then the note again
    for desktop in (a, b, c):
        desktop.sync()
        assert [n["body"] for n in desktop.notes()] == ["v1\nedited on c"]
