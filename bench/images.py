"""Upload a 12-megapixel JPEG: to stored file plus thumbnail, beside Pillow alone (the floor).

Each case runs in a fresh process so its peak memory is its own: the upload goes through
the app's API (``POST /api/notes/<id>/images`` into the WSGI app with the multipart body
built beforehand: parsing, the pipeline, both files written, the image synced, the row); the
floor is Pillow alone making the same two files from the same JPEG: decode, save the full image
as a JPEG of the same quality, and a thumbnail of at most 512 px as WebP with the same settings
(box-reduced, then resampled, as the pipeline does), both to files.
Target: within 1.5x of the floor. Usage: ``python bench/images.py [--runs 5] [--no-record]``.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.test import EnvironBuilder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def photo() -> bytes:
    """A 4000x3000 JPEG with detail (noise over gradients), about what a phone takes."""
    from PIL import Image, ImageFilter

    noise = Image.effect_noise((4000, 3000), 40).convert("RGB")
    tint = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    image = Image.blend(noise, tint, 0.5).filter(ImageFilter.GaussianBlur(1))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def prepare_app(path: Path):
    """An app with a note, and the upload to time (everything else is set up before)."""
    from webapp import create_app

    data = path.read_bytes()
    app = create_app({"CONFIG": "testing", "DATA_DIR": tempfile.mkdtemp(prefix="kaap-img-")})
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    note = client.post("/api/notes", json={"title": "photo"}).get_json()

    def upload() -> float:
        # The request body is built before the clock starts: a browser builds it, not Kaap.
        builder = EnvironBuilder(
            path=f"/api/notes/{note['id']}/images",
            method="POST",
            data={"file": (io.BytesIO(data), "photo.jpg")},
            content_type="multipart/form-data",
            environ_base=client.environ_base,
        )
        environ = builder.get_environ()
        client._add_cookies_to_wsgi(environ)
        began = time.perf_counter()
        response = client.open(environ)
        seconds = time.perf_counter() - began
        assert response.status_code == 201, response.get_json()
        return seconds

    return upload


def prepare_floor(path: Path):
    data = path.read_bytes()
    out = Path(tempfile.mkdtemp(prefix="kaap-img-floor-"))
    return lambda: floor(data, out)


def floor(data: bytes, out: Path) -> float:
    """Pillow alone: decode the upload, save it as a JPEG and a 512 px WebP thumbnail."""
    from PIL import Image

    from webapp.images.pipeline import ENCODE_OPTIONS, THUMB_MAX_SIDE

    began = time.perf_counter()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        image.save(out / "full.jpg", "JPEG", **ENCODE_OPTIONS["JPEG"])
        thumb = image.reduce(max(1, max(image.size) // THUMB_MAX_SIDE))
        thumb.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE))
        thumb.save(out / "thumb.webp", "WEBP", **ENCODE_OPTIONS["WEBP"])
    return time.perf_counter() - began


def _peak_kb() -> int:
    # VmHWM is this process's own peak; ru_maxrss would carry the parent's across fork+exec.
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])


def child(which: str, path: str) -> None:
    """Run one case in this fresh process; print its time and the memory it added."""
    # Imports loaded before the baseline, in both cases (Pillow's plugins included).
    import webapp.images.pipeline  # noqa: F401

    run_case = (prepare_app if which == "app" else prepare_floor)(Path(path))
    baseline = _peak_kb()
    seconds = run_case()
    peak = _peak_kb()
    print(json.dumps({"seconds": seconds, "added_mb": (peak - baseline) / 1024}))


def run(which: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "photo.jpg"
        path.write_bytes(photo())
        size_mb = path.stat().st_size / 1e6
        results = {"app": [], "floor": []}
        for _ in range(args.runs):  # interleaved, so both see the same machine
            for which in results:
                results[which].append(run(which, path))
    med = {w: statistics.median(r["seconds"] for r in rs) for w, rs in results.items()}
    mem = {w: statistics.median(r["added_mb"] for r in rs) for w, rs in results.items()}
    ratio = med["app"] / med["floor"]
    line = (
        f"12 MP JPEG ({size_mb:.1f} MB), median of {args.runs}: upload to stored file and "
        f"thumbnail {med['app'] * 1000:.0f} ms, +{mem['app']:.0f} MB peak; Pillow alone (decode, "
        f"save the JPEG and the WebP thumbnail) {med['floor'] * 1000:.0f} ms, +{mem['floor']:.0f} MB; time {ratio:.2f}x the floor "
        f"({'PASS' if ratio <= 1.5 else 'FAIL'}: target 1.5x), memory "
        f"{mem['app'] / max(mem['floor'], 1):.2f}x"
    )
    print(line)
    if not args.no_record:
        from bench.results import record

        record(
            "images",
            "## Image upload (`python bench/images.py`)\n\n"
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, Python "
            f"{platform.python_version()}: {line}.",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
