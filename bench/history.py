"""Database growth from note history: 1,000 notes edited 50 times each, with and without it.

Usage: ``python bench/history.py [--notes 1000] [--edits 50] [--no-record]``. SQLite, in a
temporary data directory, through ``webapp.notes.service.update_note`` (the path every save
takes, the commit included). The notes look like a Keep account's (one in five a checklist,
the others 10-80 words); each edit changes what a person's edit does: a few words of the text
(or one item of a checklist, its text or its checkmark). The clock moves past the coalescing
window between two edits of the same note, so every edit is a version of its own: 51 per
note, more than the 50 kept, none pruned. Both databases get the same edits; sizes are after
a WAL checkpoint and ``VACUUM`` (the pages in use). Also: one save's time with history on
and off, in the same run (the two databases edited in lockstep).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import _sentence  # noqa: E402
from bench.results import record  # noqa: E402


def _first_notes(rng: random.Random, notes: int) -> list[dict]:
    made = []
    for i in range(notes):
        note = {"title": _sentence(rng, rng.randint(1, 5))}
        if i % 5 == 0:
            note |= {"kind": "checklist", "items": [{"text": _sentence(rng, 3)} for _ in range(6)]}
        else:
            note["body"] = _sentence(rng, rng.randint(10, 80))
        made.append(note)
    return made


def _edit(rng: random.Random, note) -> dict:
    """A person's small edit of the note as it is now."""
    if note.kind == "checklist":
        items = [{"text": i.text, "checked": i.checked, "id": i.uid} for i in note.items]
        item = rng.choice(items)
        if rng.random() < 0.5:
            item["checked"] = not item["checked"]
        else:
            item["text"] = _sentence(rng, 3)
        return {"items": items}
    words = note.body.split(" ")
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(words) + 1)
        new = _sentence(rng, 1)
        if rng.random() < 0.5 and at < len(words):
            words[at] = new
        else:
            words.insert(at, new)
    return {"body": " ".join(words)}


def _size(path: Path) -> tuple[int, int]:
    """(file bytes after a checkpoint, bytes after VACUUM)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = path.stat().st_size
    with sqlite3.connect(path) as conn:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return raw, path.stat().st_size


def run(notes: int, edits: int, root: Path) -> dict[bool, dict]:
    """Both databases edited in lockstep (each edit on one, then the other, alternating which
    goes first), so a busy moment of the shared machine costs both the same."""
    from webapp import create_app
    from webapp.accounts.service import ensure_local_user
    from webapp.extensions import db
    from webapp.notes import queries, service

    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    apps, owners, ids, times = {}, {}, {}, {True: [], False: []}
    for history in (False, True):
        apps[history] = create_app({
            "CONFIG": "testing", "DATA_DIR": str(root / ("with" if history else "without")),
            "HISTORY": history, "CLOCK": lambda: start,
        })  # fmt: skip
        with apps[history].app_context():
            owners[history] = ensure_local_user(db.session).id
            first = _first_notes(random.Random(17), notes)
            ids[history] = [service.create_note(db.session, owners[history], n, start).id
                            for n in first]  # fmt: skip
    rng = random.Random(17)
    for round_ in range(1, edits + 1):
        # Six minutes a round: more than the five-minute coalescing window.
        now = start + timedelta(minutes=6 * round_)
        for i in range(notes):
            data = None
            order = (False, True) if (round_ + i) % 2 else (True, False)
            for history in order:
                with apps[history].app_context():
                    note_id = ids[history][i]
                    if data is None:
                        data = _edit(rng, queries.read_note(db.session, owners[history], note_id))
                        db.session.commit()
                    began = time.perf_counter()
                    service.update_note(db.session, owners[history], note_id, data,
                                        now + timedelta(seconds=i))  # fmt: skip
                    times[history].append(time.perf_counter() - began)
    found = {}
    for history in (False, True):
        with apps[history].app_context():
            versions = stored = 0
            if history:
                versions, stored = db.session.execute(db.text(
                    "SELECT count(*), coalesce(sum(length(data)), 0) FROM note_versions"
                )).one()  # fmt: skip
            db.engine.dispose()
        raw, vacuumed = _size(root / ("with" if history else "without") / "kaap.sqlite3")
        found[history] = {
            "raw": raw, "vacuumed": vacuumed, "versions": versions, "stored": stored,
            "save_ms": statistics.median(times[history]) * 1000,
            "save_mean_ms": statistics.fmean(times[history]) * 1000,
        }  # fmt: skip
    return found


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, cwd=ROOT).stdout.strip()  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        found = run(args.notes, args.edits, Path(tmp))
    without, with_ = found[False], found[True]
    load_after = os.getloadavg()
    mb = 1024 * 1024
    ratio = with_["vacuumed"] / without["vacuumed"]
    save_ratio = with_["save_ms"] / without["save_ms"]
    lines = [
        f"**{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}**, "
        f"`python bench/history.py --notes {args.notes} --edits {args.edits}` "
        f"(load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        "machine shared with other helpers' test runs):",
        "",
        "| database | file after the edits (MB) | after VACUUM (MB) | versions | one save, "
        "median ms (mean) |",
        "|---|---|---|---|---|",
        f"| without history | {without['raw'] / mb:.2f} | {without['vacuumed'] / mb:.2f} | - | "
        f"{without['save_ms']:.2f} ({without['save_mean_ms']:.2f}) |",
        f"| with history | {with_['raw'] / mb:.2f} | {with_['vacuumed'] / mb:.2f} | "
        f"{with_['versions']:,} | {with_['save_ms']:.2f} ({with_['save_mean_ms']:.2f}) |",
        "",
        f"- Growth: **{ratio:.2f}x** the database without history (target: under 3x); the "
        f"versions' data is {with_['stored'] / mb:.2f} MB, "
        f"{with_['stored'] / max(with_['versions'], 1):.0f} bytes a version on average "
        "(the newest of each note in full, the others as deltas).",
        f"- One save with history: **{save_ratio:.2f}x** the time without (median).",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_record:
        record("history", "## Note history's storage (bench/history.py)\n\n" + __doc__.split(
            "\n\n", 1)[1].strip() + "\n\n" + body)  # fmt: skip


if __name__ == "__main__":
    main()
