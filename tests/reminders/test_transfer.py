import json

from tests.transfer.test_export import download
from webapp import create_app
from webapp.db.sqlite import backup_sqlite
from webapp.extensions import db
from webapp.reminders import service as reminders

AMS = "Europe/Amsterdam"


def test_export_and_import_carry_reminders(client, make_note, clock, tmp_path, migrated_db):
    make_note(title="weekly", reminder={"at": "2026-01-06T09:00", "zone": AMS, "repeat": "weekly"})
    make_note(title="once", reminder={"at": "2026-01-05T11:00", "zone": AMS})
    done = make_note(title="done", reminder={"at": "2026-01-07T09:00", "zone": AMS})
    client.post(f"/api/notes/{done['id']}/reminder/done")
    make_note(title="none")
    archive = download(client)
    index = json.loads(archive.read("kaap.json"))
    by_title = {n["title"]: n["reminder"] for n in index["notes"]}
    assert by_title["weekly"] == {"at": "2026-01-06T08:00:00.000000Z", "zone": AMS,
                                  "repeat": "weekly", "done": False, "local": "2026-01-06T09:00"}  # fmt: skip
    assert by_title["done"]["done"] is True and by_title["none"] is None

    (tmp_path / "export.zip").write_bytes(archive.fp.getvalue())
    other = tmp_path / "other"
    other.mkdir()
    backup_sqlite(migrated_db, other / "kaap.sqlite3")
    fresh = create_app({"CONFIG": "testing", "DATA_DIR": str(other), "CLOCK": clock})
    result = fresh.test_cli_runner().invoke(args=["import-keep", str(tmp_path / "export.zip")])
    assert "Imported 4, skipped 0, failed 0, warnings 0." in result.output, result.output
    listed = fresh.test_client().get("/api/reminders?state=all").get_json()["items"]
    mine = client.get("/api/reminders?state=all").get_json()["items"]
    assert [(n["title"], n["reminder"]) for n in listed] == [
        (n["title"], n["reminder"]) for n in mine
    ]
    with fresh.app_context():
        db.engine.dispose()


def test_a_reminder_passed_before_the_import_is_not_notified(
    client, make_note, clock, tmp_path, migrated_db
):
    make_note(title="once", reminder={"at": "2026-01-05T11:00", "zone": AMS})
    make_note(title="daily", reminder={"at": "2026-01-05T11:00", "zone": AMS, "repeat": "daily"})
    (tmp_path / "export.zip").write_bytes(download(client).fp.getvalue())
    clock.advance(days=3)  # imported three days later: both times have passed
    other = tmp_path / "other"
    other.mkdir()
    backup_sqlite(migrated_db, other / "kaap.sqlite3")
    fresh = create_app({"CONFIG": "testing", "DATA_DIR": str(other), "CLOCK": clock})
    fresh.test_cli_runner().invoke(args=["import-keep", str(tmp_path / "export.zip")])
    with fresh.app_context():
        now = clock()
        assert reminders.due(db.session, 1, now) == []
        listed = fresh.test_client().get("/api/reminders").get_json()["items"]
        assert {n["title"]: n["reminder"]["local"] for n in listed} == {
            "once": "2026-01-05T11:00",
            "daily": "2026-01-08T11:00",  # 10:00 there now
        }
        db.engine.dispose()


def test_a_bad_reminder_in_an_export_is_a_warning(tmp_path, app, client):
    import zipfile

    index = {"format": "kaap-export", "version": 1, "labels": [], "notes": [
        {"uid": "u-1", "title": "x", "reminder": {"at": "2030-01-01T09:00", "zone": "Nowhere"}},
    ]}  # fmt: skip
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("kaap.json", json.dumps(index))
    result = app.test_cli_runner().invoke(args=["import-keep", str(path)])
    assert "Imported 1" in result.output and "warnings 1" in result.output, result.output
    (note,) = client.get("/api/notes").get_json()["items"]
    assert note["reminder"] is None
