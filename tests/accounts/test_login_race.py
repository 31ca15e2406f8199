"""The login limit holds against parallel requests on a real server: each attempt is counted
before its password is checked, so no more than the limit are ever checked."""

from __future__ import annotations

import http.client
import json
import threading
import time

import pytest

from tests.live import serving
from webapp.accounts import passwords

PARALLEL, LIMIT = 17, 10


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """Every password check, made slow enough that all the requests are in flight at once."""
    made: list[str] = []
    real = passwords.verify

    def slow_verify(password_hash, password):
        made.append(password)
        time.sleep(0.3)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify", slow_verify)
    return made


def post_login(port: int, body: dict, start: threading.Barrier) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.connect()
    start.wait()
    conn.request("POST", "/api/auth/login", json.dumps(body), {"Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize("limit", ["LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_PER_ADDRESS"])
def test_parallel_logins_check_no_more_passwords_than_the_limit(app, sign_up, checks, limit):
    sign_up("ana")
    checks.clear()
    app.config[limit] = f"{LIMIT} per 10 minutes"
    app.config["WTF_CSRF_ENABLED"] = False  # the limit is the point, not the token
    start = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    with serving(app, threads=PARALLEL + 2) as port:
        threads = [
            threading.Thread(
                target=lambda i=i: statuses.append(
                    post_login(port, {"username": "ana", "password": f"guess {i}"}, start)
                )
            )
            for i in range(PARALLEL)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(statuses) == [401] * LIMIT + [429] * (PARALLEL - LIMIT)
    assert len(checks) == LIMIT
