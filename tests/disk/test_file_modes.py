"""Everything Kaap writes is its user's alone: the data directory 0700, the files 0600."""

from __future__ import annotations

import io
import os
import stat

import pytest
from PIL import Image

from tests.disk.conftest import closed
from webapp import create_app

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def usual_umask():
    """The umask most processes start with (022: files 0644, folders 0755)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def private_mode(path) -> int:
    return 0o700 if path.is_dir() else 0o600


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_the_data_dir_is_0700_and_every_file_in_it_0600(tmp_path, usual_umask):
    data_dir = tmp_path / "new" / "data"
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir)})
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    note = client.post("/api/notes", json={"title": "private"}).get_json()
    data = {"file": (io.BytesIO(png()), "a.png")}
    assert client.post(f"/api/notes/{note['id']}/images", data=data).status_code == 201
    assert client.post("/api/backups").status_code == 201
    assert (data_dir / "kaap.sqlite3-wal").exists()
    try:
        assert mode(data_dir) == 0o700
        found = {p.relative_to(data_dir).as_posix(): p for p in data_dir.rglob("*")}
        wrong = {n: oct(mode(p)) for n, p in found.items() if mode(p) != private_mode(p)}
        assert wrong == {}
        assert {"images", "backups", "kaap.sqlite3", "kaap.sqlite3-shm", "secret_key"} <= {
            n.partition("/")[0] for n in found
        }
    finally:
        closed(app)


def test_a_data_dir_an_older_kaap_made_0755_is_narrowed_to_0700(tmp_path, usual_umask):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    closed(create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir)}))
    assert mode(data_dir) == 0o700
