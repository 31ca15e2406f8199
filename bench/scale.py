"""Kaap at scale: list and search latency through HTTP against waitress, beside raw SQL.

For each corpus size it loads a seeded corpus (bench/corpus.py), starts the production
server (``python -m webapp.serve``, waitress, accounts on) on a free loopback port, and times
each scenario over a few hundred requests on one keep-alive connection, as a user with a
personal API token (``Authorization: Bearer``). The floor is the same request's SQL, token
lookup included, captured from the app once, replayed on a plain sqlite3 connection to the
same file in the same run. Usage::

    python bench/scale.py                    # N = 10,000 and 100,000, 300 requests each
    python bench/scale.py --sizes 10000 --requests 100 --no-record
    python bench/scale.py --compare main --sizes 100000   # this tree beside main, in turns
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import LABELS, RARE, load  # noqa: E402
from bench.reftree import RefTree, git  # noqa: E402
from bench.results import RESULTS, record  # noqa: E402
from webapp.search.index import register_functions  # noqa: E402

BENCH_USER = ("bench", "bench-only-password-7f3a")


def create_owner(data_dir: Path) -> str:
    """The corpus's owner as an account (the first one takes the local user's notes) and an
    API token for it; returns the token's secret."""
    from webapp import create_app
    from webapp.accounts.service import create_user
    from webapp.accounts.tokens import create_token
    from webapp.extensions import db
    from webapp.timeutil import utcnow

    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "ACCOUNTS": True})
    with app.app_context():
        user = create_user(db.session, *BENCH_USER, is_admin=True)
        _, secret = create_token(db.session, user, "bench", utcnow())
        db.engine.dispose()
    return secret


class Server:
    """``python -m webapp.serve`` in a subprocess, on a port the OS picks."""

    def __init__(
        self, data_dir: Path, secret: str, database_url: str | None = None, root: Path = ROOT
    ):
        env = {
            **os.environ,
            "KAAP_CONFIG": "production",
            "SECRET_KEY": "bench-only-secret",
            "KAAP_SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
            "KAAP_DATA_DIR": str(data_dir),
            # Production insists on an explicit database; the bench's is the SQLite file.
            "KAAP_DATABASE_URL": database_url or f"sqlite:///{data_dir / 'kaap.sqlite3'}",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "webapp.serve", "--host", "127.0.0.1", "--port", "0"],
            cwd=root,  # the tree whose webapp serves (another one with --compare)
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        for line in self.proc.stdout:
            found = re.search(r"Serving on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
        else:
            raise RuntimeError("server exited before serving")
        # Keep draining its output so the pipe never blocks it.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.auth = f"Bearer {secret}"

    def send(self, method: str, path: str, body: dict | None = None) -> bytes:
        """One request; returns once the whole response has been read (what is timed: the
        client's own JSON decoding, 0.1-0.6 ms for a page, is not the server's latency)."""
        headers = {"Authorization": self.auth}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return payload

    def request(self, method: str, path: str, body: dict | None = None):
        payload = self.send(method, path, body)
        return json.loads(payload) if payload else None

    def rss_mb(self) -> tuple[float, float]:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kb = {k: int(v.split()[0]) for k, v in re.findall(r"(VmRSS|VmHWM):\s+(.+)", status)}
        return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024

    def stop(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def capture_sql(data_dir: Path, secret: str, method: str, path: str, body: dict | None) -> list:
    """The statements (with parameters) the app runs for one request, as the server runs it."""
    from sqlalchemy import event

    from webapp import create_app
    from webapp.extensions import db

    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "ACCOUNTS": True})
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    client.get("/api/notes?limit=1")  # the app's first request also does housekeeping
    statements = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    response = client.open(path, method=method, json=body)
    assert response.status_code < 400, response.get_json()
    event.remove(engine, "before_cursor_execute", record)
    engine.dispose()
    return statements


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _fresh_uids(parameters):
    # A replayed INSERT of a note needs a uid of its own (they are unique per owner).
    if not isinstance(parameters, tuple | list):
        return parameters
    return type(parameters)(
        str(uuid.uuid4()) if isinstance(p, str) and UUID.fullmatch(p) else p for p in parameters
    )


