import io
import json
import re
import struct
import zlib

import pytest
from PIL import Image

from tests.conftest import error_code
from webapp import create_app, maintenance
from webapp.extensions import db


def png(size=(40, 20), color=(200, 30, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif(size=(40, 20)) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "SpyCam"  # Make
    exif.get_ifd(0x8825)[2] = (52.0, 22.0, 0.0)  # GPSLatitude
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (a decompression bomb's first bytes)."""
    data = bytearray(png((1, 1)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def upload(client, note_id, *files, name="x.png"):
    data = {"file": [(io.BytesIO(content), name) for content in files]}
    return client.post(
        f"/api/notes/{note_id}/images", data=data, content_type="multipart/form-data"
    )


@pytest.fixture
def note(make_note):
    return make_note(title="with images")


def stored_files(app):
    return sorted(p.name for p in (app.extensions["kaap.images"].root).glob("??/*"))


def test_upload_returns_the_images_and_the_note_lists_them(client, note):
    response = upload(client, note["id"], png(), jpeg_with_exif())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    first, second = body["images"]
    assert body["note_version"] == note["version"] + 1
    assert (first["width"], first["height"], first["content_type"]) == (40, 20, "image/png")
    assert first["url"] == f"/api/images/{first['id']}/file"
    assert first["thumb_url"] == f"/api/images/{first['id']}/thumb"
    listed = client.get(f"/api/notes/{note['id']}").get_json()["images"]
    assert [i["id"] for i in listed] == [first["id"], second["id"]]
    assert client.get("/api/notes").get_json()["items"][0]["images"] == listed


def test_exif_orientation_is_applied_and_metadata_dropped(client, note):
    (image,) = upload(client, note["id"], jpeg_with_exif(), name="사진.jpg").get_json()["images"]
    assert (image["width"], image["height"]) == (20, 40)
    stored = client.get(image["url"])
    with Image.open(io.BytesIO(stored.data)) as decoded:
        assert decoded.size == (20, 40)
        assert dict(decoded.getexif()) == {}
    assert b"SpyCam" not in stored.data
    assert b"GPS" not in stored.data
    stored.close()


def test_bytes_after_the_image_are_not_kept(client, note):
    hostile = png() + b"<script>alert(1)</script>"
    (image,) = upload(client, note["id"], hostile).get_json()["images"]
    stored = client.get(image["url"])
    assert b"<script>" not in stored.data
    stored.close()


@pytest.mark.parametrize(
    "content",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<html><body>hi</body></html>",
        b"just text",
        b"",
    ],
)
def test_files_that_are_not_allowed_images_are_415(app, client, note, content):
    response = upload(client, note["id"], content)
    assert response.status_code == 415
    assert error_code(response) == "unsupported_image"
    assert stored_files(app) == []


def test_a_bmp_is_refused_though_pillow_could_read_it(client, note):
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "BMP")
    assert upload(client, note["id"], out.getvalue()).status_code == 415


def test_a_huge_declared_size_is_refused_before_decoding(app, client, note):
    response = upload(client, note["id"], png_declaring(20000, 20000))
    assert response.status_code == 400
    assert error_code(response) == "too_many_pixels"
    assert stored_files(app) == []


def test_the_pixel_cap_is_configurable(app, client, note):
    app.config["IMAGE_MAX_PIXELS"] = 100
    assert error_code(upload(client, note["id"], png((20, 20)))) == "too_many_pixels"


def test_a_body_over_the_size_limit_is_413(app, client, note):
    app.config["IMAGE_MAX_BYTES"] = 2000
    response = upload(client, note["id"], png() + b"\0" * 5000)
    assert response.status_code == 413
    error_code(response)


def test_json_requests_keep_their_smaller_limit(client):
    response = client.post("/api/notes", json={"body": "x" * (9 * 1024 * 1024)})
    assert response.status_code == 413


def test_one_bad_file_stores_nothing(app, client, note):
    response = upload(client, note["id"], png(), b"not an image")
    assert response.status_code == 415
    assert "file.1" in response.get_json()["error"]["fields"]
    assert stored_files(app) == []
    assert client.get(f"/api/notes/{note['id']}").get_json()["images"] == []


def test_no_file_is_400(client, note):
    response = client.post(
        f"/api/notes/{note['id']}/images", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 400


def test_uploads_to_missing_or_trashed_notes_are_refused(client, note):
    assert upload(client, 999, png()).status_code == 404
    client.post(f"/api/notes/{note['id']}/trash")
    assert upload(client, note["id"], png()).status_code == 409


def test_large_images_are_capped_and_thumbnails_are_small_webp(client, note):
    (image,) = upload(client, note["id"], png((5000, 100))).get_json()["images"]
    assert (image["width"], image["height"]) == (4096, 82)
    thumb = client.get(image["thumb_url"])
    assert thumb.headers["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(thumb.data)) as decoded:
        assert decoded.format == "WEBP"
        assert max(decoded.size) == 512
    thumb.close()


def test_a_jpeg_twice_the_cap_is_decoded_smaller_and_stored_upright(client, note):
    # A draft decode (1/2 scale here): same stored size as a full decode, far fewer pixels.
    (image,) = upload(client, note["id"], jpeg_with_exif((9000, 600))).get_json()["images"]
    assert (image["width"], image["height"]) == (273, 4096)
    stored = client.get(image["url"])
    with Image.open(io.BytesIO(stored.data)) as decoded:
        assert decoded.size == (273, 4096)
        assert decoded.getpixel((136, 2048))[1] > 150  # the green of the original
    stored.close()


def test_animated_gif_keeps_its_first_frame(client, note):
    frames = [Image.new("P", (10, 10), i) for i in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    (image,) = upload(client, note["id"], out.getvalue()).get_json()["images"]
    assert image["content_type"] == "image/png"


def test_images_are_served_safely_with_strong_etags_and_long_caching(client, note):
    (image,) = upload(client, note["id"], png()).get_json()["images"]
    response = client.get(image["url"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    response.close()
    again = client.get(image["url"], headers={"If-None-Match": etag})
    assert again.status_code == 304
    again.close()


def test_deleting_an_image_removes_its_files(app, client, note):
    (image,) = upload(client, note["id"], png()).get_json()["images"]
    assert len(stored_files(app)) == 2
    before = stored_files(app)
    assert client.delete(f"/api/images/{image['id']}").status_code == 204
    # The note's older version still shows it: history keeps the files under its own names.
    assert len(stored_files(app)) == 2 and not set(stored_files(app)) & set(before)
    assert client.get(image["url"]).status_code == 404
    assert error_code(client.delete(f"/api/images/{image['id']}")) == "not_found"


@pytest.mark.parametrize("how", ["delete", "empty", "purge"])
def test_notes_leaving_the_trash_for_good_take_their_files(app, client, clock, note, how):
    upload(client, note["id"], png())
    client.post(f"/api/notes/{note['id']}/trash")
    if how == "delete":
        client.delete(f"/api/notes/{note['id']}")
    elif how == "empty":
        client.delete("/api/trash")
    else:
        clock.advance(days=8)
        with app.app_context():
            maintenance.run(app)
    assert stored_files(app) == []


def test_a_copy_has_its_own_image_files(app, client, note):
    upload(client, note["id"], png())
    copy = client.post(f"/api/notes/{note['id']}/copy").get_json()
    assert len(copy["images"]) == 1
    assert len(stored_files(app)) == 4
    response = client.get(copy["images"][0]["url"])
    assert response.status_code == 200
    response.close()


@pytest.mark.sqlite_only
def test_start_up_sweeps_orphan_files_and_rows_without_files(app, client, data_dir, clock, note):
    first, second = upload(client, note["id"], png(), png()).get_json()["images"]
    store = app.extensions["kaap.images"]
    orphan = store.path("ffffffffffffffffffffffffffffffff.png")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left by a crash")
    with app.app_context():
        from webapp.images.models import Image as ImageRow

        store.path(db.session.get(ImageRow, second["id"]).file_name).unlink()
    fresh = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock})
    assert not orphan.exists()
    assert [i["id"] for i in client.get(f"/api/notes/{note['id']}").get_json()["images"]] == [
        first["id"]
    ]
    assert len(stored_files(fresh)) == 2
    with fresh.app_context():
        db.engine.dispose()


def test_has_image_filter(client, make_note):
    with_image, plain = make_note(title="a"), make_note(title="b")
    upload(client, with_image["id"], png())
    assert [n["id"] for n in client.get("/api/notes?has_image=true").get_json()["items"]] == [
        with_image["id"]
    ]
    assert [n["id"] for n in client.get("/api/notes?has_image=false").get_json()["items"]] == [
        plain["id"]
    ]
    assert client.get("/api/notes?has_image=maybe").status_code == 400


@pytest.mark.sqlite_only
def test_restoring_an_older_backup_keeps_newer_images_for_the_way_back(
    app, client, data_dir, clock, note
):
    older = client.post("/api/backups").get_json()["name"]
    (image,) = upload(client, note["id"], png()).get_json()["images"]
    restored = client.post(f"/api/backups/{older}/restore").get_json()
    assert client.get(f"/api/notes/{note['id']}").get_json()["images"] == []
    fresh = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock})
    with fresh.app_context():
        db.engine.dispose()
    assert len(stored_files(app)) == 2  # the start-up sweep held them
    client.post(f"/api/backups/{restored['previous']}/restore")
    response = client.get(image["url"])
    assert response.status_code == 200
    response.close()
    clock.advance(days=31)
    late = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock})
    with late.app_context():
        db.engine.dispose()
    assert len(stored_files(app)) == 2  # still used by the note: kept


def truncated_jpeg() -> bytes:
    return jpeg_with_exif((400, 300))[:-600]


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"\x7fELF\x02\x01\x01" + b"\0" * 200, 415),  # an executable renamed .png
        (b"8BPS\x00\x01" + b"\0" * 200, 415),  # a Photoshop file: Pillow reads PSD, we do not
        (b"MZ\x90\x00" + b"\0" * 200, 415),
    ],
)
def test_other_files_named_like_images_are_refused(app, client, note, content, status):
    assert upload(client, note["id"], content, name="photo.png").status_code == status
    assert stored_files(app) == []


