"""``flask --app webapp users ...`` and ``tokens ...``: accounts for operators."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from webapp.accounts import service, tokens
from webapp.errors import KaapError
from webapp.extensions import db
from webapp.timeutil import isoformat, now


def _fail(exc: KaapError) -> None:
    raise click.ClickException(exc.message)


def owner_option(command):
    """``--user NAME`` for commands that act on someone's notes (server mode needs it)."""
    return click.option(
        "--user",
        "username",
        default=None,
        help="Whose notes (server mode); the local user when accounts are off.",
    )(command)


def owner_id(username: str | None) -> int:
    if username:
        try:
            return service.get_user(db.session, username).id
        except KaapError as exc:
            _fail(exc)
    if current_app.config["ACCOUNTS"]:
        raise click.UsageError("Say whose notes with --user NAME (accounts are on).")
    return service.ensure_local_user(db.session).id


def register(app: Flask) -> None:
    users = AppGroup("users", help="Accounts of a server-mode Kaap.")
    tokens_group = AppGroup("tokens", help="Personal API tokens.")

    @users.command("create")
    @click.argument("username")
    @click.option("--admin", is_flag=True, help="Make the user an admin.")
    @click.password_option(help="Prompted for (twice) unless given.")
    def create(username: str, admin: bool, password: str) -> None:
        """Create a user, whatever KAAP_OPEN_SIGNUP says."""
        try:
            user = service.create_user(db.session, username, password, is_admin=admin)
        except KaapError as exc:
            _fail(exc)
        role = "admin" if user.is_admin else "user"
        click.echo(f"Created {role} {user.username!r} (id {user.id}).")

    @users.command("list")
    def list_() -> None:
        """Every user: id, name, role, created."""
        for user in service.list_users(db.session):
            role = "admin" if user.is_admin else ("local" if not user.password_hash else "user")
            click.echo(f"{user.id}\t{user.username}\t{role}\t{isoformat(user.created_at)}")

    @users.command("delete")
    @click.argument("username")
    @click.confirmation_option(prompt="Delete this user and every note, label and image of theirs?")
    def delete(username: str) -> None:
        """Delete a user and everything they own."""
        try:
            user = service.get_user(db.session, username)
            service.delete_user(db.session, user, current_app.extensions.get("kaap.images"))
        except KaapError as exc:
            _fail(exc)
        click.echo(f"Deleted {username!r} and everything they owned.")

    @users.command("set-password")
    @click.argument("username")
    @click.password_option(help="Prompted for (twice) unless given.")
    def set_password(username: str, password: str) -> None:
        """Set a user's password; every session of theirs ends."""
        try:
            user = service.get_user(db.session, username)
            service.set_password(db.session, user, password)
        except KaapError as exc:
            _fail(exc)
        click.echo(f"Password of {user.username!r} set; their sessions have ended.")

    @tokens_group.command("create")
    @click.argument("username")
    @click.option("--name", default="cli", show_default=True, help="What the token is for.")
    @click.option(
        "--admin", is_flag=True, help="Let the token administer users and backups (admins only)."
    )
    def token_create(username: str, name: str, admin: bool) -> None:
        """Create a token and print its secret (shown this once only)."""
        try:
            user = service.get_user(db.session, username)
            token, secret = tokens.create_token(db.session, user, name, now(), admin=admin)
        except KaapError as exc:
            _fail(exc)
        click.echo(secret)
        click.echo(
            f"Token {token.id} ({token.name}) for {user.username!r}; keep it secret.", err=True
        )

    @tokens_group.command("list")
    @click.argument("username")
    def token_list(username: str) -> None:
        """A user's tokens: id, name, prefix, created, last used, and "admin" for the scope."""
        try:
            user = service.get_user(db.session, username)
        except KaapError as exc:
            _fail(exc)
        for t in tokens.list_tokens(db.session, user.id):
            used = isoformat(t.last_used_at) if t.last_used_at else "never"
            scope = "\tadmin" if t.admin else ""
            click.echo(f"{t.id}\t{t.name}\t{t.prefix}…\t{isoformat(t.created_at)}\t{used}{scope}")

    @tokens_group.command("revoke")
    @click.argument("username")
    @click.argument("token_id", type=int)
    def token_revoke(username: str, token_id: int) -> None:
        """Revoke one of a user's tokens."""
        try:
            user = service.get_user(db.session, username)
            tokens.revoke_token(db.session, user.id, token_id)
        except KaapError as exc:
            _fail(exc)
        click.echo(f"Revoked token {token_id}.")

    app.cli.add_command(users)
    app.cli.add_command(tokens_group)
