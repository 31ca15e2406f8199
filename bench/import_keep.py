"""Import 1,000 Keep notes with 200 photos from a synthetic Takeout; target under 30 s.

Usage: ``python bench/import_keep.py [--notes 1000] [--images 200] [--no-record]``. The
photos are 2000x1500 JPEGs of noise and gradients (roughly what phones send after Takeout's
own scaling), so decoding and re-encoding cost what real ones do.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import random
import shutil
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import _sentence  # noqa: E402
from bench.results import record  # noqa: E402


def photo(rng: random.Random) -> bytes:
    from PIL import Image, ImageFilter

    noise = Image.effect_noise((2000, 1500), rng.randint(20, 80)).convert("RGB")
    tint = Image.new(
        "RGB", noise.size, (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    )
    image = Image.blend(noise, tint, 0.5).filter(ImageFilter.GaussianBlur(1))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def make_takeout(path: Path, notes: int, images: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    photos = [photo(rng) for _ in range(min(images, 20))]  # 20 distinct photos, reused
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(notes):
            note = {
                "title": _sentence(rng, rng.randint(1, 5)),
                "textContent": _sentence(rng, rng.randint(10, 80)),
                "color": rng.choice(["DEFAULT", "RED", "CERULEAN", "GREEN"]),
                "isPinned": rng.random() < 0.05,
                "isArchived": rng.random() < 0.1,
                "isTrashed": False,
                "createdTimestampUsec": 1_600_000_000_000_000 + i,
                "userEditedTimestampUsec": 1_600_000_000_000_000 + i,
                "labels": [{"name": f"label {rng.randrange(10)}"}],
            }
            if i < images:
                note["attachments"] = [{"filePath": f"photo{i}.jpg", "mimetype": "image/jpeg"}]
                archive.writestr(
                    f"Takeout/Keep/photo{i}.jpg",
                    photos[i % len(photos)],
                    compress_type=zipfile.ZIP_STORED,
                )
            archive.writestr(f"Takeout/Keep/note {i}.json", json.dumps(note, ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    from webapp import create_app, images
    from webapp.extensions import db
    from webapp.transfer.importer import import_path

    work = Path(tempfile.mkdtemp(prefix="kaap-import-bench-"))
    try:
        archive = work / "takeout.zip"
        make_takeout(archive, args.notes, args.images)
        size_mb = archive.stat().st_size / 1e6
        app = create_app({"CONFIG": "testing", "DATA_DIR": str(work / "data")})
        with app.app_context():
            began = time.perf_counter()
            summary = import_path(
                db.session,
                app.extensions["kaap.images"],
                1,
                archive,
                images.work(app),
            )
            seconds = time.perf_counter() - began
            db.engine.dispose()
        assert summary.imported == args.notes and not summary.failed, summary.as_json()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    line = (
        f"{args.notes:,} notes with {args.images} photos (2000x1500 JPEG; archive "
        f"{size_mb:.0f} MB) imported in {seconds:.1f} s "
        f"({'PASS' if seconds < 30 else 'FAIL'}: target under 30 s)"
    )
    print(line)
    if not args.no_record:
        record(
            "import",
            "## Google Keep import (`python bench/import_keep.py`)\n\n"
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, Python "
            f"{platform.python_version()}: {line}.",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
