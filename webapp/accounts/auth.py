"""Who is asking: the login session's cookie or an API token, and the CSRF rule between them.

With ``ACCOUNTS`` on, every request needs a logged-in session or ``Authorization: Bearer``
with a personal token, except the views marked public (``kaap_public = True`` on the view
function or its flask-restx ``Resource``). A request with a token is authenticated by it alone
(the cookie is ignored) and needs no CSRF token: a browser never adds that header across
sites. A request with the cookie always needs the CSRF token on writes.
"""

from __future__ import annotations

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import LoginManager

from webapp.accounts import service, tokens
from webapp.database import WRITE_METHODS
from webapp.extensions import csrf, db
from webapp.timeutil import now

login_manager = LoginManager()

# Endpoints anyone may reach. Views can also say so themselves with ``kaap_public = True``.
PUBLIC_ENDPOINTS = frozenset({"static", "api.specs", "api.doc", "api.root", "restx_doc.static"})


@login_manager.user_loader
def _load_from_session(key: str):
    return service.user_for_session(db.session, key, session_start_limit())


def session_start_limit():
    """Sessions older than the cookie's lifetime are over, whatever the cookie says."""
    return now() - current_app.permanent_session_lifetime


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def _load_from_token(secret: str):
    found = tokens.find(db.session, secret)
    if found is None:
        return None
    user, token_id, last_used = found
    if tokens.needs_touch(last_used, now()):
        db.session.commit()  # end the read, so the touch below starts a writing transaction
        g.kaap_write = True
        try:
            tokens.touch(db.session, token_id, now())
        finally:
            g.kaap_write = request.method in WRITE_METHODS
    return user


def is_public(endpoint: str | None) -> bool:
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(
        getattr(view, "kaap_public", False)
        or getattr(getattr(view, "view_class", None), "kaap_public", False)
    )


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _authenticate():
    """Before every request in accounts mode: who it is, then CSRF for cookie writes."""
    from flask_login import current_user

    secret = bearer_secret()
    if secret is not None:
        # The token alone says who this is: a session cookie beside it is not looked at.
        login_manager._update_request_context_with_user(_load_from_token(secret))
        if not is_public(request.endpoint) and not current_user.is_authenticated:
            raise service.Unauthorized(
                "The API token is not valid (revoked, or mistyped).", code="bad_token"
            )
        return None  # a token needs no CSRF token
    _csrf_only()
    if is_public(request.endpoint) or current_user.is_authenticated:
        return None
    if _is_api():
        raise service.Unauthorized("Log in first, or send an API token.")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def _csrf_only():
    if request.method in WRITE_METHODS and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def init_app(app: Flask) -> None:
    """Register after the size limits (``webapp.uploads``): the CSRF check reads the body."""
    # CSRF is checked here, not by Flask-WTF's own hook, so a token request can skip it.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    if app.config["ACCOUNTS"]:
        login_manager.init_app(app)
        app.before_request(_authenticate)
    else:
        app.before_request(_csrf_only)
