"""The page at ``/``: the Keep-class interface, drawn in the browser from the REST API."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from webapp.dialogs import dialogs

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
def index():
    """The app shell; the ES modules in ``static/js`` fetch and draw the notes."""
    return render_template("pages/index.html")


@bp.get("/settings")
def settings():
    """Import from Google Keep, export, backups."""
    return render_template("pages/settings.html", native_export=dialogs().native)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
