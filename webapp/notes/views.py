"""Read-only shapes of a note as lists return it, built from rows without the ORM."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from webapp.timeutil import isoformat


def iso_stored(text: str | None) -> str | None:
    """A timestamp as SQLite keeps it (``2026-11-25 13:49:19.123456``, UTC) in the API's form
    (``2026-11-25T13:49:19.123456Z``): for a page of rows, text is cheaper than datetimes."""
    if text is None:
        return None
    if len(text) == 26 and text[10] == " ":  # SQLAlchemy's own format, microseconds included
        return f"{text[:10]}T{text[11:]}Z"
    return isoformat(datetime.fromisoformat(text).replace(tzinfo=UTC))


@dataclass(slots=True)
class ItemView:
    text: str
    checked: bool


@dataclass(slots=True)
class LabelView:
    id: int
    name: str


@dataclass(slots=True)
class ImageView:
    id: int
    width: int
    height: int
    content_type: str


@dataclass(slots=True)
class NoteView:
    """The same attributes as a ``Note`` that serialising and search offsets read; its times
    are already in the API's text form (see ``iso_stored``)."""

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
    position: str = ""
    items: list[ItemView] = field(default_factory=list)
    labels: list[LabelView] = field(default_factory=list)
    images: list[ImageView] = field(default_factory=list)