def replay(conn: sqlite3.Connection, statements: list) -> None:
    for statement, parameters in statements:
        if statement.startswith("INSERT INTO notes"):
            parameters = _fresh_uids(parameters)
        if statement.startswith("BEGIN") and conn.in_transaction:
            conn.execute("COMMIT")  # the app committed here (commits are not statements)
        conn.execute(statement, parameters).fetchall()
    if conn.in_transaction:
        conn.execute("COMMIT")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def time_calls(fns: tuple, count: int, warmup: int = 10, turns: bool = False) -> list[list[float]]:
    """Milliseconds of each function's calls, interleaved so both see the same machine; with
    ``turns``, every other round goes in the reverse order (A B, B A, ...), so that going
    first or second favours neither."""
    for i in range(warmup):
        for fn in fns:
            fn(i)
    samples = [[] for _ in fns]
    for i in range(count):
        pairs = list(zip(fns, samples, strict=True))
        for fn, out in reversed(pairs) if turns and i % 2 else pairs:
            began = time.perf_counter()
            fn(warmup + i)
            out.append((time.perf_counter() - began) * 1000)
    return samples


def run_size(n: int, requests: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"kaap-bench-{n}-"))
    try:
        from webapp import create_app

        create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir)})
        load_seconds = load(data_dir / "kaap.sqlite3", n)
        print(f"N={n:,}: corpus loaded in {load_seconds:.1f} s", flush=True)
        secret = create_owner(data_dir)
        server = Server(data_dir, secret)
        try:
            rows = measure(server, data_dir, secret, requests)
            rss, hwm = server.rss_mb()
        finally:
            server.stop()
        size_mb = (data_dir / "kaap.sqlite3").stat().st_size / 1e6
        return {
            "n": n,
            "load_s": load_seconds,
            "rows": rows,
            "rss": rss,
            "hwm": hwm,
            "db_mb": size_mb,
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def scenarios(server: Server) -> list[tuple]:
    """(name, method, path, body, call) for each timed request, found through ``server``;
    ``call(i)`` sends the i-th one (an edit goes to one of 100 notes in turn)."""
    labels = {label["name"]: label["id"] for label in server.request("GET", "/api/labels")}
    cursor, path, depth = None, "/api/notes", 0
    while depth < 100:  # the cursor of page 101 (or of the last page, for a small corpus)
        following = server.request("GET", path)["next_cursor"]
        if following is None:
            break
        cursor, path, depth = following, f"/api/notes?cursor={following}", depth + 1
    note_ids = [n["id"] for n in server.request("GET", "/api/notes?limit=100")["items"]]
    # Searches as the page sends them from Notes: the archive included (state=notes).
    found = [
        ("first page", "GET", "/api/notes", None),
        (f"page {depth + 1} deep", "GET", f"/api/notes?cursor={cursor}", None),
        ("rare word", "GET", f"/api/notes?state=notes&q={RARE}", None),
        ("common word", "GET", "/api/notes?state=notes&q=meeting", None),
        ("Korean 2 chars", "GET", f"/api/notes?state=notes&q={quote('회의')}", None),
        ("three words", "GET", f"/api/notes?state=notes&q={quote('coffee report plan')}", None),
        (
            "filtered search",
            "GET",
            f"/api/notes?state=notes&q=project&color=blue&label={labels[LABELS[3]]}",
            None,
        ),
        ("create note", "POST", "/api/notes", {"title": "bench", "body": "회의 meeting notes"}),
        ("edit note", "PATCH", f"/api/notes/{note_ids[0]}", {"body": "edited 회의 text"}),
    ]
    out = []
    for name, method, path, body in found:
        if method == "PATCH":

            def call(i, method=method, body=body):
                server.send(method, f"/api/notes/{note_ids[i % len(note_ids)]}", body)

        else:

            def call(_i, method=method, path=path, body=body):
                server.send(method, path, body)

        out.append((name, method, path, body, call))
    return out


def measure(server: Server, data_dir: Path, secret: str, requests: int) -> list[dict]:
    floor_conn = sqlite3.connect(data_dir / "kaap.sqlite3", isolation_level=None)
    register_functions(floor_conn)
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "busy_timeout=5000",
        "synchronous=NORMAL",
    ):
        floor_conn.execute(f"PRAGMA {pragma}")
    rows = []
    for name, method, path, body, call in scenarios(server):
        statements = capture_sql(data_dir, secret, method, path, body)
        api, floor = map(
            percentiles,
            time_calls((call, lambda _i, s=statements: replay(floor_conn, s)), requests),
        )
        rows.append({"name": name, "api": api, "floor": floor, "statements": len(statements)})
        print(
            f"  {name:16} API p50 {api[0]:6.2f} ms  p95 {api[1]:6.2f} ms | "
            f"SQL p50 {floor[0]:6.2f} ms  p95 {floor[1]:6.2f} ms | "
            f"x{api[0] / floor[0]:5.1f}  +{api[0] - floor[0]:5.2f} ms  ({len(statements)} stmts)",
            flush=True,
        )
    floor_conn.close()
    return rows


