"""Server mode's sessions and tokens: Flask-Login's manager and the check before each request
(the rules are in ``webapp.accounts.auth``). Imported only with ``ACCOUNTS`` on."""

from __future__ import annotations

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import LoginManager, current_user

from webapp.accounts import service, tokens
from webapp.accounts.auth import bearer_secret, csrf_only, is_public
from webapp.db.sqlite import WRITE_METHODS
from webapp.disk import is_disk_full, is_read_only
from webapp.extensions import db
from webapp.timeutil import now

login_manager = LoginManager()


@login_manager.user_loader
def _load_from_session(key: str):
    return service.user_for_session(db.session, key, session_start_limit())


def session_start_limit():
    """Sessions older than the cookie's lifetime are over, whatever the cookie says."""
    return now() - current_app.permanent_session_lifetime


def _load_from_token(secret: str):
    found = tokens.find(db.session, secret)
    if found is None:
        return None
    user, token_id, last_used = found
    g.kaap_token_id = token_id  # a token may revoke itself (a device signing out)
    if tokens.needs_touch(last_used, now()):
        db.session.commit()  # end the read, so the touch below starts a writing transaction
        g.kaap_write = True
        try:
            tokens.touch(db.session, token_id, now())
        except Exception as exc:
            # When a token was last used is a nicety: a full or read-only disk keeps it unsaid.
            if not (is_disk_full(exc) or is_read_only(exc)):
                raise
            db.session.rollback()
        finally:
            g.kaap_write = request.method in WRITE_METHODS
    return user


def still_signed_in():
    """For a response that outlives its request (an event stream): a callable saying whether
    this request's login session or API token still holds. Logging out, a password change,
    an expired session, a revoked token or a deleted account end it; so does an error asking
    the database (the page reconnects, and is asked who it is then)."""
    app = current_app._get_current_object()
    secret = bearer_secret()
    key = None if secret is not None else getattr(current_user, "session_key", None)

    def check() -> bool:
        with app.app_context():
            try:
                if secret is not None:
                    return tokens.find(db.session, secret) is not None
                if key is None:
                    return False
                return service.user_for_session(db.session, key, session_start_limit()) is not None
            except Exception:
                current_app.logger.warning("could not check a stream's session", exc_info=True)
                return False
            finally:
                db.session.remove()

    return check


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _authenticate():
    """Before every request in accounts mode: who it is, then CSRF for cookie writes."""
    secret = bearer_secret()
    if secret is not None:
        # The token alone says who this is: a session cookie beside it is not looked at.
        login_manager._update_request_context_with_user(_load_from_token(secret))
        if not is_public(request.endpoint) and not current_user.is_authenticated:
            raise service.Unauthorized(
                "The API token is not valid (revoked, or mistyped).", code="bad_token"
            )
        return None  # a token needs no CSRF token
    if not is_public(request.endpoint) and not current_user.is_authenticated:
        # Before the CSRF check: a stranger's write is told to log in (401), not that a
        # token is missing from a session it does not have.
        if _is_api():
            raise service.Unauthorized("Log in first, or send an API token.")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    csrf_only()
    return None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_authenticate)
