"""What can be done with notes, as plain functions over a session.

Every function takes the owner's id and scopes every query to it: another owner's note is
simply not found.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, selectinload

from webapp.errors import ConflictError, NotFoundError, PreconditionFailedError, ValidationError
from webapp.images import pipeline
from webapp.images import service as images_service
from webapp.images.models import Image
from webapp.labels.models import Label
from webapp.notes import cursor as cursors
from webapp.notes import order as placing
from webapp.notes.changes import touch
from webapp.notes.models import (
    COLORS,
    KINDS,
    POSITION_KEY,
    ChecklistItem,
    Note,
    NoteMove,
    note_labels,
)
from webapp.notes.prepared import Prepared, run
from webapp.notes.views import ImageView, ItemView, LabelView, NoteView, iso_stored
from webapp.search import index as search_index
from webapp.search import query as search_query
from webapp.search.budget import bounded
from webapp.timeutil import UTCDateTime, isoformat

_EDITED = ("title", "body", "kind", "color", "pinned", "archived")
# Every column an edit writes (an unchanged search_text leaves the index alone: see 0003).
_SAVED = (*_EDITED, "search_text", "updated_at", "version", "position")

_VIEW_COLUMNS = (
    Note.id, Note.title, Note.body, Note.kind, Note.color, Note.pinned, Note.archived,
    Note.trashed_at, Note.created_at, Note.updated_at, Note.version, Note.position,
)  # fmt: skip
# On SQLite the ids travel as one JSON parameter: an expanding IN of 100 parameters costs
# SQLAlchemy more than the queries themselves.
_JSON_IDS = select(func.json_each(bindparam("ids")).table_valued("value").c.value)

TITLE_MAX = 1000
BODY_MAX_BYTES = 1_000_000
ITEMS_MAX = 1000
ITEM_TEXT_MAX = 10_000
QUERY_MAX = 1000
LIMIT_DEFAULT = 30
LIMIT_MAX = 100
# "notes" is what a search from Notes covers, as in Keep: active and archived, not the trash.
STATES = ("active", "archived", "trashed", "notes")
EDITABLE = ("title", "body", "kind", "items", "color", "pinned", "archived", "label_ids")


def search_text(note: Note) -> str:
    """What ``q`` is matched against: title, body, items and labels, case-folded."""
    parts = [note.title or "", note.body or ""]
    parts += [item.text for item in note.items] + [label.name for label in note.labels]
    return "\n".join(parts).casefold()


def refresh_search_text(session: Session, note_ids: Sequence[int]) -> None:
    """Recompute the searched text of these notes (after a label was renamed or deleted)."""
    for note in load_notes(session, list(note_ids)):
        note.search_text = search_text(note)


def _check_values(data: Mapping[str, Any]) -> None:
    """Limits the JSON schema cannot express (bytes, not characters)."""
    body = data.get("body")
    if body is not None and len(body.encode("utf-8")) > BODY_MAX_BYTES:
        raise ValidationError(
            "The note's text is over 1 MB.", fields={"body": "at most 1,000,000 bytes"}
        )


def _labels_for(session: Session, owner_id: int, label_ids: Sequence[int]) -> list[Label]:
    wanted = list(dict.fromkeys(label_ids))
    if not wanted:
        return []
    found = session.scalars(
        select(Label).where(Label.owner_id == owner_id, Label.id.in_(wanted))
    ).all()
    missing = sorted(set(wanted) - {label.id for label in found})
    if missing:
        raise ValidationError(
            f"Unknown label id(s): {', '.join(map(str, missing))}.",
            fields={"label_ids": f"unknown label id(s): {', '.join(map(str, missing))}"},
        )
    return list(found)


def _apply(session: Session, owner_id: int, note: Note, data: Mapping[str, Any]) -> None:
    for name in ("title", "body", "kind", "color", "pinned", "archived"):
        if name in data:
            setattr(note, name, data[name])
    if "items" in data:
        note.items = [
            ChecklistItem(position=i, text=item["text"], checked=bool(item.get("checked", False)))
            for i, item in enumerate(data["items"])
        ]
    if "label_ids" in data:
        note.labels = _labels_for(session, owner_id, data["label_ids"])
    note.search_text = search_text(note)


def is_empty(data: Mapping[str, Any]) -> bool:
    return not (
        (data.get("title") or "").strip()
        or (data.get("body") or "").strip()
        or any(item["text"].strip() for item in data.get("items") or [])
    )


def _new_note(session: Session, owner_id: int, data: Mapping[str, Any], now: datetime) -> Note:
    note = Note(owner_id=owner_id, created_at=now, updated_at=now, version=1)
    note.title, note.body, note.kind, note.color = "", "", "text", "default"
    note.pinned = note.archived = False
    _apply(session, owner_id, note, data)
    note.position = placing.first_key(session, owner_id, note.pinned)  # own order: first
    session.add(note)
    return note


def create_note(
    session: Session, owner_id: int, data: Mapping[str, Any], now: datetime
) -> NoteView:
    """A new note from validated JSON fields; an empty note is refused.

    Core statements, as ``update_note``: one INSERT (and its items and labels, if any).
    """
    _check_values(data)
    if is_empty(data):
        raise ValidationError(
            "An empty note is not saved: give it a title, text or a checklist item.",
            code="empty_note",
        )
    stamp = isoformat(now)
    note = NoteView(0, "", "", "text", "default", False, False, None, stamp, stamp, 1)
    _apply_to_view(session, owner_id, note, data)
    note.position = placing.first_key(session, owner_id, note.pinned)  # own order: first
    conn = session.connection()
    values = {f"v_{name}": getattr(note, name) for name in _EDITED}
    note.id = run(conn, _INSERT_NOTE, {
        **values, "v_owner_id": owner_id, "v_uid": str(uuid.uuid4()), "v_created_at": now,
        "v_updated_at": now, "v_version": 1, "v_search_text": search_text(note),
        "v_position": note.position,
    }).scalar_one()  # fmt: skip
    _write_children(conn, note, data)
    session.commit()
    return note


def create_note_with_images(
    session: Session,
    store: images_service.Store,
    work: pipeline.ImageWork,
    owner_id: int,
    data: Mapping[str, Any],
    uploads: Sequence[tuple[str, Any]],
    now: datetime,
) -> Note:
    """A new note holding these images (a pasted screenshot, say): its images are its content.

    The images are decoded before the note's transaction, which then only adds rows and
    moves files in.
    """
    _check_values(data)
    if not uploads:
        raise ValidationError(
            "Send one or more image files in the field `file`.", fields={"file": "required"}
        )
    if len(uploads) > images_service.IMAGES_PER_NOTE:
        raise ValidationError(f"A note holds at most {images_service.IMAGES_PER_NOTE} images.")
    # End the transaction a login check began (a writing request's takes the write lock):
    # decoding must not hold it. The note's transaction begins after, with its first statement.
    session.commit()
    staged = images_service.prepare(store, work, [stream for _, stream in uploads])
    written = [name for item in staged for name in item.names]
    try:
        note = _new_note(session, owner_id, data, now)
        session.flush()
        images_service.attach(session, store, note, staged, 0, now, written)
        session.commit()
    except BaseException:
        session.rollback()
        store.remove(written)
        raise
    return note


def get_note(session: Session, owner_id: int, note_id: int) -> Note:
    """The owner's note with its items, labels and images, read before anything changes.

    Loaded up front, the collections serialising and searching read cost no lazy loads (and
    no autoflush in the middle of an edit).
    """
    note = session.scalar(
        select(Note)
        .where(Note.id == note_id, Note.owner_id == owner_id)
        .options(selectinload(Note.items), selectinload(Note.labels), selectinload(Note.images))
    )
    if note is None:
        raise NotFoundError(f"Note {note_id} does not exist.")
    return note


_NOTE_BY_ID = select(*_VIEW_COLUMNS).where(
    Note.id == bindparam("note_id"), Note.owner_id == bindparam("owner_id")
)
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
)
_INSERT_NOTE = (
    insert(Note)
    .values({name: bindparam(f"v_{name}") for name in ("owner_id", "uid", "created_at", *_SAVED)})
    .returning(Note.id)
)
_DELETE_ITEMS = delete(ChecklistItem).where(ChecklistItem.note_id == bindparam("note_id"))
_DELETE_LABELS = delete(note_labels).where(note_labels.c.note_id == bindparam("note_id"))
_LABEL_REFS = (
    select(Label.id, Label.name)
    .where(Label.owner_id == bindparam("owner_id"), Label.id.in_(_JSON_IDS.scalar_subquery()))
    .order_by(Label.name_key)
)


def read_note(session: Session, owner_id: int, note_id: int) -> NoteView:
    """The owner's note with its items, labels and images, as lists show it: two queries."""
    conn = session.connection()
    row = run(conn, _NOTE_BY_ID, {"note_id": note_id, "owner_id": owner_id}).first()
    if row is None:
        raise NotFoundError(f"Note {note_id} does not exist.")
    return with_children(session, [_view(row, conn.dialect.name == "sqlite")])[0]


