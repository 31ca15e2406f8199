"""Checks and headers every response gets: the local boundary of a server on 127.0.0.1."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, request

from webapp.database import WRITE_METHODS

# No inline scripts, no remote anything; Swagger UI's page is the one exception (it inlines
# its start-up script), so it gets its own policy.
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'"
)


def _check_origin():
    """A write whose Origin is not this server's own is refused (403)."""
    if request.method not in WRITE_METHODS:
        return None
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    parts = urlsplit(origin)
    if origin == "null" or f"{parts.scheme}://{parts.netloc}" != request.host_url.rstrip("/"):
        abort(403, description="Cross-origin writes are not allowed.")
    return None


def _headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    policy = DOCS_CSP if request.path.rstrip("/") == "/api/docs" else CSP
    response.headers.setdefault("Content-Security-Policy", policy)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_check_origin)
    app.after_request(_headers)
