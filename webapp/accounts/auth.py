"""Who is asking (``current_owner_id``): the login session's cookie or an API token, and the
CSRF rule between them.

With ``ACCOUNTS`` on, every request needs a logged-in session or ``Authorization: Bearer``
with a personal token, except the views marked public (``kaap_public = True`` on the view
function or its flask-restx ``Resource``). A request with a token is authenticated by it alone
(the cookie is ignored) and needs no CSRF token: a browser never adds that header across
sites. A request with the cookie always needs the CSRF token on writes.

The sessions and tokens themselves are ``webapp.accounts.login``'s, loaded with accounts on
only: the desktop (one local user) never imports Flask-Login.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError

from webapp.accounts import service
from webapp.db.sqlite import WRITE_METHODS
from webapp.errors import NotFoundError
from webapp.extensions import csrf, db

# Endpoints anyone may reach. Views can also say so themselves with ``kaap_public = True``.
PUBLIC_ENDPOINTS = frozenset({"static", "api.specs", "api.doc", "api.root", "restx_doc.static"})


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def is_public(endpoint: str | None) -> bool:
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(
        getattr(view, "kaap_public", False)
        or getattr(getattr(view, "view_class", None), "kaap_public", False)
    )


def check_admin(user) -> None:
    """Admins only: anyone else gets 404, as for anything not theirs. An admin's API token
    also needs the admin scope it was given at creation (403 without): a script's token
    must not create admins, delete people or rewind the database."""
    if not (user.is_authenticated and user.is_admin):
        raise NotFoundError("Not found.")
    if user.session_key is None and not getattr(user, "token_admin", False):
        raise service.Forbidden(
            "This API token has no admin scope: log in, or create a token with "
            '"admin": true, to administer users and backups.',
            code="admin_scope_required",
        )


def csrf_only():
    """Before every request with accounts off (and cookie requests with them on)."""
    if request.method in WRITE_METHODS and current_app.config["WTF_CSRF_ENABLED"]:
        try:
            csrf.protect(apply_exemptions=True)
        except ValueError:
            # Over HTTPS Flask-WTF parses the Referer, and "https://[" is a ValueError there.
            raise CSRFError("The referrer header is not a URL.") from None


def current_owner_id() -> int:
    """Id of the user this request acts for.

    With accounts on, the logged-in user or the API token's (``webapp.accounts.login`` has
    already refused a request with neither); otherwise the local user, looked up once per app.
    """
    if "owner_id" not in g:
        if current_app.config["ACCOUNTS"]:
            # Server mode's package, imported only with accounts on: the desktop leaves it out.
            from flask_login import current_user

            if not current_user.is_authenticated:
                raise service.Unauthorized("Log in first.")
            g.owner_id = current_user.id
        else:
            cached = current_app.extensions.get("kaap.local_user_id")
            if cached is None:
                cached = service.ensure_local_user(db.session).id
                current_app.extensions["kaap.local_user_id"] = cached
            g.owner_id = cached
    return g.owner_id
