"""Twenty clients writing at once through waitress on PostgreSQL lose nothing and see no
errors (``make test-postgres``, which CI runs).

Not on SQLite, which takes one writer at a time: on a loaded machine (load 10 on 2 CPUs) a
writer there waited past its 5 s busy timeout and got a 500, a limit of SQLite as a
multi-user server rather than a lost write.
"""

import http.client
import json
import threading
import time

import pytest
from sqlalchemy import select

from tests.conftest import TEST_DATABASE_URL
from tests.live import serving
from webapp.extensions import db
from webapp.notes.models import Note

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")

CLIENTS = 20
NOTES_EACH = 5
EDITS_EACH = 2
TIME_LIMIT = 60


class Client:
    """One browser-like client: its own connection, session cookie and CSRF token."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIME_LIMIT)
        self.cookie = ""
        self.statuses: list[tuple[str, int, bytes]] = []
        self.token = self.send("GET", "/api/csrf")[1]["csrf_token"]

    def send(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        headers = {
            "Cookie": self.cookie,
            "X-CSRFToken": getattr(self, "token", ""),
            **(headers or {}),
        }
        data = None if body is None else json.dumps(body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        self.statuses.append((f"{method} {path}", response.status, payload[:200]))
        return response.status, json.loads(payload) if payload else None

    def work(self, number: int, start: threading.Barrier) -> dict[int, str]:
        """Create notes, then edit each with If-Match; returns each note's final body."""
        start.wait()
        finals = {}
        for j in range(NOTES_EACH):
            status, note = self.send(
                "POST", "/api/notes", {"title": f"c{number}-{j}", "body": "v0"}
            )
            if status != 201:
                continue
            for edit in range(1, EDITS_EACH + 1):
                body = f"client {number} note {j} edit {edit}"
                status, note = self.send(
                    "PATCH", f"/api/notes/{note['id']}", {"body": body},
                    {"If-Match": str(note["version"])},
                )  # fmt: skip
                if status != 200:
                    break
                finals[note["id"]] = body
        self.conn.close()
        return finals


@pytest.fixture
def served(app):
    """The app on waitress, with production's thread count."""
    with serving(app, threads=8) as port:
        yield port


def test_twenty_clients_writing_at_once_lose_nothing(app, served):
    started = time.monotonic()
    clients = [Client(served) for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)
    finals: dict[int, str] = {}
    failures = []

    def run(number: int, client: Client):
        try:
            finals.update(client.work(number, start))
        except Exception as exc:  # a dropped connection is a failure too, not a hang
            failures.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0, TIME_LIMIT - (time.monotonic() - started)))

    assert not any(thread.is_alive() for thread in threads), "clients still writing after 60 s"
    assert failures == []
    errors = [s for c in clients for s in c.statuses if s[1] >= 400]
    assert errors == []
    assert len(finals) == CLIENTS * NOTES_EACH
    with app.app_context():
        stored = {n.id: (n.body, n.version) for n in db.session.scalars(select(Note))}
    assert stored == {note_id: (body, 1 + EDITS_EACH) for note_id, body in finals.items()}
    assert time.monotonic() - started < TIME_LIMIT
