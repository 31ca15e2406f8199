"""Database plumbing shared by every feature: ``sqlite`` (connection settings, BEGIN, online
copies), ``migrate`` (the schema's revisions, Flask-Migrate bound on demand), ``prepared``
(statements compiled once, their rows converted inside) and ``types`` (the UTC column type,
``MAX_ID``). ``init_app`` binds Flask-SQLAlchemy and sets SQLite up."""

from __future__ import annotations

import click
from flask import Flask

from webapp.db.migrate import MigrateOnDemand, bind_migrate
from webapp.db.sqlite import configure_sqlite
from webapp.extensions import db


def init_app(app: Flask) -> None:
    db.init_app(app)
    app.extensions["migrate"] = MigrateOnDemand(app)
    if click.get_current_context(silent=True) is not None:
        bind_migrate(app)  # under the ``flask`` command: ``flask db`` must be there
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
