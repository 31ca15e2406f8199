"""Recording a change to a note; shared by every feature that changes one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from webapp.notes.models import Note, NoteMove


def touch(session: Session, note: Note, now: datetime) -> None:
    """New version, new edit time, and the note's old place in the list (see ``NoteMove``)."""
    if note.updated_at is not None:
        session.add(
            NoteMove(
                note_id=note.id,
                moved_at=now,
                old_pinned=note.pinned,
                old_updated_at=note.updated_at,
                old_position=note.position,
            )
        )
        # The list order relies on edit times moving forward even if the clock does not.
        if now <= note.updated_at:
            now = note.updated_at + timedelta(microseconds=1)
        note.version += 1
    note.updated_at = now
