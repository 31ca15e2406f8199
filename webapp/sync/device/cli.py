"""``flask --app webapp sync connect|status|disconnect``: the desktop's connection to a server."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from webapp.errors import KaapError
from webapp.timeutil import isoformat, now


def _data_dir() -> Path:
    if current_app.config["ACCOUNTS"]:
        raise click.ClickException(
            "sync connects a single-user Kaap (a desktop) to a server: run it with "
            "KAAP_ACCOUNTS=false on that Kaap's data directory."
        )
    return Path(current_app.config["DATA_DIR"])


def register(app: Flask) -> None:
    sync = AppGroup("sync", help="This Kaap's sync with a Kaap server (single-user mode).")

    @sync.command("connect")
    @click.argument("url")
    @click.option("--user", "username", required=True, help="Your user name on the server.")
    @click.option("--password", default=None, help="Prompted for (not shown) unless given.")
    @click.option(
        "--allow-insecure",
        is_flag=True,
        help="Allow plain http:// to another computer (not encrypted: anyone on the network "
        "can read your notes).",
    )
    def connect(url: str, username: str, password: str | None, allow_insecure: bool) -> None:
        """Sign this Kaap in to the server at URL; the token is kept, the password is not."""
        from webapp.sync.device import service

        data_dir = _data_dir()
        if password is None:
            password = click.prompt("Password", hide_input=True)
        try:
            state = service.connect(
                data_dir,
                url,
                username,
                password,
                allow_insecure=allow_insecure,
                use_keyring=current_app.config["SYNC_KEYRING"],
                now=isoformat(now()),
            )
        except KaapError as exc:
            raise click.ClickException(exc.message) from None
        if state.insecure:
            click.echo("Warning: " + service.client.INSECURE_WARNING, err=True)
        click.echo(f"Connected to {state.server_url} as {state.username} ({state.device}).")

    @sync.command("status")
    @click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
    def status(as_json: bool) -> None:
        """The connection, checked with the server (fails when it has a problem)."""
        from webapp.sync.device import service

        state = service.check(_data_dir())
        if as_json:
            click.echo(json.dumps(service.describe(state), indent=2))
        elif state is None:
            click.echo("Not connected to a server.")
        else:
            click.echo(f"Connected to {state.server_url} as {state.username} ({state.device}).")
            click.echo(f"Last sync: {state.last_sync_at or 'not synced yet'}.")
        if state is not None and state.last_error:
            raise click.ClickException(state.last_error)

    @sync.command("now")
    @click.option(
        "--apply-removals",
        is_flag=True,
        help="A paused pull goes on: the server's removals are applied (after a backup).",
    )
    @click.option(
        "--keep-notes",
        is_flag=True,
        help="A paused pull goes on, keeping the notes here and putting them back there.",
    )
    def now_(apply_removals: bool, keep_notes: bool) -> None:
        """Sync once: pull, merge, push. Exit 0 when in step with the server."""
        from webapp.sync.device import engine

        _data_dir()
        if apply_removals and keep_notes:
            raise click.UsageError("Give --apply-removals or --keep-notes, not both.")
        removals = "apply" if apply_removals else "keep" if keep_notes else None
        try:
            report = engine.sync_now(removals=removals)
        except KaapError as exc:
            raise click.ClickException(exc.message) from None
        for line in report.lines():
            click.echo(line)
        if not report.in_step:
            raise click.exceptions.Exit(1)

    @sync.command("disconnect")
    def disconnect() -> None:
        """Sign out of the server; every note on this computer stays."""
        from webapp.sync.device import service

        revoked = service.disconnect(_data_dir())
        if revoked is None:
            click.echo("Not connected to a server.")
            return
        there = "" if revoked else " (the server could not be told: revoke it there)"
        click.echo(f"Signed out{there}. Your notes on this computer are kept.")

    app.cli.add_command(sync)