def _label_refs(session: Session, owner_id: int, label_ids: Sequence[int]) -> list[LabelView]:
    """The owner's labels of these ids, in the notes' label order; unknown ids are a 400."""
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
            fields={"label_ids": f"unknown label id(s): {', '.join(map(str, missing))}"},
        )
    return [LabelView(label_id, name) for label_id, name in rows]


def update_note(
    session: Session,
    owner_id: int,
    note_id: int,
    data: Mapping[str, Any],
    now: datetime,
    if_match: int | None = None,
) -> NoteView:
    """Change any subset of a note's fields; with ``if_match``, only if nobody else did.

    Core statements, not the ORM's unit of work: a note is read, then written with one
    UPDATE (and its items or labels replaced when given), which costs a fraction of a flush.
    """
    _check_values(data)
    note = read_note(session, owner_id, note_id)
    if if_match is not None and note.version != if_match:
        raise PreconditionFailedError(
            f"The note changed elsewhere (now version {note.version}, you had {if_match}).",
            fields={"version": str(note.version)},
            code="version_conflict",
        )
    _edit(session, owner_id, note, data, now)
    session.commit()
    return note


def _edit(
    session: Session, owner_id: int, note: NoteView, data: Mapping[str, Any], now: datetime
) -> None:
    """The one way a note's fields change, uncommitted: the view and its row, a new version."""
    old_pinned, old_updated_at = note.pinned, datetime.fromisoformat(note.updated_at)
    old_position = note.position
    _apply_to_view(session, owner_id, note, data)
    if note.pinned != old_pinned:  # own order: pinned or unpinned, the note goes first there
        note.position = placing.first_key(session, owner_id, note.pinned)
    # As ``touch``: the old place in the list, and edit times that only move forward.
    updated_at = max(now, old_updated_at + timedelta(microseconds=1))
    note.version += 1
    note.updated_at = isoformat(updated_at)

    conn = session.connection()
    run(conn, _ADD_MOVE, {"v_note_id": note.id, "v_moved_at": now, "v_old_pinned": old_pinned,
                          "v_old_updated_at": old_updated_at,
                          "v_old_position": old_position})  # fmt: skip
    values = {f"v_{name}": getattr(note, name) for name in _EDITED}
    run(conn, _SAVE_NOTE, {**values, "note_id": note.id, "v_search_text": search_text(note),
                           "v_updated_at": updated_at, "v_version": note.version,
                           "v_position": note.position})  # fmt: skip
    if "items" in data:
        run(conn, _DELETE_ITEMS, {"note_id": note.id})
    if "label_ids" in data:
        run(conn, _DELETE_LABELS, {"note_id": note.id})
    _write_children(conn, note, data)


