"""Writing notes: every change to a note goes through ``write_note``, every deletion through
``delete_notes``; the functions here are what the API, images, copies, bulk actions and
imports ask of them.

Every function takes the owner's id and scopes every query to it: another owner's note is
simply not found. Reads are in ``webapp.notes.queries``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import bindparam, case, delete, insert, select, update
from sqlalchemy.orm import Session

from webapp import events, timeutil
from webapp.db.prepared import run
from webapp.db.sqlite import reading
from webapp.errors import ConflictError, PreconditionFailedError, ValidationError
from webapp.history import service as history
from webapp.images import pipeline
from webapp.images import service as images_service
from webapp.images.models import Image
from webapp.labels.models import Label
from webapp.notes import order as placing
from webapp.notes import queries
from webapp.notes.models import ChecklistItem, Note, NoteMove, note_labels
from webapp.notes.rows import ImageRow, ItemRow, LabelRow, NoteRow
from webapp.sync import sequence
from webapp.timeutil import isoformat

_EDITED = ("title", "body", "kind", "color", "pinned", "archived")
# Every column a write sets (an unchanged search_text leaves the index alone: see 0003).
_SAVED = (*_EDITED, "trashed_at", "search_text", "updated_at", "version", "position", "seq")
# The fields sync merges by "later change wins", with the column that says when each changed.
_TIMED = ("color", "pinned", "archived")

TITLE_MAX = 1000
BODY_MAX_BYTES = 1_000_000
ITEMS_MAX = 1000
ITEM_TEXT_MAX = 10_000
# A checklist item's id: a uuid as the server or a device made it.
ITEM_ID_PATTERN = r"^[0-9A-Za-z-]{1,36}$"
EDITABLE = ("title", "body", "kind", "items", "color", "pinned", "archived", "label_ids")
IMAGES_PER_NOTE = images_service.IMAGES_PER_NOTE


def search_text(note) -> str:
    """What ``q`` is matched against: title, body, items and labels, case-folded."""
    parts = [note.title or "", note.body or ""]
    parts += [item.text for item in note.items] + [label.name for label in note.labels]
    return "\n".join(parts).casefold()


# The one write ---------------------------------------------------------------------------

# Parameters named apart from the columns: SQLAlchemy keeps a column's own name for itself.
_ADD_MOVE = insert(NoteMove).values(
    {
        name: bindparam(f"v_{name}")
        for name in ("note_id", "moved_at", "old_pinned", "old_updated_at", "old_position")
    }
)
_SAVE_NOTE = (
    update(Note)
    .where(Note.id == bindparam("note_id"))
    .values({name: bindparam(f"v_{name}") for name in _SAVED})
    .values(
        {
            f"{name}_changed_at": case(
                (getattr(Note, name) != bindparam(f"v_{name}"), bindparam("v_now")),
                else_=getattr(Note, f"{name}_changed_at"),
            )
            for name in _TIMED
        }
    )
    .values(
        trashed_changed_at=case(
            (bindparam("v_trash_moved"), bindparam("v_now")), else_=Note.trashed_changed_at
        )
    )
)
_INSERT_NOTE = (
    insert(Note)
    .values({name: bindparam(f"v_{name}") for name in ("owner_id", "uid", "created_at", *_SAVED)})
    .values({f"{name}_changed_at": bindparam("v_created_at") for name in (*_TIMED, "trashed")})
    .returning(Note.id)
)
_DELETE_ITEMS = delete(ChecklistItem).where(ChecklistItem.note_id == bindparam("note_id"))
_DELETE_LABELS = delete(note_labels).where(note_labels.c.note_id == bindparam("note_id"))
_LABEL_REFS = (
    select(Label.id, Label.name)
    .where(
        Label.owner_id == bindparam("owner_id"), Label.id.in_(queries.JSON_IDS.scalar_subquery())
    )
    .order_by(Label.name_key)
)


def _label_refs(
    session: Session, owner_id: int, label_ids: Sequence[int], field: str = "label_ids"
) -> list[LabelRow]:
    """The owner's labels of these ids, in the notes' label order; unknown ids are a 400
    (the one check that a label is the owner's)."""
    wanted = list(dict.fromkeys(label_ids))
    if not wanted:
        return []
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        rows = run(conn, _LABEL_REFS, {"owner_id": owner_id, "ids": json.dumps(wanted)}).all()
    else:
        rows = conn.execute(
            select(Label.id, Label.name)
            .where(Label.owner_id == owner_id, Label.id.in_(wanted))
            .order_by(Label.name_key)
        ).all()
    missing = sorted(set(wanted) - {label_id for label_id, _ in rows})
    if missing:
        raise ValidationError(
            f"Unknown label id(s): {', '.join(map(str, missing))}.",
            fields={field: f"unknown label id(s): {', '.join(map(str, missing))}"},
        )
    return [LabelRow(label_id, name) for label_id, name in rows]


@dataclass(frozen=True)
class Origin:
    """What an imported note keeps of where it came from (a new note's defaults otherwise)."""

    uid: str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1


def write_note(
    session: Session,
    owner_id: int,
    note: NoteRow | None,
    data: Mapping[str, Any],
    now: datetime,
    *,
    trashed: bool | None = None,
    origin: Origin | None = None,
    store: images_service.Store | None = None,
    written: list[str] | None = None,
    attach: Sequence[images_service.Staged] = (),
    copy_images_of: int | None = None,
    detach: Sequence[int] = (),
    image_order: Sequence[str] | None = None,
    position: str | None = None,
) -> NoteRow:
    """The one place a note is written, uncommitted; returns it as a ``NoteRow``.

    ``note`` is the note as read (``queries.read_note``), changed in place; None inserts a
    new one (with ``origin``'s uid, times and version if given). ``data`` holds the fields
    that change (``EDITABLE``; ``label_ids`` are checked to be the owner's), ``trashed``
    moves it into or out of the trash, ``position`` (a key of ``webapp.notes.keys``) moves it
    in the own order: a new note, or one pinned or unpinned, goes first in its section
    otherwise (``webapp.notes.order``). Images: ``attach`` moves staged ones in, ``copy_images_of``
    copies another note's, ``detach`` removes rows by id, ``image_order`` (SHA-256 digests, what sync names images
    by) puts the note's images in that order; the files written are added to
    ``written`` (see ``images_service.files_or_nothing``). A change to an existing note is a
    new version: its old place in the list is recorded (``NoteMove``, what keeps a paged walk
    exact) and its edit time only moves forward, even if the clock does not.

    Open pages hear of each change from here (``webapp.events``, after the commit), and
    sync's feed from the owner's next sequence number it takes (``webapp.sync.sequence``); deletions go through ``delete_notes``: no other code
    writes a note.
    """
    if note is None:
        created = (origin.created_at if origin else None) or now
        updated = (origin.updated_at if origin else None) or created
        stamp = isoformat(created)
        row = NoteRow(0, "", "", "text", "default", False, False, None, stamp, isoformat(updated),
                      origin.version if origin else 1)  # fmt: skip
    else:
        row = note
        old_pinned, old_updated_at = row.pinned, datetime.fromisoformat(row.updated_at)
        old_position = row.position
    _apply(session, owner_id, row, data)
    if trashed is not None:
        row.trashed_at = isoformat(now) if trashed else None
    if position is not None:
        row.position = position
    elif note is None or row.pinned != old_pinned:
        row.position = placing.first_key(session, owner_id, row.pinned)
    conn = session.connection()
    values = {f"v_{name}": getattr(row, name) for name in _EDITED}
    values |= {
        "v_search_text": search_text(row),
        "v_trashed_at": None if row.trashed_at is None else datetime.fromisoformat(row.trashed_at),
        "v_version": row.version,
        "v_position": row.position,
        "v_seq": sequence.bump(conn, owner_id),
    }
    if note is None:
        row.id = run(conn, _INSERT_NOTE, {
            **values, "v_owner_id": owner_id, "v_uid": origin.uid if origin else str(uuid.uuid4()),
            "v_created_at": created, "v_updated_at": updated,
        }).scalar_one()  # fmt: skip
    else:
        run(conn, _ADD_MOVE, {"v_note_id": row.id, "v_moved_at": now, "v_old_pinned": old_pinned,
                              "v_old_updated_at": old_updated_at,
                              "v_old_position": old_position})  # fmt: skip
        updated = max(now, old_updated_at + timedelta(microseconds=1))
        row.version += 1
        row.updated_at = isoformat(updated)
        run(conn, _SAVE_NOTE, {**values, "note_id": row.id, "v_updated_at": updated,
                               "v_version": row.version, "v_now": updated,
                               "v_trash_moved": trashed is not None})  # fmt: skip
        if "items" in data:
            run(conn, _DELETE_ITEMS, {"note_id": row.id})
        if "label_ids" in data:
            run(conn, _DELETE_LABELS, {"note_id": row.id})
    _write_children(conn, row, data)
    _write_images(session, row, store, written, attach, copy_images_of, detach,
                  now if note is not None else created)  # fmt: skip
    if image_order is not None:
        _order_images(session, row, image_order)
    if note is None or data.keys() & _VERSIONED or attach or detach or image_order is not None:
        history.record(session, owner_id, row, now)  # the note as this save leaves it
    kind = "created" if note is None else _KINDS_OF_TRASHED.get(trashed, "updated")
    events.changed(session, owner_id, [row.id], kind, [row.version])
    return row


# What a version of a note keeps (``webapp.history``): a pin, a move or the trash is none.
_VERSIONED = {"title", "body", "kind", "items", "color", "label_ids"}
# What a write is called on the event stream (``webapp.events``), by its ``trashed``.
_KINDS_OF_TRASHED = {True: "trashed", False: "restored"}


def _apply(session: Session, owner_id: int, note: NoteRow, data: Mapping[str, Any]) -> None:
    """Validated JSON fields onto a row (labels checked to be the owner's)."""
    for name in _EDITED:
        if name in data:
            setattr(note, name, data[name])
    if "items" in data:
        # An item sent with its id keeps it (sync merges items by id); others get a new one.
        note.items = [
            ItemRow(item["text"], bool(item.get("checked", False)), item.get("id") or _new_uid())
            for item in data["items"]
        ]
    if "label_ids" in data:
        note.labels = _label_refs(session, owner_id, data["label_ids"])


def _new_uid() -> str:
    return str(uuid.uuid4())


def _write_children(conn, note: NoteRow, data) -> None:
    """Insert the row's items and labels, where ``data`` gave them."""
    if "items" in data and note.items:
        conn.execute(insert(ChecklistItem), [
            {"note_id": note.id, "position": i, "text": item.text, "checked": item.checked,
             "uid": item.uid or _new_uid()}
            for i, item in enumerate(note.items)
        ])  # fmt: skip
    if "label_ids" in data and note.labels:
        conn.execute(
            insert(note_labels),
            [{"note_id": note.id, "label_id": label.id} for label in note.labels],
        )


def _write_images(session, row, store, written, attach, copy_images_of, detach, created_at):
    """The images a write adds (moved in or copied) or removes, and the row's list of them."""
    added: list[Image] = []
    if attach:
        added += images_service.attach(
            session, store, row.id, attach, len(row.images), created_at, written
        )
    if copy_images_of is not None and store is not None:
        added += images_service.copy_images(session, store, copy_images_of, row.id, written)
    if detach:
        history.keep_images(session, store, row.id, detach, written)  # older versions show them
        session.execute(delete(Image).where(Image.note_id == row.id, Image.id.in_(detach)))
        row.images = [image for image in row.images if image.id not in detach]
    if added:
        session.flush()
        row.images += [ImageRow(i.id, i.width, i.height, i.content_type) for i in added]


def _order_images(session: Session, row: NoteRow, digests: Sequence[str]) -> None:
    """Number the note's images in the order of ``digests`` (repeats take the next image of
    that digest; images not named keep their order, after)."""
    images = session.execute(
        select(Image.id, Image.digest).where(Image.note_id == row.id).order_by(Image.position)
    ).all()
    rank = {}
    for position, digest in enumerate(digests):
        image = next((i for i in images if i.digest == digest and i.id not in rank), None)
        if image is not None:
            rank[image.id] = position
    ordered = sorted(images, key=lambda i: rank.get(i.id, len(digests)))
    if not ordered:
        return
    session.connection().execute(
        update(Image).where(Image.id == bindparam("b_id")).values(position=bindparam("b_pos")),
        [{"b_id": image.id, "b_pos": position} for position, image in enumerate(ordered)],
    )
    by_id = {image.id: image for image in row.images}
    row.images = [by_id[image.id] for image in ordered if image.id in by_id]


def refresh_search_text(session: Session, owner_id: int, note_ids: Sequence[int]) -> None:
    """Recompute the searched text of these notes (after a label was renamed or deleted).

    Not a change of the notes (their content and version stay): a later sync records the
    label's change, not theirs.
    """
    if not note_ids:
        return
    rows = queries.owned_notes(session, owner_id, list(note_ids))
    session.connection().execute(
        update(Note).where(Note.id == bindparam("b_id")).values(search_text=bindparam("b_text")),
        [{"b_id": row.id, "b_text": search_text(row)} for row in rows],
    )


# What the API and the other features ask ---------------------------------------------------


def _check_values(data: Mapping[str, Any]) -> None:
    """Limits the JSON schema cannot express (bytes, not characters)."""
    body = data.get("body")
    if body is not None and len(body.encode("utf-8")) > BODY_MAX_BYTES:
        raise ValidationError(
            "The note's text is over 1 MB.", fields={"body": "at most 1,000,000 bytes"}
        )
    ids = [item["id"] for item in data.get("items") or () if item.get("id")]
    if len(ids) != len(set(ids)):
        raise ValidationError(
            "Two checklist items have the same id.", fields={"items": "each id once"}
        )


def is_empty(data: Mapping[str, Any]) -> bool:
    return not (
        (data.get("title") or "").strip()
        or (data.get("body") or "").strip()
        or any(item["text"].strip() for item in data.get("items") or [])
    )


def create_note(session: Session, owner_id: int, data: Mapping[str, Any], now: datetime) -> NoteRow:
    """A new note from validated JSON fields; an empty note is refused."""
    _check_values(data)
    if is_empty(data):
        raise ValidationError(
            "An empty note is not saved: give it a title, text or a checklist item.",
            code="empty_note",
        )
    note = write_note(session, owner_id, None, data, now)
    session.commit()
    return note


def _uploads(uploads: Sequence[tuple[str, Any]]) -> None:
    if not uploads:
        raise ValidationError(
            "Send one or more image files in the field `file`.", fields={"file": "required"}
        )


def create_note_with_images(
    session: Session,
    store: images_service.Store,
    work: pipeline.ImageWork,
    owner_id: int,
    data: Mapping[str, Any],
    uploads: Sequence[tuple[str, Any]],
    now: datetime,
    quota: int | None = None,
) -> NoteRow:
    """A new note holding these images (a pasted screenshot, say): its images are its content.

    The images are decoded before the note's transaction, which then only adds rows and
    moves files in. ``quota``: what the owner's images may weigh (507 over it).
    """
    _check_values(data)
    _uploads(uploads)
    if len(uploads) > IMAGES_PER_NOTE:
        raise ValidationError(f"A note holds at most {IMAGES_PER_NOTE} images.")
    # End the transaction a login check began (a writing request's takes the write lock):
    # decoding must not hold it. The note's transaction begins after, with its first statement.
    session.commit()
    staged = images_service.prepare(store, work, [stream for _, stream in uploads])
    with images_service.files_or_nothing(session, store, _names(staged)) as written:
        images_service.check_quota(session, owner_id, sum(s.byte_size for s in staged), quota)
        note = write_note(
            session, owner_id, None, data, now, store=store, written=written, attach=staged
        )
        session.commit()
    return note


def _names(staged: Sequence[images_service.Staged]) -> list[str]:
    return [name for item in staged for name in item.names]


def _room_for(session: Session, owner_id: int, note_id: int, adding: int) -> NoteRow:
    """The note, if it can take ``adding`` more images."""
    note = queries.read_note(session, owner_id, note_id)
    if note.trashed_at is not None:
        raise ConflictError("Restore the note from the trash before adding images.")
    if len(note.images) + adding > IMAGES_PER_NOTE:
        raise ValidationError(f"A note holds at most {IMAGES_PER_NOTE} images.",
                              fields={"file": f"at most {IMAGES_PER_NOTE} images per note"})  # fmt: skip
    return note


def add_images(
    session: Session,
    store: images_service.Store,
    work: pipeline.ImageWork,
    owner_id: int,
    note_id: int,
    uploads: Sequence[tuple[str, BinaryIO]],
    now: datetime,
    quota: int | None = None,
) -> tuple[list[ImageRow], int]:
    """Process every upload, then store all or none of them; returns them and the note's version.

    ``uploads`` are ``(field name, stream)`` pairs. A file that fails stops the whole request
    before anything is stored. The images are decoded between two transactions: a read that
    checks the note (so a wrong note costs no decoding), then a short write that checks it
    again, moves the files in and adds the rows.
    """
    _uploads(uploads)
    with reading(session):
        _room_for(session, owner_id, note_id, len(uploads))
    staged = images_service.prepare(store, work, [stream for _, stream in uploads])
    with images_service.files_or_nothing(session, store, _names(staged)) as written:
        note = _room_for(session, owner_id, note_id, len(uploads))
        images_service.check_quota(session, owner_id, sum(s.byte_size for s in staged), quota)
        held = len(note.images)
        write_note(session, owner_id, note, {}, now, store=store, written=written, attach=staged)
        session.commit()
    return note.images[held:], note.version


def delete_image(
    session: Session, store: images_service.Store, owner_id: int, image_id: int, now: datetime
) -> None:
    """Remove an image from its note (a new version of the note), then its files."""
    image = images_service.get_image(session, owner_id, image_id)
    names = [image.file_name, image.thumb_name]
    note = queries.read_note(session, owner_id, image.note_id)
    write_note(session, owner_id, note, {}, now, store=store, detach=[image.id])
    session.commit()
    store.remove(names)


def update_note(
    session: Session,
    owner_id: int,
    note_id: int,
    data: Mapping[str, Any],
    now: datetime,
    if_match: int | None = None,
) -> NoteRow:
    """Change any subset of a note's fields; with ``if_match``, only if nobody else did."""
    _check_values(data)
    note = queries.read_note(session, owner_id, note_id)
    if if_match is not None and note.version != if_match:
        raise PreconditionFailedError(
            f"The note changed elsewhere (now version {note.version}, you had {if_match}).",
            fields={"version": str(note.version)},
            code="version_conflict",
        )
    write_note(session, owner_id, note, data, now)
    session.commit()
    return note


def _set_trashed(session: Session, owner_id: int, note: NoteRow, trashed: bool, now) -> bool:
    """Into or out of the trash, uncommitted; False if the note was there already."""
    if (note.trashed_at is not None) == trashed:
        return False
    write_note(session, owner_id, note, {}, now, trashed=trashed)
    return True


def trash_note(session: Session, owner_id: int, note_id: int, now: datetime) -> NoteRow:
    note = queries.read_note(session, owner_id, note_id)
    if _set_trashed(session, owner_id, note, True, now):
        session.commit()
    return note


def restore_note(session: Session, owner_id: int, note_id: int, now: datetime) -> NoteRow:
    note = queries.read_note(session, owner_id, note_id)
    if _set_trashed(session, owner_id, note, False, now):
        session.commit()
    return note


def copy_note(
    session: Session,
    owner_id: int,
    note_id: int,
    now: datetime,
    store: images_service.Store | None = None,
) -> NoteRow:
    """Keep's "Make a copy": same content, color and labels, in the notes list."""
    source = queries.read_note(session, owner_id, note_id)
    if source.trashed_at is not None:
        raise ConflictError("A note in the trash cannot be copied; restore it first.")
    with images_service.files_or_nothing(session, store) as written:
        copy = _copy(session, owner_id, source, now, store, written)
        session.commit()
    return copy


def _copy(session, owner_id, source: NoteRow, now, store, written) -> NoteRow:
    """A copy of ``source``, uncommitted; its image files are named in ``written``."""
    data = {name: getattr(source, name) for name in _EDITED} | {
        "archived": False,
        "items": [{"text": item.text, "checked": item.checked} for item in source.items],
        "label_ids": [label.id for label in source.labels],
    }
    # Right above the original, as Keep puts a copy (of an archived note: first in Notes).
    position = (
        placing.first_key(session, owner_id, source.pinned)
        if source.archived
        else placing.key_above(session, owner_id, source.pinned, source.position)
    )
    return write_note(
        session, owner_id, None, data, now, store=store, written=written,
        copy_images_of=source.id, position=position,
    )  # fmt: skip


def move_note(
    session: Session,
    owner_id: int,
    note_id: int,
    after_id: int | None,
    before_id: int | None,
    now: datetime,
) -> NoteRow:
    """Move the owner's note between two others of its section (``order.place_between``).

    A move is a change like any other: a new version and edit time (sync and other windows see
    it), and the note's old place recorded so a walk through the pages in progress still finds
    it where it stood.
    """
    note = queries.read_note(session, owner_id, note_id)
    if note.trashed_at is not None:
        raise ConflictError("A note in the trash has no place in the list; restore it first.",
                            code="trashed")  # fmt: skip
    position = placing.place_between(session, owner_id, note, after_id, before_id)
    write_note(session, owner_id, note, {}, now, position=position)
    session.commit()
    return note


# Deleting --------------------------------------------------------------------------------

# Notes deleted per transaction. SQLite writes a transaction's pages to its write-ahead log
# first, and starts the log over once a commit was checkpointed: in batches, emptying a large
# trash needs the room of one batch, which a full disk's reserve holds (the whole of 1,000
# notes wrote 4.8 MB to the log, more than the reserve).
DELETE_BATCH = 100


def delete_notes(
    session: Session, store: images_service.Store | None, condition, now: datetime | None = None
) -> int:
    """The one place notes are deleted: those matching ``condition``, with their images'
    files (after each commit), ``DELETE_BATCH`` notes at a time; returns how many.

    Open pages hear of each deletion from here (``webapp.events``), and sync's feed from
    the tombstone each note leaves (``webapp.sync.sequence.bury``, dated ``now``).
    """
    now = now or timeutil.now()
    owners = dict(session.execute(select(Note.id, Note.owner_id).where(condition)).all())
    ids = sorted(owners)
    deleted = 0
    for start in range(0, len(ids), DELETE_BATCH):
        # The condition again: a note restored meanwhile by another request stays.
        batch = condition & Note.id.in_(ids[start : start + DELETE_BATCH])
        files = images_service.file_names_of_notes(session, batch)
        gone = session.execute(delete(Note).where(batch).returning(Note.id, Note.uid)).all()
        deleted += len(gone)
        by_owner: dict[int, list[tuple[int, str]]] = {}
        for note_id, uid in gone:
            by_owner.setdefault(owners[note_id], []).append((note_id, uid))
        for owner_id, notes in by_owner.items():
            sequence.bury(session.connection(), owner_id, "note", [uid for _, uid in notes], now)
            events.changed(session, owner_id, [note_id for note_id, _ in notes], "deleted")
        session.commit()
        if store is not None:
            store.remove(files)
    return deleted


def delete_note(
    session: Session, owner_id: int, note_id: int, store: images_service.Store | None = None
) -> None:
    """Delete forever; only a note already in the trash."""
    note = queries.read_note(session, owner_id, note_id)
    if note.trashed_at is None:
        raise ConflictError(
            "Only a note in the trash can be deleted forever; trash it first.", code="not_trashed"
        )
    delete_notes(session, store, Note.id == note.id)


def empty_trash(session: Session, owner_id: int, store: images_service.Store | None = None) -> int:
    """Delete every trashed note of the owner; returns how many."""
    condition = (Note.owner_id == owner_id) & Note.trashed_at.is_not(None)
    return delete_notes(session, store, condition)


def purge_trash(
    session: Session, now: datetime, days: int, store: images_service.Store | None = None
) -> int:
    """Delete notes (of every owner) that have been in the trash longer than ``days``."""
    return delete_notes(session, store, Note.trashed_at < now - timedelta(days=days), now)


def prune_moves(session: Session, now: datetime, max_age: timedelta) -> int:
    """Forget list positions older than any cursor still accepted."""
    result = session.execute(delete(NoteMove).where(NoteMove.moved_at < now - max_age))
    session.commit()
    return result.rowcount


# Bulk actions ----------------------------------------------------------------------------

BULK_MAX = 1000
# What each action makes of a note's fields, for the actions that are an edit.
_BULK_EDITS: dict[str, dict[str, Any]] = {
    "pin": {"pinned": True, "archived": False},
    "unpin": {"pinned": False},
    "archive": {"archived": True, "pinned": False},  # as Keep (and one note's archive) does
    "unarchive": {"archived": False},
}
BULK_ACTIONS = (
    *_BULK_EDITS, "trash", "restore", "delete", "color", "add_label", "remove_label", "copy",
)  # fmt: skip
# The bulk call that takes each action back, on the notes it changed.
_UNDO = {
    "pin": "unpin", "unpin": "pin", "archive": "unarchive", "unarchive": "archive",
    "trash": "restore", "restore": "trash", "add_label": "remove_label",
    "remove_label": "add_label", "color": "color", "copy": "trash",
}  # fmt: skip


@dataclass
class BulkResult:
    """The notes a bulk action changed or made, the ids it deleted, and the call that undoes it."""

    notes: list[NoteRow]
    deleted: list[int]
    undo: dict[str, Any] | None


def _check_bulk(session, owner_id, action, notes, ids, color, colors, pins, label_id) -> None:
    """Refuse the whole request, before anything changes, for any note it cannot apply to."""
    in_trash = action in ("restore", "delete")
    wrong = [note.id for note in notes if (note.trashed_at is not None) != in_trash]
    if wrong:
        where = "outside" if in_trash else "in"
        raise ConflictError(
            f"Note(s) {', '.join(map(str, wrong))} are {where} the trash: {action} applies "
            f"to notes {'in' if in_trash else 'outside'} the trash only.",
            fields={"ids": f"{where} the trash: {', '.join(map(str, wrong))}"},
            code="not_trashed" if in_trash else "trashed",
        )
    fields = {}
    if action == "color" and (color is None) == (colors is None):
        fields["color"] = "give color, or colors with one color per id"
    for name, values in (("colors", colors), ("pins", pins)):
        if values is not None and len(values) != len(ids):
            fields[name] = f"one per id ({len(ids)})"
    if pins is not None and action != "unarchive":
        fields["pins"] = "only with unarchive"
    if colors is not None and action != "color":
        fields["colors"] = "only with color"
    if color is not None and action != "color":
        fields["color"] = "only with color"
    labelled = action in ("add_label", "remove_label")
    if labelled != (label_id is not None):
        fields["label_id"] = "required" if labelled else f"only with {action}"
    if fields:
        raise ValidationError("Invalid bulk request: " + ", ".join(fields) + ".", fields=fields)
    if labelled:
        _label_refs(session, owner_id, [label_id], field="label_id")


def _bulk_edit(note: NoteRow, action: str, color, pin, label_id) -> dict[str, Any] | None:
    """The edit ``action`` makes of this note, or None if it would change nothing."""
    if action in _BULK_EDITS:
        data = dict(_BULK_EDITS[action])
        if pin is not None:
            data["pinned"] = pin
    elif action == "color":
        data = {"color": color}
    else:
        label_ids = [label.id for label in note.labels]
        if (action == "add_label") == (label_id in label_ids):
            return None
        kept = [i for i in label_ids if i != label_id]
        data = {"label_ids": [*kept, label_id] if action == "add_label" else kept}
        return data
    return None if all(getattr(note, k) == v for k, v in data.items()) else data


def bulk_change(
    session: Session,
    owner_id: int,
    ids: Sequence[int],
    action: str,
    now: datetime,
    *,
    color: str | None = None,
    colors: Sequence[str] | None = None,
    pins: Sequence[bool] | None = None,
    label_id: int | None = None,
    store: images_service.Store | None = None,
) -> BulkResult:
    """One action on many notes, all or nothing: one transaction, one undo.

    Each note changes as one edit, trash, restore, copy or delete of it would (the same
    functions do it); a note the action leaves as it was keeps its version. ``colors`` and
    ``pins`` give each note its own color or pin (what an undo puts back).
    """
    if not 1 <= len(ids) <= BULK_MAX or len(set(ids)) != len(ids) or action not in BULK_ACTIONS:
        raise ValidationError("Give 1 to 1,000 distinct note ids and a known action.")
    try:
        notes = queries.owned_notes(session, owner_id, ids)
        _check_bulk(session, owner_id, action, notes, ids, color, colors, pins, label_id)
        if action == "delete":
            session.commit()  # the checks' reads end; deleting runs in its own batches
            condition = (Note.owner_id == owner_id) & Note.trashed_at.is_not(None)
            delete_notes(session, store, condition & Note.id.in_(list(ids)))
            return BulkResult([], list(ids), None)
        if action == "copy":
            with images_service.files_or_nothing(session, store) as written:
                copies = [_copy(session, owner_id, n, now, store, written) for n in notes]
                session.commit()
            return BulkResult(copies, [], {"ids": [copy.id for copy in copies], "action": "trash"})
        before = {note.id: note for note in queries.owned_notes(session, owner_id, ids)}
        result = []
        for i, note in enumerate(notes):
            if action in ("trash", "restore"):
                changed = _set_trashed(session, owner_id, note, action == "trash", now)
            else:
                one_color = colors[i] if colors is not None else color
                data = _bulk_edit(note, action, one_color, pins[i] if pins else None, label_id)
                changed = data is not None
                if changed:
                    write_note(session, owner_id, note, data, now)
            if changed:
                result.append(note)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return BulkResult(result, [], _undo(action, [before[n.id] for n in result], label_id))


def _undo(action: str, old: list[NoteRow], label_id: int | None) -> dict[str, Any] | None:
    """The bulk request that puts these notes back as they were before ``action``."""
    if not old:
        return None
    undo: dict[str, Any] = {"ids": [note.id for note in old], "action": _UNDO[action]}
    if action == "color":
        undo["colors"] = [note.color for note in old]
    elif action == "archive":
        undo["pins"] = [note.pinned for note in old]
    elif action in ("add_label", "remove_label"):
        undo["label_id"] = label_id
    return undo
