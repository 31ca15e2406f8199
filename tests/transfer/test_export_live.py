"""GET /api/export on a real waitress server: the zip leaves no file behind, whatever the
client does (the test client alone never showed that the clean-up did not run)."""

import http.client
import io
import os
import random
import socket
import time
import zipfile
from pathlib import Path

import pytest

from tests.live import serving
from webapp import create_app
from webapp.extensions import db


def spool_descriptors(folder: Path) -> list[str]:
    """What this process holds open under ``folder`` (the server runs in this process)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def eventually(check, seconds=10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.fixture
def exports(app) -> Path:
    return Path(app.config["DATA_DIR"]) / "exports"


@pytest.fixture
def big(make_note):
    """About 15 MB of export: more than the sockets' buffers hold, so a download takes a
    while and a client can leave in the middle of it."""
    for i in range(12):
        make_note(title=f"n{i}", body=random.randbytes(450_000).hex())


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_download_under_waitress_leaves_no_file(app, big, exports):
    with serving(app) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/api/export")
        response = connection.getresponse()
        assert response.status == 200
        data = response.read()
        connection.close()
        assert len(data) == int(response.getheader("Content-Length")) > 10_000_000
        assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 13
        assert eventually(lambda: not spool_descriptors(exports))
    assert list(exports.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_client_that_leaves_mid_download_leaves_no_file(app, big, exports):
    with serving(app) as port, socket.socket() as client:
        # A small fixed receive window: the kernel cannot take in the rest of the zip for us.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        client.settimeout(60)
        client.connect(("127.0.0.1", int(port)))
        client.sendall(b"GET /api/export HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert client.recv(65536).startswith(b"HTTP/1.1 200")
        # Mid-download: the zip is an open file without a name, and the folder is empty.
        held = spool_descriptors(exports)
        assert len(held) == 1 and held[0].endswith("(deleted)")
        assert list(exports.iterdir()) == []
        client.close()  # the client leaves
        assert eventually(lambda: not spool_descriptors(exports))
    assert list(exports.iterdir()) == []


def test_leftovers_of_imports_and_exports_are_swept_at_start(data_dir):
    (data_dir / "exports" / "sub").mkdir(parents=True)
    (data_dir / "exports" / "0a1b2c3d.zip").write_bytes(b"an old export")
    (data_dir / "exports" / "sub" / "x").write_bytes(b"x")
    (data_dir / "imports").mkdir()
    (data_dir / "imports" / "9f8e7d6c.zip").write_bytes(b"an upload of a killed import")
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir)})
    with app.app_context():
        db.engine.dispose()
    assert list((data_dir / "exports").iterdir()) == []
    assert list((data_dir / "imports").iterdir()) == []
