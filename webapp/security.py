"""Checks and headers every response gets: the local boundary of a server on 127.0.0.1."""

from __future__ import annotations

import hmac
import json
import re
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Flask, abort, current_app, redirect, request
from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_host

from webapp.boundary import (
    CSP,
    DEFAULT_HEADERS,
    DOCS_CSP,
    LOOPBACK_HOSTS,
    TOKEN_PARAM,
    launch_cookie,
)
from webapp.db.sqlite import WRITE_METHODS
from webapp.errors import error_body


def _check_origin():
    """A write whose Origin is not this server's own is refused (403)."""
    if request.method not in WRITE_METHODS:
        return None
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    try:
        parts = urlsplit(origin)
    except ValueError:  # "http://[": not even a URL, so not this server's
        parts = None
    if (
        parts is None
        or origin == "null"
        or f"{parts.scheme}://{parts.netloc}" != request.host_url.rstrip("/")
    ):
        abort(403, description="Cross-origin writes are not allowed.")
    return None


def _check_launch_token():
    """Desktop mode: the start URL's token becomes a cookie; without either, 401."""
    config = current_app.config
    token = config["LAUNCH_TOKEN"]
    cookie_name = config["LAUNCH_COOKIE_NAME"]
    offered = request.args.get(TOKEN_PARAM)
    if offered is not None and hmac.compare_digest(offered.encode(), token.encode()):
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != TOKEN_PARAM]
        response = redirect(request.path + (f"?{urlencode(rest)}" if rest else ""), 303)
        # The header as the thin first-page path writes it too (desktop/thin.py).
        response.headers.add("Set-Cookie", launch_cookie(cookie_name, token))
        return response
    cookie = request.cookies.get(cookie_name, "")
    if not hmac.compare_digest(cookie.encode(), token.encode()):
        abort(401, description="This Kaap server only answers its own window.")
    return None


def trusted_hosts(config) -> list[str] | None:
    """The host names this app answers to; None for any (no check).

    The desktop sets its own list. Every other mode answers the loopback names, plus
    ``TRUSTED_HOSTS`` (``KAAP_TRUSTED_HOSTS``, a JSON list or names separated by commas; a
    leading dot takes every subdomain) or, without it, the address the server listens on
    (``LISTEN_HOST``, set by ``python -m webapp.serve``) unless that is every address.
    """
    configured = config.get("TRUSTED_HOSTS")
    if isinstance(configured, str):
        configured = [name for name in re.split(r"[,\s]+", configured) if name]
    if config.get("REQUIRE_LAUNCH_TOKEN"):  # desktop mode: its list, as it is
        return list(configured) if configured else None
    if configured is None:
        listen = config.get("LISTEN_HOST")
        configured = [listen] if listen and listen not in ("0.0.0.0", "::", "") else []
    return list(dict.fromkeys([*LOOPBACK_HOSTS, *(name.lower() for name in configured)]))


class TrustedHostGuard:
    """WSGI middleware: a request whose Host is not in ``TRUSTED_HOSTS`` gets 400.

    Flask 3.1 checks ``TRUSTED_HOSTS`` itself, but flask-restx's error router then builds a
    URL adapter again and the check's error escapes as a 500; answering before Flask keeps it
    a 400. Werkzeug compares names without the port. Behind a proxy (``PROXY_FIX``) the Host
    is the proxy's ``X-Forwarded-Host``: ProxyFix wraps this.
    """

    def __init__(self, wsgi_app, hosts: list[str]):
        self.wsgi_app = wsgi_app
        self.hosts = hosts

    def __call__(self, environ, start_response):
        try:
            get_host(environ, self.hosts)
        except SecurityError:
            body = error_body(
                "bad_request",
                "This server does not answer to that host name "
                "(KAAP_TRUSTED_HOSTS lists the names it answers to).",
            )
            response = Response(json.dumps(body), 400, mimetype="application/json")
            return response(environ, start_response)
        return self.wsgi_app(environ, start_response)


def _headers(response):
    # One pass over the few headers a response has (setdefault looks each name up with a
    # KeyError per miss: four of them on every response).
    headers = response.headers
    present = {key.lower() for key, _ in headers.items()}
    for key, value in DEFAULT_HEADERS:
        if key.lower() not in present:
            headers.add(key, value)
    if "content-security-policy" not in present:
        policy = DOCS_CSP if request.path.rstrip("/") == "/api/docs" else CSP
        headers.add("Content-Security-Policy", policy)
    return response


def init_app(app: Flask) -> None:
    # A foreign Origin is refused first, so a cross-site write learns nothing about the token.
    app.before_request(_check_origin)
    if app.config["REQUIRE_LAUNCH_TOKEN"]:
        if not app.config.get("LAUNCH_TOKEN"):
            app.config["LAUNCH_TOKEN"] = secrets.token_urlsafe(32)
        app.before_request(_check_launch_token)
    # Flask checks TRUSTED_HOSTS too (request.host): it must hold the same list.
    app.config["TRUSTED_HOSTS"] = hosts = trusted_hosts(app.config)
    if hosts:
        app.wsgi_app = TrustedHostGuard(app.wsgi_app, hosts)
    app.after_request(_headers)