def test_a_truncated_jpeg_is_refused_cleanly(app, client, note):
    response = upload(client, note["id"], truncated_jpeg(), name="cut.jpg")
    assert response.status_code == 400
    assert stored_files(app) == []


@pytest.mark.parametrize("name", ["../../x.png", "CON.png", "사진" * 150 + ".png", ""])
def test_uploaded_names_are_never_used_on_disk(app, client, note, name):
    assert upload(client, note["id"], png(), name=name).status_code == 201
    assert all(re.fullmatch(r"[0-9a-f]{32}\.(png|webp)", n) for n in stored_files(app))


@pytest.mark.parametrize(("fmt", "content_type"), [("WEBP", "image/webp"), ("GIF", "image/png")])
def test_webp_and_gif_are_stored(client, note, fmt, content_type):
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, fmt)
    (image,) = upload(client, note["id"], out.getvalue()).get_json()["images"]
    assert (image["width"], image["height"], image["content_type"]) == (30, 20, content_type)


def test_a_purged_notes_images_are_404(app, client, clock, note):
    (image,) = upload(client, note["id"], png()).get_json()["images"]
    client.post(f"/api/notes/{note['id']}/trash")
    clock.advance(days=8)
    with app.app_context():
        maintenance.run(app)
    assert client.get(image["url"]).status_code == 404
    assert client.get(image["thumb_url"]).status_code == 404


