"""The page at ``/``: the Keep-class interface, drawn in the browser from the REST API."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
def index():
    """The app shell; the ES modules in ``static/js`` fetch and draw the notes."""
    return render_template("pages/index.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
