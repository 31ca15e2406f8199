"""The one JSON error envelope of the API.

Every error under ``/api`` has the shape
``{"error": {"code": "...", "message": "...", "fields": {...}}}``, built by
``webapp.errors.error_body`` (no Flask, so the WSGI host check uses it too). ``envelope_for``
picks the code, message, status and headers for any exception; ``error_response`` answers.
"""

from __future__ import annotations

import re
import sqlite3
from http import HTTPStatus

from flask import Response, current_app, jsonify, request
from flask_restx import Model, fields
from sqlalchemy.exc import DatabaseError, OperationalError
from werkzeug.exceptions import HTTPException

from webapp.backups.live import record_damage
from webapp.disk import is_disk_full, is_read_only, request_full_error, request_read_only_error
from webapp.errors import KaapError, error_body

error_detail_model = Model(
    "ErrorDetail",
    {
        "code": fields.String(required=True, example="not_found"),
        "message": fields.String(required=True, example="Note 7 does not exist."),
        "fields": fields.Raw(description="Per-field messages, keyed by field name"),
    },
)
error_model = Model("Error", {"error": fields.Nested(error_detail_model, required=True)})


def register_models(ns) -> None:
    """Make the envelope's models known to a namespace that documents error responses."""
    for model in (error_detail_model, error_model):
        ns.add_model(model.name, model)


def _code_for(exc: HTTPException) -> str:
    if exc.__class__.__name__ == "CSRFError":
        return "csrf"
    try:
        return HTTPStatus(exc.code).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


_UNEXPECTED = re.compile(r"'([^']*)'")


def _validation_fields(exc: HTTPException) -> dict[str, str]:
    """flask-restx puts jsonschema failures in ``exc.data['errors']``: keep them per field."""
    return schema_error_fields((getattr(exc, "data", None) or {}).get("errors") or {})


def schema_error_fields(errors: dict) -> dict[str, str]:
    """jsonschema messages by path, as the envelope's ``fields`` (unknown fields by name)."""
    out: dict[str, str] = {}
    for key, value in errors.items():
        message = str(value)
        if message.startswith("Additional properties are not allowed"):
            # jsonschema reports unknown fields on their parent: name each one instead.
            for name in _UNEXPECTED.findall(message.partition("(")[2]):
                out[f"{key}.{name}" if key else name] = "unknown field"
            continue
        out[str(key) if key else "request"] = message
    return out


def database_busy(exc: Exception) -> bool:
    """SQLite's write lock stayed taken past the busy timeout (a burst of writers)."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def database_damaged(exc: Exception) -> bool:
    """SQLite found the file damaged while reading it (SQLITE_CORRUPT or SQLITE_NOTADB)."""
    if not isinstance(exc, DatabaseError) or not isinstance(exc.orig, sqlite3.DatabaseError):
        return False
    code = getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF  # extended codes keep the primary
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def envelope_for(exc: Exception) -> tuple[dict, int, dict]:
    """Body, status and headers for any exception raised while handling an API request."""
    if database_damaged(exc):
        return error_body("database_damaged", record_damage(current_app, exc)), 503, {}
    if database_busy(exc):
        # Nothing was written (the transaction never got the lock): safe to send again.
        message = "The database is busy; nothing was saved, try again in a moment."
        return error_body("busy", message), 503, {"Retry-After": "1"}
    if not isinstance(exc, KaapError) and is_disk_full(exc):
        exc = request_full_error(exc)
    elif not isinstance(exc, KaapError) and is_read_only(exc):
        exc = request_read_only_error()
    if isinstance(exc, KaapError):
        headers = dict(getattr(exc, "headers", None) or {})
        return error_body(exc.code, exc.message, exc.fields), exc.status, headers
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        fields_ = _validation_fields(exc)
        if fields_:
            message = "The request body is not valid: " + "; ".join(
                f"{key}: {value}" for key, value in fields_.items()
            )
            return error_body("invalid", message, fields_), status, {}
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        message = exc.description or HTTPStatus(status).phrase
        return error_body(_code_for(exc), message), status, headers
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_body("internal_error", "Something went wrong on our side."), 500, {}


def error_response(exc: Exception) -> Response:
    """The JSON response for any exception raised while handling an API request."""
    body, status, headers = envelope_for(exc)
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response
