"""Accounts as plain functions: users, login sessions, password changes, deletion.

Views call these with a session and plain values; nothing here reads the request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.accounts import passwords
from webapp.accounts.models import ApiToken, User, UserSession
from webapp.errors import ConflictError, KaapError, NotFoundError, ValidationError
from webapp.images.service import file_names_of_notes
from webapp.labels.models import Label
from webapp.notes.models import Note

LOCAL_USERNAME = "local"
USERNAME = re.compile(r"^[\w.-]{3,40}$")


class Unauthorized(KaapError):
    status = 401
    code = "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="Kaap"'}


class Forbidden(KaapError):
    status = 403
    code = "forbidden"


def digest(secret: str) -> str:
    """Sessions and tokens are stored as the SHA-256 of a 256-bit random secret: a stolen
    database gives no usable secret, and a fast hash is enough for random input."""
    return hashlib.sha256(secret.encode()).hexdigest()


def ensure_local_user(session: Session) -> User:
    """The single local user of a desktop install, created on first use."""
    user = session.execute(select(User).filter_by(username=LOCAL_USERNAME)).scalar_one_or_none()
    if user is None:
        user = User(username=LOCAL_USERNAME)
        session.add(user)
        session.commit()
    return user


# --- users -------------------------------------------------------------------------------


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def check_username(username: str) -> str:
    name = normalize_username(username)
    if not USERNAME.match(name):
        problem = "Use 3 to 40 letters, digits, dots, dashes or underscores."
        raise ValidationError(problem, fields={"username": problem}, code="invalid_username")
    return name


def has_accounts(session: Session) -> bool:
    """Whether anyone can log in yet (the local user has no password)."""
    return session.scalar(select(func.count()).where(User.password_hash.is_not(None))) > 0


def create_user(session: Session, username: str, password: str, *, is_admin: bool = False) -> User:
    """A new user with a checked password. The very first account becomes admin and takes
    over the notes of the passwordless local user, if a single-user install left one."""
    name = check_username(username)
    passwords.check_rules(password, name)
    first = not has_accounts(session)
    if session.scalar(select(User.id).where(func.lower(User.username) == name)) is not None:
        raise ConflictError("That user name is taken.", fields={"username": "taken"})
    user = None
    if first:
        user = session.scalar(
            select(User).where(User.username == LOCAL_USERNAME, User.password_hash.is_(None))
        )
    if user is None:
        user = User(username=name)
        session.add(user)
    user.username = name
    user.password_hash = passwords.hash_password(password)
    user.is_admin = is_admin or first
    session.commit()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == normalize_username(username)))
    if user is None:
        raise NotFoundError(f"No user named {username!r}.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def authenticate(session: Session, username: str, password: str) -> User:
    """The user with this name and password; one answer for every failure."""
    user = session.scalar(select(User).where(User.username == normalize_username(username)))
    if not passwords.verify(user.password_hash if user else None, password) or user is None:
        raise Unauthorized("Wrong user name or password.", code="bad_credentials")
    return user


def set_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password and end every session and nothing else (tokens stay)."""
    passwords.check_rules(new_password, user.username, field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.commit()


def change_password(session: Session, user: User, current: str, new_password: str) -> None:
    if not passwords.verify(user.password_hash, current):
        raise Forbidden("The current password is wrong.", fields={"current_password": "wrong"})
    set_password(session, user, new_password)


def delete_user(session: Session, user: User, store=None) -> None:
    """Delete the user and everything they own in one transaction: notes, labels, images,
    sessions and tokens; the image files go once the rows are gone."""
    others = select(func.count()).where(User.id != user.id, User.password_hash.is_not(None))
    if user.is_admin and session.scalar(others) and not session.scalar(others.where(User.is_admin)):
        raise ConflictError(
            "This is the last admin: make another user admin before deleting this account.",
            code="last_admin",
        )
    owned = Note.owner_id == user.id
    files = file_names_of_notes(session, owned)
    session.execute(delete(Note).where(owned))
    session.execute(delete(Label).where(Label.owner_id == user.id))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.delete(user)
    session.commit()
    if store is not None:
        store.remove(files)


# --- login sessions ----------------------------------------------------------------------


def start_session(session: Session, user: User, now: datetime) -> str:
    """A new login session; returns its key (kept by the cookie, hashed in the table)."""
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, key_hash=digest(key), created_at=now))
    session.commit()
    user.session_key = key
    return key


def end_session(session: Session, key: str | None) -> None:
    if key:
        session.execute(delete(UserSession).where(UserSession.key_hash == digest(key)))
        session.commit()


def user_for_session(session: Session, key: str, not_before: datetime | None = None) -> User | None:
    """The user of a live login session; one that began before ``not_before`` has expired."""
    query = select(User).join(UserSession).where(UserSession.key_hash == digest(key))
    if not_before is not None:
        query = query.where(UserSession.created_at >= not_before)
    user = session.scalar(query)
    if user is not None:
        user.session_key = key
    return user


def prune_sessions(session: Session, not_before: datetime) -> int:
    """Forget login sessions older than the cookie's lifetime."""
    result = session.execute(delete(UserSession).where(UserSession.created_at < not_before))
    session.commit()
    return result.rowcount
