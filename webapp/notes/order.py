"""Placing a note in the person's own order: new notes first, copies, moves between two.

The keys themselves are ``webapp.notes.keys``; here are the queries that read the keys around
a place. The keys are written by ``webapp.notes.service.write_note``, as every change.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from webapp.db.prepared import run
from webapp.errors import ConflictError, NotFoundError, ValidationError
from webapp.notes.keys import between
from webapp.notes.models import Note

_SECTION = (Note.owner_id == bindparam("owner_id"), Note.pinned == bindparam("pinned"))
# Every state counts (archived and trashed too): one look at the end of the index.
_TOP = select(func.max(Note.position)).where(*_SECTION)
_NEXT_ABOVE = select(func.min(Note.position)).where(*_SECTION, Note.position > bindparam("key"))
_NEXT_BELOW = select(func.max(Note.position)).where(*_SECTION, Note.position < bindparam("key"))
_NEIGHBOURS = select(Note.id, Note.pinned, Note.position).where(
    Note.owner_id == bindparam("owner_id"), Note.id.in_(bindparam("ids", expanding=True))
)


def _key(value) -> str | None:
    # "" is the key of a row written without one (a raw insert): below every real key.
    return value or None


def first_key(session: Session, owner_id: int, pinned: bool) -> str:
    """A key above every note of the owner's section: a new or newly pinned note goes first."""
    top = run(session.connection(), _TOP, {"owner_id": owner_id, "pinned": pinned}).scalar_one()
    return between(_key(top), None)


def key_above(session: Session, owner_id: int, pinned: bool, key: str) -> str:
    """A key right above ``key`` in the section: before that note, after the one above it."""
    params = {"owner_id": owner_id, "pinned": pinned, "key": key}
    above = run(session.connection(), _NEXT_ABOVE, params).scalar_one()
    return between(_key(key), _key(above))


def key_below(session: Session, owner_id: int, pinned: bool, key: str) -> str:
    """A key right below ``key`` in the section."""
    if not key:  # nothing is below "": the note goes right above the moved one instead
        raise ConflictError("That note has no place in the order yet; move another one.")
    params = {"owner_id": owner_id, "pinned": pinned, "key": key}
    below = run(session.connection(), _NEXT_BELOW, params).scalar_one()
    return between(_key(below), key)


def place_between(
    session: Session, owner_id: int, note, after_id: int | None, before_id: int | None
) -> str:
    """The key that puts ``note`` (a view) below ``after_id`` and above ``before_id``.

    They are the cards it was dropped between, as the list shows them: ``after`` above it,
    ``before`` below it; either may be None (the end of what the page shows). They need not be
    adjacent in the whole list (a label view shows some notes only): the note lands between
    them. Both must be the owner's notes (404 otherwise), in the note's section (pinned or
    not: 409), ``after`` above ``before`` (409: the list changed since the page read it).
    """
    given = {"after": after_id, "before": before_id}
    if after_id is None and before_id is None:
        raise ValidationError(
            "Give the note it goes after, before, or both.",
            fields={"after": "required without before", "before": "required without after"},
        )
    if note.id in given.values() or after_id == before_id:
        raise ValidationError(
            "A note goes between two other notes.",
            fields={name: "two other notes" for name, i in given.items() if i is not None},
        )
    ids = [i for i in given.values() if i is not None]
    conn = session.connection()
    rows = {row[0]: row for row in conn.execute(_NEIGHBOURS, {"owner_id": owner_id, "ids": ids})}
    keys = {}
    for name, note_id in given.items():
        if note_id is None:
            continue
        if note_id not in rows:
            raise NotFoundError(f"Note {note_id} does not exist.", fields={name: "unknown note"})
        _, pinned, key = rows[note_id]
        if bool(pinned) != note.pinned:
            raise ConflictError(
                "Pinned and other notes are ordered apart: move a note within its own section.",
                fields={name: "pinned" if pinned else "not pinned"},
                code="other_section",
            )
        keys[name] = key
    if after_id is None:
        return key_above(session, owner_id, note.pinned, keys["before"])
    if before_id is None:
        return key_below(session, owner_id, note.pinned, keys["after"])
    if not keys["before"] < keys["after"]:
        raise ConflictError(
            "Those notes are no longer in that order; reload the list.", code="order_changed"
        )
    return between(_key(keys["before"]), keys["after"])
