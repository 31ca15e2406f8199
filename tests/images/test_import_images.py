"""Images in an import go through the same pipeline: a bad one is a warning, not the end."""

import json

from tests.images import samples
from tests.transfer import takeout
from tests.transfer.test_keep_import import notes_by_title, run_import


def test_phone_photos_and_broken_images_in_a_takeout_do_not_stop_it(app, client, tmp_path):
    root = takeout.write_folder(tmp_path / "takeout")
    keep = root / takeout.KEEP
    files = {
        "phone.jpg": samples.mpo(),
        "cut.jpg": samples.jpeg_cut_in_header(),
        "text.png": samples.png_with_huge_text(),
    }
    for name, data in files.items():
        (keep / name).write_bytes(data)
    attachments = [{"filePath": name, "mimetype": "image/jpeg"} for name in files]
    (keep / "Camera.json").write_text(
        json.dumps({"title": "Camera", "textContent": "", "attachments": attachments})
    )
    summary = run_import(app, root)
    assert summary.failed[-1]["file"].endswith("Broken.json")  # the Takeout's own broken note
    assert summary.imported == 6 + 12 + 1
    (image,) = notes_by_title(client)["Camera"]["images"]
    assert image["content_type"] == "image/jpeg"
    reasons = [w["reason"] for w in summary.warnings if w["file"].endswith("Camera.json")]
    assert reasons == [
        "image cut.jpg not imported: That image is damaged and cannot be read.",
        "image text.png not imported: That image is damaged and cannot be read.",
    ]
    assert len(list((app.extensions["kaap.images"].root).glob("??/*.part"))) == 0
