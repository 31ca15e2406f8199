"""``flask --app webapp ...`` commands beyond Flask-Migrate's ``db``."""

from __future__ import annotations

import click
from flask import Flask, current_app

from webapp import maintenance


def register(app: Flask) -> None:
    @app.cli.command("purge-trash")
    def purge_trash() -> None:
        """Delete notes that have been in the trash longer than TRASH_DAYS."""
        purged = maintenance.run(current_app._get_current_object())
        click.echo(f"Purged {purged} note(s) from the trash.")
