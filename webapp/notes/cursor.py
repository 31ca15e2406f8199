"""Opaque keyset cursors: the last note's place in the list and when the walk began."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from webapp.db.types import MAX_ID
from webapp.errors import ValidationError
from webapp.notes.keys import is_valid


@dataclass(frozen=True)
class SortKey:
    """A note's place in the list: pinned first, then its place (the edit time by last edit,
    the position key in the own order: greatest first), then id."""

    pinned: bool
    place: datetime | str
    id: int

    def as_tuple(self) -> tuple:
        return (self.pinned, self.place, self.id)


@dataclass(frozen=True)
class Cursor:
    after: SortKey
    # When the walk's first page was read: the walk sees the list as it stood then.
    as_of: datetime
    # The walk's order, kept while the person switches it: "edited" or "own".
    order: str = "edited"


def encode(cursor: Cursor) -> str:
    place = cursor.after.place
    raw = [
        int(cursor.after.pinned),
        place if cursor.order == "own" else place.isoformat(),
        cursor.after.id,
        cursor.as_of.isoformat(),
    ]
    if cursor.order == "own":  # four items: by last edit, as every cursor before 0011
        raw.append("own")
    data = json.dumps(raw, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode(token: str) -> Cursor:
    """Parse a cursor from a client; anything malformed is a 400."""
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        pinned, place, note_id, as_of, *order = json.loads(data)
        if pinned not in (0, 1) or type(note_id) is not int or not 0 <= note_id <= MAX_ID:
            raise ValueError
        if order == ["own"]:
            # "" is a note written without a key (a raw insert), below every key.
            if not (place == "" or is_valid(place)):
                raise ValueError
        elif order:
            raise ValueError
        else:
            place = datetime.fromisoformat(place)
            if place.tzinfo is None:
                raise ValueError
        key = SortKey(bool(pinned), place, note_id)
        cursor = Cursor(key, datetime.fromisoformat(as_of), "own" if order else "edited")
        if cursor.as_of.tzinfo is None:
            raise ValueError
        return cursor
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            "The cursor is not valid; start again from the first page.",
            fields={"cursor": "not a cursor this server issued"},
        ) from exc
