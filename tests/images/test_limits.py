"""What an image may cost, and every way a decoder can fail, answered with a 4xx envelope."""

import io
import struct

import pytest
from PIL import Image, ImageFile

from tests.conftest import error_code
from tests.images import samples
from tests.images.test_images import create_from_images, stored_files, upload
from webapp import images
from webapp.extensions import db
from webapp.images import pipeline
from webapp.notes import service as notes
from webapp.notes.models import Note
from webapp.timeutil import now


@pytest.fixture
def note(make_note):
    return make_note(title="with images")


def test_an_mpo_photo_is_stored_as_a_jpeg_of_its_first_frame(client, note):
    response = upload(client, note["id"], samples.mpo(), name="phone.jpg")
    assert response.status_code == 201, response.get_json()
    (image,) = response.get_json()["images"]
    assert (image["content_type"], image["width"], image["height"]) == ("image/jpeg", 40, 20)
    stored = client.get(image["url"])
    with Image.open(io.BytesIO(stored.data)) as decoded:
        assert decoded.format == "JPEG"
        assert decoded.getpixel((20, 10))[1] > 150  # the green first frame, not the blue one
    stored.close()


def test_an_mpo_photo_can_start_a_note(client):
    assert create_from_images(client, samples.mpo()).status_code == 201


@pytest.mark.parametrize(
    "content",
    [samples.jpeg_cut_in_header(), samples.png_with_huge_text()],
    ids=["jpeg-cut-in-header", "png-huge-text-chunk"],
)
def test_files_that_break_the_decoder_while_opening_are_400(app, client, note, content):
    response = upload(client, note["id"], content)
    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert response.get_json()["error"]["fields"] == {"file.0": "damaged image"}
    assert stored_files(app) == []


@pytest.mark.parametrize(
    "error",
    [
        OSError("broken data stream"),
        ValueError("bad value"),
        SyntaxError("not a PNG"),
        Image.DecompressionBombError("bomb"),
        KeyError("MPO"),
        EOFError(),
        struct.error("unpack requires a buffer"),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("when", ["open", "load"])
def test_every_decoder_failure_is_a_4xx_envelope(app, client, note, monkeypatch, error, when):
    content = samples.png()

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(Image if when == "open" else ImageFile.ImageFile, when, fail)
    response = upload(client, note["id"], content)
    assert 400 <= response.status_code < 500
    error_code(response)
    assert stored_files(app) == []


def test_a_canvas_over_the_pixel_cap_is_refused_however_small_the_file(client, note):
    response = upload(client, note["id"], samples.gif_declaring(8000, 8000))
    assert response.status_code == 400
    assert error_code(response) == "too_many_pixels"


def test_a_first_frame_that_grows_the_canvas_is_counted(client, note):
    tiny_screen = samples.gif_declaring(1, 1, frame=(9000, 9000))
    assert error_code(upload(client, note["id"], tiny_screen)) == "too_many_pixels"


def test_the_side_of_the_canvas_is_capped(app, client, note):
    app.config["IMAGE_MAX_SIDE"] = 1000
    response = upload(client, note["id"], samples.png((1001, 2)))
    assert error_code(response) == "too_many_pixels"
    assert "file.0" in response.get_json()["error"]["fields"]


def test_the_frames_of_an_animation_are_capped(app, client, note):
    app.config["IMAGE_MAX_FRAMES"] = 2
    assert upload(client, note["id"], samples.gif(frames=2)).status_code == 201
    response = upload(client, note["id"], samples.gif(frames=3))
    assert response.status_code == 400
    assert error_code(response) == "too_many_frames"


def test_a_requests_pixels_together_are_capped_before_any_decoding(app, client, note, monkeypatch):
    app.config["IMAGE_MAX_REQUEST_PIXELS"] = 1500
    decoded = []
    real = pipeline.process
    monkeypatch.setattr(pipeline, "process", lambda *a, **k: decoded.append(1) or real(*a, **k))
    assert (
        upload(client, note["id"], samples.png((40, 20)), samples.png((20, 20))).status_code == 201
    )
    response = upload(client, note["id"], samples.png((40, 20)), samples.png((40, 20)))
    assert error_code(response) == "too_many_pixels"
    assert response.get_json()["error"]["fields"] == {
        "file": "at most 0.0015 megapixels per request"
    }
    assert len(decoded) == 2  # the first request's two images only
    assert len(stored_files(app)) == 4


def test_an_upload_finding_every_slot_taken_gets_503_busy(app, client, note):
    app.config["IMAGE_WAIT_SECONDS"] = 0.05
    slots = app.extensions["kaap.image_slots"]
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        response = upload(client, note["id"], samples.png())
    finally:
        for _ in range(taken):
            slots.release()
    assert response.status_code == 503
    assert error_code(response) == "busy"
    assert response.headers["Retry-After"]
    assert stored_files(app) == []
    assert upload(client, note["id"], samples.png()).status_code == 201


def test_slots_are_one_per_cpu_while_the_worst_images_fit_in_half_the_memory(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(
        pipeline.os, "sysconf", {"SC_PHYS_PAGES": 1000, "SC_PAGE_SIZE": 8_000_000}.get
    )
    assert pipeline.work_slots(50_000_000, tmp_path / "none") == 4  # 8 GB: 4 x 800 MB fit in half
    monkeypatch.setattr(
        pipeline.os, "sysconf", {"SC_PHYS_PAGES": 1000, "SC_PAGE_SIZE": 1_000_000}.get
    )
    assert pipeline.work_slots(50_000_000, tmp_path / "none") == 1  # 1 GB: one at a time


def test_a_containers_memory_limit_bounds_the_slots(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(
        pipeline.os, "sysconf", {"SC_PHYS_PAGES": 1000, "SC_PAGE_SIZE": 8_000_000}.get
    )
    limit = tmp_path / "memory.max"
    limit.write_text("max\n")
    assert pipeline.work_slots(50_000_000, limit) == 4
    limit.write_text(f"{2 * 800_000_000 * 2}\n")  # room for two of the worst images
    assert pipeline.work_slots(50_000_000, limit) == 2


@pytest.mark.parametrize("app_settings", [{"IMAGE_WORKERS": 3}])
def test_the_image_workers_setting_sizes_the_slots(app):
    slots = app.extensions["kaap.image_slots"]
    assert [slots.acquire(blocking=False) for _ in range(4)] == [True, True, True, False]


def test_pillows_own_bomb_cap_is_a_400_when_the_setting_is_above_it(app, client, note):
    app.config["IMAGE_MAX_PIXELS"] = 150_000_000  # Pillow warns (an error here) above 89 MP
    response = upload(client, note["id"], samples.gif_declaring(10000, 10000))
    assert response.status_code == 400
    assert error_code(response) == "too_many_pixels"


def test_files_moved_in_are_removed_when_the_transaction_fails(app, note, monkeypatch):
    def fail(*args):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(db.session, "commit", fail)  # after the files are moved in
    with app.app_context():
        owner_id = db.session.get(Note, note["id"]).owner_id
        uploads = [("a.png", io.BytesIO(samples.png())), ("b.png", io.BytesIO(samples.mpo()))]
        with pytest.raises(RuntimeError):
            notes.add_images(
                db.session, app.extensions["kaap.images"], images.work(app), owner_id,
                note["id"], uploads, now(),
            )  # fmt: skip
    assert list(app.extensions["kaap.images"].root.glob("??/*")) == []
