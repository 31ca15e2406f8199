"""Accounts: the local user of the desktop app, or, in server mode (``ACCOUNTS``), people who
register, log in and use personal API tokens. Each sees only their own notes."""

from __future__ import annotations

import importlib.util

from flask import Flask

from webapp.accounts import auth
from webapp.errors import ConfigError


def init_app(app: Flask) -> None:
    """Call after the upload size limits: the CSRF check here reads the request body, and
    after ``webapp.api.init_app``: the views import the accounts API, whose namespaces are
    declared once documentation merges are cheap (start-up)."""
    from webapp.accounts import views  # see above

    # CSRF is checked by the hooks below, not by Flask-WTF's own, so a token request can skip it.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    if app.config["ACCOUNTS"]:
        _check_server_packages()
        # Server mode's packages (Flask-Login, limits): the desktop never imports them.
        from webapp.accounts import limits, login

        login.init_app(app)
    else:
        app.before_request(auth.csrf_only)
    app.register_blueprint(views.bp)
    if app.config["ACCOUNTS"]:
        limits.init_app(app)


def _check_server_packages() -> None:
    """Accounts need server mode's packages, which the desktop executable leaves out."""
    missing = [name for name in ("flask_login", "limits") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"Accounts (KAAP_ACCOUNTS) need {' and '.join(missing)}, which this build of Kaap "
            "leaves out: accounts are for a Kaap server (README, Hosting Kaap); "
            "unset KAAP_ACCOUNTS to use the desktop app."
        )
