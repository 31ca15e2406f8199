"""``/api/auth``, ``/api/account`` and ``/api/users``: accounts in server mode.

Thin resources over ``webapp.accounts.service``. With accounts off (the desktop app, tests
that do not ask for them) every one of these answers 404, and Flask-Login is never imported.
"""

from __future__ import annotations

from flask import current_app, g, session
from flask_restx import Namespace, Resource, fields

from webapp.accounts import limits, service, tokens
from webapp.accounts.auth import check_admin
from webapp.api.envelope import error_model, register_models
from webapp.api.fields import UTCTime
from webapp.errors import NotFoundError
from webapp.extensions import db
from webapp.timeutil import now

auth_ns = Namespace("auth", path="/auth", description="Register, log in, log out (server mode)")
account_ns = Namespace("account", path="/account", description="Your account and API tokens")
users_ns = Namespace("users", path="/users", description="Users (admins only)")
for _ns in (auth_ns, account_ns, users_ns):
    register_models(_ns)


user_model = auth_ns.model(
    "User",
    {
        "id": fields.Integer(required=True),
        "username": fields.String(required=True),
        "is_admin": fields.Boolean(required=True),
        "created_at": UTCTime(required=True),
    },
)
credentials = auth_ns.model(
    "Credentials",
    {
        "username": fields.String(required=True, min_length=1, max_length=150),
        "password": fields.String(required=True, min_length=1, max_length=1024),
    },
    strict=True,
)
password_change = account_ns.model(
    "PasswordChange",
    {
        "current_password": fields.String(required=True, max_length=1024),
        "new_password": fields.String(required=True, max_length=1024),
    },
    strict=True,
)
confirm = account_ns.model(
    "PasswordConfirmation",
    {"password": fields.String(required=True, max_length=1024)},
    strict=True,
)
token_input = account_ns.model(
    "TokenInput",
    {
        "name": fields.String(required=True, min_length=1, max_length=100),
        "admin": fields.Boolean(
            default=False,
            description="Admins only: the token may administer users and backups",
        ),
    },
    strict=True,
)
token_model = account_ns.model(
    "Token",
    {
        "id": fields.Integer(required=True),
        "name": fields.String(required=True),
        "prefix": fields.String(required=True, description="The secret's first characters"),
        "created_at": UTCTime(required=True),
        "last_used_at": UTCTime(
            required=True,
            nullable=True,
            description="Null until first used; updated every few minutes",
        ),
        "admin": fields.Boolean(required=True, description="Has the admin scope"),
    },
)
token_created = account_ns.clone(
    "TokenCreated",
    token_model,
    {"token": fields.String(required=True, description="The secret: shown this once only")},
)
new_user = users_ns.model(
    "NewUser",
    {
        "username": fields.String(required=True, min_length=1, max_length=150),
        "password": fields.String(required=True, min_length=1, max_length=1024),
        "is_admin": fields.Boolean(default=False),
    },
    strict=True,
)


def _accounts_on() -> None:
    if not current_app.config["ACCOUNTS"]:
        raise NotFoundError("Accounts are off: this Kaap has one local user and no login.")


def _user() -> service.User:
    _accounts_on()
    # Flask-Login is imported with accounts on only (here, once they are known to be on).
    from flask_login import current_user

    if not current_user.is_authenticated:
        raise service.Unauthorized("Log in first, or send an API token.")
    return current_user._get_current_object()


def _session_user() -> service.User:
    """The user of a cookie session: account changes are not for API tokens."""
    user = _user()
    if user.session_key is None:
        raise service.Forbidden(
            "Log in with your password to change your account; API tokens cannot.",
            code="session_required",
        )
    return user


def log_in(user: service.User) -> None:
    """A fresh session for ``user``: the old cookie's content (and CSRF secret) goes."""
    from flask_login import login_user

    session.clear()
    service.start_session(db.session, user, now())
    login_user(user)
    session.permanent = True


def log_out() -> None:
    from flask_login import current_user

    if current_user.is_authenticated:
        service.end_session(db.session, current_user.session_key)
    _forget_user()


def _forget_user() -> None:
    """Forget this request's user and clear the cookie session."""
    from flask_login import logout_user

    logout_user()
    session.clear()


