"""Personal API tokens for scripts: shown once, stored as a hash, revocable."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.accounts.models import ApiToken, User
from webapp.accounts.service import digest
from webapp.errors import NotFoundError, ValidationError

PREFIX = "kaap_"
# ``last_used_at`` is written at most this often, so a busy script costs no write per call.
TOUCH_EVERY = timedelta(minutes=5)


def create_token(session: Session, user_id: int, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token; returns the row and the secret, which is never shown again."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationError(
            "Give the token a name of 1 to 100 characters.", fields={"name": "1-100 characters"}
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id, name=name, prefix=secret[:12], token_hash=digest(secret), created_at=now
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


def find(session: Session, secret: str) -> tuple[User, int, datetime | None] | None:
    """The token's user, the token's id and when it was last used; None for no such token."""
    row = session.execute(
        select(User, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == digest(secret))
    ).first()
    return None if row is None else tuple(row)


def needs_touch(last_used: datetime | None, now: datetime) -> bool:
    return last_used is None or now - last_used > TOUCH_EVERY


def touch(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    session.commit()
