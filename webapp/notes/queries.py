"""Reading notes: one note, the pages of a list or a search, and their children.

Every function takes the owner's id and scopes every query to it: another owner's note is
simply not found. The hot reads run as statements prepared once (``webapp.db.prepared``) on
SQLite; their rows come as ``NoteRow``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from webapp.db.prepared import Prepared, fetch, run
from webapp.db.types import UTCDateTime
from webapp.errors import NotFoundError, ValidationError
from webapp.images.models import Image
from webapp.labels.models import Label
from webapp.notes import cursor as cursors
from webapp.notes.models import (
    COLORS,
    KINDS,
    POSITION_KEY,
    ChecklistItem,
    Note,
    NoteMove,
    note_labels,
)
from webapp.notes.rows import ImageRow, ItemRow, LabelRow, NoteRow
from webapp.search import index as search_index
from webapp.search import query as search_query
from webapp.search.budget import bounded
from webapp.search.matches import matches

_VIEW_COLUMNS = (
    Note.id, Note.title, Note.body, Note.kind, Note.color, Note.pinned, Note.archived,
    Note.trashed_at, Note.created_at, Note.updated_at, Note.version, Note.position,
    Note.reminder_at, Note.reminder_zone, Note.reminder_repeat, Note.reminder_done,
)  # fmt: skip
# On SQLite the ids travel as one JSON parameter: an expanding IN of 100 parameters costs
# SQLAlchemy more than the queries themselves.
JSON_IDS = select(func.json_each(bindparam("ids")).table_valued("value").c.value)

QUERY_MAX = 1000
LIMIT_DEFAULT = 30
LIMIT_MAX = 100
# "notes" is what a search from Notes covers, as in Keep: active and archived, not the trash.
STATES = ("active", "archived", "trashed", "notes")

_NOTE_BY_ID = select(*_VIEW_COLUMNS).where(
    Note.id == bindparam("note_id"), Note.owner_id == bindparam("owner_id")
)


def read_note(session: Session, owner_id: int, note_id: int) -> NoteRow:
    """The owner's note with its items, labels and images, as lists show it: two queries."""
    conn = session.connection()
    row = run(conn, _NOTE_BY_ID, {"note_id": note_id, "owner_id": owner_id}, NoteRow).first()
    if row is None:
        raise NotFoundError(f"Note {note_id} does not exist.")
    return with_children(session, [row])[0]


def owned_notes(session: Session, owner_id: int, ids: Sequence[int]) -> list[NoteRow]:
    """The owner's notes of these ids in the given order; any other id is a 404."""
    conn = session.connection()
    statement = select(*_VIEW_COLUMNS).where(Note.owner_id == owner_id, Note.id.in_(list(ids)))
    by_id = {row.id: row for row in fetch(conn, statement, NoteRow)}
    # Another owner's note answers as one that never existed: the same 404, the same words.
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFoundError(
            f"Note(s) {', '.join(map(str, missing))} do not exist.",
            fields={"ids": f"unknown note id(s): {', '.join(map(str, missing))}"},
        )
    return with_children(session, [by_id[i] for i in ids])


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
    moved = Prepared(moved, dialect, _moved) if moved is not None else None
    return Prepared(unchanged, dialect, NoteRow), moved


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
) -> tuple[list[NoteRow], str | None]:
    """One page of notes in list order and the cursor of the next page (None at the end);
    each note says where the words of ``q`` matched (``matches``).

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
    notes = with_children(session, [row for _, row in page])
    for note in notes:
        note.matches = matches(note, query.include)
    next_cursor = None
    if more:
        pinned, place, last_id = page[-1][0]
        if order == "edited":
            place = datetime.fromisoformat(place)
        key = cursors.SortKey(pinned, place, last_id)
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
    if conn.dialect.name == "sqlite":
        unchanged, moved = _prepared(shape, conn.dialect)
        rows = lambda prepared, _into: prepared.execute(conn, values).all()  # noqa: E731
    else:
        # Other databases: built per request with the values in place (a LIKE pattern's
        # escaping, for one, needs the term itself).
        unchanged, moved = _statements(shape, conn.dialect.name, {
            **values, "after": tuple_(*after.after.as_tuple()) if after else None
        })  # fmt: skip
        rows = lambda statement, into: fetch(conn, statement, into)  # noqa: E731

    # Each with its place in the list: (pinned, updated_at or position, id). Times are the
    # API's text, which orders as the times do; keys sort as their code points.
    if order == "own":
        found = [((row.pinned, row.position, row.id), row) for row in rows(unchanged, NoteRow)]
    else:
        found = [((row.pinned, row.updated_at, row.id), row) for row in rows(unchanged, NoteRow)]
    # The moves since the walk began are few and indexed by time, so they drive this query;
    # usually there are none, which one prepared statement tells.
    if after and run(conn, _MOVED_SINCE, {"as_of": as_of}).first() is not None:
        found += rows(moved, _moved)
        found.sort(key=lambda entry: entry[0], reverse=True)
    return found


_MOVED_SINCE = select(NoteMove.id).where(NoteMove.moved_at > bindparam("as_of")).limit(1)


def _moved(old_pinned: bool, old_place: str, *columns) -> tuple[tuple, NoteRow]:
    """A note changed since the walk began, with the place it had then (its edit time or
    its position key)."""
    row = NoteRow(*columns)
    return (old_pinned, old_place, row.id), row


def _child_statements(ids):
    """Items, labels and images of the notes in an id-list expression (built once)."""
    items = (
        select(ChecklistItem.note_id, ChecklistItem.text, ChecklistItem.checked, ChecklistItem.uid)
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
        ChecklistItem.text, type_coerce(ChecklistItem.checked, Integer), ChecklistItem.uid, null,
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


_SQLITE_CHILDREN = _children_in_one(JSON_IDS.scalar_subquery())
_PORTABLE_CHILDREN = _child_statements(bindparam("ids", expanding=True))


def with_children(session: Session, views: list[NoteRow]) -> list[NoteRow]:
    """Fill the views' items, labels and images: one query on SQLite, three elsewhere."""
    if not views:
        return views
    ids = [view.id for view in views]
    conn = session.connection()
    by_id = {view.id: view for view in views}
    if conn.dialect.name == "sqlite":
        # Plain values only (``checked`` comes as an integer): no conversion to ask for.
        for part, note_id, _, a, b, c, d in run(conn, _SQLITE_CHILDREN, {"ids": json.dumps(ids)}):
            view = by_id[note_id]
            if part == 0:
                view.items.append(ItemRow(a, b == 1, c))
            elif part == 1:
                view.labels.append(LabelRow(a, b))
            else:
                view.images.append(ImageRow(a, b, c, d))
        return views
    items, labels, images = _PORTABLE_CHILDREN
    params = {"ids": ids}
    for note_id, text_, checked, uid in conn.execute(items, params):
        by_id[note_id].items.append(ItemRow(text_, checked, uid))
    for note_id, label_id, name in conn.execute(labels, params):
        by_id[note_id].labels.append(LabelRow(label_id, name))
    for note_id, *image in conn.execute(images, params):
        by_id[note_id].images.append(ImageRow(*image))
    return views
