"""Disk tests on a small tmpfs of their own: a full disk and a read-only data directory,
for real. Mounting needs root (CI has it); elsewhere they are skipped, saying why."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from webapp import create_app
from webapp.database import backup_sqlite
from webapp.extensions import db

SIZE = "8m"


def _need_root() -> None:
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("mount"):
        return
    if os.environ.get("CI"):
        pytest.fail("the disk tests mount a tmpfs: CI runs them as root")
    pytest.skip("mounting a small tmpfs needs root (CI runs these tests as root)")


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"mount {' '.join(args)} failed: {done.stderr.strip()}")
        pytest.skip(f"this machine does not let us mount a tmpfs: {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path):
    """An 8 MB tmpfs, unmounted at the end whatever happened."""
    _need_root()
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    _mount("-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount_point))
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=True)


def remount_read_only(mount_point: Path) -> None:
    _mount("-o", "remount,ro", str(mount_point))


def fill(mount_point: Path) -> Path:
    """Take every free byte of the disk; returns the file that holds them."""
    filler = mount_point / "filler"
    with open(filler, "ab", buffering=0) as fh:
        for chunk in (1024 * 1024, 4096, 1):
            try:
                while fh.write(b"\0" * chunk):
                    pass
            except OSError:
                pass
    assert shutil.disk_usage(mount_point).free < 4096
    return filler


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
