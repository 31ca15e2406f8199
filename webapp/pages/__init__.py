"""The page at ``/``: the Keep-class interface, drawn in the browser from the REST API."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

from webapp.dialogs import dialogs

bp = Blueprint("pages", __name__, template_folder="templates")


def _account():
    """The logged-in user in server mode (accounts on), else None: the desktop shows no
    account things. Rendered into the page, so its scripts need no request to know."""
    if not current_app.config["ACCOUNTS"]:
        return None
    from flask_login import current_user

    return current_user if current_user.is_authenticated else None


@bp.get("/")
def index():
    """The app shell; the ES modules in ``static/js`` fetch and draw the notes."""
    return render_template("pages/index.html", account=_account())


@bp.get("/settings")
def settings():
    """Import from Google Keep, export, backups; your account in server mode."""
    return render_template(
        "pages/settings.html", native_export=dialogs().native, account=_account()
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
