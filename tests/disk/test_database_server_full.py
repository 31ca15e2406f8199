"""A PostgreSQL server out of disk (SQLSTATE 53100): a 507 that names that server's disk, not
the data directory's, on every backend (the error is raised where the driver would)."""

from __future__ import annotations

import pytest
from psycopg.errors import DiskFull
from sqlalchemy.exc import OperationalError

from tests.conftest import error_code
from webapp.disk import is_database_server_full, is_disk_full
from webapp.notes import api as notes_api


def server_out_of_disk(*args, **kwargs):
    driver_error = DiskFull('could not extend file "base/16384/16390": No space left on device')
    raise OperationalError("INSERT INTO notes ...", {}, driver_error)


def test_the_server_disk_full_state_is_recognised_through_the_wrapping():
    with pytest.raises(OperationalError) as raised:
        server_out_of_disk()
    assert is_database_server_full(raised.value) and is_disk_full(raised.value)
    assert not is_database_server_full(OSError(28, "No space left on device"))


def test_a_write_the_database_server_has_no_disk_for_is_a_507_naming_that_server(
    client, monkeypatch
):
    kept = client.post("/api/notes", json={"title": "kept"}).get_json()["id"]
    monkeypatch.setattr(notes_api.service, "create_note", server_out_of_disk)
    response = client.post("/api/notes", json={"title": "lost?"})
    assert response.status_code == 507, response.get_data(as_text=True)
    assert error_code(response) == "disk_full"
    message = response.get_json()["error"]["message"]
    assert "PostgreSQL server" in message and "nothing was saved" in message
    monkeypatch.undo()
    listed = client.get("/api/notes").get_json()["items"]
    assert [n["id"] for n in listed] == [kept]  # what was saved before is still there
