"""The owner of every request."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.extensions import db

LOCAL_USERNAME = "local"


def ensure_local_user(session: Session) -> User:
    """The single local user of a desktop or development install, created on first use."""
    user = session.execute(db.select(User).filter_by(username=LOCAL_USERNAME)).scalar_one_or_none()
    if user is None:
        user = User(username=LOCAL_USERNAME)
        session.add(user)
        session.commit()
    return user


def current_owner_id() -> int:
    """Id of the user this request acts for: the local user, looked up once per app."""
    if "owner_id" not in g:
        cached = current_app.extensions.get("kaap.local_user_id")
        if cached is None:
            cached = current_app.extensions["kaap.local_user_id"] = ensure_local_user(db.session).id
        g.owner_id = cached
    return g.owner_id
