"""Images in an import go through the same pipeline: a bad one is a warning, not the end."""

import json
import sqlite3

import pytest
from flask import g

from tests.images import samples
from tests.transfer import takeout
from tests.transfer.test_keep_import import notes_by_title, run_import
from webapp import images
from webapp.db.sqlite import sqlite_path
from webapp.extensions import db
from webapp.images import pipeline
from webapp.transfer.importer import import_path


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


@pytest.mark.sqlite_only
def test_an_import_holds_no_write_lock_while_its_images_decode(app, tmp_path, monkeypatch):
    keep = tmp_path / "takeout" / takeout.KEEP
    keep.mkdir(parents=True)
    (keep / "photo.png").write_bytes(samples.png())
    attachments = [{"filePath": "photo.png", "mimetype": "image/png"}]
    (keep / "Photo.json").write_text(json.dumps({"title": "Photo", "attachments": attachments}))
    root = tmp_path / "takeout"
    with app.app_context():
        path = sqlite_path(str(db.engine.url))
    outcomes, real = [], pipeline.process

    def process(*args, **kwargs):
        # On a worker thread; the importer's thread waits for it, so a lock it held would
        # stay held past this wait.
        other = sqlite3.connect(path, timeout=2, isolation_level=None)
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
    with app.app_context():
        g.kaap_write = True  # as the import job runs
        import_path(db.session, app.extensions["kaap.images"], 1, root, images.work(app))
    assert outcomes == ["free"]
