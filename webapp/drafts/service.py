"""Keeping, listing and dropping drafts, as plain functions over a session."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.drafts.models import Draft
from webapp.errors import ConflictError, ValidationError

# The composer's one draft, or one per note being edited.
KEY = re.compile(r"composer|note-[1-9][0-9]{0,9}")
# Drafts live only until their save succeeds; more than this means something is wrong.
DRAFTS_MAX = 200


def check_key(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValidationError(
            'A draft\'s key is "composer" or "note-" and a note id.', fields={"key": "invalid"}
        )
    return key


def draft_json(draft: Draft) -> dict[str, Any]:
    return {
        "key": draft.key,
        "content": json.loads(draft.content),
        "updated_at": draft.updated_at.isoformat().replace("+00:00", "Z"),
    }


def list_drafts(session: Session, owner_id: int) -> list[Draft]:
    """Every draft of the owner, oldest change first."""
    return list(
        session.scalars(select(Draft).where(Draft.owner_id == owner_id).order_by(Draft.updated_at))
    )


def keep_draft(
    session: Session, owner_id: int, key: str, content: dict[str, Any], now: datetime
) -> Draft:
    """Store (or replace) the draft under ``key``; committed before this returns."""
    check_key(key)
    if not isinstance(content, dict):
        raise ValidationError("A draft's content is a JSON object.", fields={"content": "object"})
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    draft = session.get(Draft, (owner_id, key))
    if draft is None:
        count = session.scalar(select(func.count()).where(Draft.owner_id == owner_id))
        if count >= DRAFTS_MAX:
            raise ConflictError(
                f"Kaap keeps at most {DRAFTS_MAX} unsaved drafts: open and save some notes first.",
                code="too_many_drafts",
            )
        draft = Draft(owner_id=owner_id, key=key, content=text, updated_at=now)
        session.add(draft)
    else:
        draft.content, draft.updated_at = text, now
    session.commit()
    return draft


def drop_draft(session: Session, owner_id: int, key: str) -> None:
    """Forget the draft under ``key`` (its text was saved, or the person discarded it)."""
    check_key(key)
    session.execute(delete(Draft).where(Draft.owner_id == owner_id, Draft.key == key))
    session.commit()
