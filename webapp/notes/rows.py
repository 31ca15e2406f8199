"""A note as rows give it (no ORM): what every read and write of a note returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ItemRow:
    text: str
    checked: bool
    uid: str = ""  # stable across edits (``ChecklistItem.uid``)


@dataclass(slots=True)
class LabelRow:
    id: int
    name: str


@dataclass(slots=True)
class ImageRow:
    id: int
    width: int
    height: int
    content_type: str


@dataclass(slots=True)
class NoteRow:
    """The same attributes as a ``Note`` that serialising and search offsets read; its times
    are already in the API's text form (see ``webapp.db.prepared``)."""

    id: int
    title: str
    body: str
    kind: str
    color: str
    pinned: bool
    archived: bool
    trashed_at: str | None
    created_at: str
    updated_at: str
    version: int
    position: str = ""  # its place in the own order (``webapp.notes.keys``)
    # The reminder (``webapp.reminders``): its occurrence as the API's text, zone, RFC 5545
    # rule, done; None when the note has none.
    reminder_at: str | None = None
    reminder_zone: str | None = None
    reminder_repeat: str | None = None
    reminder_done: bool = False
    items: list[ItemRow] = field(default_factory=list)
    labels: list[LabelRow] = field(default_factory=list)
    images: list[ImageRow] = field(default_factory=list)
    # Where a list's query matched (``webapp.search.matches``); None outside a list.
    matches: list[dict] | None = None
