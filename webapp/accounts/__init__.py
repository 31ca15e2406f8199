"""Accounts: the local user of the desktop app, or, in server mode (``ACCOUNTS``), people who
register, log in and use personal API tokens. Each sees only their own notes."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Call after the upload size limits: the CSRF check here reads the request body."""
    from webapp.accounts import auth, views

    auth.init_app(app)
    app.register_blueprint(views.bp)
    if app.config["ACCOUNTS"]:
        from webapp.accounts import limits

        limits.init_app(app)
