"""Writing one imported note (with labels and images) in its own transaction."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import KaapError
from webapp.images import pipeline
from webapp.images import service as images
from webapp.labels.models import NAME_MAX, Label, name_key
from webapp.notes.models import ChecklistItem, Note
from webapp.notes.service import BODY_MAX_BYTES, ITEMS_MAX, TITLE_MAX, search_text
from webapp.transfer.archive import ArchiveError


@dataclass
class Incoming:
    """A note as an importer read it, before it is written."""

    uid: str
    title: str = ""
    body: str = ""
    kind: str = "text"
    items: list[tuple[str, bool]] = field(default_factory=list)
    color: str = "default"
    pinned: bool = False
    archived: bool = False
    trashed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1
    labels: list[str] = field(default_factory=list)
    # (name in the archive, a function that returns its bytes)
    images: list[tuple[str, Callable[[], bytes]]] = field(default_factory=list)


def exists(session: Session, owner_id: int, uid: str) -> bool:
    return (
        session.scalar(select(Note.id).where(Note.owner_id == owner_id, Note.uid == uid))
        is not None
    )


def label_for(session: Session, owner_id: int, name: str) -> Label | None:
    """The owner's label of that name (any case), created when missing; None if unusable."""
    name = " ".join(name.split())[:NAME_MAX]
    if not name:
        return None
    label = session.scalar(
        select(Label).where(Label.owner_id == owner_id, Label.name_key == name_key(name))
    )
    if label is None:
        label = Label(owner_id=owner_id, name=name, name_key=name_key(name))
        session.add(label)
        session.flush()
    return label


def prepare_images(
    incoming: Incoming, store: images.Store, work: pipeline.ImageWork
) -> tuple[list[images.Staged], list[str]]:
    """Decode and clean a note's images into staged files (thread-safe: no database); returns
    them and warnings. An image that cannot be stored is a warning, never the import's end."""
    staged, warnings = [], []
    for name, read in incoming.images:
        try:
            processed = work.process(io.BytesIO(read()), queue=True)
            staged.append(images.stage(store, processed))
        except (KaapError, ArchiveError, OSError, ValueError) as exc:
            warnings.append(f"image {name} not imported: {getattr(exc, 'message', exc)}")
    return staged, warnings


def write(
    session: Session,
    store: images.Store,
    owner_id: int,
    incoming: Incoming,
    now: datetime,
    staged: list[images.Staged],
) -> Note:
    """Add the note with its labels and staged images, or nothing (files included)."""
    written = [name for item in staged for name in item.names]
    if len(incoming.body.encode("utf-8")) > BODY_MAX_BYTES:
        store.remove(written)
        raise KaapError("its text is over 1 MB")
    try:
        note = Note(
            owner_id=owner_id,
            uid=incoming.uid,
            title=incoming.title[:TITLE_MAX],
            body=incoming.body,
            kind=incoming.kind,
            color=incoming.color,
            pinned=incoming.pinned,
            archived=incoming.archived,
            trashed_at=incoming.trashed_at,
            created_at=incoming.created_at or now,
            updated_at=incoming.updated_at or incoming.created_at or now,
            version=incoming.version,
            items=[
                ChecklistItem(position=i, text=text, checked=checked)
                for i, (text, checked) in enumerate(incoming.items[:ITEMS_MAX])
            ],
        )
        labels = [label_for(session, owner_id, name) for name in incoming.labels]
        note.labels = list({label.id: label for label in labels if label is not None}.values())
        note.search_text = search_text(note)
        session.add(note)
        session.flush()
        images.attach(session, store, note, staged, 0, note.created_at, written)
        session.commit()
    except BaseException:
        session.rollback()
        store.remove(written)
        raise
    return note