def try_login(username: str, password: str) -> service.User:
    """Count the attempt against both limits, then check the password."""
    account = service.normalize_username(username)[:150]
    limits.attempt("login", account)
    user = service.authenticate(db.session, username, password)
    limits.forgive(account)
    return user


def try_register(username: str, password: str) -> service.User:
    limits.attempt("signup")
    if service.has_accounts(db.session) and not current_app.config["OPEN_SIGNUP"]:
        raise service.Forbidden(
            "Registration is closed here; ask an admin to create your account.",
            code="signup_closed",
        )
    return service.create_user(db.session, username, password)


@auth_ns.route("/register")
@auth_ns.response(400, "Invalid request", error_model)
@auth_ns.response(404, "Accounts are off in this mode", error_model)
class Register(Resource):
    kaap_public = True

    @auth_ns.expect(credentials, validate=True)
    @auth_ns.response(400, "User name or password breaks a rule", error_model)
    @auth_ns.response(403, "Registration is closed (KAAP_OPEN_SIGNUP)", error_model)
    @auth_ns.response(409, "The user name is taken", error_model)
    @auth_ns.response(429, "Too many sign-ups from this address", error_model)
    @auth_ns.marshal_with(user_model, code=201)
    def post(self):
        """Create an account and log in. The first account becomes admin; later ones only
        while open sign-up is allowed."""
        _accounts_on()
        data = auth_ns.payload
        user = try_register(data["username"], data["password"])
        log_in(user)
        return user, 201


@auth_ns.route("/login")
@auth_ns.response(400, "Invalid request", error_model)
@auth_ns.response(404, "Accounts are off in this mode", error_model)
class Login(Resource):
    kaap_public = True

    @auth_ns.expect(credentials, validate=True)
    @auth_ns.response(401, "Wrong user name or password (one answer for both)", error_model)
    @auth_ns.response(429, "Too many failed attempts for this address or account", error_model)
    @auth_ns.marshal_with(user_model)
    def post(self):
        """Log in: the response sets the session cookie. Fetch a new CSRF token afterwards."""
        _accounts_on()
        data = auth_ns.payload
        user = try_login(data["username"], data["password"])
        log_in(user)
        return user


@auth_ns.route("/logout")
@auth_ns.response(400, "Invalid request", error_model)
@auth_ns.response(401, "Not logged in and no valid API token", error_model)
@auth_ns.response(404, "Accounts are off in this mode", error_model)
class Logout(Resource):
    @auth_ns.response(204, "Logged out; this session cannot be used again")
    def post(self):
        """End this session, on the server too."""
        _user()
        log_out()
        return "", 204


@auth_ns.route("/me")
@auth_ns.response(400, "Invalid request", error_model)
@auth_ns.response(401, "Not logged in and no valid API token", error_model)
@auth_ns.response(404, "Accounts are off in this mode", error_model)
class Me(Resource):
    @auth_ns.response(401, "Not logged in", error_model)
    @auth_ns.marshal_with(user_model)
    def get(self):
        """The logged-in user (or the API token's)."""
        return _user()


@account_ns.route("/password")
@account_ns.response(400, "Invalid request", error_model)
@account_ns.response(401, "Not logged in and no valid API token", error_model)
@account_ns.response(404, "Accounts are off in this mode", error_model)
class Password(Resource):
    @account_ns.expect(password_change, validate=True)
    @account_ns.response(204, "Changed; every other session has ended")
    @account_ns.response(400, "The new password breaks a rule", error_model)
    @account_ns.response(
        403, "The current password is wrong, or an API token was used", error_model
    )
    def put(self):
        """Change your password. Every session ends, this one gets a fresh one."""
        user = _session_user()
        data = account_ns.payload
        service.change_password(db.session, user, data["current_password"], data["new_password"])
        log_in(user)
        return "", 204


@account_ns.route("")
@account_ns.response(400, "Invalid request", error_model)
@account_ns.response(401, "Not logged in and no valid API token", error_model)
@account_ns.response(404, "Accounts are off in this mode", error_model)
class Account(Resource):
    @account_ns.expect(confirm, validate=True)
    @account_ns.response(204, "Deleted, with every note, label, image, session and token")
    @account_ns.response(403, "Wrong password, or an API token was used", error_model)
    @account_ns.response(409, "The last admin cannot leave other users without one", error_model)
    def delete(self):
        """Delete your account and everything in it. Asks for the password again."""
        user = _session_user()
        if not service.passwords.verify(user.password_hash, account_ns.payload["password"]):
            raise service.Forbidden("The password is wrong.", fields={"password": "wrong"})
        service.delete_user(db.session, user, current_app.extensions.get("kaap.images"))
        _forget_user()
        return "", 204


