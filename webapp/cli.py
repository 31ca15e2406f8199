"""``flask --app webapp ...``: every command beyond Flask-Migrate's ``db``, registered here.

``purge-trash`` and ``search`` are defined here; ``users``/``tokens``, ``backups`` and
``import``/``export`` and ``sync`` in each feature's ``cli`` module.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from webapp import maintenance
from webapp.accounts import cli as accounts_cli
from webapp.backups import cli as backups_cli
from webapp.extensions import db
from webapp.search import index as search_index
from webapp.sync import device as sync_device
from webapp.transfer import cli as transfer_cli


def init_app(app: Flask) -> None:
    register_maintenance(app)
    register_search(app)
    accounts_cli.register(app)
    backups_cli.register(app)
    transfer_cli.register(app)
    sync_device.init_app(app)


def register_maintenance(app: Flask) -> None:
    @app.cli.command("purge-trash")
    def purge_trash() -> None:
        """Delete notes that have been in the trash longer than TRASH_DAYS."""
        purged = maintenance.run(current_app._get_current_object())
        click.echo(f"Purged {purged} note(s) from the trash.")


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
