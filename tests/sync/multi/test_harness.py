"""The harness itself: the proxy does what the scenarios rely on, processes restart and stop."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.sync.multi.harness import Proxy


@pytest.fixture
def proxy(server):
    proxy = Proxy(server.port)
    yield proxy
    proxy.close()


def test_proxy_passes_requests_and_delays_each_chunk(proxy):
    assert httpx.get(f"{proxy.url}/healthz").status_code == 200
    proxy.delay = 0.3
    started = time.monotonic()
    assert httpx.get(f"{proxy.url}/healthz").status_code == 200
    assert time.monotonic() - started >= 0.6  # a chunk up, a chunk down


def test_proxy_offline_refuses_until_online(proxy):
    proxy.offline()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{proxy.url}/healthz")
    proxy.online()
    assert httpx.get(f"{proxy.url}/healthz").status_code == 200


def test_proxy_cuts_the_answer_of_a_matching_request_only(proxy):
    proxy.cut(b"GET /healthz?cut")
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/healthz").status_code == 200
        with pytest.raises(httpx.TransportError):
            client.get("/healthz?cut")
        assert client.get("/healthz?cut").status_code == 200  # once only


def test_proxy_holds_an_answer_until_dropped(proxy):
    rule = proxy.hold(b"GET /healthz")
    failed = []

    def ask():
        try:
            httpx.get(f"{proxy.url}/healthz", timeout=20)
        except httpx.TransportError as exc:
            failed.append(exc)

    thread = threading.Thread(target=ask)
    thread.start()
    assert rule.reached.wait(10)
    proxy.drop_all()
    thread.join(10)
    assert failed


def test_server_killed_comes_back_on_its_port_with_its_accounts(server, account, proxy):
    server.kill()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{proxy.url}/healthz")
    server.restart()
    assert account.uids() == {}
    assert httpx.get(f"{proxy.url}/healthz").status_code == 200


def test_desktop_clock_moves_while_it_runs(make_desktop):
    desktop = make_desktop("A", connect=False)
    before = desktop.create(title="now")["created_at"]
    desktop.set_clock(days=30)
    later = desktop.create(title="in a month")["created_at"]
    assert later[:10] > before[:10]
