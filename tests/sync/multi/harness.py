"""Real Kaap processes for the multi-process sync tests: a server (``python -m webapp.serve``,
accounts on, SQLite or PostgreSQL), desktops (``desktop_process``: single-user, each its own
data directory and clock), and a TCP proxy between them that delays, drops, refuses, holds
and cuts connections.

Every process runs in its own session and is stopped by its pid (``Processes.stop_all``);
every port is picked by the OS, on 127.0.0.1 only.
"""

from __future__ import annotations

import collections
import contextlib
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable
PASSWORD = "multi-process sync, 7 horses"
START_TIMEOUT = 60.0


def free_port() -> int:
    """A port the OS picks on 127.0.0.1 (for a process that must be told its port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def eventually(check, timeout: float = 10.0, interval: float = 0.05):
    """``check()``'s first truthy answer, or AssertionError with its last failure."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        try:
            answer = check()
            if answer:
                return answer
        except Exception as exc:  # retried until the deadline
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"not so after {timeout}s: {last!r}")
        time.sleep(interval)


class Processes:
    """Every process a test started, so the finalizer stops them all by pid."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []

    def spawn(self, args: list[str], env: dict, log: Path) -> subprocess.Popen:
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        self.started.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal the process by its pid (its own session: nothing else shares the id)."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.started:
            self.kill(proc, signal.SIGTERM)
        self.started.clear()


def base_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAAP_")}
    env.update({"KAAP_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    env.pop("SECRET_KEY", None)
    return env


class Server:
    """``python -m webapp.serve`` (through ``server_process``, for its clock) in server mode
    on its own data directory and database."""

    def __init__(self, processes: Processes, data_dir: Path, database_url: str | None):
        self.processes, self.data_dir = processes, data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.env = base_env(data_dir)
        self.env.update(
            {
                "KAAP_CONFIG": "production",
                "KAAP_DATABASE_URL": database_url or f"sqlite:///{data_dir / 'kaap.sqlite3'}",
                "SECRET_KEY": secrets.token_urlsafe(32),
                # The suite signs many devices in from one address in minutes.
                "KAAP_LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
                "KAAP_LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute",
            }
        )
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.admin_token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def flask(self, *args: str) -> str:
        """``flask --app webapp ARGS`` on the server's data directory and database."""
        done = subprocess.run(
            [PYTHON, "-m", "flask", "--app", "webapp", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def set_clock(self, days: float = 0) -> None:
        """Move the server's clock (read at every reading) to now + ``days``."""
        (self.data_dir / "clock-offset").write_text(str(days * 86400), encoding="utf-8")

    def start(self) -> None:
        args = [PYTHON, "-m", "tests.sync.multi.server_process", "--host", "127.0.0.1",
                "--port", str(self.port)]  # fmt: skip
        self.proc = self.processes.spawn(args, self.env, self.data_dir / "server.log")
        eventually(self._ready, timeout=START_TIMEOUT, interval=0.1)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the server exited ({self.proc.returncode}): {self.log()[-2000:]}")
        return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200

    def log(self) -> str:
        return (self.data_dir / "server.log").read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, what a crash or a power cut leaves."""
        self.processes.kill(self.proc, signal.SIGKILL)

    def restart(self) -> None:
        """On the same data directory, database and port (the proxies in front stay)."""
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
        self.start()

    def setup_admin(self) -> None:
        self.flask("users", "create", "admin", "--admin", "--password", PASSWORD)
        self.admin_token = self.flask("tokens", "create", "admin", "--admin").strip()

    def new_account(self, username: str) -> Account:
        """A user made by the admin, and a token of theirs to read their notes with."""
        auth = {"Authorization": f"Bearer {self.admin_token}"}
        body = {"username": username, "password": PASSWORD}
        made = httpx.post(f"{self.url}/api/users", json=body, headers=auth, timeout=30)
        assert made.status_code == 201, made.text
        device = {"username": username, "password": PASSWORD, "device": "test reader"}
        token = httpx.post(f"{self.url}/api/sync/devices", json=device, timeout=30)
        assert token.status_code == 201, token.text
        return Account(self, username, token.json()["token"])


@dataclass
class Account:
    server: Server
    username: str
    token: str

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    def notes(self) -> list[dict]:
        with self.client() as client:
            return read_notes(client)

    def uids(self) -> dict[str, dict]:
        """uid -> the note as the feed gives it (every note the server holds)."""
        found, since = {}, 0
        with self.client() as client:
            while True:
                page = client.get("/api/sync/changes", params={"since": since, "limit": 1000})
                assert page.status_code == 200, page.text
                body = page.json()
                for note in body.get("changes", []):
                    found[note["uid"]] = note
                for gone in body.get("tombstones", []):
                    if gone["kind"] == "note":
                        found.pop(gone["uid"], None)
                since = body["high_water"]
                if not body.get("more"):
                    return found


def read_notes(client: httpx.Client) -> list[dict]:
    """Every note (active, archived, trashed) through ``/api/notes``, page by page."""
    notes = []
    for state in ("active", "archived", "trashed"):
        cursor = None
        while True:
            params = {"state": state, "limit": 100, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/notes", params=params)
            assert page.status_code == 200, page.text
            body = page.json()
            notes.extend(body["items"])
            cursor = body["next_cursor"]
            if not cursor:
                break
    return notes


def canonical(note: dict) -> tuple:
    """What must be the same on every replica: text, items, labels, flags."""
    return (
        note["title"],
        note["body"],
        note["kind"],
        tuple((item["text"], item["checked"]) for item in note["items"]),
        tuple(sorted(label["name"] for label in note["labels"])),
        note["color"],
        note["pinned"],
        note["archived"],
        note["trashed_at"] is not None,
    )


def snapshot(notes: list[dict]) -> collections.Counter:
    """The replica's notes as a multiset of canonical forms (a duplicate counts twice)."""
    return collections.Counter(canonical(note) for note in notes)


class Desktop:
    """A single-user Kaap process on its own data directory, its own clock and its own
    proxy to the server; edits through its HTTP API, syncs through ``flask sync``."""

    def __init__(self, processes: Processes, name: str, data_dir: Path, template: Path | None):
        self.processes, self.name, self.data_dir = processes, name, data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        if template is not None:  # a migrated database: no migration at every start
            shutil.copyfile(template, data_dir / "kaap.sqlite3")
        self.token = secrets.token_urlsafe(24)
        self.env = base_env(data_dir)
        self.env["KAAP_TEST_LAUNCH_TOKEN"] = self.token
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self._client: httpx.Client | None = None
        self.proxy: Proxy | None = None
        self.offset = 0.0
        self.set_clock(0)

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the process (``wait_ready`` waits for it: start several, then wait)."""
        self.port_file = self.data_dir / "port"
        self.port_file.unlink(missing_ok=True)
        args = [PYTHON, "-m", "tests.sync.multi.desktop_process", "serve", str(self.port_file)]
        self.proc = self.processes.spawn(args, self.env, self.data_dir / "desktop.log")

    def wait_ready(self) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log()[-2000:]}")
            return self.port_file.exists() and int(self.port_file.read_text())

        self.port = eventually(ready, timeout=START_TIMEOUT, interval=0.05)
        self._client = None
        eventually(lambda: self.api.get("/api/csrf").status_code == 200, timeout=START_TIMEOUT)

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.proc is not None:
            self.processes.kill(self.proc, signal.SIGTERM)

    def log(self) -> str:
        return (self.data_dir / "desktop.log").read_text(errors="replace")

    @property
    def api(self) -> httpx.Client:
        """An HTTP client as the window: the launch cookie and the CSRF token."""
        if self._client is None:
            client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
            client.cookies.set("kaap_launch", self.token)
            csrf = client.get("/api/csrf")
            assert csrf.status_code == 200, csrf.text
            client.headers["X-CSRFToken"] = csrf.json()["csrf_token"]
            self._client = client
        return self._client

    def set_clock(self, days: float = 0, **kwargs) -> None:
        """Move this desktop's clock (its app and its syncs) to now + the offset."""
        from datetime import timedelta

        self.offset = timedelta(days=days, **kwargs).total_seconds()
        (self.data_dir / "clock-offset").write_text(str(self.offset), encoding="utf-8")

    # --- sync, through the CLI on the same data directory ---------------------------------

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PYTHON, "-m", "tests.sync.multi.desktop_process", "cli", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def command(self, *args: str, cli: bool = False) -> subprocess.CompletedProcess:
        """``flask ARGS`` inside the desktop's process (``desktop_process.add_cli_route``), or
        with ``cli`` in a process of its own on the same data directory, as a person runs it."""
        if cli:
            return self.flask(*args)
        answer = self.api.post("/_test/flask", json={"args": list(args)}, timeout=180)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return subprocess.CompletedProcess(
            list(args), body["returncode"], body["stdout"], body["stderr"]
        )

    def connect(self, account: Account, proxy: Proxy, *, cli: bool = False) -> None:
        self.proxy = proxy
        done = self.command(
            "sync", "connect", proxy.url, "--user", account.username, "--password", PASSWORD,
            cli=cli,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr

    def sync(self, *, expect_ok: bool = True, cli: bool = False) -> subprocess.CompletedProcess:
        """``flask sync now``: exit 0 when in step (asserted unless ``expect_ok`` is False)."""
        done = self.command("sync", "now", cli=cli)
        if expect_ok:
            assert done.returncode == 0, f"{self.name}: {done.stdout}{done.stderr}"
        return done

    # --- notes, through the API ------------------------------------------------------------

    def create(self, **fields) -> dict:
        made = self.api.post("/api/notes", json=fields)
        assert made.status_code == 201, made.text
        return made.json()

    def edit(self, note_id: int, **fields) -> dict:
        done = self.api.patch(f"/api/notes/{note_id}", json=fields)
        assert done.status_code == 200, done.text
        return done.json()

    def trash(self, note_id: int) -> None:
        done = self.api.post(f"/api/notes/{note_id}/trash")
        assert done.status_code in (200, 204), done.text

    def restore(self, note_id: int) -> None:
        done = self.api.post(f"/api/notes/{note_id}/restore")
        assert done.status_code in (200, 204), done.text

    def delete(self, note_id: int) -> None:
        """Delete forever (from the trash, as the API asks)."""
        self.api.post(f"/api/notes/{note_id}/trash")
        done = self.api.delete(f"/api/notes/{note_id}")
        assert done.status_code in (200, 204), done.text

    def label_id(self, name: str) -> int:
        labels = self.api.get("/api/labels").json()
        labels = labels["items"] if isinstance(labels, dict) else labels
        for label in labels:
            if label["name"] == name:
                return label["id"]
        made = self.api.post("/api/labels", json={"name": name})
        assert made.status_code == 201, made.text
        return made.json()["id"]

    def notes(self) -> list[dict]:
        return read_notes(self.api)

    def find(self, title: str) -> dict:
        """The one note with this title (fails if there are none or several)."""
        found = [note for note in self.notes() if note["title"] == title]
        assert len(found) == 1, f"{self.name}: {len(found)} notes titled {title!r}"
        return found[0]


# --- the TCP proxy -----------------------------------------------------------------------


@dataclass
class Rule:
    """What to do with the connection whose last request starts with ``request``:
    ``hold`` the answer (direction "down") or the request (direction "up") after ``after``
    bytes until released or dropped, or ``cut`` it there (a reset)."""

    request: bytes
    action: str  # "hold" or "cut"
    direction: str = "down"
    after: int = 0
    times: int = 1
    hits: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    reached: threading.Event = field(default_factory=threading.Event)


class _Pair:
    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client, self.upstream = client, upstream
        self.last_request = b""
        self.closed = threading.Event()
        self.rules: dict[str, tuple[Rule, int] | None] = {"up": None, "down": None}

    def reset(self) -> None:
        """Close both ends with RST (SO_LINGER 0), as a broken network does."""
        if self.closed.is_set():
            return
        self.closed.set()
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # shutdown first: a recv() blocked on the socket in another thread returns (a
            # close alone leaves the socket open under it until it does).
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class Proxy:
    """A TCP proxy on 127.0.0.1 (a port the OS picks) to ``upstream_port``."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.delay = 0.0  # seconds before each chunk, both ways
        self.refusing = False
        self.rules: list[Rule] = []
        self.pairs: set[_Pair] = set()
        self.lock = threading.Lock()
        self.connections = 0
        self._open = True
        self._thread = threading.Thread(target=self._accept, daemon=True, name="proxy-accept")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what a test does ------------------------------------------------------------------

    def drop_all(self) -> None:
        """Reset every open connection now."""
        with self.lock:
            pairs = list(self.pairs)
        for pair in pairs:
            pair.reset()

    def offline(self) -> None:
        """Refuse new connections and drop the open ones: the network is gone."""
        self.refusing = True
        self.drop_all()

    def online(self) -> None:
        self.refusing = False

    def hold(self, request: bytes, *, direction: str = "down", after: int = 0) -> Rule:
        rule = Rule(request, "hold", direction, after)
        self.rules.append(rule)
        return rule

    def cut(self, request: bytes, *, direction: str = "down", after: int = 0,
            times: int = 1) -> Rule:  # fmt: skip
        rule = Rule(request, "cut", direction, after, times)
        self.rules.append(rule)
        return rule

    def close(self) -> None:
        self._open = False
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() below
        self.listener.close()
        self.drop_all()
        self._thread.join(5)

    # --- the plumbing ----------------------------------------------------------------------

    def _accept(self) -> None:
        while self._open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                _Pair(client, socket.socket()).reset()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                _Pair(client, socket.socket()).reset()
                continue
            pair = _Pair(client, upstream)
            with self.lock:
                self.pairs.add(pair)
                self.connections += 1
            for direction in ("up", "down"):
                threading.Thread(target=self._pump, args=(pair, direction), daemon=True).start()

    def _rule_for(self, pair: _Pair, direction: str) -> Rule | None:
        for rule in self.rules:
            wanted = rule.direction == direction and rule.hits < rule.times
            if wanted and pair.last_request.startswith(rule.request):
                rule.hits += 1
                return rule
        return None

    def _pump(self, pair: _Pair, direction: str) -> None:
        src, dst = (
            (pair.client, pair.upstream) if direction == "up" else (pair.upstream, pair.client)
        )
        active: Rule | None = None
        sent = 0  # bytes of this request or answer passed on under the active rule
        try:
            while not pair.closed.is_set():
                chunk = src.recv(65536)
                if not chunk:
                    break
                if direction == "up" and chunk[:8].split(b" ")[0] in _METHODS:
                    pair.last_request = chunk[:200]  # a new request on this connection
                    active, sent = self._rule_for(pair, "up"), 0
                elif direction == "down" and chunk.startswith(b"HTTP/"):
                    active, sent = self._rule_for(pair, "down"), 0
                if self.delay:
                    time.sleep(self.delay)
                if active is not None:
                    room = max(active.after - sent, 0)
                    if len(chunk) > room:
                        dst.sendall(chunk[:room])
                        sent += room
                        active.reached.set()
                        if active.action == "cut":
                            break
                        while not active.released.wait(0.05):
                            if pair.closed.is_set():
                                return
                        chunk, active = chunk[room:], None
                    else:
                        sent += len(chunk)
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            pair.reset()
            with self.lock:
                self.pairs.discard(pair)


_METHODS = {b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"HEAD", b"OPTIONS"}
