"""Writing one imported note (with labels and images) in its own transaction."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import LargeBinary, cast, func, select
from sqlalchemy.orm import Session

from webapp.disk import is_disk_full
from webapp.errors import KaapError
from webapp.history import transfer as history_transfer
from webapp.images import pipeline
from webapp.images import service as images
from webapp.labels import service as labels_service
from webapp.labels.models import NAME_MAX, Label, name_key
from webapp.notes import service as notes
from webapp.notes.models import ChecklistItem, Note
from webapp.notes.rows import NoteRow
from webapp.notes.service import BODY_MAX_BYTES, ITEM_TEXT_MAX, ITEMS_MAX, TITLE_MAX
from webapp.transfer.archive import ArchiveError

LABELS_MAX = 1000  # as the API's label_ids
# An edit adds one to the version (an INTEGER column, at most 2**31 - 1): an imported version
# stays far enough below that for the note to be edited a billion times.
VERSION_MAX = 2**30
# Times datetime can still move a day either way (and every database stores).
TIME_MIN = datetime(1, 1, 2, tzinfo=UTC)
TIME_MAX = datetime(9999, 12, 30, tzinfo=UTC)


@dataclass
class Incoming:
    """A note as an importer read it, before it is written."""

    uid: str
    title: str = ""
    body: str = ""
    kind: str = "text"
    items: list[tuple[str, bool]] = field(default_factory=list)
    # The items' ids where the source kept them (a Kaap export), in the same order.
    item_ids: list[str | None] = field(default_factory=list)
    color: str = "default"
    pinned: bool = False
    archived: bool = False
    # In the trash: it gets the whole trash period from the import on (never its old date,
    # which the next purge would take for expired: an import never deletes anything).
    trashed: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1
    labels: list[str] = field(default_factory=list)
    # (name in the archive, a function that returns its bytes)
    images: list[tuple[str, Callable[[], bytes]]] = field(default_factory=list)
    # The note's history where the export carried it (``webapp.history.transfer``), and the
    # staged image of each archive name (what an older version's images are matched by).
    history: list[dict] = field(default_factory=list)
    staged_of: dict[str, images.Staged] = field(default_factory=dict)


def refusal(incoming: Incoming) -> str | None:
    """Why the API would refuse this note (its limits hold for imports too), if it would."""
    if len(incoming.title) > TITLE_MAX:
        return f"its title is over {TITLE_MAX:,} characters"
    if len(incoming.body.encode("utf-8")) > BODY_MAX_BYTES:
        return "its text is over 1 MB"
    if len(incoming.items) > ITEMS_MAX:
        return f"it has over {ITEMS_MAX:,} checklist items"
    if any(len(text) > ITEM_TEXT_MAX for text, _ in incoming.items):
        return f"a checklist item is over {ITEM_TEXT_MAX:,} characters"
    if len({name_key(name) for name in incoming.labels}) > LABELS_MAX:
        return f"it has over {LABELS_MAX:,} labels"
    return None


def settle(incoming: Incoming, warn: Callable[[str], None]) -> None:
    """Numbers and times the database cannot hold, or that would stop the note from being
    edited, give way to the defaults of a new note, with a warning."""
    version = incoming.version
    if isinstance(version, bool) or not isinstance(version, int) or not 0 < version <= VERSION_MAX:
        warn(f"version {str(version)[:30]} is out of range (1 to {VERSION_MAX}): set to 1")
        incoming.version = 1
    for name in ("created_at", "updated_at"):
        value = getattr(incoming, name)
        if value is not None and not TIME_MIN <= value <= TIME_MAX:
            warn(f"{name} {value:%Y-%m-%d} is out of range: set to the import time")
            setattr(incoming, name, None)


def text_bytes(incoming: Incoming) -> int:
    """What the note's text weighs, for the import's quotas."""
    parts = (incoming.title, incoming.body, *(text for text, _ in incoming.items))
    return sum(len(part.encode("utf-8")) for part in (*parts, *incoming.labels))


def account_text_bytes(session: Session, owner_id: int) -> int:
    """The text the owner's notes already hold (titles, bodies, checklist items), in bytes."""

    def size(column):
        if session.get_bind().dialect.name == "sqlite":
            return func.length(cast(column, LargeBinary))
        return func.octet_length(column)

    notes = select(func.coalesce(func.sum(size(Note.title) + size(Note.body)), 0)).where(
        Note.owner_id == owner_id
    )
    items = (
        select(func.coalesce(func.sum(size(ChecklistItem.text)), 0))
        .join(Note, Note.id == ChecklistItem.note_id)
        .where(Note.owner_id == owner_id)
    )
    return int(session.scalar(notes) or 0) + int(session.scalar(items) or 0)