def verdicts(result: dict) -> list[str]:
    """The issue's targets, checked against a 100,000-note run."""
    by = {row["name"]: row for row in result["rows"]}
    out = []

    def check(label, ok):
        out.append(f"- {'PASS' if ok else 'FAIL'}: {label}")

    first, deep = by["first page"]["api"][0], result["rows"][1]["api"][0]
    check(f"first page p50 {first:.2f} ms <= 10 ms", first <= 10)
    check(
        f"deep page p50 {deep:.2f} ms within 1.2x of the first ({deep / first:.2f}x)",
        deep <= 1.2 * first,
    )
    for name in ("rare word", "common word", "Korean 2 chars", "three words", "filtered search"):
        p50, p95 = by[name]["api"]
        check(f"{name}: p50 {p50:.2f} ms <= 25, p95 {p95:.2f} ms <= 60", p50 <= 25 and p95 <= 60)
    for name in ("create note", "edit note"):
        p50 = by[name]["api"][0]
        check(f"{name}: p50 {p50:.2f} ms <= 15", p50 <= 15)
    worst = max(result["rows"], key=lambda r: r["api"][0] - r["floor"][0])
    overhead = worst["api"][0] - worst["floor"][0]
    check(f"app overhead at most {overhead:.2f} ms ({worst['name']}) <= 4 ms", overhead <= 4)
    check(f"server resident memory {result['hwm']:.0f} MB peak <= 150 MB", result["hwm"] <= 150)
    check(f"100,000 notes loaded in {result['load_s']:.1f} s < 60 s", result["load_s"] < 60)
    return out


