"""Read-only shapes of a note as lists return it, built from rows without the ORM."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
    """The same attributes as a ``Note`` that serialising and search offsets read."""

    id: int
    title: str
    body: str
    kind: str
    color: str
    pinned: bool
    archived: bool
    trashed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    items: list[ItemView] = field(default_factory=list)
    labels: list[LabelView] = field(default_factory=list)
    images: list[ImageView] = field(default_factory=list)
