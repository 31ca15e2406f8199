"""The REST API: one flask-restx ``Api`` on a blueprint, one JSON error envelope."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request
from flask_restx import Api
from flask_restx.swagger import extract_path
from sqlalchemy.exc import DatabaseError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from webapp.accounts.api import account_ns, auth_ns, users_ns
from webapp.api.envelope import database_busy, database_damaged, envelope_for, error_response
from webapp.api.meta import ns as meta_ns
from webapp.backups.api import ns as backups_ns
from webapp.db.types import MAX_ID
from webapp.disk import is_disk_full, is_read_only
from webapp.drafts.api import DraftKeyConverter
from webapp.drafts.api import ns as drafts_ns
from webapp.errors import KaapError
from webapp.events.api import ns as events_ns
from webapp.history.api import ns as history_ns
from webapp.images.api import ns as images_ns
from webapp.labels.api import ns as labels_ns
from webapp.notes.api import ns as notes_ns
from webapp.reminders.api import ns as reminders_ns
from webapp.settings.api import ns as settings_ns
from webapp.snapshot.api import ns as snapshot_ns
from webapp.sync.api import ns as sync_ns
from webapp.sync.device.api import ns as sync_device_ns
from webapp.transfer.api import ns as transfer_ns

API_PREFIX = "/api"


class KaapApi(Api):
    """flask-restx ``Api`` whose every error, validation included, uses the envelope."""

    @property
    def __schema__(self):
        """The OpenAPI document, with the answers every operation can give in server mode."""
        schema = super().__schema__
        if "paths" in schema and not getattr(self, "_kaap_documented", False):
            _document_common_answers(self, schema)
            self._kaap_documented = True
        return schema

    def handle_error(self, e):
        if (
            not isinstance(e, (HTTPException, KaapError))
            and not database_busy(e)
            and not database_damaged(e)
            and not is_disk_full(e)
            and not is_read_only(e)
            and current_app.config.get("PROPAGATE_EXCEPTIONS")
        ):
            raise e
        return error_response(e)


_ERROR_REF = {"$ref": "#/definitions/Error"}
_WRITES = {"post", "put", "patch", "delete"}


def _document_common_answers(api: Api, schema: dict) -> None:
    """401 on every operation that needs someone logged in (with accounts on), 403 on every
    write (a foreign Origin; in server mode also what API tokens may not do): answers any
    operation can give, documented once here rather than on each resource."""
    public = set()
    for ns in api.namespaces:
        for resource, urls, _doc, _kwargs in ns.resources:
            if getattr(resource, "kaap_public", False):
                public.update(extract_path(url) for url in api.ns_urls(ns, urls))
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation.setdefault("responses", {})
            if path not in public:
                responses.setdefault(
                    "401",
                    {"description": "Server mode: not logged in, and no valid API token",
                     "schema": _ERROR_REF},
                )  # fmt: skip
            if method in _WRITES:
                responses.setdefault(
                    "403",
                    {"description": "A write from another site (a foreign Origin), or what "
                     "an API token may not do", "schema": _ERROR_REF},
                )  # fmt: skip


blueprint = Blueprint("api", __name__, url_prefix=API_PREFIX)
api = KaapApi(
    blueprint,
    title="Kaap API",
    version="1.0",
    description=(
        "Notes and labels of Kaap, an offline, Keep-style note app. Writes made with a "
        "browser session send the `X-CSRFToken` header; `GET /api/csrf` returns a token. "
        "On a Kaap server (accounts on), log in with `POST /api/auth/login`, or send a "
        "personal API token as `Authorization: Bearer <token>` (no CSRF token needed); "
        "anything else gets 401."
    ),
    doc="/docs",
    authorizations={
        "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
        "token": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Bearer <token>, a personal API token (server mode)",
        },
    },
    security=["csrf", "token"],
)
for _ns in (
    notes_ns,
    reminders_ns,
    images_ns,
    labels_ns,
    drafts_ns,
    settings_ns,
    meta_ns,
    transfer_ns,
    backups_ns,
    auth_ns,
    account_ns,
    users_ns,
    events_ns,
    sync_ns,
    sync_device_ns,
    history_ns,
    snapshot_ns,
):
    api.add_namespace(_ns)


def _api_http_error(exc: HTTPException):
    # Errors raised before a resource runs (unknown URL, 405, CSRF, 413) reach Flask's
    # handlers, not the Api's: give those under /api the same envelope.
    if not request.path.startswith(API_PREFIX + "/") and request.path != API_PREFIX:
        return exc
    return error_response(exc)


def _kaap_error(exc: Exception):
    # Raised before a resource runs (authentication in a before_request hook, say), or by a
    # page: a damaged database file (503), a full disk (507) or a read-only one (503) is a
    # sentence that says what to do, on pages too.
    if not isinstance(exc, KaapError) and not (
        database_busy(exc) or database_damaged(exc) or is_disk_full(exc) or is_read_only(exc)
    ):
        raise exc
    if not request.path.startswith(API_PREFIX + "/") and (
        database_damaged(exc) or is_disk_full(exc) or is_read_only(exc)
    ):
        body, status, _headers = envelope_for(exc)
        return body["error"]["message"], status, {"Content-Type": "text/plain; charset=utf-8"}
    return error_response(exc)


class IdConverter(IntegerConverter):
    """``<int:...>`` in URLs, within the id columns' range on every database: a larger number
    is no route (404) rather than an overflow inside the database driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["draft_key"] = DraftKeyConverter
    app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _api_http_error)
    app.register_error_handler(KaapError, _kaap_error)
    app.register_error_handler(DatabaseError, _kaap_error)  # busy or damaged, else re-raised
    app.register_error_handler(OSError, _kaap_error)  # a full disk, else re-raised
