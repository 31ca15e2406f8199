"""The schema's revisions and bringing the database to the newest (Alembic via Flask-Migrate).

Backing up before a migration is the caller's part (``webapp.backups.live.migrate``).
"""

from __future__ import annotations

import logging
import re

from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from webapp.extensions import db
from webapp.paths import resource

log = logging.getLogger(__name__)

MIGRATIONS_DIR = resource("migrations")

# Alembic (through Flask-Migrate) costs about 0.3 s of imports, and most start-ups have
# nothing to migrate: the revisions are read with plain SQL and from the scripts' text, and
# Alembic is imported only to upgrade, or when a script is beyond that simple reading. The
# function-level imports of alembic and flask_migrate below keep it out of start-up.
_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:["']([^"']+)["']|(None))\s*$""", re.M
)


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, or None before the first migration."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        if len(rows) <= 1:
            return rows[0][0] if rows else None
        from alembic.runtime.migration import MigrationContext  # start-up: see above

        return MigrationContext.configure(conn).get_current_revision()  # raises: several heads


def script_revisions() -> dict[str, str | None]:
    """Every migration script's revision and the one it revises, read from the scripts' text.

    Empty when a script is not in the plain one-parent form (a merge, say): Alembic decides.
    """
    found: dict[str, str | None] = {}
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        values = {m[1]: m[2] for m in _REVISION_LINE.finditer(script.read_text("utf-8"))}
        if set(values) != {"revision", "down_revision"}:
            return {}
        found[values["revision"]] = values["down_revision"]
    return found


def known_revisions() -> set[str]:
    """Every migration revision this Kaap knows (a backup from a newer one is refused)."""
    known = set(script_revisions())
    if known:
        return known
    from alembic.script import ScriptDirectory  # start-up: see above

    return {rev.revision for rev in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}


def head_revision() -> str:
    """The newest migration."""
    parents = script_revisions()
    heads = set(parents) - set(parents.values())
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory  # start-up: see above

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def upgrade_to_head(app: Flask) -> None:
    """Migrate the database to the newest revision (nothing to do if it is there)."""
    current = current_revision(db.engine)
    if current == head_revision():
        return
    from flask_migrate import upgrade  # start-up: see above

    bind_migrate(app)
    upgrade(directory=str(MIGRATIONS_DIR))
    log.info("database migrated from %s to %s", current or "empty", head_revision())


class MigrateOnDemand:
    """``app.extensions["migrate"]`` until something reads it: then Flask-Migrate is bound."""

    def __init__(self, app: Flask):
        self._app = app

    def __getattr__(self, name: str):
        return getattr(bind_migrate(self._app), name)


def bind_migrate(app: Flask):
    """Bind Flask-Migrate to ``app`` if it is not yet; returns its ``extensions["migrate"]``."""
    bound = app.extensions.get("migrate")
    if bound is None or isinstance(bound, MigrateOnDemand):
        from flask_migrate import Migrate  # start-up: see above

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
        bound = app.extensions["migrate"]
    return bound