def _apply_to_view(session: Session, owner_id: int, note: NoteView, data) -> None:
    """Validated JSON fields onto a view (labels checked to be the owner's)."""
    for name in _EDITED:
        if name in data:
            setattr(note, name, data[name])
    if "items" in data:
        note.items = [
            ItemView(item["text"], bool(item.get("checked", False))) for item in data["items"]
        ]
    if "label_ids" in data:
        note.labels = _label_refs(session, owner_id, data["label_ids"])


def _write_children(conn, note: NoteView, data) -> None:
    """Insert the view's items and labels, where ``data`` gave them."""
    if "items" in data and note.items:
        conn.execute(insert(ChecklistItem), [
            {"note_id": note.id, "position": i, "text": item.text, "checked": item.checked}
            for i, item in enumerate(note.items)
        ])  # fmt: skip
    if "label_ids" in data and note.labels:
        conn.execute(
            insert(note_labels),
            [{"note_id": note.id, "label_id": label.id} for label in note.labels],
        )


def _set_trashed(session: Session, note: Note, trashed: bool, now: datetime) -> bool:
    """Into or out of the trash, uncommitted; False if the note was there already."""
    if (note.trashed_at is not None) == trashed:
        return False
    touch(session, note, now)
    note.trashed_at = now if trashed else None
    return True


def trash_note(session: Session, owner_id: int, note_id: int, now: datetime) -> Note:
    note = get_note(session, owner_id, note_id)
    if _set_trashed(session, note, True, now):
        session.commit()
    return note


