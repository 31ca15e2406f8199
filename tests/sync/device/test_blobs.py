"""The desktop's image functions against a real Kaap server on a socket: one hash per image
on every copy, downloads checked, nothing uploaded twice."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from PIL import Image as PILImage
from sqlalchemy import select

from tests.live import serving
from tests.sync.device.conftest import PASSWORD
from webapp import create_app
from webapp.accounts.service import ensure_local_user
from webapp.extensions import db
from webapp.images import service as images_service
from webapp.images.models import Image
from webapp.notes import queries
from webapp.notes import service as notes
from webapp.notes.models import Note
from webapp.sync.device import blobs
from webapp.sync.device.client import Connection, SyncError
from webapp.sync.models import SyncBlob
from webapp.timeutil import now


def photo(size=(64, 48)) -> bytes:
    """A JPEG with detail in it (a flat one could re-encode to the very same bytes)."""
    image = PILImage.effect_mandelbrot(size, (-2, -1.2, 1, 1.2), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75)
    return out.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with accounts on, served on a socket, and a device token of ana's."""
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path_factory.mktemp("server")),
                      "ACCOUNTS": True, "OPEN_SIGNUP": True})  # fmt: skip
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    assert client.post("/api/auth/register",
                       json={"username": "ana", "password": PASSWORD}).status_code == 201  # fmt: skip
    token = client.post("/api/sync/devices",
                        json={"username": "ana", "password": PASSWORD, "device": "pc"})  # fmt: skip
    with serving(app) as port:
        yield app, f"http://127.0.0.1:{port}", token.get_json()["token"]
    with app.app_context():
        db.engine.dispose()


def device(tmp_path_factory, name):
    return create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path_factory.mktemp(name))})


def local_note_with(app, data: bytes) -> int:
    """A note of this device holding one image, as a paste on its page makes it."""
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    note = client.post("/api/notes", json={"title": "photo"}).get_json()
    added = client.post(f"/api/notes/{note['id']}/images",
                        data={"file": (io.BytesIO(data), "p.jpg")})  # fmt: skip
    assert added.status_code == 201, added.get_json()
    return note["id"]


def files_hash(app, image: Image) -> str:
    return hashlib.sha256(
        app.extensions["kaap.images"].path(image.file_name).read_bytes()
    ).hexdigest()


def write_images(app, note_id, wanted, conn):
    """What the engine does with a plan: download first, then one write."""
    store = app.extensions["kaap.images"]
    plan = blobs.prepare_images(conn, db.session, store, note_id, wanted)
    owner = ensure_local_user(db.session).id
    with images_service.files_or_nothing(db.session, store, plan.written):
        current = None if note_id is None else queries.read_note(db.session, owner, note_id)
        row = notes.write_note(
            db.session, owner, current, {"title": "from the server"}, now(),
            **plan.write_note_args(store),
        )  # fmt: skip
        db.session.commit()
    return row.id, plan


class Counting(Connection):
    """A connection that counts its uploads and downloads."""

    def __init__(self, *args):
        super().__init__(*args)
        self.puts, self.gets = [], []

    def put_blob(self, sha, data, content_type):
        self.puts.append(sha)
        return super().put_blob(sha, data, content_type)

    def get_blob(self, sha):
        self.gets.append(sha)
        return super().get_blob(sha)


