"""Archive 300 of 2,000 notes with one bulk call, beside 300 single-note calls.

Usage: ``python bench/bulk.py [--notes 2000] [--select 300] [--runs 5] [--no-record]
[--database-url URL]``. The notes look like a Keep import (a label each, some checklists);
every call goes through the whole app in-process (Flask's test client: routing, CSRF,
schema, JSON). A ``--database-url`` database is emptied first: give a throwaway one.
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import _sentence, empty_postgres  # noqa: E402
from bench.results import record  # noqa: E402


def _client(app):
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    return client


def _fill(client, notes: int) -> list[int]:
    rng = random.Random(16)
    labels = [client.post("/api/labels", json={"name": f"label {i}"}).get_json() for i in range(10)]
    ids = []
    for i in range(notes):
        body = {"title": _sentence(rng, rng.randint(1, 5)), "label_ids": [rng.choice(labels)["id"]]}
        if i % 5 == 0:
            body |= {"kind": "checklist", "items": [{"text": _sentence(rng, 3)} for _ in range(4)]}
        else:
            body["body"] = _sentence(rng, rng.randint(10, 80))
        response = client.post("/api/notes", json=body)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids


def _timed(client, method: str, url: str, body: dict) -> tuple[float, dict]:
    """One call through the app: its time in ms and its JSON."""
    began = time.perf_counter()
    response = client.open(url, method=method, json=body)
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, response.get_json()
    return elapsed, response.get_json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--select", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    from webapp import create_app

    work = Path(tempfile.mkdtemp(prefix="kaap-bulk-bench-"))
    settings = {"CONFIG": "testing", "DATA_DIR": str(work / "data")}
    if args.database_url:
        create_app({**settings, "DATABASE_URL": args.database_url})  # migrates
        empty_postgres(args.database_url)
        settings["DATABASE_URL"] = args.database_url
    try:
        app = create_app(settings)
        client = _client(app)
        began = time.perf_counter()
        ids = _fill(client, args.notes)
        filled = time.perf_counter() - began
        chosen = random.Random(300).sample(ids, args.select)
        bulk, undo, trash, single = [], [], [], []
        for _ in range(args.runs):
            ms, answer = _timed(
                client, "POST", "/api/notes/bulk", {"ids": chosen, "action": "archive"}
            )
            bulk.append(ms)
            undo.append(_timed(client, "POST", "/api/notes/bulk", answer["undo"])[0])
            ms, answer = _timed(
                client, "POST", "/api/notes/bulk", {"ids": chosen, "action": "trash"}
            )
            trash.append(ms)
            _timed(client, "POST", "/api/notes/bulk", answer["undo"])
        # The same archive as the page did it before: one PATCH per note (and back).
        for archived in (True, False):
            single.append(
                sum(
                    _timed(client, "PATCH", f"/api/notes/{i}", {"archived": archived})[0]
                    for i in chosen
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    database = "PostgreSQL" if args.database_url else "SQLite"
    line = (
        f"{database}, {args.notes:,} notes (made in {filled:.1f} s): archiving {args.select} by one "
        f"bulk call {statistics.median(bulk):.0f} ms median, {max(bulk):.0f} ms worst of "
        f"{args.runs}; its undo (unarchive, pins back) {statistics.median(undo):.0f} ms; trashing "
        f"the same {args.select} {statistics.median(trash):.0f} ms; "
        f"the same {args.select} as one PATCH each {statistics.median(single):.0f} ms "
        f"({statistics.median(single) / statistics.median(bulk):.1f}x the bulk call)"
    )
    print(line)
    if not args.no_record:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
        record(
            f"bulk-{database.lower()}",
            f"## Bulk archive, {database} (`python bench/bulk.py`)\n\n"
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()} "
            f"({platform.processor() or platform.machine()}, shared with other work), Python "
            f"{platform.python_version()}, commit {commit}: {line}.",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
