"""A read-only data directory is said to be read-only, never damaged, and no restore is advised."""

from __future__ import annotations

import os

import pytest

from tests.conftest import error_code
from tests.disk.conftest import closed, remount_read_only
from webapp import ConfigError, create_app
from webapp.backups.live import UnreadableDatabaseError

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def read_only(disk_app, disk_client, disk_data_dir, small_disk):
    """The data directory with a note, a backup and logs, on a disk then remounted read-only."""
    assert disk_client.post("/api/notes", json={"title": "kept"}).status_code == 201
    assert disk_client.post("/api/backups").status_code == 201
    (disk_data_dir / "logs").mkdir()
    closed(disk_app)
    remount_read_only(small_disk)


@pytest.mark.parametrize("config", ["testing", "desktop"])
def test_a_read_only_data_dir_is_said_to_be_read_only_not_damaged(read_only, disk_settings, config):
    settings = {**disk_settings, "CONFIG": config, "REQUIRE_LAUNCH_TOKEN": False}
    with pytest.raises(ConfigError) as raised:
        create_app(settings)
    message = str(raised.value)
    assert "is read-only (it is on a file system mounted read-only)" in message
    assert "damaged" not in message
    assert "restore" not in message.replace("need no restore", "")


def test_a_database_that_cannot_be_opened_is_not_called_damaged(tmp_path):
    # Opening it for the check fails (SQLITE_CANTOPEN): a directory where the file should be.
    (tmp_path / "kaap.sqlite3").mkdir()
    with pytest.raises(UnreadableDatabaseError) as raised:
        create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path)})
    assert "could not be read" in str(raised.value)
    assert "damaged" not in str(raised.value)


def test_the_desktop_on_a_read_only_data_dir_says_so_in_one_sentence(
    read_only, disk_data_dir, monkeypatch, capsys
):
    from desktop import main, shell

    monkeypatch.setattr(shell, "check_display", lambda gui: None)
    umask = os.umask(0o022)  # main() narrows it to 077: later tests must not inherit that
    try:
        assert main.main(["--data-dir", str(disk_data_dir)]) == 2
    finally:
        os.umask(umask)
    err = capsys.readouterr().err
    assert err.startswith(f"kaap: The data directory {disk_data_dir} is read-only")
    assert "Traceback" not in err and "damaged" not in err


def test_a_write_the_database_refuses_as_read_only_is_a_503_that_says_so(data_dir, clock):
    # The disk turning read-only under a running app (a remount with files open is refused,
    # so a read-only connection stands in for it): SQLITE_READONLY on the write.
    settings = {"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock}
    url = f"sqlite:///file:{data_dir / 'kaap.sqlite3'}?mode=ro&uri=true"
    app = create_app({**settings, "DATABASE_URL": url, "AUTO_MIGRATE": False})
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    response = client.post("/api/notes", json={"title": "lost?"})
    closed(app)
    assert response.status_code == 503
    assert error_code(response) == "read_only"
    assert "read-only" in response.get_json()["error"]["message"]
