"""Images by content in server mode: each account's own, under its image quota."""

import io
import os

import pytest
from PIL import Image as PILImage

from tests.accounts.conftest import PASSWORD, csrf_client
from tests.accounts.world import token_client
from tests.conftest import error_code
from tests.sync.test_blobs import feed_images, jpeg, missing, png, put, sha, status, upload
from tests.sync.test_push import change, push


def noise(side=64) -> bytes:
    out = io.BytesIO()
    PILImage.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def app_settings() -> dict:
    return {"ACCOUNTS": True, "OPEN_SIGNUP": True}


@pytest.fixture
def device(app):
    """A device's client for a new account: its sync token, no cookie."""

    def device(username: str):
        client = csrf_client(app)
        body = {"username": username, "password": PASSWORD}
        assert client.post("/api/auth/register", json=body).status_code == 201
        made = client.post("/api/sync/devices", json={**body, "device": "pc"})
        assert made.status_code == 201, made.get_json()
        return token_client(app, made.get_json()["token"])

    return device


def test_an_upload_over_the_accounts_image_quota_is_refused(app, device):
    ana = device("ana")
    first = upload(ana, png())
    stored = ana.get(f"/api/sync/blobs/{first}")
    app.config["ACCOUNT_MAX_IMAGE_BYTES"] = len(stored.get_data()) + 100
    stored.close()
    response = put(ana, noise())
    assert response.status_code == 507 and error_code(response) == "quota_exceeded"
    # A note that takes the blob does not count it twice.
    assert push(ana, change(images=[first]))["results"][0]["status"] == "applied"
    assert put(ana, png((9, 9, 9), size=(2, 2))).status_code == 201


def test_another_accounts_images_are_not_there(device):
    ana, bob = device("ana"), device("bob")
    data = jpeg()
    theirs = upload(ana, data, "image/jpeg")
    new = change(images=[theirs])
    push(ana, new)
    for digest in (theirs, sha(data)):
        assert status(bob.get(f"/api/sync/blobs/{digest}")) == 404
        assert missing(bob, [digest]) == {"missing": [digest], "stored_as": {}}
        (result,) = push(bob, change(images=[digest]))["results"]
        assert result["status"] == "invalid" and result["error"]["code"] == "missing_blob"
    # Bob's upload of the same picture is Bob's own copy; Ana's note is as it was.
    assert put(bob, data, content_type="image/jpeg").status_code == 201
    assert feed_images(ana, new["uid"]) == [theirs]


def test_the_quota_holds_for_every_image_upload(app, device):
    ana = device("ana")
    upload(ana, noise())
    app.config["ACCOUNT_MAX_IMAGE_BYTES"] = 1000
    note = ana.post("/api/notes", json={"title": "x"}).get_json()
    for url in (f"/api/notes/{note['id']}/images", "/api/notes/images"):
        response = ana.post(url, data={"file": (io.BytesIO(png()), "x.png")})
        assert response.status_code == 507 and error_code(response) == "quota_exceeded", url