@account_ns.route("/tokens")
@account_ns.response(400, "Invalid request", error_model)
@account_ns.response(401, "Not logged in and no valid API token", error_model)
@account_ns.response(404, "Accounts are off in this mode", error_model)
class Tokens(Resource):
    @account_ns.marshal_list_with(token_model)
    def get(self):
        """Your API tokens (never their secrets)."""
        return tokens.list_tokens(db.session, _user().id)

    @account_ns.expect(token_input, validate=True)
    @account_ns.response(
        403, "Needs a logged-in session, not a token; the admin scope needs an admin", error_model
    )
    @account_ns.marshal_with(token_created, code=201)
    def post(self):
        """A new token for scripts: send it as ``Authorization: Bearer <token>``. The secret is
        in this response only; Kaap keeps just its hash. ``"admin": true`` (admins only) lets
        it administer users and backups too."""
        user = _session_user()
        data = account_ns.payload
        token, secret = tokens.create_token(
            db.session, user, data["name"], now(), admin=data.get("admin", False)
        )
        return {**_token_fields(token), "token": secret}, 201


def _token_fields(token) -> dict:
    keys = ("id", "name", "prefix", "created_at", "last_used_at", "admin")
    return {k: getattr(token, k) for k in keys}


@account_ns.route("/tokens/<int:token_id>")
@account_ns.response(404, "No such token of yours", error_model)
@account_ns.response(400, "Invalid request", error_model)
@account_ns.response(401, "Not logged in and no valid API token", error_model)
class TokenItem(Resource):
    @account_ns.response(204, "Revoked: requests with it now get 401")
    def delete(self, token_id: int):
        """Revoke a token: any of yours with a login session; with an API token, only that
        token itself (a desktop signing out of sync revokes its own device token)."""
        user = _user() if g.get("kaap_token_id") == token_id else _session_user()
        tokens.revoke_token(db.session, user.id, token_id)
        return "", 204


def _admin() -> service.User:
    user = _user()
    check_admin(user)  # the user list is not there for non-admins
    return user


_NO_SCOPE = "An API token without the admin scope"


@users_ns.route("")
@users_ns.response(404, "Accounts are off, or you are not an admin", error_model)
@users_ns.response(403, _NO_SCOPE, error_model)
@users_ns.response(400, "Invalid request", error_model)
@users_ns.response(401, "Not logged in and no valid API token", error_model)
class Users(Resource):
    @users_ns.marshal_list_with(user_model)
    def get(self):
        """Every user (admins only)."""
        _admin()
        return service.list_users(db.session)

    @users_ns.expect(new_user, validate=True)
    @users_ns.response(409, "The user name is taken", error_model)
    @users_ns.marshal_with(user_model, code=201)
    def post(self):
        """Create a user, whatever KAAP_OPEN_SIGNUP says (admins only)."""
        _admin()
        data = users_ns.payload
        user = service.create_user(
            db.session, data["username"], data["password"], is_admin=data.get("is_admin", False)
        )
        return user, 201


@users_ns.route("/<int:user_id>")
@users_ns.response(404, "No such user, or you are not an admin", error_model)
@users_ns.response(400, "Invalid request", error_model)
@users_ns.response(401, "Not logged in and no valid API token", error_model)
class UserItem(Resource):
    @users_ns.response(204, "Deleted with everything the user owned")
    @users_ns.response(403, _NO_SCOPE + "; or your own account", error_model)
    def delete(self, user_id: int):
        """Delete a user and everything they own (admins only; not yourself)."""
        admin = _admin()
        user = db.session.get(service.User, user_id)
        if user is None:
            raise NotFoundError(f"User {user_id} does not exist.")
        if user.id == admin.id:
            # DELETE /api/account asks for the password: a stolen session or token must not
            # delete an account without it.
            raise service.Forbidden(
                "Delete your own account with DELETE /api/account, which asks for your password.",
                code="own_account",
            )
        service.delete_user(db.session, user, current_app.extensions.get("kaap.images"))
        return "", 204