def test_a_jpeg_ends_with_one_hash_on_both_devices_and_the_server(server, tmp_path_factory):
    app, url, token = server
    first, second = device(tmp_path_factory, "first"), device(tmp_path_factory, "second")
    note_id = local_note_with(first, photo())
    with first.app_context(), Counting(url, token) as conn:
        store = first.extensions["kaap.images"]
        (mine,) = blobs.note_shas(db.session, note_id)
        renamed = blobs.upload_missing(conn, db.session, store, [mine])
        (theirs,) = blobs.note_shas(db.session, note_id)
        # The server re-encoded it: its bytes are now this device's too, under its hash.
        assert renamed == {mine: theirs} and theirs != mine
        image = db.session.scalars(select(Image).where(Image.note_id == note_id)).one()
        assert files_hash(first, image) == theirs and conn.puts == [mine]
        uid = db.session.get(Note, note_id).uid
        pushed = conn.push({"changes": [{"change_id": str(uuid.uuid4()), "uid": uid,
                                         "base_version": None,
                                         "note": {"title": "photo", "images": [theirs]}}]})  # fmt: skip
        assert pushed["results"][0]["status"] == "applied", pushed
        # The next sync finds nothing to send.
        assert blobs.upload_missing(conn, db.session, store, [theirs]) == {}
        assert conn.puts == [mine]
    with second.app_context(), Counting(url, token) as conn:
        new_id, plan = write_images(second, None, [theirs], conn)
        assert plan.downloaded == [theirs] == conn.gets
        image = db.session.scalars(select(Image).where(Image.note_id == new_id)).one()
        assert image.digest == theirs == files_hash(second, image)
        assert second.extensions["kaap.images"].path(image.thumb_name).stat().st_size > 0
        # Another note with that image here: copied from the local one, not downloaded again.
        _, again = write_images(second, None, [theirs, theirs], conn)
        assert again.downloaded == [] and conn.gets == [theirs]
    with app.app_context():
        server_digests = set(db.session.scalars(select(Image.digest))) | set(
            db.session.scalars(select(SyncBlob.digest))
        )
        assert server_digests == {theirs}
        assert len(db.session.scalars(select(Image)).all()) == 1


def test_prepare_images_keeps_reorders_and_detaches(server, tmp_path_factory):
    _app, url, token = server
    here = device(tmp_path_factory, "here")
    a, b = local_note_with(here, photo((40, 30))), local_note_with(here, photo((30, 40)))
    with here.app_context(), Connection(url, token) as conn:
        (sha_a,), (sha_b,) = blobs.note_shas(db.session, a), blobs.note_shas(db.session, b)
        (kept,) = db.session.scalars(select(Image.id).where(Image.note_id == a)).all()
        _note_id, plan = write_images(here, a, [sha_b, sha_a], conn)
        assert plan.detach == [] and plan.downloaded == [] and len(plan.attach) == 1
        assert blobs.note_shas(db.session, a) == [sha_b, sha_a]
        assert kept in db.session.scalars(select(Image.id).where(Image.note_id == a)).all()
        _, plan = write_images(here, a, [sha_b], conn)
        assert plan.detach == [kept] and blobs.note_shas(db.session, a) == [sha_b]


def test_an_unknown_image_is_a_readable_sync_error(server, tmp_path_factory):
    _app, url, token = server
    here = device(tmp_path_factory, "unknown")
    with here.app_context(), Connection(url, token) as conn:
        with pytest.raises(SyncError):
            blobs.prepare_images(conn, db.session, here.extensions["kaap.images"], None,
                                 ["0" * 64])  # fmt: skip
        assert not list(here.extensions["kaap.images"].root.glob("??/*"))


class Lying(Connection):
    """A server that answers a download with other bytes."""

    def __init__(self, data: bytes):
        self.data = data

    def get_blob(self, sha):
        return self.data


def test_a_download_that_does_not_match_its_hash_or_is_no_image_is_refused(tmp_path_factory):
    here = device(tmp_path_factory, "lied-to")
    store = here.extensions["kaap.images"]
    with here.app_context():
        with pytest.raises(SyncError) as refused:
            blobs.prepare_images(Lying(photo()), db.session, store, None, ["1" * 64])
        assert refused.value.code == "digest_mismatch"
        svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
        with pytest.raises(SyncError) as refused:
            blobs.prepare_images(Lying(svg), db.session, store, None,
                                 [hashlib.sha256(svg).hexdigest()])  # fmt: skip
        assert refused.value.code == "bad_image"
    assert not list(store.root.glob("??/*"))
