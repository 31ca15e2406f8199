"""The page at ``/``: a plain list of notes until the Keep-style interface lands."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from webapp.accounts.service import current_owner_id
from webapp.extensions import db
from webapp.notes import service as notes
from webapp.timeutil import now

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
def index():
    """The notes, pinned first, as plain cards."""
    items, next_cursor = notes.list_notes(db.session, current_owner_id(), now(), limit=100)
    return render_template("pages/index.html", notes=items, more=next_cursor is not None)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
