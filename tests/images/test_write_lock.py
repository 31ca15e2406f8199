"""Image work holds no write lock: another user's writes go on while someone uploads."""

import http.client
import json
import sqlite3
import statistics
import threading
import time
import uuid

import pytest

from tests.accounts.conftest import PASSWORD
from tests.images import samples
from tests.images.test_images import create_from_images, stored_files, upload
from tests.live import serving
from webapp.db.sqlite import sqlite_path
from webapp.extensions import db
from webapp.images import pipeline

pytestmark = pytest.mark.parametrize("app_settings", [{"ACCOUNTS": True, "OPEN_SIGNUP": True}])


def sign_up(app, username: str):
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    body = {"username": username, "password": PASSWORD}
    assert client.post("/api/auth/register", json=body).status_code == 201
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    return client


def lock_probe(app, monkeypatch) -> list[str]:
    """While each image is decoded, try to take SQLite's write lock from outside the app."""
    with app.app_context():
        path = sqlite_path(str(db.engine.url))
    outcomes = []
    real = pipeline.process

    def process(*args, **kwargs):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            outcomes.append("free")
        except sqlite3.OperationalError as exc:
            outcomes.append(str(exc))
        finally:
            other.close()
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "process", process)
    return outcomes


@pytest.mark.sqlite_only
def test_adding_images_holds_no_write_lock_while_decoding(app, monkeypatch):
    client = sign_up(app, "alice")
    note = client.post("/api/notes", json={"title": "photos"}).get_json()
    outcomes = lock_probe(app, monkeypatch)
    assert upload(client, note["id"], samples.png(), samples.mpo()).status_code == 201
    assert outcomes == ["free", "free"]


@pytest.mark.sqlite_only
def test_a_note_from_images_holds_no_write_lock_while_decoding(app, monkeypatch):
    client = sign_up(app, "alice")
    outcomes = lock_probe(app, monkeypatch)
    assert create_from_images(client, samples.png()).status_code == 201
    assert outcomes == ["free"]


def test_a_note_trashed_while_its_images_decode_gets_none_and_no_files(app, monkeypatch):
    client = sign_up(app, "alice")
    note = client.post("/api/notes", json={"title": "photos"}).get_json()
    real = pipeline.process

    def process(*args, **kwargs):
        if not getattr(process, "done", False):
            process.done = True  # the same person, in another tab
            assert client.post(f"/api/notes/{note['id']}/trash").status_code == 200
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "process", process)
    response = upload(client, note["id"], samples.png())
    assert response.status_code == 409
    assert stored_files(app) == []


class User:
    """A browser-like user over HTTP: its own connection, session cookie and CSRF token."""

    def __init__(self, port: int, username: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {}
        self.headers["X-CSRFToken"] = self.send("GET", "/api/csrf")[1]["csrf_token"]
        body = {"username": username, "password": PASSWORD}
        assert self.send("POST", "/api/auth/register", json.dumps(body))[0] == 201
        self.headers["X-CSRFToken"] = self.send("GET", "/api/csrf")[1]["csrf_token"]

    def send(self, method, path, body=None, content_type="application/json"):
        headers = {**self.headers, "Content-Type": content_type} if body else self.headers
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        if cookie := response.getheader("Set-Cookie"):
            self.headers["Cookie"] = cookie.split(";", 1)[0]
        return response.status, json.loads(payload) if payload else None


def multipart(files: list[bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{i}.gif"\r\n'
        f"Content-Type: image/gif\r\n\r\n".encode()
        + data
        + b"\r\n"
        for i, data in enumerate(files)
    ]
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def worst_request(limits: pipeline.Limits) -> list[bytes]:
    """Tiny GIFs declaring the largest canvas allowed, as many as the request's pixels allow:
    about a second of CPU and 400 MB each, for tens of bytes."""
    side = int(limits.pixels**0.5)
    return [samples.gif_declaring(side, side)] * (limits.request_pixels // (side * side))


def test_another_users_writes_go_on_while_the_worst_images_are_decoded(app):
    """The issue's check: 50 writes of user B while user A uploads, all saved, p95 < 500 ms."""
    body, content_type = multipart(worst_request(pipeline.Limits.from_config(app.config)))
    with serving(app, threads=8) as port:
        alice, bob = User(port, "alice"), User(port, "bob")
        note = alice.send("POST", "/api/notes", json.dumps({"title": "photos"}))[1]
        images_url = f"/api/notes/{note['id']}/images"
        bob_done, uploads = threading.Event(), []

        def keep_uploading():
            while not bob_done.is_set():
                began = time.monotonic()
                status, _ = alice.send("POST", images_url, body, content_type)
                uploads.append((status, began, time.monotonic()))

        uploader = threading.Thread(target=keep_uploading)
        uploader.start()
        time.sleep(0.5)  # Alice's first request is decoding
        statuses, seconds, bob_began = [], [], time.monotonic()
        for i in range(50):
            began = time.monotonic()
            statuses.append(bob.send("POST", "/api/notes", json.dumps({"title": f"b{i}"}))[0])
            seconds.append(time.monotonic() - began)
        bob_done.set()
        uploader.join(120)
        alice.conn.close()
        bob.conn.close()
    assert statuses == [201] * 50
    assert [status for status, _, _ in uploads] == [201] * len(uploads)
    assert uploads[0][1] < bob_began  # Bob wrote while Alice's images were being decoded
    assert statistics.quantiles(seconds, n=20)[-1] < 0.5