def restore_note(session: Session, owner_id: int, note_id: int, now: datetime) -> Note:
    note = get_note(session, owner_id, note_id)
    if _set_trashed(session, note, False, now):
        session.commit()
    return note


# Notes deleted per transaction. SQLite writes a transaction's pages to its write-ahead log
# first, and starts the log over once a commit was checkpointed: in batches, emptying a large
# trash needs the room of one batch, which a full disk's reserve holds (the whole of 1,000
# notes wrote 4.8 MB to the log, more than the reserve).
DELETE_BATCH = 100


def _delete_where(session: Session, store: images_service.Store | None, condition) -> int:
    """Delete the notes matching ``condition`` with their images' files (after each commit),
    ``DELETE_BATCH`` notes at a time."""
    ids = session.scalars(select(Note.id).where(condition).order_by(Note.id)).all()
    deleted = 0
    for start in range(0, len(ids), DELETE_BATCH):
        # The condition again: a note restored meanwhile by another request stays.
        batch = condition & Note.id.in_(ids[start : start + DELETE_BATCH])
        files = images_service.file_names_of_notes(session, batch)
        deleted += session.execute(delete(Note).where(batch)).rowcount
        session.commit()
        if store is not None:
            store.remove(files)
    return deleted


def delete_note(
    session: Session, owner_id: int, note_id: int, store: images_service.Store | None = None
) -> None:
    """Delete forever; only a note already in the trash."""
    note = get_note(session, owner_id, note_id)
    if note.trashed_at is None:
        raise ConflictError(
            "Only a note in the trash can be deleted forever; trash it first.", code="not_trashed"
        )
    _delete_where(session, store, Note.id == note.id)


def empty_trash(session: Session, owner_id: int, store: images_service.Store | None = None) -> int:
    """Delete every trashed note of the owner; returns how many."""
    condition = (Note.owner_id == owner_id) & Note.trashed_at.is_not(None)
    return _delete_where(session, store, condition)


def purge_trash(
    session: Session, now: datetime, days: int, store: images_service.Store | None = None
) -> int:
    """Delete notes (of every owner) that have been in the trash longer than ``days``."""
    return _delete_where(session, store, Note.trashed_at < now - timedelta(days=days))


def prune_moves(session: Session, now: datetime, max_age: timedelta) -> int:
    """Forget list positions older than any cursor still accepted."""
    result = session.execute(delete(NoteMove).where(NoteMove.moved_at < now - max_age))
    session.commit()
    return result.rowcount


def copy_note(
    session: Session,
    owner_id: int,
    note_id: int,
    now: datetime,
    store: images_service.Store | None = None,
) -> Note:
    """Keep's "Make a copy": same content, color and labels, in the notes list."""
    source = get_note(session, owner_id, note_id)
    if source.trashed_at is not None:
        raise ConflictError("A note in the trash cannot be copied; restore it first.")
    written: list[str] = []
    try:
        copy = _copy(session, owner_id, source, now, store, written)
        session.commit()
    except BaseException:  # a full disk, say: no copied file is left without its note
        session.rollback()
        if store is not None:
            store.remove(written)
        raise
    return copy


def _copy(
    session: Session,
    owner_id: int,
    source: Note,
    now: datetime,
    store: images_service.Store | None,
    written: list[str],
) -> Note:
    """A copy of ``source``, flushed and uncommitted; its image files are named in ``written``."""
    copy = Note(
        owner_id=owner_id,
        title=source.title,
        body=source.body,
        kind=source.kind,
        color=source.color,
        pinned=source.pinned,
        archived=False,
        created_at=now,
        updated_at=now,
        version=1,
        search_text=source.search_text,
        # Right above the original, as Keep puts a copy (archived: first among the notes).
        position=(
            placing.first_key(session, owner_id, source.pinned)
            if source.archived
            else placing.key_above(session, owner_id, source.pinned, source.position)
        ),
        items=[
            ChecklistItem(position=i.position, text=i.text, checked=i.checked) for i in source.items
        ],
        labels=list(source.labels),
    )
    session.add(copy)
    session.flush()
    if store is not None:
        images_service.copy_images(session, store, source.id, copy.id, written)
    return copy


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

    notes: list[NoteView]
    deleted: list[int]
    undo: dict[str, Any] | None


