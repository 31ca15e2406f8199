"""The local boundary's constants, with no Flask: ``webapp/security.py`` enforces them in
the app, and the desktop's thin first-page path (``desktop/thin.py``) answers with the same
ones while the app is still being built."""

from __future__ import annotations

# The start URL's parameter whose token becomes the launch cookie (desktop mode).
TOKEN_PARAM = "kaap_token"
# The launch cookie: webapp.config's LAUNCH_COOKIE_NAME default, and its attributes.
LAUNCH_COOKIE_NAME = "kaap_launch"
LAUNCH_COOKIE_ATTRIBUTES = "HttpOnly; Path=/; SameSite=Strict"

# Always answered: a DNS-rebinding page cannot send them (its Host is its own name), and a
# container's health check asks 127.0.0.1.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

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

DEFAULT_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    # same-origin, not no-referrer: Flask-WTF checks the Referer of HTTPS writes.
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


def launch_cookie(name: str, token: str) -> str:
    """The ``Set-Cookie`` value of the token exchange (as Werkzeug's ``set_cookie`` writes it
    for ``httponly=True, samesite="Strict", path="/"``: tests/desktop/test_thin.py compares)."""
    return f"{name}={token}; {LAUNCH_COOKIE_ATTRIBUTES}"