def exists(session: Session, owner_id: int, uid: str) -> bool:
    return (
        session.scalar(select(Note.id).where(Note.owner_id == owner_id, Note.uid == uid))
        is not None
    )


def _ids(incoming: Incoming) -> list[str | None]:
    """The items' ids if the source gave one for each item and none twice, else new ones."""
    ids = incoming.item_ids
    if len(ids) == len(incoming.items) and len({i for i in ids if i}) == len([i for i in ids if i]):
        return ids
    return [None] * len(incoming.items)


def label_for(session: Session, owner_id: int, name: str) -> Label | None:
    """The owner's label of that name (any case), created when missing; None if unusable."""
    name = " ".join(name.split())[:NAME_MAX]
    if not name:
        return None
    label = session.scalar(
        select(Label).where(Label.owner_id == owner_id, Label.name_key == name_key(name))
    )
    if label is None:
        label = labels_service.add_label(session, owner_id, name)
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
            incoming.staged_of[name] = staged[-1]
        except (KaapError, ArchiveError, OSError, ValueError) as exc:
            if is_disk_full(exc):
                store.remove([name for item in staged for name in item.names])
                raise  # every next image would fail the same way: the import stops, saying why
            warnings.append(f"image {name} not imported: {getattr(exc, 'message', exc)}")
    return staged, warnings


def write(
    session: Session,
    store: images.Store,
    owner_id: int,
    incoming: Incoming,
    now: datetime,
    staged: list[images.Staged],
) -> NoteRow:
    """Add the note with its labels and staged images, or nothing (files included)."""
    names = [name for item in staged for name in item.names]
    why = refusal(incoming)
    if why:
        store.remove(names)
        raise KaapError(why)
    with images.files_or_nothing(session, store, names) as written:
        # Inside: a label the database refuses must roll back too, or the session stays
        # failed and every later note of the import with it.
        labels = [label_for(session, owner_id, name) for name in incoming.labels]
        data = {
            "title": incoming.title, "body": incoming.body, "kind": incoming.kind,
            "color": incoming.color, "pinned": incoming.pinned, "archived": incoming.archived,
            "items": [
                {"text": text, "checked": checked, "id": item_id}
                for (text, checked), item_id in zip(
                    incoming.items, _ids(incoming), strict=True
                )
            ],
            "label_ids": list(dict.fromkeys(label.id for label in labels if label is not None)),
        }  # fmt: skip
        origin = notes.Origin(
            incoming.uid, incoming.created_at, incoming.updated_at, incoming.version
        )
        note = notes.write_note(
            session, owner_id, None, data, now, trashed=incoming.trashed or None, origin=origin,
            store=store, written=written, attach=staged,
        )  # fmt: skip
        if incoming.history:
            _write_history(session, owner_id, note, incoming, now)
        session.commit()
    return note


def _write_history(session: Session, owner_id: int, note: NoteRow, incoming, now) -> None:
    def label_id(name: str) -> int | None:  # an older version's label, if the owner has it
        return session.scalar(
            select(Label.id).where(Label.owner_id == owner_id, Label.name_key == name_key(name))
        )

    image_of_file = {
        name: [s.digest, s.content_type, s.width, s.height, s.byte_size, s.thumb_digest]
        for name, s in incoming.staged_of.items()
    }
    history_transfer.import_versions(
        session, owner_id, note, incoming.history, now, label_id, image_of_file
    )
