"""Login limits shared through Redis, as when several processes serve one Kaap."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from tests.accounts.conftest import csrf_client
from webapp import create_app
from webapp.extensions import db

REDIS = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    if REDIS is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing; .ci/run installs it")
        pytest.skip("no redis-server here (apt-get install redis-server)")
    port = _free_port()
    server = subprocess.Popen(
        [
            REDIS,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def _login(app, password="wrong guess"):
    return csrf_client(app).post("/api/auth/login", json={"username": "ana", "password": password})


def test_two_processes_share_the_login_counts_through_redis(app, sign_up, redis_url):
    sign_up("ana")
    settings = {key: app.config[key] for key in ("CONFIG", "DATA_DIR", "CLOCK", "ACCOUNTS")}
    settings |= {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": redis_url,
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 10 minutes",
    }
    first, second = create_app(settings), create_app(settings)
    try:
        assert _login(first).status_code == 401
        assert _login(second).status_code == 401
        assert _login(first).status_code == 401
        response = _login(second, password="correct horse battery")
        assert response.status_code == 429  # the third failure was counted in the other one
    finally:
        for each in (first, second):
            with each.app_context():
                db.engine.dispose()


def test_with_redis_down_logins_are_still_limited_in_memory(app, sign_up):
    sign_up("ana")
    settings = {key: app.config[key] for key in ("CONFIG", "DATA_DIR", "CLOCK", "ACCOUNTS")}
    settings |= {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_free_port()}/0",  # nothing listens
        "LOGIN_LIMIT_PER_ACCOUNT": "2 per 10 minutes",
    }
    down = create_app(settings)
    try:
        assert _login(down).status_code == 401
        assert _login(down).status_code == 401
        assert _login(down, password="correct horse battery").status_code == 429
    finally:
        with down.app_context():
            db.engine.dispose()
