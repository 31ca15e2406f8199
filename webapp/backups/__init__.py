"""Backups of the SQLite database: daily at start-up, on demand, before migrating and
restoring, and a clear stop instead of a crash when the database file is damaged.

``live`` ties the plain functions of ``service`` to the app; ``api`` and ``cli`` are thin
layers over it; ``webapp.startup`` runs its start-up checks.
"""

from __future__ import annotations

from flask import Flask

from webapp.backups.live import refuse_while_damaged


def init_app(app: Flask) -> None:
    """Call before every other feature that hooks requests: those read the database, and a
    damaged one must get its message (503) first."""
    app.before_request(refuse_while_damaged)
