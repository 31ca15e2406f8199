"""A full disk: 507 with a sentence, no partial files, deleting still works, starts still do."""

from __future__ import annotations

import errno
import io
import logging
import os
import time

import pytest
from PIL import Image

from tests.conftest import error_code
from tests.disk.conftest import closed, fill
from webapp import create_app

pytestmark = pytest.mark.sqlite_only


def noise_png(side: int = 300) -> bytes:
    """A PNG that does not compress: its files take about side * side * 3 bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def left_over(data_dir) -> list[str]:
    return sorted(p.name for p in data_dir.rglob("*.part"))


@pytest.fixture
def notes(disk_client):
    """Ten notes, five of them in the trash, two of those with an image."""
    ids = []
    for i in range(10):
        response = disk_client.post("/api/notes", json={"title": f"n{i}", "body": "x" * 3000})
        ids.append(response.get_json()["id"])
    for note_id in ids[:5]:
        assert disk_client.post(f"/api/notes/{note_id}/trash").status_code == 200
    for note_id in ids[5:7]:
        data = {"file": (io.BytesIO(noise_png()), "noise.png")}
        assert disk_client.post(f"/api/notes/{note_id}/images", data=data).status_code == 201
        assert disk_client.post(f"/api/notes/{note_id}/trash").status_code == 200
    return ids


def assert_disk_full(response) -> str:
    assert response.status_code == 507, response.get_data(as_text=True)
    assert error_code(response) == "disk_full"
    message = response.get_json()["error"]["message"]
    assert "is full" in message and "make at least" in message and " MB" in message
    return message


def test_a_write_on_a_full_disk_is_a_507_that_says_how_much_to_free(disk_client, notes, small_disk):
    fill(small_disk)
    response = disk_client.post("/api/notes", json={"title": "big", "body": "y" * 200_000})
    message = assert_disk_full(response)
    assert "nothing was saved" in message


def test_an_upload_on_a_full_disk_is_a_507_and_leaves_no_part_file(
    disk_client, notes, small_disk, disk_data_dir
):
    fill(small_disk)
    data = {"file": (io.BytesIO(noise_png()), "noise.png")}
    assert_disk_full(disk_client.post(f"/api/notes/{notes[8]}/images", data=data))
    assert left_over(disk_data_dir) == []


def test_a_backup_and_an_export_on_a_full_disk_are_507s_that_leave_nothing(
    disk_client, notes, small_disk, disk_data_dir
):
    fill(small_disk)
    assert_disk_full(disk_client.post("/api/backups"))
    assert_disk_full(disk_client.get("/api/export"))
    assert left_over(disk_data_dir) == []
    assert list((disk_data_dir / "exports").iterdir()) == []
    assert list((disk_data_dir / "backups").iterdir()) == []


def test_deleting_a_note_and_emptying_the_trash_work_on_a_full_disk(disk_client, notes, small_disk):
    fill(small_disk)
    assert disk_client.delete(f"/api/notes/{notes[0]}").status_code == 204
    response = disk_client.delete("/api/trash")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"deleted": 6}
    assert disk_client.get("/api/notes?state=trashed").get_json()["items"] == []


def test_the_next_start_on_a_full_disk_skips_the_daily_backup_and_says_so(
    disk_app, disk_client, disk_settings, notes, small_disk, caplog
):
    closed(disk_app)
    fill(small_disk)
    with caplog.at_level(logging.WARNING):
        app = create_app(disk_settings)
    try:
        assert "skipped the daily backup" in caplog.text
        assert app.test_client().get("/api/notes").status_code == 200
    finally:
        closed(app)


def test_a_desktop_export_to_a_full_disk_names_that_disk_and_leaves_nothing(
    app, client, small_disk
):
    from tests.transfer.test_export import FakeDialogs

    client.post("/api/notes", json={"title": "to export", "body": "z" * 50_000})
    fill(small_disk)
    app.extensions["kaap.dialogs"] = FakeDialogs(str(small_disk / "chosen.zip"))
    message = assert_disk_full(client.post("/api/export/save"))
    assert f"The disk holding {small_disk} is full" in message
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_an_import_upload_on_a_full_disk_is_a_507_that_leaves_nothing(
    disk_client, disk_data_dir, small_disk, tmp_path
):
    from tests.transfer import takeout

    archive = takeout.write_zip(tmp_path / "takeout.zip")
    fill(small_disk)
    with open(archive, "rb") as fh:
        data = {"file": (fh, "takeout.zip")}
        assert_disk_full(disk_client.post("/api/imports", data=data))
    assert list((disk_data_dir / "imports").iterdir()) == []


def test_an_import_that_meets_a_full_disk_stops_and_says_so(disk_app, small_disk, tmp_path):
    from tests.transfer import takeout
    from webapp.transfer.jobs import Jobs

    archive = takeout.write_zip(tmp_path / "takeout.zip")
    fill(small_disk)
    jobs = Jobs()
    job = jobs.start_import(disk_app, 1, open(archive, "rb"))  # noqa: SIM115 (the job closes it)
    for _ in range(200):
        if job.as_json()["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job.as_json()["status"] == "failed"
    assert job.as_json()["error"].startswith(f"The disk holding {disk_app.config['DATA_DIR']}")
    assert "so the import stopped: make at least" in job.as_json()["error"]


def test_a_migration_the_disk_has_no_room_for_is_not_started(disk_data_dir, disk_settings):
    from tests.test_migrations import build_at, revisions
    from webapp.backups import service
    from webapp.disk import DiskFullStartError

    (disk_data_dir / "kaap.sqlite3").unlink()
    old = revisions()[-2]
    build_at(disk_data_dir, old)
    fill(disk_data_dir.parent)
    with pytest.raises(DiskFullStartError) as raised:
        create_app(disk_settings)
    assert "is full" in str(raised.value) and "migrates the database" in str(raised.value)
    assert service.stored_revision(disk_data_dir / "kaap.sqlite3") == old
    assert left_over(disk_data_dir) == []


def test_a_start_on_a_full_disk_with_no_reserve_to_give_says_so_in_one_sentence(
    disk_app, disk_client, disk_settings, notes, small_disk
):
    from webapp.backups.live import UnreadableDatabaseError

    closed(disk_app)
    (small_disk / "data" / "kaap.reserve").unlink()  # made by a Kaap before the reserve
    fill(small_disk)
    with pytest.raises(UnreadableDatabaseError) as raised:
        create_app(disk_settings)
    message = str(raised.value)
    assert "is full" in message and "could not open the database" in message
    assert "damaged" not in message and "restore" not in message


def test_the_desktop_page_renders_on_a_full_disk_without_its_template_cache(
    disk_settings, disk_data_dir, small_disk
):
    settings = {**disk_settings, "CONFIG": "desktop", "REQUIRE_LAUNCH_TOKEN": False}
    app = create_app(settings)
    try:
        fill(small_disk)
        assert list((disk_data_dir / "cache" / "templates").iterdir()) == []
        assert app.test_client().get("/").status_code == 200
    finally:
        closed(app)


def test_a_first_start_on_a_full_disk_leaves_no_empty_secret_key(small_disk):
    from webapp.disk import DiskFullStartError

    data_dir = small_disk / "data"
    data_dir.mkdir()
    fill(small_disk)
    with pytest.raises(DiskFullStartError, match="could not write its secret key"):
        create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir)})
    assert not (data_dir / "secret_key").exists()


def test_reading_with_an_api_token_works_on_a_full_disk(disk_settings, small_disk):
    app = create_app({**disk_settings, "ACCOUNTS": True})
    try:
        client = app.test_client()
        client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
        account = {"username": "ana", "password": "correct horse battery"}
        assert client.post("/api/auth/register", json=account).status_code == 201
        client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
        secret = client.post("/api/account/tokens", json={"name": "s"}).get_json()["token"]
        fill(small_disk)
        # Noting when the token was last used is a write; the read must not fail for it.
        bearer = {"Authorization": f"Bearer {secret}"}
        assert app.test_client().get("/api/notes", headers=bearer).status_code == 200
    finally:
        closed(app)


def test_reading_works_on_a_full_disk(disk_client, notes, small_disk):
    fill(small_disk)
    image = disk_client.get(f"/api/notes/{notes[5]}").get_json()["images"][0]
    for path in (
        "/",
        "/api/notes",
        "/api/notes?state=trashed",
        "/api/notes?q=n1",
        f"/api/notes/{notes[9]}",
        "/api/labels",
        "/api/drafts",
        "/api/settings",
        "/api/backups",
        image["url"],
        image["thumb_url"],
    ):
        with disk_client.get(path) as response:
            assert response.status_code == 200, path


@pytest.mark.parametrize("reserve", [1024 * 1024, 0])
def test_a_request_due_a_trash_purge_on_a_full_disk_is_answered(
    disk_settings, small_disk, clock, reserve, caplog
):
    app = create_app({**disk_settings, "DISK_RESERVE_BYTES": reserve})
    try:
        client = app.test_client()
        client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
        for i in range(5):
            note = client.post("/api/notes", json={"title": f"t{i}", "body": "x" * 3000})
            client.post(f"/api/notes/{note.get_json()['id']}/trash")
        fill(small_disk)
        clock.advance(days=8)  # past the trash's seven days and the purge interval
        with caplog.at_level(logging.WARNING):
            assert client.get("/api/notes").status_code == 200
        trashed = client.get("/api/notes?state=trashed").get_json()["items"]
        if reserve:  # the purge used the reserve
            assert trashed == []
        else:  # the purge waits, saying so
            assert len(trashed) == 5
            assert "the trash purge waits" in caplog.text
    finally:
        closed(app)


def test_copying_a_note_on_a_disk_too_full_for_its_images_leaves_no_copied_file(
    disk_client, disk_data_dir, small_disk
):
    note = disk_client.post("/api/notes", json={"title": "pictures"}).get_json()
    for name in ("a.png", "b.png"):  # one a request: the test client leaks bodies over 500 KB
        data = {"file": (io.BytesIO(noise_png()), name)}
        assert disk_client.post(f"/api/notes/{note['id']}/images", data=data).status_code == 201
    before = sorted(p.name for p in (disk_data_dir / "images").rglob("*.*"))
    filler = fill(small_disk)
    os.truncate(filler, filler.stat().st_size - 400_000)  # room for one image's copy, not two
    assert_disk_full(disk_client.post(f"/api/notes/{note['id']}/copy"))
    assert sorted(p.name for p in (disk_data_dir / "images").rglob("*.*")) == before
    assert len(disk_client.get("/api/notes").get_json()["items"]) == 1


def test_an_import_whose_images_meet_a_full_disk_stops_rather_than_fail_every_note(
    app, small_disk, tmp_path
):
    from tests.transfer import takeout
    from webapp.images.service import Store
    from webapp.transfer.importer import import_path

    archive = takeout.write_zip(tmp_path / "takeout.zip")
    app.extensions["kaap.images"] = Store(small_disk / "images")  # the rows fit, files do not
    fill(small_disk)
    with app.app_context(), pytest.raises(OSError) as raised:
        from webapp import images
        from webapp.extensions import db

        import_path(db.session, app.extensions["kaap.images"], 1, archive, images.work(app))
    assert raised.value.errno == errno.ENOSPC
    assert [p.name for p in small_disk.rglob("*") if p.is_file()] == ["filler"]


@pytest.mark.parametrize("disk_size", ["40m"])
def test_emptying_a_trash_larger_than_the_reserve_works_on_a_full_disk(
    disk_settings, small_disk, clock
):
    from webapp.extensions import db
    from webapp.notes.service import create_note, trash_note

    # In one transaction the log would need about 7 MB for these 1,500 notes; in batches,
    # about 4.7 MB (the log restarts after each checkpoint): the 6 MB reserve holds that.
    app = create_app({**disk_settings, "DISK_RESERVE_BYTES": 6 * 1024 * 1024})
    try:
        with app.app_context():
            for i in range(1500):
                note = create_note(
                    db.session, 1, {"title": f"n{i}", "body": "word " * 400}, clock()
                )
                trash_note(db.session, 1, note.id, clock())
            db.session.execute(db.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        client = app.test_client()
        client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
        fill(small_disk)
        response = client.delete("/api/trash")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json() == {"deleted": 1500}
    finally:
        closed(app)
