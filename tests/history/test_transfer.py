"""A Kaap export carries history when asked (off by default); the import takes it back."""

from __future__ import annotations

import io
import json
import zipfile

from tests.accounts.world import upload_form, wait_for_job
from tests.images.samples import png
from webapp import create_app
from webapp.db.sqlite import backup_sqlite


def export_index(client, **params) -> dict:
    response = client.get("/api/export", query_string=params)
    assert response.status_code == 200
    data = response.get_data()
    response.close()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read("kaap.json")), data


def _noted(client, clock):
    note = client.post("/api/notes", json={"title": "Plan", "body": "first"}).get_json()
    client.post(f"/api/notes/{note['id']}/images", **upload_form(png()))
    clock.advance(minutes=10)
    client.patch(f"/api/notes/{note['id']}", json={"body": "second"})
    return note


def test_an_export_has_no_history_unless_asked(client, clock):
    _noted(client, clock)
    index, _ = export_index(client)
    assert "history" not in index["notes"][0]
    assert client.get("/api/export?history=maybe").status_code == 400


def test_history_goes_out_with_the_export_and_comes_back(client, clock, tmp_path, migrated_db):
    _noted(client, clock)
    index, data = export_index(client, history="true")
    history = index["notes"][0]["history"]
    assert [(v["number"], v["body"]) for v in history] == [(1, "first"), (2, "second")]
    assert history[0]["images"][0]["file"] == index["notes"][0]["images"][0]["file"]

    other = tmp_path / "other"
    other.mkdir()
    backup_sqlite(migrated_db, other / "kaap.sqlite3")
    fresh = create_app({"CONFIG": "testing", "DATA_DIR": str(other)})
    fresh_client = fresh.test_client()
    token = fresh_client.get("/api/csrf").get_json()["csrf_token"]
    fresh_client.environ_base["HTTP_X_CSRFTOKEN"] = token
    job = fresh_client.post("/api/imports", **upload_form(data, "export.zip")).get_json()
    assert wait_for_job(fresh_client, job["id"])["status"] == "done"
    (imported,) = fresh_client.get("/api/notes").get_json()["items"]
    listed = fresh_client.get(f"/api/notes/{imported['id']}/versions").get_json()["versions"]
    assert [(v["number"], v["first_line"]) for v in listed] == [(2, "second"), (1, "first")]
    old = fresh_client.get(f"/api/notes/{imported['id']}/versions/1").get_json()["note"]
    assert old["body"] == "first" and len(old["images"]) == 1
    restored = fresh_client.post(f"/api/notes/{imported['id']}/versions/1/restore")
    assert restored.get_json()["body"] == "first"
    with fresh.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def test_flask_export_takes_the_history_when_asked(app, client, clock, tmp_path):
    _noted(client, clock)
    runner = app.test_cli_runner()
    for flags, expected in (([], None), (["--history"], [1, 2])):
        path = tmp_path / f"export{len(flags)}.zip"
        result = runner.invoke(args=["export", *flags, str(path)])
        assert result.exit_code == 0, result.output
        with zipfile.ZipFile(path) as archive:
            (note,) = json.loads(archive.read("kaap.json"))["notes"]
        versions = [v["number"] for v in note["history"]] if "history" in note else None
        assert versions == expected
    assert "with their history" in result.output
