"""Upload a 12-megapixel JPEG: to stored file plus thumbnail, beside Pillow alone (the floor);
and another user's writes while someone uploads the worst images the limits allow.

Each case runs in a fresh process so its peak memory is its own: the upload goes through
the app's API (``POST /api/notes/<id>/images`` into the WSGI app with the multipart body
built beforehand: parsing, the pipeline, both files written, the image synced, the row); the
floor is Pillow alone making the same two files from the same JPEG: decode, save the full image
as a JPEG of the same quality, and a thumbnail of at most 512 px as WebP with the same settings
(box-reduced, then resampled, as the pipeline does), both to files.
Target: within 1.5x of the floor.

Two users, same run: the production server (``python -m webapp.serve``, waitress, accounts on,
SQLite) in a subprocess; user B's note creations (``POST /api/notes``, an API token each, one
every ``--pace`` seconds) are timed with no image work going on, then while user A keeps
uploading, on ``--parallel`` connections at once, the worst request the limits allow (tiny
GIFs declaring the largest canvas, as many as the request's pixels allow).
Target: every write of B succeeds, p95 under 500 ms while A uploads.

Usage: ``python bench/images.py [--runs 5] [--writes 100] [--pace 0.1] [--parallel 4] [--two-users-only] [--no-record] [--code DIR]``
(``--code``: serve another checkout, e.g. an older commit, for a before/after).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
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


def worst_request() -> tuple[bytes, str, int]:
    """Multipart body of the worst upload the default limits allow; with its image count."""
    from PIL import Image

    from webapp.config import Config

    side = int(Config.IMAGE_MAX_PIXELS**0.5)
    count = getattr(Config, "IMAGE_MAX_REQUEST_PIXELS", 4 * side * side) // (side * side)
    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, "GIF")
    gif = bytearray(out.getvalue())
    gif[6:10] = struct.pack("<HH", side, side)  # the screen: a canvas of side x side pixels
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{i}.gif"\r\n'
        "Content-Type: image/gif\r\n\r\n".encode()
        + bytes(gif)
        + b"\r\n"
        for i in range(count)
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}", count


def tokens(data_dir: Path) -> list[str]:
    """Two accounts, A and B, with an API token each (no CSRF, no login in the timing)."""
    from webapp import create_app
    from webapp.accounts.service import create_user
    from webapp.accounts.tokens import create_token
    from webapp.extensions import db
    from webapp.timeutil import utcnow

    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "ACCOUNTS": True})
    secrets = []
    with app.app_context():
        for name in ("user-a", "user-b"):
            user = create_user(db.session, name, "bench-only-password-7f3a", is_admin=True)
            secrets.append(create_token(db.session, user.id, "bench", utcnow())[1])
        db.engine.dispose()
    return secrets


def serve(data_dir: Path, code: Path) -> tuple[subprocess.Popen, int]:
    env = {
        **os.environ,
        "KAAP_CONFIG": "production",
        "SECRET_KEY": "bench-only-secret",
        "KAAP_SESSION_COOKIE_SECURE": "false",
        "KAAP_DATA_DIR": str(data_dir),
        "KAAP_DATABASE_URL": f"sqlite:///{data_dir / 'kaap.sqlite3'}",
        "KAAP_LOG_REQUESTS": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "webapp.serve", "--host", "127.0.0.1", "--port", "0"],
        cwd=code, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    for line in proc.stdout:
        found = re.search(r"Serving on http://127\.0\.0\.1:(\d+)", line)
        if found:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep draining
            return proc, int(found.group(1))
    raise RuntimeError("the server exited before serving")


class User:
    """One user on one keep-alive connection, by API token."""

    def __init__(self, port: int, secret: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.auth = f"Bearer {secret}"

    def send(self, method: str, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        headers = {"Authorization": self.auth, "Content-Type": content_type}
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()


def timed_writes(user: User, count: int, tag: str, pace: float = 0) -> tuple[list, list]:
    """``count`` note creations, one every ``pace`` seconds (a person's rhythm, spread over
    several of A's uploads); their latencies and statuses."""
    seconds, statuses = [], []
    for i in range(count):
        time.sleep(pace)
        body = json.dumps({"title": f"{tag} {i}", "body": "a note of user B"}).encode()
        began = time.perf_counter()
        status, _ = user.send("POST", "/api/notes", body, "application/json")
        seconds.append(time.perf_counter() - began)
        statuses.append(status)
    return seconds, statuses


def two_users(writes: int, pace: float, parallel: int, code: Path) -> dict:
    """B's write latency idle and while A uploads the worst images, in one server."""
    body, content_type, count = worst_request()
    with tempfile.TemporaryDirectory(prefix="kaap-img-users-") as work:
        data_dir = Path(work)
        secret_a, secret_b = tokens(data_dir)
        proc, port = serve(data_dir, code)
        try:
            b = User(port, secret_b)
            timed_writes(b, 10, "warm-up")
            idle, idle_statuses = timed_writes(b, writes, "idle", pace)
            uploads, stop = [], threading.Event()

            def upload_loop() -> None:
                a = User(port, secret_a)
                while not stop.is_set():
                    note = json.dumps({"title": "worst images"}).encode()
                    status, created = a.send("POST", "/api/notes", note, "application/json")
                    if status != 201:  # the database busy (before the fix): try again
                        uploads.append((status, 0.0))
                        continue
                    path = f"/api/notes/{json.loads(created)['id']}/images"
                    began = time.perf_counter()
                    status, _ = a.send("POST", path, body, content_type)
                    uploads.append((status, time.perf_counter() - began))

            uploaders = [threading.Thread(target=upload_loop) for _ in range(parallel)]
            for uploader in uploaders:
                uploader.start()
            time.sleep(1)  # A's first upload is being decoded
            busy, busy_statuses = timed_writes(b, writes, "busy", pace)
            stop.set()
            for uploader in uploaders:
                uploader.join(300)
            peak_mb = _peak_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {
        "idle": idle, "busy": busy, "images": count, "bytes": len(body), "uploads": uploads,
        "peak_mb": peak_mb, "pace": pace, "parallel": parallel,
        "failed": sum(s != 201 for s in idle_statuses + busy_statuses),
        "statuses": sorted(set(idle_statuses + busy_statuses)),
    }  # fmt: skip


def _peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


def two_users_line(result: dict) -> str:
    def ms(samples: list[float], q: int) -> float:
        return statistics.quantiles(samples, n=100)[q - 1] * 1000

    p95 = ms(result["busy"], 95)
    ok = result["failed"] == 0 and p95 < 500
    uploads = result["uploads"]
    upload_s = statistics.median(t for _, t in uploads) if uploads else 0
    return (
        f"user B's {len(result['busy'])} note creations (one every {result['pace']:g} s): idle p50 {ms(result['idle'], 50):.1f} ms, "
        f"p95 {ms(result['idle'], 95):.1f} ms; while user A uploads, on {result['parallel']} "
        f"connections at once, {result['images']} GIFs "
        f"declaring the largest canvas allowed ({result['bytes'] / 1000:.1f} KB a request, "
        f"{len(uploads)} upload(s), median {upload_s:.1f} s, statuses "
        f"{sorted({s for s, _ in uploads})}, server peak {result['peak_mb']:.0f} MB) "
        f"p50 {ms(result['busy'], 50):.1f} ms, "
        f"p95 {p95:.1f} ms ({p95 / max(ms(result['idle'], 95), 0.001):.1f}x idle); "
        f"{result['failed']} of B's writes failed (statuses {result['statuses']}) "
        f"({'PASS' if ok else 'FAIL'}: all succeed, p95 under 500 ms)"
    )


def one_photo(runs: int) -> str:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "photo.jpg"
        path.write_bytes(photo())
        size_mb = path.stat().st_size / 1e6
        results = {"app": [], "floor": []}
        for _ in range(runs):  # interleaved, so both see the same machine
            for which in results:
                results[which].append(run(which, path))
    med = {w: statistics.median(r["seconds"] for r in rs) for w, rs in results.items()}
    mem = {w: statistics.median(r["added_mb"] for r in rs) for w, rs in results.items()}
    ratio = med["app"] / med["floor"]
    return (
        f"12 MP JPEG ({size_mb:.1f} MB), median of {runs}: upload to stored file and "
        f"thumbnail {med['app'] * 1000:.0f} ms, +{mem['app']:.0f} MB peak; Pillow alone (decode, "
        f"save the JPEG and the WebP thumbnail) {med['floor'] * 1000:.0f} ms, +{mem['floor']:.0f} MB; time {ratio:.2f}x the floor "
        f"({'PASS' if ratio <= 1.5 else 'FAIL'}: target 1.5x), memory "
        f"{mem['app'] / max(mem['floor'], 1):.2f}x"
    )


def _commit(code: Path) -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=code, capture_output=True,
                         text=True)  # fmt: skip
    return out.stdout.strip() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--pace", type=float, default=0.1, help="seconds between B's writes")
    parser.add_argument("--parallel", type=int, default=4, help="A's uploads at once")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout to serve")
    parser.add_argument("--two-users-only", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    stamp = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()} ({os.cpu_count()} CPUs, "
        f"shared), Python {platform.python_version()}, commit {_commit(args.code)}"
    )
    from bench.results import record

    if not args.two_users_only:
        line = one_photo(args.runs)
        print(line)
        if not args.no_record:
            record("images", f"## Image upload (`python bench/images.py`)\n\n{stamp}: {line}.")
    line = two_users_line(two_users(args.writes, args.pace, args.parallel, args.code))
    print(line)
    if not args.no_record:
        record(
            "images-two-users",
            "## Image work beside another user's writes (`python bench/images.py`)\n\n"
            f"{stamp}: {line}.",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
