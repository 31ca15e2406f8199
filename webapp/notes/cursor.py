"""Opaque keyset cursors: the last note's place in the list and when the walk began."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from webapp.db.types import MAX_ID
from webapp.errors import ValidationError


@dataclass(frozen=True)
class SortKey:
    """A note's place in the list: pinned first, then most recently edited, then id."""

    pinned: bool
    updated_at: datetime
    id: int

    def as_tuple(self) -> tuple:
        return (self.pinned, self.updated_at, self.id)


@dataclass(frozen=True)
class Cursor:
    after: SortKey
    # When the walk's first page was read: the walk sees the list as it stood then.
    as_of: datetime


def encode(cursor: Cursor) -> str:
    raw = [
        int(cursor.after.pinned),
        cursor.after.updated_at.isoformat(),
        cursor.after.id,
        cursor.as_of.isoformat(),
    ]
    data = json.dumps(raw, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode(token: str) -> Cursor:
    """Parse a cursor from a client; anything malformed is a 400."""
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        pinned, updated_at, note_id, as_of = json.loads(data)
        if pinned not in (0, 1) or type(note_id) is not int or not 0 <= note_id <= MAX_ID:
            raise ValueError
        key = SortKey(bool(pinned), datetime.fromisoformat(updated_at), note_id)
        cursor = Cursor(key, datetime.fromisoformat(as_of))
        if cursor.as_of.tzinfo is None or key.updated_at.tzinfo is None:
            raise ValueError
        return cursor
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            "The cursor is not valid; start again from the first page.",
            fields={"cursor": "not a cursor this server issued"},
        ) from exc
