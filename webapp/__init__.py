"""Kaap's web application. ``create_app`` builds it; importing this package does nothing else."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest

from webapp.config import CONFIGS
from webapp.inputs import (
    MAX_DEPTH,
    KaapJSONProvider,
    check_form,
    check_json,
    check_request_text,
)

__all__ = ["ConfigError", "create_app"]


class ConfigError(RuntimeError):
    """The app cannot start with the configuration it was given."""


def create_app(config: str | Mapping | None = None) -> Flask:
    """Build the app.

    ``config`` is a mode name (development, testing, production, desktop) or a mapping of
    settings, whose optional ``CONFIG`` key names the mode. Otherwise the mode comes from
    ``KAAP_CONFIG`` (default: development). ``KAAP_*`` variables override settings
    (``KAAP_DATA_DIR`` sets ``DATA_DIR``) and an explicit mapping overrides both.
    """
    from webapp.disk import private_umask

    private_umask()
    overrides = dict(config) if isinstance(config, Mapping) else {}
    mode = config if isinstance(config, str) else overrides.get("CONFIG")
    mode = mode or os.environ.get("KAAP_CONFIG") or "development"
    if mode not in CONFIGS:
        raise ConfigError(f"Unknown KAAP_CONFIG {mode!r}; use one of {', '.join(CONFIGS)}.")

    app = Flask(__name__, instance_relative_config=True)
    app.request_class = KaapRequest
    app.session_interface = KaapSessionInterface()
    app.before_request(check_request_text)  # no NUL in the path or the query string
    app.json = KaapJSONProvider(app)  # no NaN or Infinity in request bodies
    app.json.sort_keys = False  # keep fields in their documented order; sorting costs time
    app.config.from_object(CONFIGS[mode])
    app.config.from_prefixed_env("KAAP")
    app.config.update(overrides)
    app.config["CONFIG"] = mode
    _resolve_paths(app)
    _resolve_secret_key(app)
    app.extensions["kaap.clock"] = app.config.get("CLOCK") or _utcnow

    from webapp import (
        accounts,
        backups,
        database,
        dialogs,
        disk,
        events,
        hosting,
        images,
        maintenance,
        pages,
        security,
        transfer,
        uploads,
    )
    from webapp.api import core as api
    from webapp.extensions import csrf

    database.init_app(app)
    disk.init_app(app)
    security.init_app(app)  # before CSRF: a foreign Origin is a 403 whatever its token
    images.init_app(app)
    events.init_app(app)
    uploads.init_app(app)  # before CSRF too: it sets an upload's size limit
    csrf.init_app(app)
    accounts.init_app(app)  # who is asking, then CSRF (a token request needs none)
    api.init_app(app)
    pages.init_app(app)
    maintenance.init_app(app)
    dialogs.init_app(app)
    transfer.init_app(app)
    backups.init_app(app)
    hosting.init_app(app)  # last: its middleware wraps everything above
    _register_cli(app)

    if app.config["AUTO_MIGRATE"]:
        with app.app_context():
            if backups.database_is_sound(app):  # a damaged file raises CorruptDatabaseError
                database.upgrade_to_head(app)
                backups.on_start(app)
                maintenance.on_start(app)
    return app


class KaapRequest(Request):
    def on_json_loading_failed(self, e):
        if e is None:
            return super().on_json_loading_failed(e)
        raise BadRequest("The request body is not valid JSON.") from e

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadRequest(f"The JSON is nested more than {MAX_DEPTH} levels deep.") from None
        if data is not None:
            check_json(data, self.get_data(cache=True))  # webapp/inputs.py
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


def _utcnow():
    from webapp.timeutil import utcnow

    return utcnow()


def _default_data_dir(app: Flask, mode: str) -> Path:
    if mode == "desktop":
        from platformdirs import user_data_dir

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
    from webapp.disk import private_directory

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
            from webapp.disk import removed_on_failure, start_on_full_disk

            # An empty key file left by a full disk would break every later start's sessions.
            full = start_on_full_disk(path.parent, "Kaap could not write its secret key")
            with full, removed_on_failure(path), os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    app.config["SECRET_KEY"] = path.read_text().strip()


def _register_cli(app: Flask) -> None:
    from webapp.cli import register

    register(app)
