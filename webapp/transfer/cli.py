"""``flask --app webapp import-keep PATH`` and ``flask --app webapp export PATH``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app

from webapp import images
from webapp.accounts.cli import owner_id, owner_option
from webapp.extensions import db
from webapp.timeutil import now
from webapp.transfer.importer import Limits, import_path
from webapp.transfer.kaap_format import write_export


def register(app: Flask) -> None:
    @app.cli.command("import-keep")
    @click.argument("path", type=click.Path(exists=True, path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
    @owner_option
    def import_keep(path: Path, as_json: bool, username: str | None) -> None:
        """Import a Google Keep Takeout (.zip or folder) or a Kaap export."""

        def progress(done: int, total: int) -> None:
            if done == total or done % 100 == 0:
                click.echo(f"  {done}/{total} notes", err=True)

        summary = import_path(
            db.session,
            current_app.extensions["kaap.images"],
            owner_id(username),
            path,
            images.work(current_app),
            progress,
            limits=Limits.from_config(current_app.config),
        )
        if as_json:
            click.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=1))
            return
        totals = summary.totals
        click.echo(
            f"Imported {summary.imported}, skipped {totals['skipped']}, "
            f"failed {totals['failed']}, warnings {totals['warnings']}."
        )
        for title, kind in (("Skipped", "skipped"), ("Failed", "failed"), ("Warnings", "warnings")):
            rows = getattr(summary, kind)
            for row in rows:
                click.echo(f"{title}: {row['file']}: {row['reason']}")
            if totals[kind] > len(rows):
                click.echo(f"{title}: and {totals[kind] - len(rows)} more")
        if summary.stopped:
            click.echo(f"Stopped: {summary.stopped}")

    @app.cli.command("export")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--history", is_flag=True, help="Each note's earlier versions too (larger; off by default)."
    )
    @owner_option
    def export(path: Path, history: bool, username: str | None) -> None:
        """Write every note, label and image to a zip (Kaap's export format)."""
        store = current_app.extensions["kaap.images"]
        count = write_export(db.session, store, owner_id(username), now(), path, history=history)
        with_history = " with their history" if history else ""
        click.echo(f"Exported {count} note(s){with_history} to {path}.")
