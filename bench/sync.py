"""Sync end to end: a fresh desktop's first sync, a changed note's round trip, an idle poll.

Usage: ``python bench/sync.py [--sizes 2000,10000] [--images-per 20] [--round-notes 100000]
[--rounds 30] [--no-record]``.

- The server is ``python -m webapp.serve`` (waitress, accounts on, SQLite) in its own process
  on a loopback port. Its notes are ``bench/corpus.py``'s (bulk rows, as the write path
  leaves them), numbered for sync as migration 0012 numbers rows written before it; one note
  in ``--images-per`` then gets a small real JPEG through the server's image path (an HTTP
  upload: decoded, re-encoded, thumbnailed).
- Each desktop is its own process too (single-user app, its own data directory), so its peak
  RSS is its own: connected with ``webapp.sync.device.service.connect``, then ``sync_now()``
  timed until in step. Memory flat = the peak does not grow with the number of notes.
- The round trip at ``--round-notes``: both sides hold the same notes, the desktop by a first
  sync of its own (timed and reported too); then each round edits one note on the desktop ->
  ``sync_now()`` -> read on the server, and one on the server -> ``sync_now()`` -> read on
  the desktop. The idle poll's server cost is ``bench/sync_poll.py``'s in-process figure at
  that many notes, beside the same poll over the socket.
- Without a working engine (``sync_now`` not written yet) the desktop parts say so and the
  server side is measured alone: the feed paged over the socket, one pushed change.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402
from bench.results import record  # noqa: E402

USER, PASSWORD = "bench", "bench-password-1"


# The server -------------------------------------------------------------------------------


def number_for_sync(db_path: Path, owner_id: int) -> None:
    """What migration 0012 gives rows written before it: a sequence number per note and
    label (oldest edit first), label and item uids, field times, the account's counter."""
    conn = sqlite3.connect(db_path)
    with conn:
        rows = conn.execute(
            "SELECT 'note', id, updated_at FROM notes WHERE owner_id = ? AND seq = 0 UNION ALL "
            "SELECT 'label', id, created_at FROM labels WHERE owner_id = ? AND seq = 0 "
            "ORDER BY 3, 2",
            (owner_id, owner_id),
        ).fetchall()
        top = conn.execute(
            "SELECT coalesce(max(seq), 0) FROM sync_sequences WHERE owner_id = ?", (owner_id,)
        ).fetchone()[0]
        notes, labels = [], []
        for number, (kind, row_id, _) in enumerate(rows, start=top + 1):
            if kind == "note":
                notes.append((number, row_id))
            else:
                labels.append((number, str(uuid.uuid4()), row_id))
        conn.executemany("UPDATE notes SET seq = ? WHERE id = ?", notes)
        conn.executemany("UPDATE labels SET seq = ?, uid = ? WHERE id = ?", labels)
        conn.execute(
            "UPDATE notes SET color_changed_at = updated_at, pinned_changed_at = updated_at, "
            "archived_changed_at = updated_at, trashed_changed_at = updated_at "
            "WHERE color_changed_at IS NULL"
        )
        conn.executemany(
            "UPDATE checklist_items SET uid = ? WHERE id = ?",
            [(str(uuid.uuid4()), i) for (i,) in conn.execute(
                "SELECT id FROM checklist_items WHERE uid = ''")],
        )  # fmt: skip
        conn.execute(
            "INSERT INTO sync_sequences (owner_id, seq, pruned_seq) VALUES (?, ?, 0) "
            "ON CONFLICT (owner_id) DO UPDATE SET seq = excluded.seq",
            (owner_id, top + len(rows)),
        )
    conn.close()


