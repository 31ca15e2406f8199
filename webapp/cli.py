"""``flask --app webapp ...`` commands beyond Flask-Migrate's ``db``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from webapp import maintenance
from webapp.accounts import cli as accounts_cli
from webapp.extensions import db
from webapp.search import index as search_index


def register(app: Flask) -> None:
    @app.cli.command("purge-trash")
    def purge_trash() -> None:
        """Delete notes that have been in the trash longer than TRASH_DAYS."""
        purged = maintenance.run(current_app._get_current_object())
        click.echo(f"Purged {purged} note(s) from the trash.")

    register_search(app)
    accounts_cli.register(app)


def register_search(app: Flask) -> None:
    search = AppGroup("search", help="The full-text search index.")

    @search.command("rebuild")
    def rebuild() -> None:
        """Rebuild the search index from the notes (SQLite only)."""
        if db.engine.dialect.name != "sqlite":
            click.echo("Nothing to rebuild: this database searches without an index.")
            return
        with db.engine.begin() as connection:
            count = search_index.rebuild(connection)
        click.echo(f"Rebuilt the search index over {count} note(s).")

    app.cli.add_command(search)
