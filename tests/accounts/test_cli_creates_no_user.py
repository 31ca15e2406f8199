"""No ``flask --app webapp ...`` command in server mode creates an account nobody asked for."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import User

# Every registered command runs with --help, and these (harmless here) also for real. Those
# left out write migration files or rewind the schema; --help still runs them up to their
# options.
RUNS = {
    "import-keep": ["import-keep", "{data}"],
    "export": ["export", "{data}/out.zip"],
    "backups list": ["backups", "list"],
    "backups create": ["backups", "create"],
    "backups restore": ["backups", "restore", "no-such-backup"],
    "purge-trash": ["purge-trash"],
    "search rebuild": ["search", "rebuild"],
    "users list": ["users", "list"],
    "users delete": ["users", "delete", "nobody", "--yes"],
    "users set-password": ["users", "set-password", "nobody", "--password", "x" * 20],
    "tokens create": ["tokens", "create", "nobody", "--name", "cron"],
    "tokens list": ["tokens", "list", "nobody"],
    "tokens revoke": ["tokens", "revoke", "nobody", "1"],
    "db current": ["db", "current"],
    "db heads": ["db", "heads"],
    "db history": ["db", "history"],
    "db upgrade": ["db", "upgrade"],
    "db check": ["db", "check"],
    # Refused in server mode before any network: sync connects a single-user Kaap.
    "sync connect": ["sync", "connect", "https://127.0.0.1:9", "--user", "x", "--password", "y"],
    "sync status": ["sync", "status"],
    "sync disconnect": ["sync", "disconnect"],
    "sync now": ["sync", "now"],
}
WRITES_FILES = {"users create", "db list-templates", "db init", "db revision", "db migrate"}
WRITES_FILES |= {"db edit", "db merge", "db downgrade", "db stamp", "db show", "db branches"}


@pytest.fixture
def data_dir(tmp_path):
    """An empty data dir: the shared template database was made in desktop mode."""
    return tmp_path


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield prefix + name
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def _usernames(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(User.username)))


def test_building_the_app_in_server_mode_creates_no_user(app):
    assert _usernames(app) == []


def test_every_command_is_covered_by_this_test(app):
    assert set(_commands(app.cli)) <= set(RUNS) | WRITES_FILES | {
        "backups",
        "search",
        "db",
        "sync",
    } | {
        "users",
        "tokens",
    }


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # alembic's own, under `db`
def test_no_cli_command_creates_a_user(app, runner):
    data = app.config["DATA_DIR"]
    for name in _commands(app.cli):
        runner.invoke(args=[*name.split(), "--help"], catch_exceptions=False)
        if name in RUNS:
            runner.invoke(args=[arg.format(data=data) for arg in RUNS[name]])
        assert _usernames(app) == [], name


@pytest.mark.parametrize("command", ["import-keep", "export"])
def test_a_command_on_someones_notes_needs_user_in_server_mode(app, runner, command):
    result = runner.invoke(args=[arg.format(data=app.config["DATA_DIR"]) for arg in RUNS[command]])
    assert result.exit_code == 2
    assert "Say whose notes with --user NAME" in result.output


@pytest.mark.sqlite_only
def test_the_real_flask_command_leaves_no_user_behind(tmp_path):
    env = {**os.environ, "KAAP_CONFIG": "development", "KAAP_DATA_DIR": str(tmp_path)}
    env.pop("KAAP_DATABASE_URL", None)
    command = [sys.executable, "-m", "flask", "--app", "webapp", "users", "list"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # before: "1\tlocal\tlocal\t..."
