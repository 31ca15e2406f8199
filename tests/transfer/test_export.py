import io
import json
import zipfile

import pytest

from tests.images.test_images import png, upload
from webapp import create_app
from webapp.db.sqlite import backup_sqlite
from webapp.extensions import db
from webapp.timeutil import isoformat, utcnow


@pytest.fixture
def filled(client, make_note, make_label, clock):
    work, home = make_label("Work"), make_label("집")
    a = make_note(
        title="Plan",
        body="회의 at 10\nline two",
        color="teal",
        pinned=True,
        label_ids=[work["id"], home["id"]],
    )
    upload(client, a["id"], png((64, 32)), png((10, 10)))
    make_note(
        title="List",
        kind="checklist",
        items=[{"text": "milk", "checked": True}, {"text": "eggs"}],
        archived=True,
    )
    gone = make_note(title="Bin", body="trashed")
    client.post(f"/api/notes/{gone['id']}/trash")
    client.patch(f"/api/notes/{a['id']}", json={"body": "edited 🎉"})
    return a


def download(client) -> zipfile.ZipFile:
    response = client.get("/api/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    response.close()
    return zipfile.ZipFile(io.BytesIO(data))


def test_export_holds_json_markdown_and_images(client, filled):
    archive = download(client)
    names = archive.namelist()
    index = json.loads(archive.read("kaap.json"))
    assert (index["format"], index["version"]) == ("kaap-export", 1)
    assert [label["name"] for label in index["labels"]] == ["Work", "집"]
    assert len(index["notes"]) == 3
    plan = next(n for n in index["notes"] if n["title"] == "Plan")
    assert [i["file"] for i in plan["images"]] == [n for n in names if n.startswith("images/")][:2]
    markdown = archive.read(next(n for n in names if n.endswith("-plan.md"))).decode()
    assert markdown.startswith('---\ntitle: "Plan"\nlabels: ["Work", "집"]\ncolor: "teal"\n')
    assert "pinned: true" in markdown and "edited 🎉" in markdown
    checklist = archive.read(next(n for n in names if n.endswith("-list.md"))).decode()
    assert "- [x] milk\n- [ ] eggs" in checklist


def label_names(client):
    return sorted(label["name"] for label in client.get("/api/labels").get_json())


def comparable(client):
    out = []
    for state in ("active", "archived", "trashed"):
        for note in client.get(f"/api/notes?state={state}&limit=100").get_json()["items"]:
            # trashed_at is the import's time (the trash period starts again): checked apart.
            # position: the import hands out its own keys, in the same order (checked apart).
            drop = ("id", "matches", "trashed_at", "position")
            note = {k: v for k, v in note.items() if k not in drop}
            note["trashed"] = state == "trashed"
            note["labels"] = [label["name"] for label in note["labels"]]
            note["images"] = [(i["width"], i["height"], i["content_type"]) for i in note["images"]]
            out.append(note)
    return sorted(out, key=lambda n: n["created_at"])


def test_kaap_imports_its_own_export_losslessly(client, filled, tmp_path, migrated_db):
    (tmp_path / "export.zip").write_bytes(download(client).fp.getvalue())
    other = tmp_path / "other"
    other.mkdir()
    backup_sqlite(migrated_db, other / "kaap.sqlite3")
    fresh = create_app({"CONFIG": "testing", "DATA_DIR": str(other)})
    fresh_client = fresh.test_client()
    fresh_client.environ_base["HTTP_X_CSRFTOKEN"] = fresh_client.get("/api/csrf").get_json()[
        "csrf_token"
    ]
    before = utcnow()
    result = fresh.test_cli_runner().invoke(args=["import-keep", str(tmp_path / "export.zip")])
    assert "Imported 3, skipped 0, failed 0, warnings 0." in result.output, result.output
    assert comparable(fresh_client) == comparable(client)
    trashed = fresh_client.get("/api/notes?state=trashed").get_json()["items"]
    assert [isoformat(before) <= n["trashed_at"] <= isoformat(utcnow()) for n in trashed] == [True]
    assert label_names(fresh_client) == label_names(client)
    again = fresh.test_cli_runner().invoke(args=["import-keep", str(tmp_path / "export.zip")])
    assert "Imported 0, skipped 3" in again.output
    with fresh.app_context():
        db.engine.dispose()


def test_export_command(runner, filled, tmp_path):
    result = runner.invoke(args=["export", str(tmp_path / "out.zip")])
    assert "Exported 3 note(s)" in result.output
    assert "kaap.json" in zipfile.ZipFile(tmp_path / "out.zip").namelist()


class FakeDialogs:
    native = True

    def __init__(self, answer):
        self.answer, self.asked = answer, []

    def ask_save_path(self, suggested_name, file_types=()):
        self.asked.append(suggested_name)
        return self.answer


def test_desktop_export_saves_where_the_person_chose(app, client, filled, tmp_path):
    app.extensions["kaap.dialogs"] = FakeDialogs(str(tmp_path / "chosen.zip"))
    response = client.post("/api/export/save")
    assert response.get_json() == {"saved": str(tmp_path / "chosen.zip")}
    assert app.extensions["kaap.dialogs"].asked[0].startswith("kaap-export-")
    assert "kaap.json" in zipfile.ZipFile(tmp_path / "chosen.zip").namelist()


def test_desktop_export_cancelled_writes_nothing(app, client, filled):
    app.extensions["kaap.dialogs"] = FakeDialogs(None)
    assert client.post("/api/export/save").get_json() == {"saved": None}


def test_without_a_native_window_saving_is_409(client):
    response = client.post("/api/export/save")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "no_native_dialog"


def test_an_import_keeps_the_order_the_notes_were_exported_in(
    client, make_note, tmp_path, migrated_db
):
    a, b, c, d = (make_note(title=name) for name in "abcd")  # shown d c b a
    client.post(f"/api/notes/{b['id']}/move", json={"before": d["id"]})  # b d c a
    client.post(f"/api/notes/{d['id']}/move", json={"after": a["id"]})  # b c a d
    client.patch(f"/api/notes/{c['id']}", json={"body": "edited last"})  # not by last edit
    (tmp_path / "export.zip").write_bytes(download(client).fp.getvalue())
    other = tmp_path / "other"
    other.mkdir()
    backup_sqlite(migrated_db, other / "kaap.sqlite3")
    fresh = create_app({"CONFIG": "testing", "DATA_DIR": str(other)})
    result = fresh.test_cli_runner().invoke(args=["import-keep", str(tmp_path / "export.zip")])
    assert "Imported 4" in result.output, result.output
    titles = [n["title"] for n in fresh.test_client().get("/api/notes").get_json()["items"]]
    assert titles == ["b", "c", "a", "d"]
    with fresh.app_context():
        db.engine.dispose()
