"""Backups: daily at start-up, on demand, pruned, listed, restored, and a damaged database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import click
import pytest

from tests.conftest import error_code
from tests.test_migrations import build_at, revisions
from webapp import ConfigError, create_app
from webapp.backups import service
from webapp.backups.live import CorruptDatabaseError
from webapp.db.migrate import current_revision, head_revision
from webapp.db.sqlite import backup_sqlite
from webapp.extensions import db
from webapp.serve import main as serve_main


def start(data_dir: Path, clock, **config):
    """A new app on ``data_dir``, as a restart would make it; its pool is closed again."""
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock, **config})
    with app.app_context():
        db.engine.dispose()
    return app


def names(data_dir: Path, kind: str = "") -> list[str]:
    directory = data_dir / "backups"
    found = sorted(p.name for p in directory.glob(f"{kind}*.sqlite3")) if directory.exists() else []
    return found


def integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def titles(client) -> list[str]:
    return sorted(n["title"] for n in client.get("/api/notes?limit=100").get_json()["items"])


def test_a_database_without_notes_gets_no_daily_backup(app, data_dir):
    assert names(data_dir) == []


def test_daily_backup_at_start_up_only_when_the_newest_is_a_day_old(data_dir, clock, make_note):
    make_note(title="keep me")
    start(data_dir, clock)
    assert len(names(data_dir, "daily-")) == 1
    clock.advance(hours=23)
    start(data_dir, clock)
    assert len(names(data_dir, "daily-")) == 1
    clock.advance(hours=2)
    start(data_dir, clock)
    assert len(names(data_dir, "daily-")) == 2


def test_a_recent_manual_backup_counts_as_the_daily_one(client, data_dir, clock, make_note):
    make_note()
    assert client.post("/api/backups").status_code == 201
    clock.advance(hours=12)
    start(data_dir, clock)
    assert names(data_dir, "daily-") == []


def test_create_through_the_api(client, data_dir, make_note):
    make_note(title="saved")
    response = client.post("/api/backups")
    assert response.status_code == 201
    body = response.get_json()
    assert body["kind"] == "manual"
    assert body["name"].startswith("manual-20260105T09") and body["size"] > 0
    path = data_dir / "backups" / body["name"]
    assert integrity(path) == "ok"
    assert not list((data_dir / "backups").glob("*-wal")), "a backup is one file"
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT title FROM notes").fetchall() == [("saved",)]


def test_create_and_list_through_the_cli(runner, data_dir):
    result = runner.invoke(args=["backups", "create"])
    assert result.exit_code == 0, result.output
    (name,) = names(data_dir)
    listed = runner.invoke(args=["backups", "list"])
    assert name in listed.output and "manual" in listed.output


def test_list_is_newest_first_with_name_kind_time_and_size(client, clock):
    first = client.post("/api/backups").get_json()
    clock.advance(minutes=5)
    second = client.post("/api/backups").get_json()
    items = client.get("/api/backups").get_json()["items"]
    assert [i["name"] for i in items] == [second["name"], first["name"]]
    assert set(items[0]) == {"name", "kind", "created_at", "size"}
    assert items[0]["created_at"].endswith("Z")


def test_only_backup_keep_of_each_kind_are_kept(data_dir, clock):
    app = start(data_dir, clock, BACKUP_KEEP=3)
    with app.test_request_context():
        from webapp.backups import live as backups

        made = [backups.create(app).name for _ in range(5)]
        backups.create(app, "daily")
    assert names(data_dir, "manual-") == made[2:]
    assert len(names(data_dir, "daily-")) == 1


def test_restore_round_trip(client, data_dir, make_note):
    changed = make_note(title="before")
    gone = make_note(title="deleted later")
    backup = client.post("/api/backups").get_json()["name"]
    client.patch(f"/api/notes/{changed['id']}", json={"title": "after"})
    client.post(f"/api/notes/{gone['id']}/trash")
    client.delete(f"/api/notes/{gone['id']}")
    make_note(title="new since")

    response = client.post(f"/api/backups/{backup}/restore")
    assert response.status_code == 200, response.get_json()
    assert titles(client) == ["before", "deleted later"]
    previous = response.get_json()["previous"]
    assert previous.startswith("pre-restore-") and previous in names(data_dir)
    with closing(sqlite3.connect(data_dir / "backups" / previous)) as conn:
        kept = sorted(
            t for (t,) in conn.execute("SELECT title FROM notes WHERE trashed_at IS NULL")
        )
    assert kept == ["after", "new since"]
    assert make_note(title="writes still work")["title"] == "writes still work"


def test_a_live_database_that_cannot_be_read_is_not_moved_aside_by_a_restore(
    client, data_dir, make_note, monkeypatch
):
    make_note(title="kept")
    backup = client.post("/api/backups").get_json()["name"]

    def unreadable(path, cancelled=None):
        raise sqlite3.OperationalError("disk I/O error")  # no word on the file's content

    monkeypatch.setattr(service, "problem", unreadable)
    response = client.post(f"/api/backups/{backup}/restore")
    assert response.status_code == 409 and error_code(response) == "unreadable"
    assert "could not be read" in response.get_json()["error"]["message"]
    assert not list(data_dir.glob("kaap.sqlite3.corrupt-*"))
    assert titles(client) == ["kept"]


def test_restore_through_the_cli(client, runner, data_dir, make_note):
    make_note(title="old")
    backup = client.post("/api/backups").get_json()["name"]
    make_note(title="newer")
    result = runner.invoke(args=["backups", "restore", backup])
    assert result.exit_code == 0, result.output
    assert titles(client) == ["old"]
    assert len(names(data_dir, "pre-restore-")) == 1


def test_an_older_backup_is_migrated_after_restoring(client, app, data_dir, tmp_path_factory):
    old = build_at(tmp_path_factory.mktemp("old"), revisions()[0])
    backup_sqlite(old, data_dir / "backups" / "manual-20250101T000000000000Z.sqlite3")
    response = client.post("/api/backups/manual-20250101T000000000000Z.sqlite3/restore")
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        assert current_revision(db.engine) == head_revision()
    assert titles(client) == ["회의"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a database at all" * 100, "not a usable database"),
        ("plain sqlite", "not a Kaap database"),
    ],
)
def test_restore_refuses_a_bad_backup(client, data_dir, make_note, content, message):
    make_note(title="still here")
    name = "manual-20250101T000000000000Z.sqlite3"
    path = data_dir / "backups" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("CREATE TABLE t (x)")
    response = client.post(f"/api/backups/{name}/restore")
    assert response.status_code == 400
    assert error_code(response) == "bad_backup"
    assert message in response.get_json()["error"]["message"]
    assert titles(client) == ["still here"]
    assert names(data_dir, "pre-restore-") == []


@pytest.mark.parametrize(
    "name",
    [
        "nothing-here.sqlite3",
        "kaap.sqlite3",
        "..%2Fkaap.sqlite3",
        "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "..",
        ".manual-20260105T090000000000Z.sqlite3.part",
    ],
)
def test_restore_finds_only_listed_backups(client, data_dir, name):
    (data_dir / "backups").mkdir(exist_ok=True)
    (data_dir / "backups" / ".manual-20260105T090000000000Z.sqlite3.part").write_bytes(b"")
    response = client.post(f"/api/backups/{name}/restore")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_restore_needs_the_csrf_token(app, client):
    name = client.post("/api/backups").get_json()["name"]
    response = app.test_client().post(f"/api/backups/{name}/restore")
    assert response.status_code == 400
    assert error_code(response) == "csrf"


def test_a_backup_taken_while_notes_are_written_is_sound(app, client, data_dir, clock):
    stop = threading.Event()
    written = []

    def write():
        writer = app.test_client()
        writer.environ_base["HTTP_X_CSRFTOKEN"] = writer.get("/api/csrf").get_json()["csrf_token"]
        while not stop.is_set():
            response = writer.post("/api/notes", json={"title": f"n{len(written)}"})
            assert response.status_code == 201
            written.append(response.get_json()["id"])

    thread = threading.Thread(target=write)
    thread.start()
    try:
        made = []
        deadline = time.monotonic() + 10
        while len(made) < 3 and thread.is_alive() and time.monotonic() < deadline:
            if len(written) > 20 * (len(made) + 1):
                made.append(client.post("/api/backups").get_json()["name"])
            time.sleep(0.001)
    finally:
        stop.set()
        thread.join()
    assert len(made) == 3
    for name in made:
        assert integrity(data_dir / "backups" / name) == "ok"
    response = client.post(f"/api/backups/{made[-1]}/restore")
    assert response.status_code == 200
    assert 40 < len(titles(client)) < len(written)


def damage(path: Path, how: str) -> None:
    if how == "garbage":
        path.write_bytes(os.urandom(8192))
    elif how == "truncated":
        os.truncate(path, path.stat().st_size // 2)
    else:
        os.truncate(path, 0)


@pytest.fixture
def damaged(app, client, data_dir, make_note, request):
    """A data dir with a good backup whose database file has then been damaged."""
    for i in range(40):
        make_note(title=f"note {i}", body="text " * 200)
    good = client.post("/api/backups").get_json()["name"]
    with app.app_context():
        db.engine.dispose()
    path = data_dir / "kaap.sqlite3"
    assert not path.with_name("kaap.sqlite3-wal").exists()
    damage(path, request.param)
    return path, good


@pytest.mark.parametrize("damaged", ["garbage", "truncated", "empty"], indirect=True)
def test_start_up_on_a_damaged_database_names_a_good_backup(damaged, data_dir, clock):
    path, good = damaged
    before = path.read_bytes()
    with pytest.raises(CorruptDatabaseError) as raised:
        start(data_dir, clock)
    message = str(raised.value)
    assert isinstance(raised.value, ConfigError)
    assert str(path) in message and "damaged" in message
    assert f"flask --app webapp backups restore {good}" in message
    assert path.read_bytes() == before
    # Nothing renamed or added but the empty -wal and -shm of a read-only open.
    assert {p.name for p in data_dir.glob("kaap.sqlite3*")} <= {
        "kaap.sqlite3",
        "kaap.sqlite3-wal",
        "kaap.sqlite3-shm",
    }


@pytest.mark.parametrize("damaged", ["garbage"], indirect=True)
def test_serve_prints_one_sentence_and_exits_2(damaged, data_dir, monkeypatch, capsys):
    monkeypatch.setenv("KAAP_CONFIG", "testing")
    monkeypatch.setenv("KAAP_DATA_DIR", str(data_dir))
    assert serve_main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kaap: The database") and err.count("\n") == 1
    assert f"backups restore {damaged[1]}" in err


@pytest.mark.parametrize("damaged", ["garbage"], indirect=True)
def test_the_restore_command_works_on_a_damaged_database(damaged, data_dir, clock):
    path, good = damaged
    before = path.read_bytes()
    flask = Path(sys.executable).with_name("flask")
    env = {**os.environ, "KAAP_CONFIG": "testing", "KAAP_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [flask, "--app", "webapp", "backups", "restore", good],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (aside,) = data_dir.glob("kaap.sqlite3.corrupt-*")
    assert aside.read_bytes() == before
    app = start(data_dir, clock)
    with app.test_client() as client:
        assert len(client.get("/api/notes?limit=100").get_json()["items"]) == 40


@pytest.mark.parametrize("damaged", ["garbage"], indirect=True)
def test_under_the_flask_command_a_damaged_database_answers_503_until_restored(
    damaged, data_dir, clock
):
    _, good = damaged
    with click.Context(click.Command("backups")):
        app = start(data_dir, clock)
    client = app.test_client()
    response = client.get("/api/notes")
    assert response.status_code == 503
    assert error_code(response) == "database_damaged"
    assert good in response.get_json()["error"]["message"]
    assert client.get("/").status_code == 503
    result = app.test_cli_runner().invoke(args=["backups", "restore", good])
    assert result.exit_code == 0, result.output
    assert "corrupt-" in result.output
    assert len(client.get("/api/notes?limit=100").get_json()["items"]) == 40


def test_other_databases_are_not_backed_up(tmp_path, clock, caplog):
    caplog.set_level("INFO", logger="webapp.backups")
    app = create_app(
        {
            "CONFIG": "testing",
            "DATA_DIR": str(tmp_path),
            "CLOCK": clock,
            "DATABASE_URL": "sqlite://",
        }
    )
    assert "not a SQLite file" in caplog.text
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    response = client.post("/api/backups")
    assert response.status_code == 409
    assert error_code(response) == "not_sqlite"
