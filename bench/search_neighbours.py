"""Search beside a heavy neighbour: user B's search latency alone, then with user A's 200,000
notes of repeated text in the same database, in one run.

B owns a few hundred notes of the bench corpus's words. B's searches are timed through HTTP
against the production server (waitress, accounts on, B's API token), as bench/scale.py
times them; then A's notes are bulk-loaded (every one holds B's search words, over and over)
with ids between B's first and second half, so in id order B's rows stand on both sides of
A's; then the same searches are timed again. The ratio of the two p50s is the figure: the
index narrows by owner (migration 0009), so A's notes should not cost B's search. Usage::

    python bench/search_neighbours.py                  # SQLite, 200,000 notes for A
    python bench/search_neighbours.py --neighbour 20000 --requests 50 --no-record
    python bench/search_neighbours.py --database-url postgresql+psycopg://u:p@127.0.0.1/db
      (a throwaway database: its tables are emptied first)
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import ENGLISH, KOREAN, empty_postgres  # noqa: E402
from bench.results import RESULTS, record  # noqa: E402
from bench.scale import Server, percentiles  # noqa: E402

# A's text: B's search words, repeated (an import of one document pasted over and over).
PHRASE = "aaaa meeting report plan 회의 coffee budget "
SEARCHES = [
    ("word B has", "garden"),
    ("word both have", "meeting"),
    ("Korean 2 chars", "회의"),
    ("three words", "coffee report plan"),
    ("only A has", "aaaa"),
]
B_FIRST_IDS = (1, 10_000_000)  # B's two halves; A's notes go between them
A_FIRST_ID = 1_000


def _note(owner_id: int, note_id: int, body: str, when: datetime) -> dict:
    return {
        "id": note_id, "owner_id": owner_id, "uid": str(uuid.uuid4()), "title": "",
        "body": body, "kind": "text", "color": "default", "pinned": False,
        "archived": False, "created_at": when, "updated_at": when, "version": 1,
        "search_text": body.casefold(),
    }  # fmt: skip


def b_notes(owner_id: int, count: int) -> list[dict]:
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(count):
        half = B_FIRST_IDS[i % 2]
        words = rng.choices(ENGLISH, k=rng.randint(8, 40)) + rng.choices(KOREAN, k=3)
        rows.append(_note(owner_id, half + i // 2, " ".join(words), start + timedelta(hours=i)))
    return rows


def a_notes(owner_id: int, count: int, repeat: int):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    text = PHRASE * repeat
    for i in range(count):
        yield _note(owner_id, A_FIRST_ID + i, f"{i} {text}", start + timedelta(seconds=i))


def insert(engine, rows, bulk: bool) -> float:
    """Insert the notes; with ``bulk`` on SQLite the index is rebuilt once (as bench/corpus.py
    does) instead of a trigger per row. Returns the seconds it took."""
    from sqlalchemy import insert as insert_
    from sqlalchemy import text

    from webapp.notes.models import Note
    from webapp.search.index import REBUILD

    began = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        triggers = []
        if bulk and sqlite:
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'notes'"
            ).all()
            for name, _ in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 5000:
                conn.execute(insert_(Note), batch)
                batch = []
        if batch:
            conn.execute(insert_(Note), batch)
        if triggers:
            for statement in REBUILD:
                conn.exec_driver_sql(statement)
            for _, sql in triggers:
                conn.exec_driver_sql(sql)
        if sqlite:
            conn.exec_driver_sql("PRAGMA optimize")
        else:
            conn.execute(text("SELECT setval('notes_id_seq', (SELECT max(id) FROM notes))"))
    if not sqlite:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE notes")
    return time.perf_counter() - began


def measure(server: Server, requests: int) -> dict[str, tuple[float, float]]:
    """p50 and p95 (ms) of each search, the searches taken in turn round by round."""
    paths = {name: f"/api/notes?q={quote(q)}" for name, q in SEARCHES}
    for _ in range(10):
        for path in paths.values():
            server.send("GET", path)
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(requests):
        for name, path in paths.items():
            began = time.perf_counter()
            server.send("GET", path)
            samples[name].append((time.perf_counter() - began) * 1000)
    return {name: percentiles(values) for name, values in samples.items()}


def run(database_url: str | None, neighbour: int, repeat: int, own: int, requests: int) -> dict:
    from webapp import create_app
    from webapp.accounts.models import User
    from webapp.accounts.tokens import create_token
    from webapp.extensions import db
    from webapp.timeutil import utcnow

    data_dir = Path(tempfile.mkdtemp(prefix="kaap-neighbours-"))
    try:
        settings = {"CONFIG": "testing", "DATA_DIR": str(data_dir), "ACCOUNTS": True}
        if database_url:
            create_app({**settings, "DATABASE_URL": database_url})  # migrated
            empty_postgres(database_url)
            settings["DATABASE_URL"] = database_url
        app = create_app(settings)
        with app.app_context():
            a, b = User(username="neighbour-a"), User(username="searcher-b")
            db.session.add_all([a, b])
            db.session.commit()
            a_id, b_id = a.id, b.id
            _, secret = create_token(db.session, b_id, "bench", utcnow())
            engine = db.engine
            insert(engine, b_notes(b_id, own), bulk=False)

            def timed() -> dict:
                server = Server(data_dir, secret, database_url)
                try:
                    return measure(server, requests)
                finally:
                    server.stop()

            alone = timed()
            print(f"B alone ({own} notes): " + report_line(alone), flush=True)
            load_s = insert(engine, a_notes(a_id, neighbour, repeat), bulk=True)
            megabytes = neighbour * len(PHRASE * repeat) / 1e6
            print(f"A's {neighbour:,} notes ({megabytes:,.0f} MB) loaded in {load_s:.1f} s")
            beside = timed()
            print("B beside A: " + report_line(beside), flush=True)
            db.engine.dispose()
        size_mb = None
        if not database_url:
            size_mb = (data_dir / "kaap.sqlite3").stat().st_size / 1e6
        return {
            "backend": "PostgreSQL" if database_url else f"SQLite {sqlite3.sqlite_version}",
            "neighbour": neighbour, "repeat": repeat, "own": own, "requests": requests, "load_s": load_s,
            "db_mb": size_mb, "alone": alone, "beside": beside,
        }  # fmt: skip
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def report_line(result: dict) -> str:
    return "; ".join(
        f"{name} p50 {p50:.2f} ms p95 {p95:.2f} ms" for name, (p50, p95) in result.items()
    )


def markdown(result: dict, commit: str) -> str:
    size = f", database {result['db_mb']:.0f} MB" if result["db_mb"] else ""
    lines = [
        f"### {result['backend']}: B's {result['own']} notes beside A's "
        f"{result['neighbour']:,} of {len(PHRASE * result['repeat']):,} characters each "
        f"(loaded in {result['load_s']:.1f} s{size})",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, on {platform.node()}: "
        f"{os.cpu_count()} cores shared with other engineers' test suites (load average "
        f"{os.getloadavg()[0]:.1f} at the end), Python {platform.python_version()}. "
        f"{result['requests']} timed requests per search and phase after 10 warm-up rounds, "
        "one keep-alive connection to waitress, B's API token.",
        "",
        "| B's search | alone p50 | alone p95 | beside A p50 | beside A p95 | p50 ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    worst = 0.0
    for name, q in SEARCHES:
        (a50, a95), (b50, b95) = result["alone"][name], result["beside"][name]
        worst = max(worst, b50 / a50)
        lines.append(
            f"| {name} (`{q}`) | {a50:.2f} ms | {a95:.2f} ms | {b50:.2f} ms | {b95:.2f} ms "
            f"| {b50 / a50:.2f}x |"
        )
    verdict = "PASS" if worst <= 2 else "FAIL"
    lines += ["", f"- {verdict}: B's search p50 within 2x of B alone (worst {worst:.2f}x).", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neighbour", type=int, default=200_000, help="A's notes")
    parser.add_argument(
        "--repeat", type=int, default=50, help="A's phrase per note (50: 2 KB a note)"
    )
    parser.add_argument("--own", type=int, default=300, help="B's notes")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (emptied)")
    parser.add_argument("--no-record", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args()
    result = run(args.database_url, args.neighbour, args.repeat, args.own, args.requests)
    import subprocess

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    section = markdown(result, commit)
    print(section)
    if not args.no_record:
        name = "neighbours-" + ("postgresql" if args.database_url else "sqlite")
        record(name, section)
        print(f"recorded in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