def _owned_views(session: Session, owner_id: int, ids: Sequence[int]) -> list[NoteView]:
    """The owner's notes of these ids in the given order; any other id is a 404."""
    conn = session.connection()
    rows = conn.execute(
        select(*_VIEW_COLUMNS).where(Note.owner_id == owner_id, Note.id.in_(list(ids)))
    ).all()
    by_id = {row[0]: _view(row, False) for row in rows}
    # Another owner's note answers as one that never existed: the same 404, the same words.
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFoundError(
            f"Note(s) {', '.join(map(str, missing))} do not exist.",
            fields={"ids": f"unknown note id(s): {', '.join(map(str, missing))}"},
        )
    return with_children(session, [by_id[i] for i in ids])


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
    if labelled and not session.scalar(
        select(Label.id).where(Label.owner_id == owner_id, Label.id == label_id)
    ):
        raise ValidationError(
            f"Unknown label id: {label_id}.", fields={"label_id": f"unknown label id: {label_id}"}
        )


def _bulk_edit(note: NoteView, action: str, color, pin, label_id) -> dict[str, Any] | None:
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
        notes = _owned_views(session, owner_id, ids)
        _check_bulk(session, owner_id, action, notes, ids, color, colors, pins, label_id)
        if action == "delete":
            session.commit()  # the checks' reads end; deleting runs in its own batches
            condition = (Note.owner_id == owner_id) & Note.trashed_at.is_not(None)
            _delete_where(session, store, condition & Note.id.in_(list(ids)))
            return BulkResult([], list(ids), None)
        if action == "copy":
            return _bulk_copy(session, owner_id, ids, now, store)
        before = {note.id: note for note in _owned_views(session, owner_id, ids)}
        if action in ("trash", "restore"):
            sources = load_notes(session, list(ids))
            changed = [n.id for n in sources if _set_trashed(session, n, action == "trash", now)]
            session.commit()
            result = _owned_views(session, owner_id, changed) if changed else []
        else:
            result = []
            for i, note in enumerate(notes):
                one_color = colors[i] if colors is not None else color
                data = _bulk_edit(note, action, one_color, pins[i] if pins else None, label_id)
                if data is not None:
                    _edit(session, owner_id, note, data, now)
                    result.append(note)
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return BulkResult(result, [], _undo(action, [before[n.id] for n in result], label_id))


def _undo(action: str, old: list[NoteView], label_id: int | None) -> dict[str, Any] | None:
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


def _bulk_copy(session, owner_id, ids, now, store) -> BulkResult:
    """Keep's "Make a copy" of each note, in one transaction."""
    written: list[str] = []
    try:
        copies = [
            _copy(session, owner_id, n, now, store, written) for n in load_notes(session, ids)
        ]
        session.commit()
    except BaseException:
        session.rollback()
        if store is not None:
            store.remove(written)
        raise
    made = [copy.id for copy in copies]
    return BulkResult(_owned_views(session, owner_id, made), [], {"ids": made, "action": "trash"})


