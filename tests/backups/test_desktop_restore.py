"""The desktop app's way back from a damaged database: ``Kaap --restore-backup NAME``."""

import os
import subprocess
import sys

import pytest

from webapp import create_app
from webapp.backups.live import CorruptDatabaseError, create
from webapp.extensions import db
from webapp.notes import queries, service
from webapp.timeutil import utcnow


@pytest.fixture
def damaged(tmp_path):
    """A desktop data directory with a good backup of one note, then a damaged database."""
    app = create_app({"CONFIG": "desktop", "DATA_DIR": str(tmp_path)})
    with app.app_context():
        service.create_note(db.session, 1, {"title": "precious"}, utcnow())
        name = create(app, "manual").name
        db.engine.dispose()
    (tmp_path / "kaap.sqlite3").write_bytes(os.urandom(4096))
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"kaap.sqlite3{suffix}").unlink(missing_ok=True)
    return tmp_path, name


def desktop(*args):
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DISPLAY": ""},
    )


def test_the_message_offers_the_desktop_command(damaged):
    data_dir, name = damaged
    with pytest.raises(CorruptDatabaseError, match=f"--restore-backup {name}"):
        create_app({"CONFIG": "desktop", "DATA_DIR": str(data_dir)})


def test_restore_backup_brings_the_notes_back_without_a_window(damaged):
    data_dir, name = damaged
    result = desktop("--data-dir", str(data_dir), "--restore-backup", name)
    assert result.returncode == 0, result.stderr
    assert f"Restored the notes from {name}" in result.stdout
    assert list(data_dir.glob("kaap.sqlite3.corrupt-*"))  # the damaged bytes are kept
    app = create_app({"CONFIG": "desktop", "DATA_DIR": str(data_dir)})
    with app.app_context():
        notes, _ = queries.list_notes(db.session, 1, utcnow())
        assert [n.title for n in notes] == ["precious"]
        db.engine.dispose()


def test_an_unknown_backup_is_a_clear_error(damaged):
    data_dir, _ = damaged
    result = desktop("--data-dir", str(data_dir), "--restore-backup", "../kaap.sqlite3")
    assert result.returncode == 2
    assert "no backup called" in result.stderr
