"""DEFER_HOUSEKEEPING (the desktop): start-up glances at the database; reading every page,
the daily backup and the trash purge wait for ``maintenance.after_start``."""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from tests.backups.test_backups import damage, names
from tests.conftest import error_code
from tests.test_migrations import build_at, revisions
from webapp import create_app
from webapp.backups import service
from webapp.backups.live import CorruptDatabaseError, create
from webapp.extensions import db
from webapp.maintenance import after_start
from webapp.models import Note
from webapp.notes.service import create_note, trash_note
from webapp.search.index import register_functions


def desktop_app(data_dir: Path, clock):
    settings = {"CONFIG": "desktop", "DATA_DIR": str(data_dir), "CLOCK": clock}
    return create_app({**settings, "REQUIRE_LAUNCH_TOKEN": False})


def closed(app) -> None:
    with app.app_context():
        db.engine.dispose()


def damage_inside(path: Path) -> None:
    """Zero the page of a note: the header and schema stay readable, some notes are lost."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (uid,) = conn.execute("SELECT uid FROM notes ORDER BY id LIMIT 1 OFFSET 30").fetchone()
    offset = path.read_bytes().index(uid.encode())
    with path.open("r+b") as fh:
        fh.seek(offset // 4096 * 4096)
        fh.write(bytes(4096))
    assert service.first_problem(path) is None
    assert service.problem(path) is not None


@pytest.fixture
def filled(data_dir, clock):
    """A desktop data dir with 60 notes and a good backup; returns the database and backup."""
    app = desktop_app(data_dir, clock)
    with app.app_context():
        for i in range(60):
            create_note(db.session, 1, {"title": f"note {i}", "body": "text " * 200}, clock())
        good = create(app, "manual").name
    closed(app)
    return data_dir / "kaap.sqlite3", good


def test_damage_inside_the_file_is_found_after_start_then_refused(filled, data_dir, clock):
    path, good = filled
    damage_inside(path)
    app = desktop_app(data_dir, clock)
    client = app.test_client()
    assert client.get("/api/csrf").status_code == 200
    message = after_start(app, threading.Event())
    assert str(path) in message and "damaged" in message and good in message
    response = client.get("/api/notes")
    assert response.status_code == 503
    assert error_code(response) == "database_damaged"
    assert client.get("/").status_code == 503
    assert names(data_dir, "daily-") == []  # a damaged file is not backed up
    closed(app)


def test_a_request_that_meets_the_damage_first_is_a_503_that_says_what_to_do(
    filled, data_dir, clock
):
    # The window shows before the full check has read every page: a list that reaches the
    # damaged page must say what is wrong, not answer 500, and every request after it too.
    path, good = filled
    garble_a_note(path)
    assert service.first_problem(path) is None  # the glance before the window sees nothing
    app = desktop_app(data_dir, clock)
    client = app.test_client()
    response = client.get("/api/notes?limit=100")
    assert response.status_code == 503
    assert error_code(response) == "database_damaged"
    message = response.get_json()["error"]["message"]
    assert "damaged" in message and good in message and "--restore-backup" in message
    assert client.get("/api/labels").status_code == 503
    page = client.get("/")
    assert page.status_code == 503 and good in page.get_data(as_text=True)
    closed(app)


def test_a_server_whose_file_breaks_while_running_answers_503_from_then_on(filled, data_dir, clock):
    path, good = filled
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock})
    client = app.test_client()
    assert client.get("/api/notes").status_code == 200
    closed(app)  # the pool's connections would keep reading pages they already hold
    garble_a_note(path)
    response = client.get("/api/notes?limit=100")
    assert response.status_code == 503
    assert error_code(response) == "database_damaged"
    assert f"backups restore {good}" in response.get_json()["error"]["message"]
    assert client.get("/api/csrf").status_code == 503  # refused before it reads anything
    closed(app)


def garble_a_note(path: Path) -> None:
    """Overwrite the page holding a row of the notes table: reading it is SQLITE_CORRUPT."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    offset = path.read_bytes().index(b"note 30")
    with path.open("r+b") as fh:
        fh.seek(offset // 4096 * 4096)
        fh.write(b"\xff" * 4096)


@pytest.mark.parametrize("how", ["garbage", "truncated", "empty"])
def test_a_glance_still_stops_start_up_on_a_damaged_file(filled, data_dir, clock, how):
    path, good = filled
    damage(path, how)
    with pytest.raises(CorruptDatabaseError, match=f"--restore-backup {good}"):
        desktop_app(data_dir, clock)


def test_the_daily_backup_and_the_trash_purge_wait_for_after_start(filled, data_dir, clock):
    app = desktop_app(data_dir, clock)
    with app.app_context():
        trash_note(db.session, 1, 1, clock())
    clock.advance(days=8)
    app = desktop_app(data_dir, clock)
    with app.app_context():
        assert db.session.get(Note, 1) is not None
    assert app.test_client().get("/api/csrf").status_code == 200  # no purge on a request
    with app.app_context():
        assert db.session.get(Note, 1) is not None
    assert names(data_dir, "daily-") == []
    assert after_start(app, threading.Event()) is None
    assert len(names(data_dir, "daily-")) == 1
    with app.app_context():
        assert db.session.get(Note, 1) is None
    closed(app)


def test_a_cancelled_after_start_does_nothing(filled, data_dir, clock):
    app = desktop_app(data_dir, clock)
    cancelled = threading.Event()
    cancelled.set()
    assert after_start(app, cancelled) is None
    assert names(data_dir, "daily-") == []
    closed(app)


def test_every_page_is_read_before_a_migration_writes(tmp_path, clock):
    old = revisions()[-2]
    path = build_at(tmp_path, old)
    with closing(sqlite3.connect(path)) as conn, conn:
        register_functions(conn)
        for i in range(60):
            conn.execute(
                "INSERT INTO notes (owner_id, uid, title, body, kind, color, pinned, archived, "
                "created_at, updated_at, version, search_text) VALUES (1, ?, ?, ?, 'text', "
                "'default', 0, 0, '2025-01-04 00:00:00.000000', '2025-01-04 00:00:00.000000', "
                "1, ?)",
                (os.urandom(16).hex(), f"n{i}", "text " * 200, "text " * 200),
            )
    damage_inside(path)
    with pytest.raises(CorruptDatabaseError):
        desktop_app(tmp_path, clock)
    assert service.stored_revision(path) == old  # not migrated
