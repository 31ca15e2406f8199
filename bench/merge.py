"""The device's three-way merge of one big note (``webapp.sync.merge``): how long a 1 MB body
takes, edited in a few places, in many, and rewritten everywhere on both sides.

Usage: ``python bench/merge.py [--runs 5] [--no-record]``. Pure functions, in-process: the
figure is the median of ``--runs`` merges of each case.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import record

WORDS = "milk eggs jam bread butter tea coffee rice oat soy".split()


def body(lines: int = 21_500) -> list[str]:
    """About 1 MB: lines of eight words, each line numbered (as lines of a real note differ)."""
    rng = random.Random(14)
    return [" ".join(rng.choice(WORDS) for _ in range(8)) + f" {i}" for i in range(lines)]


def cases(lines: list[str]) -> dict[str, tuple[str, str, str]]:
    def edited(every: int, offset: int, tag: str) -> str:
        return "\n".join(
            line + tag if at % every == offset else line for at, line in enumerate(lines)
        )

    base, one_line = "\n".join(lines), " ".join(lines)
    few_local, few_remote = list(lines), list(lines)
    few_local[10] += " here"
    few_remote[15_000] += " there"
    return {
        "2 edits, different lines": (base, "\n".join(few_local), "\n".join(few_remote)),
        "400 edits on each side, different lines": (
            base,
            edited(50, 0, " here"),
            edited(50, 25, " there"),
        ),
        "every line rewritten on both sides": (base, edited(1, 0, " here"), edited(1, 0, " there")),
        "one 1 MB line edited on both sides": (one_line, one_line + " here", "there " + one_line),
    }


def timed(merge, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = merge()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    from webapp.sync.merge import merge_note, merge_text

    load_before = os.getloadavg()[0]
    lines = body()
    rows = []
    for name, (base, local, remote) in cases(lines).items():
        seconds, merged = timed(lambda sides=(base, local, remote): merge_text(*sides), args.runs)
        outcome = "conflict (a copy)" if merged is None else "merged"
        rows.append((name, len(base.encode()), seconds, outcome))
    # The same many-edits case with dmp alone (no anchors), as the merge was before them.
    from webapp.sync import merge

    anchors, merge._anchors = merge._anchors, lambda base, other: []
    sides = cases(lines)["400 edits on each side, different lines"]
    seconds, merged = timed(lambda: merge_text(*sides), args.runs)
    merge._anchors = anchors
    outcome = "conflict (a copy)" if merged is None else "merged"
    rows.insert(2, ("the same, dmp alone (no anchors)", len(sides[0].encode()), seconds, outcome))
    base, local, remote = cases(lines)["2 edits, different lines"]
    note = {"title": "Big", "body": base}
    seconds, merged = timed(
        lambda: merge_note(note, note | {"body": local}, note | {"body": remote}, device="d"),
        args.runs,
    )
    rows.append(("merge_note, 2 edits", len(base.encode()), seconds, "merged"))
    load_after = os.getloadavg()[0]

    table = ["| case | body (bytes) | median (ms) | outcome |", "|---|---|---|---|"]
    table += [f"| {n} | {size:,} | {s * 1000:.0f} | {o} |" for n, size, s, o in rows]
    print("\n".join(table))
    print(f"load average {load_before:.2f} before, {load_after:.2f} after")
    if args.no_record:
        return
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    record(
        "merge",
        f"""## The three-way merge of one big note (bench/merge.py)

`python bench/merge.py --runs {args.runs}`: `webapp.sync.merge.merge_text` on a body of
{len(lines):,} numbered lines of eight words, the median of {args.runs} merges per case.
**{when}, commit {commit}**, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs,
Python {platform.python_version()}; the machine shared with other helpers' suites (load
average {load_before:.2f} before, {load_after:.2f} after).

{chr(10).join(table)}

- dmp alone (no anchors) beside the same 400 edits a side: about 0.2 s a side, at its
  `DIFF_TIMEOUT`, so on a busier machine it answers with one coarse edit, a needless conflict
  copy (seen at load averages 6-7); anchored on the lines each text has once, the diffs are
  small and the merge keeps both sides' edits.
- Every case stays under a second; the slowest is both sides rewriting every line, where dmp
  runs out of `DIFF_TIMEOUT` (0.2 s per side) and answers with one coarse edit: a conflict,
  as it is anyway.
""",
    )


if __name__ == "__main__":
    main()
