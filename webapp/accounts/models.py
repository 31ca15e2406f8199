"""Who owns the data: users, their login sessions and their API tokens.

The desktop app has one passwordless user, ``local``. In server mode (``ACCOUNTS``) people
register with a password; each login is a row in ``user_sessions`` (the cookie carries its
random key, the table only its hash), so logging out or changing the password ends a session
for real, even if someone kept a copy of the cookie.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db.types import UTCDateTime
from webapp.extensions import db
from webapp.timeutil import utcnow


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # werkzeug's scrypt hash; None for the desktop's local user, who never logs in.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Flask-Login's protocol. ``session_key`` is set on the instance by the loader: the id a
    # login session stores is that session's key, not the user's id.
    session_key = None
    is_active = True
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    def get_id(self) -> str | None:
        return self.session_key


class UserSession(db.Model):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the secret, so a person can tell tokens apart; never enough
    # to use one.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # May the token administer (users, backups)? Only an admin's, only if asked for at creation:
    # a script's token leaking must not hand over the whole server.
    admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
