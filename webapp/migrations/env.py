"""Alembic environment for Flask-Migrate: the app's engine and metadata, batch mode on."""

from alembic import context
from flask import current_app

import webapp.models  # noqa: F401  (every model registers its table)
from webapp.search.index import is_search_table

config = context.config
db = current_app.extensions["migrate"].db


def include_name(name, type_, _parent_names):
    # The search indexes are made by hand in migrations, not models: FTS5 tables on SQLite
    # (0003), a trigram index on PostgreSQL (0007).
    if type_ == "index":
        return name != "ix_notes_search_text_trgm"
    return not (type_ == "table" and is_search_table(name))


def run_migrations_offline() -> None:
    context.configure(
        url=str(db.engine.url).replace("%", "%%"),
        target_metadata=db.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("render_as_batch", True)
    conf_args.setdefault("compare_type", True)
    conf_args.setdefault("include_name", include_name)
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
