"""The login and registration pages (server mode): plain forms, no script needed."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from webapp.accounts import service
from webapp.accounts.api import log_in, log_out, try_login, try_register
from webapp.errors import KaapError
from webapp.extensions import db

bp = Blueprint("accounts", __name__, template_folder="templates")


def _public(view):
    view.kaap_public = True
    return view


def _next_url() -> str:
    """Where to go after logging in: a path on this site only, never another site."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    # Browsers read a backslash as a slash ("/\\evil.example" is another site) and drop
    # tabs and newlines; a CR/LF would not even fit in the Location header (a 500).
    unsafe = "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    foreign = not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc
    return url_for("pages.index") if unsafe or foreign else target


def _page(template: str, status: int = 200, **context):
    context.setdefault("signup_open", signup_open())
    return render_template(template, **context), status


def signup_open() -> bool:
    return not service.has_accounts(db.session) or current_app.config["OPEN_SIGNUP"]


@bp.route("/login", methods=["GET", "POST"])
@_public
def login():
    if not current_app.config["ACCOUNTS"]:
        abort(404)
    if request.method == "GET":
        from flask_login import current_user  # accounts are on: see above

        if current_user.is_authenticated:
            return redirect(_next_url())
        if not service.has_accounts(db.session):
            return redirect(url_for("accounts.register"))
        return _page("accounts/login.html", next=_next_url())
    username = request.form.get("username", "")
    try:
        user = try_login(username, request.form.get("password", ""))
    except KaapError as exc:
        headers = getattr(exc, "headers", {})
        body, status = _page(
            "accounts/login.html",
            exc.status,
            error=exc.message,
            username=username,
            next=_next_url(),
        )
        return body, status, headers
    log_in(user)
    return redirect(_next_url(), 303)


@bp.route("/register", methods=["GET", "POST"])
@_public
def register():
    if not current_app.config["ACCOUNTS"]:
        abort(404)
    first = not service.has_accounts(db.session)
    if request.method == "GET":
        return _page("accounts/register.html", first=first)
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    if password != request.form.get("confirm", password):
        return _page(
            "accounts/register.html",
            400,
            first=first,
            username=username,
            error="The two passwords differ.",
        )
    try:
        user = try_register(username, password)
    except KaapError as exc:
        body, status = _page(
            "accounts/register.html", exc.status, first=first, username=username, error=exc.message
        )
        return body, status, getattr(exc, "headers", {})
    log_in(user)
    return redirect(url_for("pages.index"), 303)


@bp.post("/logout")
def logout():
    if not current_app.config["ACCOUNTS"]:
        abort(404)
    log_out()
    return redirect(url_for("accounts.login"), 303)
