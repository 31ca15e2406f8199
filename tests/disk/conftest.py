"""Disk tests on a small tmpfs of their own (``tests/disk/tmpfs.py``): a full disk and a
read-only data directory, for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.disk.tmpfs import fill, remount_read_only, tmpfs  # noqa: F401 (for the tests)
from webapp import create_app
from webapp.db.sqlite import backup_sqlite
from webapp.extensions import db


@pytest.fixture
def disk_size() -> str:
    """The tmpfs's size (``mount -o size=``); a test may parametrize it."""
    return "8m"


@pytest.fixture
def small_disk(tmp_path, disk_size):
    """A small tmpfs (8 MB unless ``disk_size`` says), unmounted at the end whatever happened."""
    with tmpfs(tmp_path / "disk", disk_size) as mount_point:
        yield mount_point


def closed(app) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def disk_data_dir(small_disk, migrated_db) -> Path:
    data_dir = small_disk / "data"
    data_dir.mkdir()
    backup_sqlite(migrated_db, data_dir / "kaap.sqlite3")
    return data_dir


@pytest.fixture
def disk_settings(disk_data_dir, clock) -> dict:
    return {
        "CONFIG": "testing",
        "DATA_DIR": str(disk_data_dir),
        "CLOCK": clock,
        "DISK_RESERVE_BYTES": 1024 * 1024,
        "DISK_MIN_FREE_BYTES": 2 * 1024 * 1024,
    }


@pytest.fixture
def disk_app(disk_settings):
    app = create_app(disk_settings)
    yield app
    closed(app)


@pytest.fixture
def disk_client(disk_app):
    client = disk_app.test_client()
    token = client.get("/api/csrf").get_json()["csrf_token"]
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client
