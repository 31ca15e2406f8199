"""Search: the query language, the SQLite full-text indexes and where the matches are.

Semantics, the same on every database: a note matches a term when the term, case-folded, is
a substring of the note's case-folded title, body, checklist items or label names.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from webapp.extensions import db
from webapp.search.index import register_functions


def init_app(app: Flask) -> None:
    """On SQLite, the functions the search index's triggers and queries call, on every
    connection (after ``webapp.db`` set the connection up)."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", lambda conn, _record: register_functions(conn))
