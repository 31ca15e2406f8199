"""Images by content: which hashes the server lacks, uploads and downloads by SHA-256, and the
images of pushed notes."""

import hashlib
import io
import uuid

import pytest
from PIL import Image as PILImage

from tests.conftest import error_code
from tests.sync.test_changes import feed
from tests.sync.test_push import change, push
from webapp import maintenance


def png(color=(200, 30, 30), size=(24, 16)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg(color=(30, 120, 200), size=(40, 30)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, color).save(out, "JPEG", quality=70)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(client, data, digest=None, content_type="image/png"):
    return client.put(
        f"/api/sync/blobs/{digest or sha(data)}", data=data, content_type=content_type
    )


def upload(client, data, content_type="image/png") -> str:
    response = put(client, data, content_type=content_type)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["sha256"]


def missing(client, shas):
    response = client.post("/api/sync/blobs/missing", json={"sha256": shas})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def status(response) -> int:
    response.close()
    return response.status_code


def feed_images(client, uid):
    (note,) = [n for n in feed(client)["changes"] if n["uid"] == uid]
    return [image["sha256"] for image in note["images"]]


def test_an_upload_is_stored_by_the_digest_of_its_clean_file(client):
    data = png()
    before = missing(client, [sha(data)])
    assert before["missing"] == [sha(data)]
    response = put(client, data)
    assert response.status_code == 201
    stored = response.get_json()["sha256"]
    got = client.get(f"/api/sync/blobs/{stored}")
    body = got.get_data()
    got.close()
    assert got.status_code == 200 and sha(body) == stored
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Type"] == "image/png"
    # Known now, by either hash: the upload's maps to the stored file's.
    after = missing(client, [sha(data), stored])
    assert after["missing"] == []
    assert after["stored_as"] == ({} if stored == sha(data) else {sha(data): stored})


def test_the_same_image_uploaded_twice_is_stored_once(client, app):
    first = upload(client, png())
    response = put(client, png())
    assert response.status_code == 200 and response.get_json() == {"sha256": first}
    with app.app_context():
        from webapp.extensions import db
        from webapp.sync.models import SyncBlob

        assert db.session.query(SyncBlob).count() == 1


def test_a_body_that_does_not_hash_to_its_address_is_refused(client):
    response = put(client, png(), digest=sha(b"something else"))
    assert response.status_code == 400 and error_code(response) == "digest_mismatch"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", 415, "unsupported_image"),
        (png()[:60], "image/png", 400, "invalid"),  # cut short: damaged
        (png(), "application/octet-stream", 415, "unsupported_image"),
    ],
)
def test_what_is_not_a_clean_image_is_refused(client, body, content_type, status, code):
    response = put(client, body, content_type=content_type)
    assert response.status_code == status and error_code(response) == code
    assert missing(client, [sha(body)])["missing"] == [sha(body)]


def test_too_many_pixels_and_too_big_bodies_are_refused(client, app):
    app.config["IMAGE_MAX_PIXELS"] = 100
    response = put(client, png())
    assert response.status_code == 400 and error_code(response) == "too_many_pixels"
    app.config["IMAGE_MAX_BYTES"] = 50
    response = put(client, png())
    assert response.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"sha256": "abc"},
        {"sha256": ["ABC" * 21 + "A"]},
        {"sha256": ["0" * 63]},
        {"sha256": ["0" * 64] * 1001},
    ],
)
def test_missing_takes_a_bounded_list_of_hashes(client, body):
    response = client.post("/api/sync/blobs/missing", json=body)
    assert response.status_code == 400 and error_code(response) == "invalid"


@pytest.mark.parametrize("address", ["0" * 63, "G" * 64, "0" * 65, "missing"])
def test_a_blob_address_is_a_sha256(client, address):
    for response in (client.get(f"/api/sync/blobs/{address}"), put(client, png(), address)):
        assert response.status_code in (400, 405), response.status_code
    assert client.get(f"/api/sync/blobs/{'0' * 64}").status_code == 404


