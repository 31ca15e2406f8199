"""``create_app``, the app factory (``from webapp import create_app`` imports it from here)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest

from webapp.config import CONFIGS
from webapp.errors import ConfigError
from webapp.inputs import (
    MAX_DEPTH,
    KaapJSONProvider,
    check_form,
    check_json,
    check_request_text,
)
from webapp.timeutil import utcnow


def create_app(config: str | Mapping | None = None) -> Flask:
    """Build the app.

    ``config`` is a mode name (development, testing, production, desktop) or a mapping of
    settings, whose optional ``CONFIG`` key names the mode. Otherwise the mode comes from
    ``KAAP_CONFIG`` (default: development). ``KAAP_*`` variables override settings
    (``KAAP_DATA_DIR`` sets ``DATA_DIR``) and an explicit mapping overrides both.
    """
    # The features are imported inside the steps, not at the top of this file: every import
    # of a webapp module runs it, and the desktop imports webapp.dialogs on its main thread
    # while it builds the app on another (a heavy package here slows the window; measured
    # by bench/startup.py).
    from webapp import startup
    from webapp.disk import private_umask

    private_umask()
    # "webapp", not this module: the app's name (its logger) and its folders are the package's.
    app = Flask("webapp", instance_relative_config=True)
    _configure(app, config)
    _register_request_handling(app)
    _register_extensions(app)
    _register_request_checks(app)
    _register_blueprints(app)
    _register_commands(app)
    startup.prepare(app)  # check, back up, migrate, housekeeping
    return app


def _configure(app: Flask, config: str | Mapping | None) -> None:
    overrides = dict(config) if isinstance(config, Mapping) else {}
    mode = config if isinstance(config, str) else overrides.get("CONFIG")
    mode = mode or os.environ.get("KAAP_CONFIG") or "development"
    if mode not in CONFIGS:
        raise ConfigError(f"Unknown KAAP_CONFIG {mode!r}; use one of {', '.join(CONFIGS)}.")
    app.config.from_object(CONFIGS[mode])
    app.config.from_prefixed_env("KAAP")
    app.config.update(overrides)
    app.config["CONFIG"] = mode
    _resolve_paths(app)
    _resolve_secret_key(app)
    app.extensions["kaap.clock"] = app.config.get("CLOCK") or utcnow  # webapp.timeutil.now


def _register_request_handling(app: Flask) -> None:
    app.request_class = KaapRequest
    app.session_interface = KaapSessionInterface()
    app.json = KaapJSONProvider(app)  # no NaN or Infinity in request bodies
    app.json.sort_keys = False  # keep fields in their documented order; sorting costs time


def _register_extensions(app: Flask) -> None:
    from webapp import db, dialogs, disk, events, images, search, snapshot, transfer

    db.init_app(app)  # webapp.db: Flask-SQLAlchemy, SQLite's settings, Flask-Migrate on demand
    search.init_app(app)  # SQLite: the search's functions on every connection
    disk.init_app(app)
    images.init_app(app)
    events.init_app(app)  # the open pages' event streams
    snapshot.init_app(app)  # after events: a note deleted forever leaves the snapshot
    dialogs.init_app(app)
    transfer.init_app(app)


def _register_request_checks(app: Flask) -> None:
    """The hooks before every request, in the order they run."""
    from webapp import accounts, api, backups, maintenance, security, uploads
    from webapp.extensions import csrf

    backups.init_app(app)  # first: a damaged database file is refused before anything reads it
    app.before_request(check_request_text)  # no NUL in the path or the query string
    security.init_app(app)  # before CSRF: a foreign Origin is a 403 whatever its token
    uploads.init_app(app)  # before CSRF too: it sets an upload's size limit
    csrf.init_app(app)
    api.init_app(app)  # before accounts: its API namespaces are declared after api's set-up
    accounts.init_app(app)  # who is asking, then CSRF (a token request needs none)
    maintenance.init_app(app)  # the trash purge, at most once per interval


def _register_blueprints(app: Flask) -> None:
    from webapp import hosting, pages

    pages.init_app(app)
    hosting.init_app(app)  # last: its middleware wraps everything above


def _register_commands(app: Flask) -> None:
    from webapp import cli

    cli.init_app(app)


class KaapRequest(Request):
    _checked_json = None

    def on_json_loading_failed(self, e):
        if e is None:
            return super().on_json_loading_failed(e)
        raise BadRequest("The request body is not valid JSON.") from e

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadRequest(f"The JSON is nested more than {MAX_DEPTH} levels deep.") from None
        # flask-restx reads the body twice (validation, then ``ns.payload``): check it once.
        if data is not None and data is not self._checked_json:
            check_json(data, self.get_data(cache=True))  # webapp/inputs.py
            self._checked_json = data
        return data

    def _load_form_data(self) -> None:
        super()._load_form_data()
        check_form(self.form, self.files)  # no NUL in any field: webapp/inputs.py


class KaapSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with the signing serializer built once per set of keys
    instead of twice per request (cookie or not)."""

    _serializer: tuple | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]


def _default_data_dir(app: Flask, mode: str) -> Path:
    if mode == "desktop":
        from platformdirs import user_data_dir  # only the desktop needs it: start-up

        return Path(user_data_dir("Kaap", appauthor=False))
    return Path(app.instance_path)


def _resolve_paths(app: Flask) -> None:
    if app.config["CONFIG"] == "production" and not app.config.get("DATABASE_URL"):
        raise ConfigError(
            "KAAP_DATABASE_URL is not set: production needs the database's URL from the "
            "environment, for example KAAP_DATABASE_URL=postgresql+psycopg://kaap:PASSWORD@db/kaap."
        )
    data_dir = Path(app.config.get("DATA_DIR") or _default_data_dir(app, app.config["CONFIG"]))
    data_dir = data_dir.expanduser().resolve()
    from webapp.disk import private_directory  # see create_app

    private_directory(data_dir)
    app.config["DATA_DIR"] = str(data_dir)
    url = app.config.get("DATABASE_URL") or f"sqlite:///{data_dir / 'kaap.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = url


def _resolve_secret_key(app: Flask) -> None:
    """From the environment; production requires it, other modes keep one in the data dir."""
    key = os.environ.get("SECRET_KEY") or app.config.get("SECRET_KEY")
    if key:
        app.config["SECRET_KEY"] = key
        return
    if app.config["CONFIG"] == "production":
        raise ConfigError(
            "SECRET_KEY is not set: production needs one from the environment, for example "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    path = Path(app.config["DATA_DIR"]) / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting at once must not overwrite each other's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            from webapp.disk import removed_on_failure, start_on_full_disk  # see create_app

            # An empty key file left by a full disk would break every later start's sessions.
            full = start_on_full_disk(path.parent, "Kaap could not write its secret key")
            with full, removed_on_failure(path), os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    app.config["SECRET_KEY"] = path.read_text().strip()