@pytest.mark.sqlite_only
def test_start_up_remakes_a_thumbnail_a_crash_lost(app, client, data_dir, clock, note):
    (image,) = upload(client, note["id"], png((600, 300))).get_json()["images"]
    store = app.extensions["kaap.images"]
    with app.app_context():
        from webapp.images.models import Image as ImageRow

        thumb = store.path(db.session.get(ImageRow, image["id"]).thumb_name)
    thumb.write_bytes(b"")  # what an unsynced file can be after a power cut
    fresh = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock})
    with fresh.app_context():
        db.engine.dispose()
    response = client.get(image["thumb_url"])
    with Image.open(io.BytesIO(response.data)) as decoded:
        assert decoded.size == (512, 256)
    response.close()


def create_from_images(client, *files, note=None):
    data = {"file": [(io.BytesIO(content), "x.png") for content in files]}
    if note is not None:
        data["note"] = note
    return client.post("/api/notes/images", data=data, content_type="multipart/form-data")


def test_a_note_can_hold_only_images(client, make_label):
    label = make_label("Screens")
    response = create_from_images(
        client, png(), png((10, 10)), note=json.dumps({"color": "red", "label_ids": [label["id"]]})
    )
    assert response.status_code == 201, response.get_json()
    note = response.get_json()
    assert response.headers["Location"] == f"/api/notes/{note['id']}"
    assert (note["title"], note["body"], note["color"]) == ("", "", "red")
    assert [i["width"] for i in note["images"]] == [40, 10]
    assert note["labels"] == [{"id": label["id"], "name": "Screens"}]
    assert client.get(f"/api/notes/{note['id']}").get_json()["images"] == note["images"]


@pytest.mark.parametrize(
    ("note", "field"), [("{bad", "note"), ('{"color": "mauve"}', "color"), ('{"x": 1}', "x")]
)
def test_images_only_note_fields_are_validated(app, client, note, field):
    response = create_from_images(client, png(), note=note)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
    assert stored_files(app) == []


def test_images_only_note_needs_an_image_and_refuses_bad_ones(app, client):
    assert create_from_images(client).status_code == 400
    assert create_from_images(client, b"<svg/>").status_code == 415
    assert stored_files(app) == []
    assert client.get("/api/notes").get_json()["items"] == []


def test_a_bulk_copy_gives_each_copy_its_own_image_files(app, client, note):
    (source,) = upload(client, note["id"], png()).get_json()["images"]
    body = {"ids": [note["id"]], "action": "copy"}
    (copy,) = client.post("/api/notes/bulk", json=body).get_json()["notes"]
    assert len(copy["images"]) == 1 and copy["images"][0]["id"] != source["id"]
    assert len(stored_files(app)) == 4
    response = client.get(copy["images"][0]["url"])
    assert response.status_code == 200
    response.close()
