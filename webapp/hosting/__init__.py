"""Running as a server: the ``/healthz`` probe, one log line per request, trusting a proxy.

``PROXY_FIX`` (``KAAP_PROXY_FIX=1``) is the number of proxies in front whose
``X-Forwarded-*`` headers are believed; 0, the default, believes none, so a client cannot
pick its own address or scheme by sending them. ``LOG_REQUESTS`` is on in production.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from urllib.parse import quote

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import ClosingIterator

from webapp.config import max_body_size
from webapp.errors import ConfigError, error_body
from webapp.extensions import db

log = logging.getLogger(__name__)
request_log = logging.getLogger("kaap.requests")

bp = Blueprint("hosting", __name__)


@bp.get("/healthz")
def healthz():
    """200 ``{"status": "ok"}`` when the database answers, else 503 with the error envelope."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: the database does not answer: %s", exc.__class__.__name__)
        body = error_body("service_unavailable", "The database does not answer.")
        return jsonify(body), 503
    return jsonify(status="ok")


# Answers without an account or a session: load balancers and container health checks
# call it (the accounts package lets views marked so through).
healthz.kaap_public = True

# Characters kept as they are in a logged path; anything else (spaces, newlines, non-ASCII)
# is percent-encoded, so a request cannot forge log lines.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class RequestLog:
    """WSGI middleware: ``METHOD /path STATUS DURATIONms ADDRESS`` once the response is sent.

    The query string, headers and cookies are never logged: they carry search terms, CSRF
    tokens, API tokens and the desktop launch token.
    """

    def __init__(self, wsgi_app, logger: logging.Logger = request_log):
        self.wsgi_app = wsgi_app
        self.logger = logger

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = []

        def _start_response(status_line, headers, exc_info=None):
            status[:] = [status_line.split(" ", 1)[0]]
            return start_response(status_line, headers, exc_info)

        def _log():
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            self.logger.info(
                "%s %s %s %.1fms %s",
                environ.get("REQUEST_METHOD", "-"),
                quote(path.encode("latin-1", "replace"), safe=_PATH_SAFE),
                status[0] if status else "-",
                (time.perf_counter() - started) * 1000,
                environ.get("REMOTE_ADDR", "-"),
            )

        return ClosingIterator(self.wsgi_app(environ, _start_response), _log)


def waitress_options(app: Flask) -> dict:
    """What waitress must be told to serve this app: with ``PROXY_FIX`` it keeps the
    ``X-Forwarded-*`` headers it drops by default, for ProxyFix, which believes only the
    values the trusted proxies appended."""
    return {
        "clear_untrusted_proxy_headers": not app.config.get("PROXY_FIX"),
        # waitress refuses bodies over 1 GB with its own plain-text 413; a Takeout with photos
        # can be larger. Let the app's limits (IMPORT_MAX_BYTES and the rest) decide.
        "max_request_body_size": max_body_size(app.config),  # webapp/config.py
    }


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may well resolve to an outside address


def check_listen_address(config) -> None:
    """A server reachable from other machines must have accounts on, or be told explicitly."""
    host = config.get("LISTEN_HOST")
    if host is None or config["ACCOUNTS"] or config["SERVE_WITHOUT_ACCOUNTS"] or is_loopback(host):
        return
    raise ConfigError(
        f"Accounts are off (KAAP_ACCOUNTS=false) and {host} is not a loopback address: anyone "
        "who reaches this port would read, change and export every note. Turn accounts on, "
        "listen on 127.0.0.1, or set KAAP_SERVE_WITHOUT_ACCOUNTS=true if that is what you want."
    )


def is_loopback_peer(address: str | None) -> bool:
    """Whether a request's ``REMOTE_ADDR`` is this computer (no address: a Unix socket)."""
    if not address:
        return True
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address.lower() == "localhost"
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


LOOPBACK_ONLY = (
    "Accounts are off (KAAP_ACCOUNTS=false), so this Kaap answers this computer only: "
    "anyone else reaching it would read, change and export every note. Turn accounts on, "
    "or set KAAP_SERVE_WITHOUT_ACCOUNTS=true if that is what you want."
)


class LoopbackOnly:
    """WSGI middleware: with accounts off, a request from another machine gets 403.

    ``check_listen_address`` refuses to start ``python -m webapp.serve`` on an outside
    address that way, but ``flask run --host 0.0.0.0`` (or any other server) never tells the
    app where it listens, and the Host header is the client's to choose. The peer's address
    is what counts: behind a trusted proxy (``PROXY_FIX``, which wraps this), the client's.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if is_loopback_peer(environ.get("REMOTE_ADDR")):
            return self.wsgi_app(environ, start_response)
        if (environ.get("PATH_INFO") or "").startswith("/api"):
            body = json.dumps(error_body("forbidden", LOOPBACK_ONLY)).encode()
            kind = "application/json"
        else:
            body, kind = (LOOPBACK_ONLY + "\n").encode(), "text/plain; charset=utf-8"
        start_response(
            "403 Forbidden", [("Content-Type", kind), ("Content-Length", str(len(body)))]
        )
        return [body]


def init_app(app: Flask) -> None:
    check_listen_address(app.config)
    app.register_blueprint(bp)
    if not (app.config["ACCOUNTS"] or app.config["SERVE_WITHOUT_ACCOUNTS"]):
        app.wsgi_app = LoopbackOnly(app.wsgi_app)  # innermost: it sees ProxyFix's address
    if app.config.get("LOG_REQUESTS"):
        app.wsgi_app = RequestLog(app.wsgi_app)
    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops:
        # Outermost, so the request log and every check see the client's address and scheme.
        # X-Forwarded-Host carries the port (nginx sends $http_host): X-Forwarded-Port, which
        # nginx neither sets nor clears, is not believed.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
