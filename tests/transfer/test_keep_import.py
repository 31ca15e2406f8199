import time
import zipfile

import pytest

from tests.transfer import takeout
from webapp import images
from webapp.extensions import db
from webapp.images.service import Store
from webapp.transfer.importer import import_path


def run_import(app, path):
    with app.app_context():
        store: Store = app.extensions["kaap.images"]
        return import_path(db.session, store, 1, path, images.work(app))


def notes_by_title(client, state="active"):
    items = client.get(f"/api/notes?state={state}&limit=100").get_json()["items"]
    return {note["title"]: note for note in items}


@pytest.fixture
def archive(tmp_path):
    return takeout.write_zip(tmp_path / "takeout.zip")


def test_a_takeout_comes_in_whole(app, client, archive):
    summary = run_import(app, archive)
    active = notes_by_title(client)
    weekly = active["주간회의록"]
    assert weekly["body"] == "회의 내용 정리\n\nKaap: https://example.org/kaap"
    assert (weekly["color"], weekly["pinned"]) == ("yellow", True)
    assert [label["name"] for label in weekly["labels"]] == ["Work"]
    assert weekly["created_at"] == "2021-04-15T23:07:30.144000Z"
    assert weekly["updated_at"] == "2021-04-15T23:07:35.144000Z"
    groceries = active["Groceries"]
    assert groceries["kind"] == "checklist"
    assert [(i["text"], i["checked"]) for i in groceries["items"]] == [
        ("milk", True),
        ("eggs", False),
    ]
    assert "Old" in notes_by_title(client, "archived")
    assert notes_by_title(client, "trashed")["Bin"]["trashed_at"] > "2026"  # the import's time
    assert len(active["Photo"]["images"]) == 1
    assert active[""]["labels"][0]["name"] == "Ideas"  # a label-only note is kept
    labels = {label["name"] for label in client.get("/api/labels").get_json()}
    assert labels == {"Work", "Ideas", "Unused label"}
    assert summary.imported == 6 + 12
    assert {s["file"].rsplit("/", 1)[-1]: s["reason"] for s in summary.skipped} == {
        "Empty.json": "empty note",
        "Other.json": "not a Keep note",
    }
    assert [f["file"].rsplit("/", 1)[-1] for f in summary.failed] == ["Broken.json"]
    reasons = " | ".join(w["reason"] for w in summary.warnings)
    assert "photo.jpeg found as photo.jpg" in reasons
    assert "gone.png is missing" in reasons
    assert "voice.3gp (audio/3gpp) skipped" in reasons


def test_every_keep_colour_maps_to_the_palette(app, client, archive):
    run_import(app, archive)
    colours = {n["title"]: n["color"] for n in notes_by_title(client).values()}
    assert colours["Cerulean"] == "darkblue"
    assert {colours[c.title()] for c in takeout.COLORS} == {
        "default",
        "red",
        "orange",
        "yellow",
        "green",
        "teal",
        "blue",
        "darkblue",
        "purple",
        "pink",
        "brown",
        "gray",
    }


def test_an_unpacked_folder_works_too(app, client, tmp_path):
    summary = run_import(app, takeout.write_folder(tmp_path / "unpacked"))
    assert summary.imported == 18


def test_importing_twice_creates_no_duplicates(app, client, archive):
    run_import(app, archive)
    again = run_import(app, archive)
    assert again.imported == 0
    assert sum(s["reason"] == "already imported" for s in again.skipped) == 18
    assert len(client.get("/api/notes?limit=100").get_json()["items"]) == 16


def test_hostile_entries_are_refused_one_by_one(app, client, tmp_path):
    bomb = b"\0" * (3 * 1024 * 1024)
    path = takeout.write_zip(
        tmp_path / "hostile.zip",
        {
            "../evil.json": b'{"title": "escaped"}',
            "/abs/evil.json": b'{"title": "absolute"}',
            "Takeout/Keep/bomb.json": bomb,
        },
    )
    takeout.add_symlink(path, "Takeout/Keep/link.json", "/etc/passwd")
    summary = run_import(app, path)
    refused = {s["file"]: s["reason"] for s in summary.skipped if s["reason"].startswith("refused")}
    assert set(refused) == {
        "../evil.json",
        "/abs/evil.json",
        "Takeout/Keep/bomb.json",
        "Takeout/Keep/link.json",
    }
    assert summary.imported == 18
    assert not (tmp_path.parent / "evil.json").exists()
    titles = notes_by_title(client)
    assert "escaped" not in titles and "absolute" not in titles


def test_a_file_that_is_not_an_archive_is_one_clear_failure(app, tmp_path):
    path = tmp_path / "notes.zip"
    path.write_bytes(b"this is not a zip")
    summary = run_import(app, path)
    assert summary.imported == 0
    assert summary.failed == [
        {"file": "notes.zip", "reason": "This file is not a zip archive or a folder."}
    ]


def test_an_archive_without_notes_says_so(app, tmp_path):
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "no Keep notes found" in run_import(app, path).failed[0]["reason"]


def test_import_through_the_api_runs_in_the_background(client, archive):
    with open(archive, "rb") as fh:
        response = client.post(
            "/api/imports", data={"file": (fh, "takeout.zip")}, content_type="multipart/form-data"
        )
    assert response.status_code == 202
    job = response.get_json()
    location = response.headers["Location"]
    for _ in range(200):
        job = client.get(location).get_json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "done", job
    assert job["done"] == job["total"] > 0
    assert job["summary"]["imported"] == 18
    assert client.get("/api/imports/nope").status_code == 404
    assert (
        client.post("/api/imports", data={}, content_type="multipart/form-data").status_code == 400
    )


def test_import_keep_command(app, runner, archive):
    result = runner.invoke(args=["import-keep", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Imported 18, skipped 2, failed 1" in result.output
    assert "Failed: Takeout/Google Notizen/Broken.json: not valid JSON" in result.output


def test_the_same_note_twice_in_one_archive_is_imported_once(app, client, tmp_path):
    note = b'{"title": "twice", "textContent": "x", "createdTimestampUsec": 5}'
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Takeout/Keep/a.json", note)
        archive.writestr("Takeout/Keep (1)/a.json", note)
    summary = run_import(app, path)
    assert summary.imported == 1
    assert "already imported" in summary.skipped[0]["reason"]


def test_half_an_emoji_is_replaced_not_a_lost_note(app, client, tmp_path):
    # JSON may hold a lone surrogate escape (an emoji cut in two); SQLite cannot store it.
    path = tmp_path / "halves.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "Takeout/Keep/a.json",
            b'{"title": "cut \\ud83d", "textContent": "x", "createdTimestampUsec": 5,'
            b' "labels": [{"name": "l\\udc00"}],'
            b' "listContent": [{"text": "\\ud800\\ud800", "isChecked": false}]}',
        )
    summary = run_import(app, path)
    assert summary.imported == 1 and summary.failed == []
    assert "4 characters were not valid Unicode" in summary.warnings[0]["reason"]
    note = notes_by_title(client)["cut \N{REPLACEMENT CHARACTER}"]
    assert note["items"][0]["text"] == "\N{REPLACEMENT CHARACTER}" * 2
    assert note["labels"][0]["name"] == "l\N{REPLACEMENT CHARACTER}"
