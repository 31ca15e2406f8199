"""Your data in and out: Google Keep Takeout import, Kaap's own export and its import."""

from __future__ import annotations

from flask import Flask

from webapp.transfer.jobs import Jobs
from webapp.transfer.workdir import sweep


def init_app(app: Flask) -> None:
    """Background import jobs in ``app.extensions``; the spool folders swept."""
    app.extensions["kaap.jobs"] = Jobs()
    sweep(app)
