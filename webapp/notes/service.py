"""What can be done with notes, as plain functions over a session.

Every function takes the owner's id and scopes every query to it: another owner's note is
simply not found.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, selectinload

from webapp.db.prepared import run
from webapp.errors import ConflictError, NotFoundError, PreconditionFailedError, ValidationError
from webapp.images import pipeline
from webapp.images import service as images_service
from webapp.labels.models import Label
from webapp.notes import queries
from webapp.notes.changes import touch
from webapp.notes.models import ChecklistItem, Note, NoteMove, note_labels
from webapp.notes.rows import ItemRow, LabelRow, NoteRow
from webapp.timeutil import isoformat

_EDITED = ("title", "body", "kind", "color", "pinned", "archived")
# Every column an edit writes (an unchanged search_text leaves the index alone: see 0003).
_SAVED = (*_EDITED, "search_text", "updated_at", "version")


TITLE_MAX = 1000
BODY_MAX_BYTES = 1_000_000
ITEMS_MAX = 1000
ITEM_TEXT_MAX = 10_000
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
    session.add(note)
    return note


def create_note(session: Session, owner_id: int, data: Mapping[str, Any], now: datetime) -> NoteRow:
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
    note = NoteRow(0, "", "", "text", "default", False, False, None, stamp, stamp, 1)
    _apply_to_view(session, owner_id, note, data)
    conn = session.connection()
    values = {f"v_{name}": getattr(note, name) for name in _EDITED}
    note.id = run(conn, _INSERT_NOTE, {
        **values, "v_owner_id": owner_id, "v_uid": str(uuid.uuid4()), "v_created_at": now,
        "v_updated_at": now, "v_version": 1, "v_search_text": search_text(note),
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


# Parameters named apart from the columns: SQLAlchemy keeps a column's own name for itself.
_ADD_MOVE = insert(NoteMove).values(
    {
        name: bindparam(f"v_{name}")
        for name in ("note_id", "moved_at", "old_pinned", "old_updated_at")
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
    .where(
        Label.owner_id == bindparam("owner_id"), Label.id.in_(queries.JSON_IDS.scalar_subquery())
    )
    .order_by(Label.name_key)
)


def _label_refs(session: Session, owner_id: int, label_ids: Sequence[int]) -> list[LabelRow]:
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
    return [LabelRow(label_id, name) for label_id, name in rows]


def update_note(
    session: Session,
    owner_id: int,
    note_id: int,
    data: Mapping[str, Any],
    now: datetime,
    if_match: int | None = None,
) -> NoteRow:
    """Change any subset of a note's fields; with ``if_match``, only if nobody else did.

    Core statements, not the ORM's unit of work: a note is read, then written with one
    UPDATE (and its items or labels replaced when given), which costs a fraction of a flush.
    """
    _check_values(data)
    note = queries.read_note(session, owner_id, note_id)
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
    session: Session, owner_id: int, note: NoteRow, data: Mapping[str, Any], now: datetime
) -> None:
    """The one way a note's fields change, uncommitted: the view and its row, a new version."""
    old_pinned, old_updated_at = note.pinned, datetime.fromisoformat(note.updated_at)
    _apply_to_view(session, owner_id, note, data)
    # As ``touch``: the old place in the list, and edit times that only move forward.
    updated_at = max(now, old_updated_at + timedelta(microseconds=1))
    note.version += 1
    note.updated_at = isoformat(updated_at)

    conn = session.connection()
    run(conn, _ADD_MOVE, {"v_note_id": note.id, "v_moved_at": now, "v_old_pinned": old_pinned,
                          "v_old_updated_at": old_updated_at})  # fmt: skip
    values = {f"v_{name}": getattr(note, name) for name in _EDITED}
    run(conn, _SAVE_NOTE, {**values, "note_id": note.id, "v_search_text": search_text(note),
                           "v_updated_at": updated_at, "v_version": note.version})  # fmt: skip
    if "items" in data:
        run(conn, _DELETE_ITEMS, {"note_id": note.id})
    if "label_ids" in data:
        run(conn, _DELETE_LABELS, {"note_id": note.id})
    _write_children(conn, note, data)


def _apply_to_view(session: Session, owner_id: int, note: NoteRow, data) -> None:
    """Validated JSON fields onto a view (labels checked to be the owner's)."""
    for name in _EDITED:
        if name in data:
            setattr(note, name, data[name])
    if "items" in data:
        note.items = [
            ItemRow(item["text"], bool(item.get("checked", False))) for item in data["items"]
        ]
    if "label_ids" in data:
        note.labels = _label_refs(session, owner_id, data["label_ids"])


def _write_children(conn, note: NoteRow, data) -> None:
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
    if labelled and not session.scalar(
        select(Label.id).where(Label.owner_id == owner_id, Label.id == label_id)
    ):
        raise ValidationError(
            f"Unknown label id: {label_id}.", fields={"label_id": f"unknown label id: {label_id}"}
        )


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
            _delete_where(session, store, condition & Note.id.in_(list(ids)))
            return BulkResult([], list(ids), None)
        if action == "copy":
            return _bulk_copy(session, owner_id, ids, now, store)
        before = {note.id: note for note in queries.owned_notes(session, owner_id, ids)}
        if action in ("trash", "restore"):
            sources = load_notes(session, list(ids))
            changed = [n.id for n in sources if _set_trashed(session, n, action == "trash", now)]
            session.commit()
            result = queries.owned_notes(session, owner_id, changed) if changed else []
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
    return BulkResult(
        queries.owned_notes(session, owner_id, made), [], {"ids": made, "action": "trash"}
    )


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