# Listing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """What a list query's SQL depends on; its values are bound parameters.

    On SQLite each shape's statements are built and compiled once (``Prepared``): building
    and compiling them per request cost more than running them.
    """

    state: str
    label: bool  # a label filter the driver does not already apply
    color: bool
    kind: bool
    has_image: bool | None
    include: int
    exclude: int
    driver: str | None  # "text", "grams" or "label": the candidate set that drives
    after: bool  # a later page: the keyset condition
    order: str = "edited"  # "own" (by position) or "edited" (by updated_at)


def _conditions(shape: _Shape, dialect: str, v: Mapping[str, Any]) -> list:
    """The conditions of a list request; ``v`` names each value: a bound parameter or itself."""
    # A driven query must not walk the list-order index: "+owner_id" keeps SQLite off it.
    owner = literal_column("+notes.owner_id") if shape.driver else Note.owner_id
    conditions = [owner == v["owner_id"]]
    conditions += search_index.term_conditions(
        [v[f"include_{i}"] for i in range(shape.include)],
        [v[f"exclude_{i}"] for i in range(shape.exclude)],
        dialect,
    )
    if shape.label:
        conditions.append(search_index.label_condition(v["label_id"]))
    if shape.driver:
        conditions.append(search_index.driver_condition(shape.driver, v["driver"]))
    if shape.state == "active":
        conditions += [Note.trashed_at.is_(None), Note.archived.is_(False)]
    elif shape.state == "archived":
        conditions += [Note.trashed_at.is_(None), Note.archived.is_(True)]
    elif shape.state == "notes":
        conditions.append(Note.trashed_at.is_(None))
    else:
        conditions.append(Note.trashed_at.is_not(None))
    if shape.color:
        conditions.append(Note.color == v["color"])
    if shape.kind:
        conditions.append(Note.kind == v["kind"])
    if shape.has_image is not None:
        with_image = select(Image.id).where(Image.note_id == Note.id).exists()
        conditions.append(with_image if shape.has_image else ~with_image)
    return conditions


def _statements(shape: _Shape, dialect: str, v: Mapping[str, Any]):
    """The page's two queries: notes unchanged since the walk began, and notes moved since."""
    conditions = _conditions(shape, dialect, v)
    # The own order sorts by position where the order by last edit sorts by updated_at; a
    # change of either (an edit, a move, a pin) records a ``NoteMove`` and bumps updated_at.
    place, old_place = (
        (Note.position, NoteMove.old_position)
        if shape.order == "own"
        else (Note.updated_at, NoteMove.old_updated_at)
    )
    # Notes unchanged since the walk began stand where their columns say.
    unchanged = select(*_VIEW_COLUMNS).where(*conditions, Note.updated_at <= v["as_of"])
    if shape.after:
        unchanged = unchanged.where(tuple_(Note.pinned, place, Note.id) < v["after"])
    order = (Note.pinned.desc(), place.desc(), Note.id.desc())
    unchanged = unchanged.order_by(*order).limit(v["limit"])
    if not shape.after:
        return unchanged, None
    # Notes changed since stand where their first recorded move says they stood.
    first = (
        select(NoteMove.note_id, func.min(NoteMove.id).label("move_id"))
        .where(NoteMove.moved_at > v["as_of"])
        .group_by(NoteMove.note_id)
        .subquery()
    )
    moved = (
        select(NoteMove.old_pinned, old_place, *_VIEW_COLUMNS)
        .select_from(first)
        .join(NoteMove, NoteMove.id == first.c.move_id)
        .join(Note, Note.id == first.c.note_id)
        .where(
            *conditions,
            Note.updated_at > v["as_of"],
            NoteMove.old_updated_at <= v["as_of"],
            tuple_(NoteMove.old_pinned, old_place, Note.id) < v["after"],
        )
        .order_by(NoteMove.old_pinned.desc(), old_place.desc(), Note.id.desc())
        .limit(v["limit"])
    )
    return unchanged, moved


_TIME = UTCDateTime()


def _parameters(shape: _Shape):
    """Bound parameters for every value a shape's statements use."""
    v = {
        name: bindparam(name)
        for name in ("owner_id", "label_id", "color", "kind", "driver", "limit")
    }
    v |= {f"include_{i}": bindparam(f"include_{i}") for i in range(shape.include)}
    v |= {f"exclude_{i}": bindparam(f"exclude_{i}") for i in range(shape.exclude)}
    v["as_of"] = bindparam("as_of", type_=_TIME)
    v["after"] = tuple_(
        bindparam("after_pinned", type_=Boolean()),
        bindparam("after_place", type_=POSITION_KEY if shape.order == "own" else _TIME),
        bindparam("after_id", type_=Integer()),
    )
    return v


@lru_cache(maxsize=256)
def _prepared(shape: _Shape, dialect: Dialect) -> tuple[Prepared, Prepared | None]:
    unchanged, moved = _statements(shape, dialect.name, _parameters(shape))
    return Prepared(unchanged, dialect), Prepared(moved, dialect) if moved is not None else None


def check_list_args(
    state: str, color: str | None, kind: str | None, q: str | None, limit: int
) -> None:
    fields = {}
    if state not in STATES:
        fields["state"] = f"one of {', '.join(STATES)}"
    if color is not None and color not in COLORS:
        fields["color"] = f"one of {', '.join(COLORS)}"
    if kind is not None and kind not in KINDS:
        fields["kind"] = f"one of {', '.join(KINDS)}"
    if q is not None and len(q) > QUERY_MAX:
        fields["q"] = f"at most {QUERY_MAX} characters"
    if not 1 <= limit <= LIMIT_MAX:
        fields["limit"] = f"from 1 to {LIMIT_MAX}"
    if fields:
        raise ValidationError("Invalid query parameters: " + ", ".join(fields) + ".", fields=fields)


