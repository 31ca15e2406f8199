"""What can be done with notes, as plain functions over a session.

Every function takes the owner's id and scopes every query to it: another owner's note is
simply not found.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, literal_column, select, tuple_
from sqlalchemy.orm import Session, selectinload

from webapp.errors import ConflictError, NotFoundError, PreconditionFailedError, ValidationError
from webapp.images import pipeline
from webapp.images import service as images_service
from webapp.images.models import Image
from webapp.labels.models import Label
from webapp.notes import cursor as cursors
from webapp.notes.changes import touch
from webapp.notes.models import COLORS, KINDS, ChecklistItem, Note, NoteMove, note_labels
from webapp.notes.views import ImageView, ItemView, LabelView, NoteView
from webapp.search import index as search_index
from webapp.search import query as search_query

TITLE_MAX = 1000
BODY_MAX_BYTES = 1_000_000
ITEMS_MAX = 1000
ITEM_TEXT_MAX = 10_000
QUERY_MAX = 1000
LIMIT_DEFAULT = 30
LIMIT_MAX = 100
STATES = ("active", "archived", "trashed")
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


def create_note(session: Session, owner_id: int, data: Mapping[str, Any], now: datetime) -> Note:
    """A new note from validated JSON fields; an empty note is refused."""
    _check_values(data)
    if is_empty(data):
        raise ValidationError(
            "An empty note is not saved: give it a title, text or a checklist item.",
            code="empty_note",
        )
    note = _new_note(session, owner_id, data, now)
    session.commit()
    return note


def create_note_with_images(
    session: Session,
    store: images_service.Store,
    owner_id: int,
    data: Mapping[str, Any],
    uploads: Sequence[tuple[str, Any]],
    now: datetime,
    max_pixels: int,
) -> Note:
    """A new note holding these images (a pasted screenshot, say): its images are its content."""
    _check_values(data)
    if not uploads:
        raise ValidationError(
            "Send one or more image files in the field `file`.", fields={"file": "required"}
        )
    if len(uploads) > images_service.IMAGES_PER_NOTE:
        raise ValidationError(f"A note holds at most {images_service.IMAGES_PER_NOTE} images.")
    processed = [
        pipeline.process(stream, max_pixels, field=f"file.{i}")
        for i, (_, stream) in enumerate(uploads)
    ]
    written: list[str] = []
    try:
        note = _new_note(session, owner_id, data, now)
        session.flush()
        images_service.attach(session, store, note, processed, 0, now, written)
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


def update_note(
    session: Session,
    owner_id: int,
    note_id: int,
    data: Mapping[str, Any],
    now: datetime,
    if_match: int | None = None,
) -> Note:
    """Change any subset of a note's fields; with ``if_match``, only if nobody else did."""
    _check_values(data)
    note = get_note(session, owner_id, note_id)
    if if_match is not None and note.version != if_match:
        raise PreconditionFailedError(
            f"The note changed elsewhere (now version {note.version}, you had {if_match}).",
            fields={"version": str(note.version)},
            code="version_conflict",
        )
    touch(session, note, now)
    _apply(session, owner_id, note, data)
    session.commit()
    return note


def trash_note(session: Session, owner_id: int, note_id: int, now: datetime) -> Note:
    note = get_note(session, owner_id, note_id)
    if note.trashed_at is None:
        touch(session, note, now)
        note.trashed_at = now
        session.commit()
    return note


def restore_note(session: Session, owner_id: int, note_id: int, now: datetime) -> Note:
    note = get_note(session, owner_id, note_id)
    if note.trashed_at is not None:
        touch(session, note, now)
        note.trashed_at = None
        session.commit()
    return note


def _delete_where(session: Session, store: images_service.Store | None, condition) -> int:
    """Delete the notes matching ``condition`` with their images' files (after the commit)."""
    files = images_service.file_names_of_notes(session, condition)
    result = session.execute(delete(Note).where(condition))
    session.commit()
    if store is not None:
        store.remove(files)
    return result.rowcount


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
    if store is not None:
        session.flush()
        images_service.copy_images(session, store, source.id, copy.id)
    session.commit()
    return copy


# Listing ---------------------------------------------------------------------------------