def test_a_pushed_note_takes_its_images_by_hash_in_order(client):
    red, blue = upload(client, png((200, 0, 0))), upload(client, png((0, 0, 200)))
    new = change(images=[blue, red])
    (result,) = push(client, new)["results"]
    assert result["status"] == "applied", result
    assert feed_images(client, new["uid"]) == [blue, red]
    # Reordered, one removed, one added: exactly the list pushed, kept images kept.
    green = upload(client, png((0, 200, 0)))
    edit = change(uid=new["uid"], base=1, images=[green, blue])
    assert push(client, edit)["results"][0]["status"] == "applied"
    assert feed_images(client, new["uid"]) == [green, blue]
    # No "images": the note's images are left alone.
    assert push(client, change(uid=new["uid"], base=2, title="t"))["results"][0]["version"] == 3
    assert feed_images(client, new["uid"]) == [green, blue]
    assert push(client, change(uid=new["uid"], base=3, images=[]))["results"][0]["version"] == 4
    assert feed_images(client, new["uid"]) == []


def test_an_image_of_another_note_is_copied_by_its_hash(client, make_note):
    note = make_note(title="has an image")
    added = client.post(f"/api/notes/{note['id']}/images",
                        data={"file": (io.BytesIO(png()), "x.png")})  # fmt: skip
    assert added.status_code == 201
    digest = feed_images(client, feed(client)["changes"][0]["uid"])[0]
    new = change(images=[digest, digest])
    assert push(client, new)["results"][0]["status"] == "applied"
    assert feed_images(client, new["uid"]) == [digest, digest]
    images = [i for n in feed(client)["changes"] for i in n["images"]]
    assert len({i["url"] for i in images}) == 3  # each its own file


def test_an_unknown_hash_makes_that_change_invalid_and_the_batch_goes_on(client):
    unknown, fine = change(images=["0" * 64]), change(title="fine")
    results = push(client, unknown, fine)["results"]
    assert results[0]["status"] == "invalid" and results[0]["error"]["code"] == "missing_blob"
    assert results[1]["status"] == "applied"
    assert [n["uid"] for n in feed(client)["changes"]] == [fine["uid"]]


def test_a_push_naming_the_uploaded_hash_gets_the_stored_image(client):
    data = jpeg()
    stored = upload(client, data, "image/jpeg")
    new = change(images=[sha(data)])
    assert push(client, new)["results"][0]["status"] == "applied"
    assert feed_images(client, new["uid"]) == [stored]


def test_a_bad_image_list_is_invalid(client):
    (result,) = push(client, change(images=["nope"]))["results"]
    assert result["status"] == "invalid" and "images" in result["error"]["fields"]
    (result,) = push(client, change(images="0" * 64))["results"]
    assert result["status"] == "invalid"


def test_blobs_no_note_took_are_pruned_after_a_day_and_survive_the_sweep(app, client, clock):
    stored = upload(client, png())
    taken = upload(client, png((1, 2, 3)))
    push(client, change(images=[taken]))
    with app.app_context():
        from webapp.extensions import db
        from webapp.images import service as images_service

        store = app.extensions["kaap.images"]
        assert images_service.sweep(db.session, store) == (0, 0)
        assert status(client.get(f"/api/sync/blobs/{stored}")) == 200
        clock.advance(days=1, minutes=1)
        maintenance.run(app)
        before = len(store.names())
        images_service.sweep(db.session, store)
        assert len(store.names()) == before
    assert client.get(f"/api/sync/blobs/{stored}").status_code == 404
    assert status(client.get(f"/api/sync/blobs/{taken}")) == 200  # the note's copy
    assert missing(client, [stored, taken])["missing"] == [stored]


def test_a_push_retried_with_images_is_applied_once(client):
    digest = upload(client, png())
    new = change(images=[digest], change_id=str(uuid.uuid4()))
    first = push(client, new)["results"]
    assert push(client, new)["results"] == first
    assert len([n for n in feed(client)["changes"] if n["images"]]) == 1
