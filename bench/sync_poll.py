"""What a device's idle poll costs: ``GET /api/sync/changes?since=<high_water>`` at 10,000
notes, beside a poll that finds one change and a page of 500.

Usage: ``python bench/sync_poll.py [--notes 10000] [--polls 300] [--no-record]``. Through the
whole app in-process (Flask's test client: routing, JSON) on SQLite; the notes are inserted
as rows, each with its own change number, as the write path leaves them.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import record


def fill(app, n: int) -> None:
    from sqlalchemy import text

    from webapp.extensions import db

    with app.app_context():
        owner = db.session.execute(text("SELECT id FROM users")).scalar_one()
        when = datetime(2026, 1, 1, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        db.session.execute(
            text(
                "INSERT INTO notes (owner_id, uid, title, body, kind, color, pinned, archived, "
                "created_at, updated_at, version, search_text, position, seq) VALUES (:o, :u, "
                ":t, :b, 'text', 'default', 0, 0, :w, :w, 1, :t, :p, :s)"
            ),
            [
                {
                    "o": owner,
                    "u": str(uuid.uuid4()),
                    "t": f"note {i}",
                    "b": "body " * 20,
                    "w": when,
                    "p": f"a{i:06d}",
                    "s": i + 1,
                }
                for i in range(n)
            ],
        )
        db.session.execute(
            text(
                "INSERT INTO sync_sequences (owner_id, seq, pruned_seq) VALUES (:o, :s, 0) "
                "ON CONFLICT (owner_id) DO UPDATE SET seq = :s"
            ),
            {"o": owner, "s": n},
        )
        db.session.commit()


def p50_ms(client, url: str, polls: int) -> float:
    for _ in range(10):
        client.get(url)
    samples = []
    for _ in range(polls):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_json()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=300)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    from webapp import create_app

    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"CONFIG": "testing", "DATA_DIR": data_dir})
        client = app.test_client()
        client.get("/api/csrf")  # the local user exists once the app served a request
        fill(app, args.notes)
        n = args.notes
        rows = [
            ("idle poll (nothing changed)", f"/api/sync/changes?since={n}"),
            ("one change", f"/api/sync/changes?since={n - 1}"),
            ("a page of 500", f"/api/sync/changes?since={n - 500}"),
            ("GET /api/sync/identity", "/api/sync/identity"),
        ]
        results = [(name, p50_ms(client, url, args.polls if "500" not in name else 30))
                   for name, url in rows]  # fmt: skip
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    lines = [
        f"Sync poll at {n:,} notes, SQLite, in-process test client; {platform.machine()}, "
        f"{datetime.now(UTC):%Y-%m-%d}, commit {commit} (machine shared with other jobs).",
        "",
        "| request | p50 ms |",
        "|---|---|",
        *(f"| {name} | {ms:.2f} |" for name, ms in results),
    ]
    print("\n".join(lines))
    if not args.no_record:
        record("sync-poll", "## Sync: a device's poll\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
