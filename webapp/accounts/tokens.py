"""Personal API tokens for scripts: shown once, stored as a hash, revocable."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from webapp.accounts.models import ApiToken, User
from webapp.accounts.service import Forbidden, digest
from webapp.db.prepared import run
from webapp.errors import NotFoundError, ValidationError

PREFIX = "kaap_"
# ``last_used_at`` is written at most this often, so a busy script costs no write per call.
TOUCH_EVERY = timedelta(minutes=5)


def create_token(
    session: Session, user: User, name: str, now: datetime, *, admin: bool = False
) -> tuple[ApiToken, str]:
    """A new token; returns the row and the secret, which is never shown again. ``admin``
    gives it the admin scope, which only an admin may grant."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationError(
            "Give the token a name of 1 to 100 characters.", fields={"name": "1-100 characters"}
        )
    if admin and not user.is_admin:
        raise Forbidden(
            "Only an admin can make a token with the admin scope.",
            fields={"admin": "for admins only"},
            code="not_admin",
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:12],
        token_hash=digest(secret),
        created_at=now,
        admin=bool(admin),
    )
    session.add(token)
    session.commit()
    return token, secret


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id))
    )


def revoke_token(session: Session, user_id: int, token_id: int) -> None:
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )
    if token is None:
        raise NotFoundError(f"Token {token_id} does not exist.")
    session.delete(token)
    session.commit()


@dataclass(frozen=True)
class TokenUser:
    """Who a token request acts for: the user's fields, read without the ORM (a token request
    is a script's, often many a second). Flask-Login's protocol, like ``User``; no
    ``session_key``, so account changes refuse it."""

    id: int
    username: str
    is_admin: bool
    created_at: datetime
    # The token's admin scope: without it, an admin's token is refused what only admins do.
    token_admin: bool = False
    session_key = None
    password_hash = None
    is_active = True
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> None:
        return None


_FIND = (
    select(
        User.id,
        User.username,
        User.is_admin,
        User.created_at,
        ApiToken.admin,
        ApiToken.id,
        ApiToken.last_used_at,
    )
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def _time(value) -> datetime | None:
    """SQLite's raw rows carry text timestamps (naive UTC); other databases datetimes."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def find(session: Session, secret: str) -> tuple[TokenUser, int, datetime | None] | None:
    """The token's user, the token's id and when it was last used; None for no such token."""
    row = run(session.connection(), _FIND, {"token_hash": digest(secret)}).first()
    if row is None:
        return None
    user_id, username, is_admin, created_at, scope, token_id, last_used = row
    user = TokenUser(user_id, username, bool(is_admin), _time(created_at), bool(scope))
    return user, token_id, _time(last_used)


def needs_touch(last_used: datetime | None, now: datetime) -> bool:
    return last_used is None or now - last_used > TOUCH_EVERY


def touch(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    session.commit()