def machine() -> str:
    """When and where: the first sentence of a recorded run."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1) if found else cpu
    return (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node() or 'this machine'}: "
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}."
    )


def markdown(results: list[dict], requests: int) -> str:
    lines = [
        "## Scale: lists and search (`python bench/scale.py`)",
        "",
        f"{machine()} {requests} timed requests per row after 10 warm-up ones, one keep-alive connection "
        "to waitress on 127.0.0.1, authenticated by an API token. SQL floor: the request's own "
        "statements (the token's lookup included) replayed on a plain sqlite3 connection to the "
        "same file, each replay right after an API request (interleaved).",
        "",
    ]
    for result in results:
        lines += [
            f"### N = {result['n']:,} notes (corpus loaded in {result['load_s']:.1f} s; "
            f"database {result['db_mb']:.0f} MB; server RSS {result['rss']:.0f} MB, "
            f"peak {result['hwm']:.0f} MB)",
            "",
            "| request | API p50 | API p95 | SQL p50 | SQL p95 | ratio | overhead | statements |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in result["rows"]:
            (a50, a95), (f50, f95) = row["api"], row["floor"]
            lines.append(
                f"| {row['name']} | {a50:.2f} ms | {a95:.2f} ms | {f50:.2f} ms | {f95:.2f} ms "
                f"| {a50 / f50:.1f}x | +{a50 - f50:.2f} ms | {row['statements']} |"
            )
        lines.append("")
        if result["n"] == 100_000:
            lines += ["Targets at 100,000 notes:", "", *verdicts(result), ""]
    return "\n".join(lines)


# --- --compare REF: this tree beside another commit, in the same run ---------------------

# The owner and its token, made by the tree that loaded the corpus (its schema, its code).
OWNER_SCRIPT = (
    "import sys; from pathlib import Path; from bench.scale import create_owner; "
    "print(create_owner(Path(sys.argv[1])))"
)


def migrations(root: Path) -> set[str]:
    return {p.name for p in (root / "webapp" / "migrations" / "versions").glob("*.py")}


def older_tree(ref_root: Path) -> Path:
    """The tree whose migrations the other one has too: it loads the corpus, and the newer
    server upgrades its own copy at start (AUTO_MIGRATE); an older server could not open a
    database a newer schema wrote."""
    ours, theirs = migrations(ROOT), migrations(ref_root)
    if theirs <= ours:
        return ref_root
    if ours <= theirs:
        return ROOT
    raise SystemExit(
        "the two trees' migrations diverge (each has one the other lacks): "
        "compare against a commit both descend from"
    )


def load_once(loader: Path, data_dir: Path, n: int) -> tuple[float, str]:
    """The corpus and its owner, written by the ``loader`` tree; (load seconds, token)."""
    loaded = subprocess.run(
        [sys.executable, "bench/corpus.py", str(data_dir), str(n)],
        cwd=loader, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    seconds = float(re.search(r"loaded \d+ notes in ([\d.]+) s", loaded).group(1))
    owner = subprocess.run(
        [sys.executable, "-c", OWNER_SCRIPT, str(data_dir)],
        cwd=loader, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return seconds, owner.strip().splitlines()[-1]


def compare_size(n: int, requests: int, ref_root: Path) -> dict:
    """Every scenario timed on this tree's server and REF's, alternately, each on its own copy
    of one corpus, in turns (A B, B A, ...: both see the same moments of a noisy machine)."""
    work = Path(tempfile.mkdtemp(prefix=f"kaap-bench-compare-{n}-"))
    servers: list[Server] = []
    try:
        loader = older_tree(ref_root)
        load_seconds, secret = load_once(loader, work / "corpus", n)
        print(f"N={n:,}: corpus loaded in {load_seconds:.1f} s by {loader}", flush=True)
        for side in ("current", "ref"):
            shutil.copytree(work / "corpus", work / side)
        current = Server(work / "current", secret, root=ROOT)
        servers.append(current)
        ref = Server(work / "ref", secret, root=ref_root)
        servers.append(ref)
        rows = []
        for ours, theirs in zip(scenarios(current), scenarios(ref), strict=True):
            name = ours[0]
            now, before = map(percentiles, time_calls((ours[4], theirs[4]), requests, turns=True))
            rows.append({"name": name, "current": now, "ref": before})
            print(
                f"  {name:16} current p50 {now[0]:6.2f} ms  p95 {now[1]:6.2f} ms | "
                f"REF p50 {before[0]:6.2f} ms  p95 {before[1]:6.2f} ms | "
                f"x{now[0] / before[0]:5.2f}",
                flush=True,
            )
        return {"n": n, "load_s": load_seconds, "rows": rows}
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def compare_markdown(results: list[dict], requests: int, described: str) -> str:
    lines = [
        f"## Scale before/after: {described} (`python bench/scale.py --compare`)",
        "",
        f"{machine()} Each tree's own server (`python -m webapp.serve`, production config, "
        "accounts on) on its own copy of one corpus, the same request to one then the other, "
        f"in turns (A B, B A, ...; {requests} timed pairs per row after 10 warm-up ones); "
        "ratio = current p50 / REF p50.",
        "",
    ]
    for result in results:
        lines += [
            f"### N = {result['n']:,} notes",
            "",
            "| request | current p50 | current p95 | REF p50 | REF p95 | ratio |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in result["rows"]:
            (c50, c95), (r50, r95) = row["current"], row["ref"]
            lines.append(
                f"| {row['name']} | {c50:.2f} ms | {c95:.2f} ms | {r50:.2f} ms | {r95:.2f} ms "
                f"| {c50 / r50:.2f}x |"
            )
        worst = max(result["rows"], key=lambda r: r["current"][0] / r["ref"][0])
        ratio = worst["current"][0] / worst["ref"][0]
        verdict = "PASS" if ratio <= 1.05 else "FAIL"
        lines += ["", f"- {verdict}: slowest ratio {ratio:.2f}x ({worst['name']}) <= 1.05x", ""]
    return "\n".join(lines)


def compare(ref: str, sizes: list[int], requests: int, no_record: bool) -> int:
    tree = RefTree(ref)
    with tree as ref_root:
        results = [compare_size(n, requests, ref_root) for n in sizes]
    section = compare_markdown(results, requests, tree.describe())
    print(section)
    if not no_record:
        head = git("rev-parse", "--short", "HEAD")
        record(f"scale-compare {head} {tree.commit[:7]}", section)
        print(f"recorded in {RESULTS.relative_to(ROOT)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--no-record", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument(
        "--compare",
        metavar="REF",
        help="time each request on this tree and on git REF (a commit, a branch) in turns",
    )
    args = parser.parse_args()
    if args.compare:
        return compare(args.compare, args.sizes, args.requests, args.no_record)
    results = [run_size(n, args.requests) for n in args.sizes]
    section = markdown(results, args.requests)
    print(section)
    if not args.no_record:
        record("scale", section)
        print(f"recorded in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
