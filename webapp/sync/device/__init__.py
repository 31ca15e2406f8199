"""The desktop side of sync: connecting this Kaap (single-user, accounts off) to a Kaap server.

``store`` keeps the connection in the data directory (the token in the OS keyring or a 0600
file), ``client`` speaks to the server over httpx, ``service`` ties them together, ``api`` and
``cli`` are its two faces. httpx and keyring are imported only when a connection is made: the
desktop's start-up does not pay for them (tests/test_startup.py).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The CLI commands and the background worker's start on a first request; the page's
    endpoints are a namespace of webapp.api.core."""
    from webapp.sync.device import cli, worker

    cli.register(app)
    worker.init_app(app)
