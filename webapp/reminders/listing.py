"""The Reminders view: the owner's notes with a reminder, soonest first, in keyset pages."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from webapp.db.prepared import fetch
from webapp.db.types import MAX_ID
from webapp.errors import ValidationError
from webapp.notes import queries
from webapp.notes.models import Note
from webapp.notes.rows import NoteRow

STATES = ("upcoming", "done", "all")
LIMIT_DEFAULT = 30
LIMIT_MAX = 100


def _encode(at: str, note_id: int) -> str:
    data = json.dumps([at, note_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode(token: str) -> tuple[datetime, int]:
    try:
        at, note_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or type(note_id) is not int or not 0 <= note_id <= MAX_ID:
            raise ValueError
        return when, note_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            "The cursor is not valid; start again from the first page.",
            fields={"cursor": "not a cursor this server issued"},
        ) from exc


def list_reminders(
    session: Session,
    owner_id: int,
    *,
    state: str = "upcoming",
    limit: int = LIMIT_DEFAULT,
    cursor: str | None = None,
) -> tuple[list[NoteRow], str | None]:
    """One page of the owner's notes with a reminder (``upcoming``: not done; ``done``; or
    ``all``), soonest first, outside the trash, and the next page's cursor (None at the end).

    A reminder marked done or moved on meanwhile moves in this order too: a walk is by time,
    not a snapshot (the list is short-lived, as Keep's Reminders view is).
    """
    fields = {}
    if state not in STATES:
        fields["state"] = f"one of {', '.join(STATES)}"
    if not 1 <= limit <= LIMIT_MAX:
        fields["limit"] = f"from 1 to {LIMIT_MAX}"
    if fields:
        raise ValidationError("Invalid query parameters: " + ", ".join(fields) + ".", fields=fields)
    statement = select(*queries._VIEW_COLUMNS).where(
        Note.owner_id == owner_id, Note.reminder_at.is_not(None), Note.trashed_at.is_(None)
    )
    if state != "all":
        statement = statement.where(Note.reminder_done.is_(state == "done"))
    if cursor:
        statement = statement.where(tuple_(Note.reminder_at, Note.id) > _decode(cursor))
    statement = statement.order_by(Note.reminder_at, Note.id).limit(limit + 1)
    rows = fetch(session.connection(), statement, NoteRow)
    page = queries.with_children(session, rows[:limit])
    more = len(rows) > limit
    return page, _encode(page[-1].reminder_at, page[-1].id) if more else None
