"""Placing a note in the person's own order: new notes first, copies, moves between two.

The keys themselves are ``webapp.notes.keys``; here are the queries that read the keys around
a place and the move that writes one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from webapp.errors import ConflictError, NotFoundError, ValidationError
from webapp.notes.keys import between
from webapp.notes.models import Note, NoteMove
from webapp.notes.prepared import run
from webapp.timeutil import isoformat

_SECTION = (Note.owner_id == bindparam("owner_id"), Note.pinned == bindparam("pinned"))
# Every state counts (archived and trashed too): one look at the end of the index.
_TOP = select(func.max(Note.position)).where(*_SECTION)
_NEXT_ABOVE = select(func.min(Note.position)).where(*_SECTION, Note.position > bindparam("key"))
_NEXT_BELOW = select(func.max(Note.position)).where(*_SECTION, Note.position < bindparam("key"))
_NEIGHBOURS = select(Note.id, Note.pinned, Note.position).where(
    Note.owner_id == bindparam("owner_id"), Note.id.in_(bindparam("ids", expanding=True))
)
_ADD_MOVE = insert(NoteMove).values(
    {
        name: bindparam(f"v_{name}")
        for name in ("note_id", "moved_at", "old_pinned", "old_updated_at", "old_position")
    }
)
_SET_POSITION = (
    update(Note)
    .where(Note.id == bindparam("note_id"))
    .values(
        position=bindparam("v_position"),
        updated_at=bindparam("v_updated_at"),
        version=bindparam("v_version"),
    )
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


def move_note(
    session: Session,
    owner_id: int,
    note_id: int,
    after_id: int | None,
    before_id: int | None,
    now: datetime,
):
    """Move the owner's note between two others of its section (see ``place_between``).

    A move is a change: a new version and edit time (sync and other windows see it), and the
    note's old place recorded (``NoteMove``) so that a walk through the pages in progress
    still finds it where it stood.
    """
    from webapp.notes.service import read_note  # the service uses this module's keys

    note = read_note(session, owner_id, note_id)
    if note.trashed_at is not None:
        raise ConflictError("A note in the trash has no place in the list; restore it first.",
                            code="trashed")  # fmt: skip
    position = place_between(session, owner_id, note, after_id, before_id)
    old_updated_at = datetime.fromisoformat(note.updated_at)
    updated_at = max(now, old_updated_at + timedelta(microseconds=1))
    conn = session.connection()
    run(conn, _ADD_MOVE, {"v_note_id": note.id, "v_moved_at": now, "v_old_pinned": note.pinned,
                          "v_old_updated_at": old_updated_at, "v_old_position": note.position})  # fmt: skip
    note.version += 1
    run(conn, _SET_POSITION, {"note_id": note.id, "v_position": position,
                              "v_updated_at": updated_at, "v_version": note.version})  # fmt: skip
    session.commit()
    note.position = position
    note.updated_at = isoformat(updated_at)
    return note
