"""Fixtures of the multi-process suite: one server process for the package (SQLite, or the
PostgreSQL database KAAP_TEST_DATABASE_URL names, emptied first), an account per test, and
desktop processes each behind its own proxy. Every process is stopped by its pid at the end,
whether the test passed or not."""

from __future__ import annotations

import itertools
import re

import pytest

from tests.conftest import TEST_DATABASE_URL, _empty_database
from tests.sync.multi.harness import Desktop, Processes, Proxy, Server, free_port


@pytest.fixture(scope="package")
def package_processes():
    processes = Processes()
    yield processes
    processes.stop_all()


@pytest.fixture(scope="package")
def running_server(tmp_path_factory, package_processes) -> Server:
    if TEST_DATABASE_URL:
        _empty_database(TEST_DATABASE_URL)
    server = Server(package_processes, tmp_path_factory.mktemp("server"), TEST_DATABASE_URL)
    server.setup_admin()  # its CLI migrates a new database first
    for attempt in range(3):
        try:
            server.start()
            break
        except RuntimeError:  # exited at once: another process took the port meanwhile
            if attempt == 2:
                raise
            server.port = free_port()
    return server


@pytest.fixture
def server(running_server):
    """The package's server, started again if an earlier test left it killed."""
    running_server.set_clock(0)  # an earlier test may have moved it
    if running_server.proc is None or running_server.proc.poll() is not None:
        running_server.start()
    yield running_server
    running_server.set_clock(0)


_accounts = itertools.count(1)


@pytest.fixture
def account(server, request):
    """A new account on the server for each test (user names: 3 to 40 characters)."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    return server.new_account(f"u{next(_accounts)}-{name}"[:40].rstrip("-"))


@pytest.fixture
def processes():
    processes = Processes()
    yield processes
    processes.stop_all()


@pytest.fixture
def make_desktop(tmp_path, processes, migrated_db, server, account):
    """``make_desktop("A", "B")``: desktop processes (started together), each connected to
    the account through its own proxy (``desktop.proxy``); one name gives one desktop."""
    made: list[Desktop] = []

    def make(*names: str, connect: bool = True, cli: bool = False):
        desktops = [Desktop(processes, name, tmp_path / name, migrated_db) for name in names]
        made.extend(desktops)
        for desktop in desktops:
            desktop.spawn()
        for desktop in desktops:
            desktop.wait_ready()
            desktop.proxy = Proxy(server.port)
            if connect:
                desktop.connect(account, desktop.proxy, cli=cli)
        return desktops[0] if len(desktops) == 1 else desktops

    yield make
    for desktop in made:
        desktop.stop()
        if desktop.proxy is not None:
            desktop.proxy.close()