def list_notes(
    session: Session,
    owner_id: int,
    now: datetime,
    *,
    state: str = "active",
    label_id: int | None = None,
    color: str | None = None,
    kind: str | None = None,
    has_image: bool | None = None,
    q: str | None = None,
    limit: int = LIMIT_DEFAULT,
    cursor: str | None = None,
    cursor_max_age: timedelta = timedelta(days=1),
    search_timeout_ms: int | None = None,
    order: str = "own",
) -> tuple[list[NoteView], str | None]:
    """One page of notes in list order and the cursor of the next page (None at the end).

    ``q`` is parsed by ``webapp.search.query``: every word must match, "a phrase" matches as
    typed and -word excludes. A walk sees the list as it stood when its first page was read:
    notes created since are left for the next walk, and a note changed since (which moved it
    to the top) is still returned where it stood, so no note is returned twice or skipped.
    A search's statements stop after ``search_timeout_ms`` (``SearchTooCostlyError``, 503).
    ``order`` is "own" (the person's, by position) or "edited" (by last edit); the trash is
    always by last change (the latest trashed first), and a walk keeps its cursor's order.
    """
    check_list_args(state, color, kind, q, limit)
    after = cursors.decode(cursor) if cursor else None
    order = after.order if after else "edited" if state == "trashed" else order
    if after is not None and after.as_of < now - cursor_max_age:
        raise ValidationError(
            "This list is too old to continue; start again from the first page.",
            fields={"cursor": "expired"},
            code="cursor_expired",
        )
    as_of = after.as_of if after else now
    query = search_query.parse(q)
    conn = session.connection()
    with bounded(conn, search_timeout_ms if query else None):
        found = _find(
            conn, query, owner_id, state=state, label_id=label_id, color=color, kind=kind,
            has_image=has_image, limit=limit, after=after, as_of=as_of, order=order,
        )  # fmt: skip
    page, more = found[:limit], len(found) > limit
    raw = conn.dialect.name == "sqlite"
    notes = with_children(session, [_view(row, raw) for _, row in page])
    next_cursor = None
    if more:
        pinned, place, last_id = page[-1][0]
        if order == "edited" and raw:
            place = _stored_time(place)
        key = cursors.SortKey(bool(pinned), place, last_id)
        next_cursor = cursors.encode(cursors.Cursor(key, as_of, order))
    return notes, next_cursor


def _find(
    conn, query, owner_id, *, state, label_id, color, kind, has_image, limit, after, as_of, order
):
    """Up to ``limit + 1`` rows of the page as ``(sort key, row)``, in list order."""
    driver = search_index.choose_driver(conn, query, label_id, owner_id)
    shape = _Shape(
        state=state,
        label=label_id is not None and (driver is None or driver[0] != "label"),
        color=color is not None,
        kind=kind is not None,
        has_image=has_image,
        include=len(query.include),
        exclude=len(query.exclude),
        driver=driver[0] if driver else None,
        after=after is not None,
        order=order,
    )
    values = {
        "owner_id": owner_id, "label_id": label_id, "color": color, "kind": kind,
        "driver": driver[1] if driver else None, "as_of": as_of, "limit": limit + 1,
        **{f"include_{i}": term for i, term in enumerate(query.include)},
        **{f"exclude_{i}": term for i, term in enumerate(query.exclude)},
    }  # fmt: skip
    if after:
        key = after.after
        values |= {"after_pinned": key.pinned, "after_place": key.place,
                   "after_id": key.id}  # fmt: skip
    raw = conn.dialect.name == "sqlite"
    if raw:
        unchanged, moved = _prepared(shape, conn.dialect)
        fetch = lambda prepared: prepared.execute(conn, values).all()  # noqa: E731
    else:
        # Other databases: built per request with the values in place (a LIKE pattern's
        # escaping, for one, needs the term itself).
        unchanged, moved = _statements(shape, conn.dialect.name, {
            **values, "after": tuple_(*after.after.as_tuple()) if after else None
        })  # fmt: skip
        fetch = lambda statement: conn.execute(statement).all()  # noqa: E731

    # (pinned, updated_at or position, id): raw rows sort by SQLite's text, which orders as
    # the times do; keys sort as their code points, as SQLite's and PostgreSQL's "C" compare.
    place = 11 if order == "own" else 9
    found = [((row[5], row[place], row[0]), row) for row in fetch(unchanged)]
    # The moves since the walk began are few and indexed by time, so they drive this query;
    # usually there are none, which one prepared statement tells.
    if after and run(conn, _MOVED_SINCE, {"as_of": as_of}).first() is not None:
        found += [((r[0], r[1], r[2]), r[2:]) for r in fetch(moved)]
        found.sort(key=lambda entry: entry[0], reverse=True)
    return found