def prepare_server(folder: Path, n: int) -> float:
    """A migrated server database with one account holding ``n`` corpus notes."""
    from webapp import create_app

    began = time.perf_counter()
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(folder), "ACCOUNTS": True})
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    made = client.post("/api/auth/register", json={"username": USER, "password": PASSWORD})
    assert made.status_code == 201, made.get_json()
    owner = made.get_json()["user"]["id"] if "user" in made.get_json() else 1
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()
    corpus.load(folder / "kaap.sqlite3", n, owner_id=owner)
    number_for_sync(folder / "kaap.sqlite3", owner)
    return time.perf_counter() - began


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``python -m webapp.serve`` on a loopback port, production settings, its own process."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KAAP_CONFIG": "production", "KAAP_DATA_DIR": str(folder),
               "KAAP_DATABASE_URL": f"sqlite:///{folder / 'kaap.sqlite3'}",
               "SECRET_KEY": "bench-only", "KAAP_LOG_REQUESTS": "false"}  # fmt: skip
        self.log = open(folder / "server.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp.serve", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/api/sync/identity", timeout=2)
                break
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"no server: see {folder / 'server.log'}") from None
                time.sleep(0.2)

    def token(self, device: str) -> str:
        import httpx

        answer = httpx.post(f"{self.url}/api/sync/devices", timeout=30,
                            json={"username": USER, "password": PASSWORD, "device": device})  # fmt: skip
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    def rss_mb(self) -> float:
        return _rss_of(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_of(pid: int) -> float:
    """A process's CPU seconds so far (user and system): what a shared machine's load
    stretches least."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):  # the peak resident set
            return int(line.split()[1]) / 1024
    return 0.0


def photo(i: int) -> bytes:
    """A small real JPEG (640x480, a gradient and noise, ~30 KB), different for each ``i``."""
    from PIL import Image

    rng = random.Random(i)
    base = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    tint = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise((640, 480), 40).convert("RGB")
    picture = Image.blend(Image.blend(base, tint, 0.5), noise, 0.25)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


def upload_images(server: Server, note_ids: list[int]) -> float:
    """One photo to each of these notes through ``POST /api/notes/<id>/images``."""
    import httpx

    headers = {"Authorization": f"Bearer {server.token('bench uploader')}"}
    began = time.perf_counter()
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        for note_id in note_ids:
            files = {"file": (f"photo-{note_id}.jpg", photo(note_id), "image/jpeg")}
            answer = http.post(f"/api/notes/{note_id}/images", files=files)
            assert answer.status_code == 201, answer.text
    return time.perf_counter() - began


# The desktop (a child process: its peak RSS is its own) ------------------------------------


def desktop_app(folder: Path):
    from webapp import create_app

    return create_app({"CONFIG": "desktop", "DATA_DIR": str(folder), "SYNC_KEYRING": False})


def sync_until_in_step(engine, limit: int = 20):
    """``sync_now()`` until it reports nothing left to pull or push; the reports."""
    reports = []
    for _ in range(limit):
        reports.append(engine.sync_now())
        if reports[-1].in_step or reports[-1].paused_removals is not None:
            break
    return reports


def child_first_sync(folder: Path, url: str) -> dict:
    """Connect a fresh desktop and time its first sync; what it holds after."""
    from sqlalchemy import func, select

    from webapp.images.models import Image
    from webapp.notes.models import Note
    from webapp.sync.device import engine, service

    app = desktop_app(folder)
    with app.app_context():
        from webapp.extensions import db

        service.connect(folder, url, USER, PASSWORD, use_keyring=False, now="2026-12-01")
        before = _rss_of(os.getpid())
        cpu = _cpu_self()
        began = time.perf_counter()
        try:
            reports = sync_until_in_step(engine)
        except NotImplementedError as exc:
            return {"engine": f"not usable: {exc}"}
        seconds = time.perf_counter() - began
        cpu = _cpu_self() - cpu
        return {
            "cpu": cpu,
            "engine": "ok",
            "seconds": seconds,
            "rounds": len(reports),
            "in_step": reports[-1].in_step,
            "pulled": sum(r.pulled for r in reports),
            "images_down": sum(r.images_down for r in reports),
            "notes_here": db.session.scalar(select(func.count(Note.id))),
            "images_here": db.session.scalar(select(func.count(Image.id))),
            "rss_before_mb": before,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def child_round_trips(folder: Path, url: str, rounds: int) -> dict:
    """Rounds of one note edited here -> synced -> read there, and the other way."""
    import httpx
    from sqlalchemy import select

    from webapp.notes import service as notes
    from webapp.notes.models import Note
    from webapp.sync.device import engine
    from webapp.timeutil import now

    app = desktop_app(folder)
    token = httpx.post(f"{url}/api/sync/devices", timeout=30,
                       json={"username": USER, "password": PASSWORD, "device": "bench server side"})  # fmt: skip
    server = httpx.Client(base_url=url, timeout=30,
                          headers={"Authorization": f"Bearer {token.json()['token']}"})  # fmt: skip
    up, down, idle = [], [], []
    with app.app_context():
        from webapp.extensions import db

        owner = _owner(db)
        warm = sync_until_in_step(engine)  # a seeded desktop has nothing to move
        moved = {"pulled": sum(r.pulled for r in warm), "pushed": sum(r.pushed for r in warm)}
        pairs = json.loads((folder / "pairs.json").read_text())  # [server id, uid] each
        for i in range(rounds):
            # Desktop -> server: edit here (the write path), sync, the server has it.
            server_id, uid = pairs[2 * i]
            local_id = db.session.scalar(select(Note.id).where(Note.uid == uid))
            title = f"edited here {i} {uuid.uuid4().hex[:6]}"
            notes.update_note(db.session, owner, local_id, {"title": title}, now())
            began = time.perf_counter()
            sync_until_in_step(engine)
            seen = server.get(f"/api/notes/{server_id}").json()["title"]
            up.append(time.perf_counter() - began)
            assert seen == title, (seen, title)
            # Server -> desktop: edit there (through its API), sync, this desktop has it.
            server_id, uid = pairs[2 * i + 1]
            title = f"edited there {i} {uuid.uuid4().hex[:6]}"
            edit = server.patch(f"/api/notes/{server_id}", json={"title": title})
            assert edit.status_code == 200, edit.text
            began = time.perf_counter()
            sync_until_in_step(engine)
            db.session.expire_all()
            got = db.session.scalar(select(Note.title).where(Note.uid == uid))
            down.append(time.perf_counter() - began)
            assert got == title, (got, title)
        for _ in range(rounds):
            began = time.perf_counter()
            sync_until_in_step(engine)
            idle.append(time.perf_counter() - began)
    return {"up": up, "down": down, "idle_sync": idle, "warm_up": moved}


def _owner(db) -> int:
    from sqlalchemy import text

    return db.session.execute(text("SELECT min(id) FROM users")).scalar_one()


def pick_notes(server_db: Path, count: int) -> list[tuple[int, str]]:
    """Server ids and uids of notes outside the trash, to edit on either side."""
    conn = sqlite3.connect(f"file:{server_db}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT id, uid FROM notes WHERE trashed_at IS NULL ORDER BY id LIMIT ?", (count,)
    ).fetchall()
    conn.close()
    return [tuple(row) for row in rows]


# A desktop seeded with the server's notes (what a first sync leaves, without one) ----------


def seed_desktop(folder: Path, server_db: Path, url: str) -> float:
    """The desktop as a first sync leaves it, written directly: the server's rows copied
    (notes, items with their uids, labels, note labels), one base copy per note and label
    made by the engine's own ``normalized(notes_json(...))``, the cursor at the server's
    high-water mark. Returns the seconds it took."""
    from sqlalchemy import select

    from webapp.accounts.service import ensure_local_user
    from webapp.labels.models import Label
    from webapp.notes.models import Note
    from webapp.search.index import REBUILD, register_functions
    from webapp.sync import service as feed
    from webapp.sync.device import engine, service
    from webapp.sync.device.models import SyncBase, SyncCursor
    from webapp.sync.models import SyncSequence

    began = time.perf_counter()
    app = desktop_app(folder)
    with app.app_context():
        from webapp.extensions import db

        owner = ensure_local_user(db.session).id
        db.engine.dispose()
    conn = sqlite3.connect(folder / "kaap.sqlite3")
    register_functions(conn)
    conn.execute("ATTACH DATABASE ? AS server", (f"file:{server_db}?mode=ro",))
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'notes'"
    ).fetchall()
    with conn:
        for name, _ in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        for table in ("labels", "notes", "checklist_items", "note_labels"):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            picked = ", ".join(f'"{c}"' for c in columns)
            chosen = ", ".join("?" if c == "owner_id" else f'"{c}"' for c in columns)
            params = (owner,) if "owner_id" in columns else ()
            conn.execute(f"INSERT INTO {table} ({picked}) SELECT {chosen} FROM server.{table}",
                         params)  # fmt: skip
        for statement in REBUILD:
            conn.execute(statement)
        for _, sql in triggers:
            conn.execute(sql)
        top = conn.execute("SELECT max(seq) FROM server.sync_sequences").fetchone()[0]
        conn.execute("INSERT INTO sync_sequences (owner_id, seq, pruned_seq) VALUES (?, ?, 0)",
                     (owner, top))  # fmt: skip
    conn.close()
    service.connect(folder, url, USER, PASSWORD, use_keyring=False, now="2026-12-01")
    state = json.loads((folder / "sync.json").read_text())
    app = desktop_app(folder)
    with app.app_context():
        from webapp.extensions import db

        session = db.session
        columns = feed._NOTE_COLUMNS
        rows = session.execute(select(*columns).where(Note.owner_id == owner)).all()
        for start in range(0, len(rows), 500):
            for note in feed.notes_json(session, rows[start : start + 500]):
                session.add(SyncBase(server_id=state["server_id"], kind="note", uid=note["uid"],
                                     version=note["version"],
                                     state=json.dumps(engine.normalized(note))))  # fmt: skip
        for uid, name in session.execute(select(Label.uid, Label.name)):
            session.add(SyncBase(server_id=state["server_id"], kind="label", uid=uid,
                                 version=None, state=name))  # fmt: skip
        local_top = session.scalar(select(SyncSequence.seq).where(SyncSequence.owner_id == owner))
        session.add(SyncCursor(server_id=state["server_id"], high_water=top,
                               pushed_seq=local_top, first_synced_at=datetime.now(UTC)))  # fmt: skip
        session.commit()
        db.engine.dispose()
    return time.perf_counter() - began


# The server side alone ---------------------------------------------------------------------


def feed_paging(url: str, token: str, limit: int) -> tuple[float, int, int]:
    """The whole feed from 0 over the socket, ``limit`` per page: seconds, pages, notes."""
    from webapp.sync.device.client import Connection

    began, pages, notes, since = time.perf_counter(), 0, 0, 0
    with Connection(url, token) as conn:
        while True:
            page = conn.changes(since, limit)
            pages, notes, since = pages + 1, notes + len(page["changes"]), page["high_water"]
            if not page.get("more"):
                break
    return time.perf_counter() - began, pages, notes


def push_one(url: str, token: str, rounds: int) -> tuple[list[float], list[float]]:
    """One edit pushed, ``rounds`` times (an existing note), and an idle poll, over the socket."""
    from webapp.sync.device.client import Connection

    pushes, polls = [], []
    with Connection(url, token) as conn:
        page = conn.changes(0, 1)
        note = page["changes"][0]
        version = note["version"]
        for i in range(rounds):
            change = {"change_id": str(uuid.uuid4()), "uid": note["uid"],
                      "base_version": version, "note": {"title": f"pushed {i}"}}  # fmt: skip
            began = time.perf_counter()
            (result,) = conn.push({"changes": [change]})["results"]
            pushes.append(time.perf_counter() - began)
            assert result["status"] == "applied", result
            version = result["version"]
        top = conn.changes(0, 1)["high_water"]
        top = _top(conn, top)
        for _ in range(rounds):
            began = time.perf_counter()
            conn.changes(top, 500)
            polls.append(time.perf_counter() - began)
    return pushes, polls


def _top(conn, since: int) -> int:
    while True:
        page = conn.changes(since, 1000)
        since = page["high_water"]
        if not page.get("more"):
            return since


def idle_poll_in_process(n: int, polls: int) -> float:
    """``bench/sync_poll.py``'s idle poll at ``n`` notes: the server's own cost, p50 ms."""
    from bench.sync_poll import fill, p50_ms
    from webapp import create_app

    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"CONFIG": "testing", "DATA_DIR": data_dir})
        client = app.test_client()
        client.get("/api/csrf")
        fill(app, n)
        ms = p50_ms(client, f"/api/sync/changes?since={n}", polls)
        with app.app_context():
            from webapp.extensions import db

            db.engine.dispose()
    return ms


# The run ----------------------------------------------------------------------------------


def child(args: list[str]) -> None:
    role, folder, url = args[0], Path(args[1]), args[2]
    if role == "first-sync":
        print(json.dumps(child_first_sync(folder, url)))
    else:
        print(json.dumps(child_round_trips(folder, url, int(args[3]))))


def run_child(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], cwd=ROOT,
                         capture_output=True, text=True)  # fmt: skip
    if out.returncode != 0:
        return {"engine": "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--images-per", type=int, default=20, help="one note in this many")
    parser.add_argument("--round-notes", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--first-sync-round",
        action="store_true",
        help="make the round trips' desktop by a first sync, not seeded",
    )
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    lines: list[str] = []
    say = lambda line: (print(line, flush=True), lines.append(line))  # noqa: E731
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()  # fmt: skip
    say(f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()} ({platform.machine()}, "
        f"{os.cpu_count()} CPUs, shared with other work), Python {platform.python_version()}, "
        f"commit {commit}; load average {load_average()} at the start.")  # fmt: skip
    say("")
    say("| first sync | server notes | images | server made in | desktop sync, s | "
        "CPU s: desktop / server | rounds | notes / images here | "
        "desktop RSS before -> peak, MB |")  # fmt: skip
    say("|---|---|---|---|---|---|---|---|---|")
    engine_ok = True
    for n in [int(s) for s in args.sizes.split(",")]:
        folder = Path(tempfile.mkdtemp(prefix=f"kaap-sync-{n}-"))
        try:
            server_dir, desk = folder / "server", folder / "desktop"
            server_dir.mkdir()
            desk.mkdir()
            made = prepare_server(server_dir, n)
            server = Server(server_dir)
            try:
                # Notes still there once the server started (expired trash is purged then).
                kept = [i for i, _ in pick_notes(server_dir / "kaap.sqlite3", n)]
                count = n // args.images_per
                image_notes = kept[:: max(1, len(kept) // count)][:count]
                made += upload_images(server, image_notes)
                server_cpu = cpu_of(server.process.pid)
                result = run_child("first-sync", desk, server.url)
                server_cpu = cpu_of(server.process.pid) - server_cpu
                if result.get("engine") != "ok":
                    engine_ok = False
                    say(f"| {n:,} notes | {n:,} | {len(image_notes)} | {made:.1f} s | "
                        f"{result['engine']} | - | - | - | - |")  # fmt: skip
                    token = server.token("bench pager")
                    for limit in (500, 1000):
                        seconds, pages, got = feed_paging(server.url, token, limit)
                        say(f"| feed from 0, limit {limit} (server side only) | {n:,} | "
                            f"{len(image_notes)} | - | {seconds:.2f} | - | {pages} pages | "
                            f"{got:,} notes | server peak {server.rss_mb():.0f} |")  # fmt: skip
                    continue
                say(f"| {n:,} notes | {n:,} | {len(image_notes)} | {made:.1f} s | "
                    f"{result['seconds']:.1f} | {result['cpu']:.1f} / {server_cpu:.1f} | "
                    f"{result['rounds']} | "
                    f"{result['notes_here']:,} / {result['images_here']} | "
                    f"{result['rss_before_mb']:.0f} -> {result['peak_rss_mb']:.0f} |")  # fmt: skip
            finally:
                server.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    say("")
    n = args.round_notes
    folder = Path(tempfile.mkdtemp(prefix=f"kaap-sync-{n}-"))
    try:
        server_dir, desk = folder / "server", folder / "desktop"
        server_dir.mkdir()
        desk.mkdir()
        made = prepare_server(server_dir, n)
        server = Server(server_dir)
        try:
            token = server.token("bench pusher")
            pushes, polls = push_one(server.url, token, args.rounds)
            say(f"At {n:,} notes (server made in {made:.0f} s; load average {load_average()}):")
            say("")
            say("| over the socket | p50 ms | p95 ms |")
            say("|---|---|---|")
            say(f"| push of one changed note (server side only) | {pct(pushes, 0.5):.1f} | "
                f"{pct(pushes, 0.95):.1f} |")  # fmt: skip
            say(f"| idle poll, GET /api/sync/changes?since=high_water | {pct(polls, 0.5):.1f} | "
                f"{pct(polls, 0.95):.1f} |")  # fmt: skip
            if engine_ok:
                if args.first_sync_round:
                    first = run_child("first-sync", desk, server.url)
                    how = (f"came from its first sync: {first.get('seconds', 0):.0f} s, peak "
                           f"RSS {first.get('peak_rss_mb', 0):.0f} MB")  # fmt: skip
                else:
                    seconds = seed_desktop(desk, server_dir / "kaap.sqlite3", server.url)
                    first = {"engine": "ok"}
                    how = (
                        f"was seeded directly in {seconds:.0f} s (the server's rows copied, "
                        "a base copy per note and label by the engine's own normalized(), "
                        "the cursor at the server's high-water mark), not first-synced"
                    )
                if first.get("engine") == "ok":
                    pairs = pick_notes(server_dir / "kaap.sqlite3", 2 * args.rounds)
                    (desk / "pairs.json").write_text(json.dumps(pairs))
                    trips = run_child("round-trips", desk, server.url, args.rounds)
                    if "up" in trips:
                        for name, key in (("desktop edit -> sync -> on the server", "up"),
                                          ("server edit -> sync -> on the desktop", "down"),
                                          ("sync_now() with nothing to do", "idle_sync")):  # fmt: skip
                            say(f"| {name} | {pct(trips[key], 0.5):.1f} | "
                                f"{pct(trips[key], 0.95):.1f} |")  # fmt: skip
                    else:
                        say(f"| round trips | {trips.get('engine')} | - |")
                    say("")
                    say(f"The desktop's side at {n:,} notes {how}; its first sync_now() then "
                        f"moved {trips.get('warm_up')}.")  # fmt: skip
                else:
                    say(f"| round trips | not measured: {first.get('engine')} | - |")
            else:
                say("| round trips (desktop <-> server) | not measured: engine not usable | - |")
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ms = idle_poll_in_process(n, 300)
    say("")
    say(f"Idle poll, the server's own cost (bench/sync_poll.py's in-process request at {n:,} "
        f"notes, p50 of 300): {ms:.2f} ms. Load average {load_average()} at the end.")  # fmt: skip
    if not args.no_record:
        record("sync", "## Sync end to end (`python bench/sync.py`)\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
