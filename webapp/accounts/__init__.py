"""Accounts: the local user of the desktop app, or, in server mode (``ACCOUNTS``), people who
register, log in and use personal API tokens. Each sees only their own notes."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Call after the upload size limits: the CSRF check here reads the request body."""
    from webapp.accounts import auth, views

    if app.config["ACCOUNTS"]:
        _check_server_packages()
    auth.init_app(app)
    app.register_blueprint(views.bp)
    if app.config["ACCOUNTS"]:
        from webapp.accounts import limits

        limits.init_app(app)


def _check_server_packages() -> None:
    """Accounts need server mode's packages, which the desktop executable leaves out."""
    from importlib.util import find_spec

    from webapp import ConfigError

    missing = [name for name in ("flask_login", "limits") if find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"Accounts (KAAP_ACCOUNTS) need {' and '.join(missing)}, which this build of Kaap "
            "leaves out: accounts are for a Kaap server (README, Hosting Kaap); "
            "unset KAAP_ACCOUNTS to use the desktop app."
        )