def _filters(
    session: Session,
    owner_id: int,
    state: str,
    label_id: int | None,
    color: str | None,
    kind: str | None,
    has_image: bool | None,
    query: search_query.Query,
) -> list:
    """The conditions of a list request."""
    found = search_index.plan(session, query, label_id)
    # A driven query must not walk the list-order index: "+owner_id" keeps SQLite off it.
    owner = literal_column("+notes.owner_id") if found.driven else Note.owner_id
    conditions = [owner == owner_id, *found.conditions]
    if state == "active":
        conditions += [Note.trashed_at.is_(None), Note.archived.is_(False)]
    elif state == "archived":
        conditions += [Note.trashed_at.is_(None), Note.archived.is_(True)]
    else:
        conditions.append(Note.trashed_at.is_not(None))
    if color is not None:
        conditions.append(Note.color == color)
    if kind is not None:
        conditions.append(Note.kind == kind)
    if has_image is not None:
        with_image = select(Image.id).where(Image.note_id == Note.id).exists()
        conditions.append(with_image if has_image else ~with_image)
    return conditions


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
) -> tuple[list[NoteView], str | None]:
    """One page of notes in list order and the cursor of the next page (None at the end).

    ``q`` is parsed by ``webapp.search.query``: every word must match, "a phrase" matches as
    typed and -word excludes. A walk sees the list as it stood when its first page was read:
    notes created since are left for the next walk, and a note changed since (which moved it
    to the top) is still returned where it stood, so no note is returned twice or skipped.
    """
    check_list_args(state, color, kind, q, limit)
    after = cursors.decode(cursor) if cursor else None
    if after is not None and after.as_of < now - cursor_max_age:
        raise ValidationError(
            "This list is too old to continue; start again from the first page.",
            fields={"cursor": "expired"},
            code="cursor_expired",
        )
    as_of = after.as_of if after else now
    query = search_query.parse(q)
    conditions = _filters(session, owner_id, state, label_id, color, kind, has_image, query)

    # Notes unchanged since the walk began stand where their columns say. Core statements on
    # the session's connection: plain rows need none of the ORM's result machinery.
    conn = session.connection()
    unchanged = select(*_VIEW_COLUMNS).where(*conditions, Note.updated_at <= as_of)
    if after:
        unchanged = unchanged.where(
            tuple_(Note.pinned, Note.updated_at, Note.id) < after.after.as_tuple()
        )
    order = (Note.pinned.desc(), Note.updated_at.desc(), Note.id.desc())
    found = [
        (cursors.SortKey(row.pinned, row.updated_at, row.id), row)
        for row in conn.execute(unchanged.order_by(*order).limit(limit + 1))
    ]

    # Notes changed since stand where their first recorded move says they stood. The moves
    # since the walk began are few and indexed by time, so they drive this query; usually
    # there are none, which one prepared statement tells.
    if after and conn.execute(_MOVED_SINCE, {"as_of": as_of}).first() is not None:
        first = (
            select(NoteMove.note_id, func.min(NoteMove.id).label("move_id"))
            .where(NoteMove.moved_at > as_of)
            .group_by(NoteMove.note_id)
            .subquery()
        )
        moved = (
            select(NoteMove.old_pinned, NoteMove.old_updated_at, *_VIEW_COLUMNS)
            .select_from(first)
            .join(NoteMove, NoteMove.id == first.c.move_id)
            .join(Note, Note.id == first.c.note_id)
            .where(
                *conditions,
                Note.updated_at > as_of,
                NoteMove.old_updated_at <= as_of,
                tuple_(NoteMove.old_pinned, NoteMove.old_updated_at, Note.id)
                < after.after.as_tuple(),
            )
            .order_by(NoteMove.old_pinned.desc(), NoteMove.old_updated_at.desc(), Note.id.desc())
            .limit(limit + 1)
        )
        found += [(cursors.SortKey(row[0], row[1], row.id), row[2:]) for row in conn.execute(moved)]
        found.sort(key=lambda entry: entry[0].as_tuple(), reverse=True)

    page, more = found[:limit], len(found) > limit
    notes = with_children(session, [NoteView(*row) for _, row in page])
    next_cursor = cursors.encode(cursors.Cursor(page[-1][0], as_of)) if more else None
    return notes, next_cursor


_MOVED_SINCE = select(NoteMove.id).where(NoteMove.moved_at > bindparam("as_of")).limit(1)

_VIEW_COLUMNS = (
    Note.id, Note.title, Note.body, Note.kind, Note.color, Note.pinned, Note.archived,
    Note.trashed_at, Note.created_at, Note.updated_at, Note.version,
)  # fmt: skip


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


# On SQLite the ids travel as one JSON parameter: an expanding IN of 100 parameters costs
# SQLAlchemy more than the queries themselves.
_JSON_IDS = select(func.json_each(bindparam("ids")).table_valued("value").c.value)
_SQLITE_CHILDREN = _child_statements(_JSON_IDS.scalar_subquery())
_PORTABLE_CHILDREN = _child_statements(bindparam("ids", expanding=True))


def with_children(session: Session, views: list[NoteView]) -> list[NoteView]:
    """Fill the views' items, labels and images: three queries for any number of notes."""
    if not views:
        return views
    ids = [view.id for view in views]
    if session.get_bind().dialect.name == "sqlite":
        items, labels, images = _SQLITE_CHILDREN
        params = {"ids": json.dumps(ids)}
    else:
        items, labels, images = _PORTABLE_CHILDREN
        params = {"ids": ids}
    conn = session.connection()
    by_id = {view.id: view for view in views}
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
