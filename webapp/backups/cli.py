"""``flask --app webapp backups list|create|restore NAME``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from webapp.backups import live as backups
from webapp.errors import KaapError


def register(app: Flask) -> None:
    group = AppGroup("backups", help="Backups of the database (in <data dir>/backups).")

    @group.command("list")
    def list_() -> None:
        """List the backups, newest first."""
        items = backups.list_all(current_app)
        if not items:
            click.echo(f"No backups in {backups.backups_dir(current_app)}.")
        for b in items:
            when = b.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            click.echo(f"{b.name}  {b.kind:<11}  {when}  {b.size:>12,} bytes")

    @group.command("create")
    def create() -> None:
        """Back up the database now."""
        try:
            backup = backups.create(current_app)
        except KaapError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"Backed up the database to {backup.path}.")

    @group.command("restore")
    @click.argument("name")
    def restore(name: str) -> None:
        """Replace the database with backup NAME (the current one is kept as a backup)."""
        try:
            backup, previous = backups.restore(current_app._get_current_object(), name)
        except KaapError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"Restored the database from {backup.name}; the previous one is {previous}.")

    app.cli.add_command(group)
