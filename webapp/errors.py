"""Errors the app's own logic raises; the API turns each into its JSON envelope.

They carry an HTTP status because that is what every caller needs, but they are plain
exceptions: service functions raise them without importing Flask.
"""

from __future__ import annotations


class ConfigError(RuntimeError):
    """The app cannot start with the configuration (or the database file) it was given."""


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict:
    """The one JSON error envelope: ``{"error": {"code", "message", "fields"}}``."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class KaapError(Exception):
    """Base class: ``status``, a machine-readable ``code`` and a readable message."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, fields: dict[str, str] | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationError(KaapError):
    status = 400
    code = "invalid"


class NotFoundError(KaapError):
    status = 404
    code = "not_found"


class ConflictError(KaapError):
    status = 409
    code = "conflict"


class PreconditionFailedError(KaapError):
    status = 412
    code = "precondition_failed"