_MOVED_SINCE = select(NoteMove.id).where(NoteMove.moved_at > bindparam("as_of")).limit(1)


def _stored_time(text: str | None) -> datetime | None:
    """A timestamp as SQLite keeps it (``2026-11-25 13:49:19.123456``, UTC) as a datetime."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _view(row, raw: bool) -> NoteView:
    """A list row as a view: raw SQLite rows carry text timestamps and 0/1 booleans."""
    id_, title, body, kind, color, pinned, archived, trashed, created, updated, version, pos = row
    if raw:
        trashed, created, updated = iso_stored(trashed), iso_stored(created), iso_stored(updated)
    else:
        trashed, created, updated = isoformat(trashed), isoformat(created), isoformat(updated)
    return NoteView(id_, title, body, kind, color, bool(pinned), bool(archived), trashed,
                    created, updated, version, pos)  # fmt: skip


def _child_statements(ids):
    """Items, labels and images of the notes in an id-list expression (built once)."""
    items = (
        select(ChecklistItem.note_id, ChecklistItem.text, ChecklistItem.checked)
        .where(ChecklistItem.note_id.in_(ids))
        .order_by(ChecklistItem.position)
    )
    labels = (
        select(note_labels.c.note_id, Label.id, Label.name)
        .join(Label, Label.id == note_labels.c.label_id)
        .where(note_labels.c.note_id.in_(ids))
        .order_by(Label.name_key)
    )
    images = (
        select(Image.note_id, Image.id, Image.width, Image.height, Image.content_type)
        .where(Image.note_id.in_(ids))
        .order_by(Image.position)
    )
    return items, labels, images


def _children_in_one(ids):
    """Items (0), labels (1) and images (2) of the notes, in one statement and in order."""
    null = literal(None)
    items = select(
        literal(0).label("part"), ChecklistItem.note_id, ChecklistItem.position.label("place"),
        ChecklistItem.text, ChecklistItem.checked, null, null,
    ).where(ChecklistItem.note_id.in_(ids))  # fmt: skip
    labels = (
        select(literal(1), note_labels.c.note_id, Label.name_key, Label.id, Label.name, null, null)
        .join(Label, Label.id == note_labels.c.label_id)
        .where(note_labels.c.note_id.in_(ids))
    )
    images = select(
        literal(2), Image.note_id, Image.position, Image.id, Image.width, Image.height,
        Image.content_type,
    ).where(Image.note_id.in_(ids))  # fmt: skip
    return union_all(items, labels, images).order_by("part", "place")


_SQLITE_CHILDREN = _children_in_one(_JSON_IDS.scalar_subquery())
_PORTABLE_CHILDREN = _child_statements(bindparam("ids", expanding=True))


def with_children(session: Session, views: list[NoteView]) -> list[NoteView]:
    """Fill the views' items, labels and images: one query on SQLite, three elsewhere."""
    if not views:
        return views
    ids = [view.id for view in views]
    conn = session.connection()
    by_id = {view.id: view for view in views}
    if conn.dialect.name == "sqlite":
        rows = run(conn, _SQLITE_CHILDREN, {"ids": json.dumps(ids)})
        for part, note_id, _, a, b, c, d in rows.fetchall():
            view = by_id[note_id]
            if part == 0:
                view.items.append(ItemView(a, bool(b)))
            elif part == 1:
                view.labels.append(LabelView(a, b))
            else:
                view.images.append(ImageView(a, b, c, d))
        return views
    items, labels, images = _PORTABLE_CHILDREN
    params = {"ids": ids}
    for note_id, text_, checked in conn.execute(items, params):
        by_id[note_id].items.append(ItemView(text_, checked))
    for note_id, label_id, name in conn.execute(labels, params):
        by_id[note_id].labels.append(LabelView(label_id, name))
    for note_id, *image in conn.execute(images, params):
        by_id[note_id].images.append(ImageView(*image))
    return views


def load_notes(session: Session, ids: Sequence[int]) -> list[Note]:
    """ORM notes by id, in the given order, with items and labels in two more queries."""
    if not ids:
        return []
    rows = session.scalars(
        select(Note)
        .where(Note.id.in_(ids))
        .options(selectinload(Note.items), selectinload(Note.labels))
    ).all()
    by_id = {note.id: note for note in rows}
    return [by_id[i] for i in ids if i in by_id]
