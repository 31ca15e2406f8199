"""Sync, server side: the change feed a device polls, what identifies this server, and the
changes a device pushes (``push``).

Every write numbers itself with the owner's change sequence (``webapp.sync.sequence``, called
from ``webapp.notes.service.write_note``, ``delete_notes`` and the label writes), so the feed
is "what has a sequence above the device's": notes in full, labels and tombstones, in sequence
order. Every function is scoped to the owner: another account's notes are simply not found.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.errors import ValidationError
from webapp.images.models import Image
from webapp.labels.models import Label
from webapp.notes.models import ChecklistItem, Note, note_labels
from webapp.reminders import service as reminders
from webapp.sync.models import AppliedChange, SyncSequence, SyncServer, Tombstone
from webapp.timeutil import isoformat

LIMIT_DEFAULT = 500
LIMIT_MAX = 1000

_NOTE_COLUMNS = (
    Note.id, Note.uid, Note.version, Note.seq, Note.title, Note.body, Note.kind, Note.color,
    Note.pinned, Note.archived, Note.trashed_at, Note.created_at, Note.updated_at,
    Note.position, Note.color_changed_at, Note.pinned_changed_at, Note.archived_changed_at,
    Note.trashed_changed_at, Note.reminder_at, Note.reminder_zone, Note.reminder_repeat,
    Note.reminder_done, Note.reminder_changed_at,
)  # fmt: skip


def server_id(session: Session) -> str:
    """This server's id (made by migration 0012; made here if a database lacks it)."""
    found = session.scalar(select(SyncServer.server_id).where(SyncServer.id == 1))
    if found is None:
        found = str(uuid.uuid4())
        session.add(SyncServer(id=1, server_id=found))
        session.commit()
    return found


def identity(session: Session, owner_id: int) -> dict:
    """What a device checks it still talks to the same server and account."""
    username = session.scalar(select(User.username).where(User.id == owner_id))
    return {"server_id": server_id(session), "account_id": owner_id, "username": username}


def parse_since(raw: str | None) -> int:
    """``since`` as given in the query: a non-negative integer (0 or none: from the start)."""
    if raw is None or raw == "":
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValidationError(
            "`since` is a non-negative integer: the high_water of your last sync, or 0.",
            fields={"since": "a non-negative integer"},
        )
    return int(raw)


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return LIMIT_DEFAULT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        raise ValidationError(
            f"`limit` is an integer from 1 to {LIMIT_MAX}.",
            fields={"limit": f"1 to {LIMIT_MAX}"},
        )
    return int(raw)


def changes(session: Session, owner_id: int, since: int, limit: int) -> dict:
    """What changed after ``since``: at most ``limit`` notes, labels and tombstones, in
    sequence order, and the ``high_water`` to ask from next (``more`` if there is more).

    The counter is read first: nothing changed costs that one primary-key read. Rows are then
    read up to it only; a row changed meanwhile has a greater number and comes next time.
    ``resync`` when the device is behind the tombstones kept (or ahead of this server's
    counter: a reset database), so it cannot learn what was deleted.
    """
    top, pruned = session.execute(
        select(SyncSequence.seq, SyncSequence.pruned_seq).where(SyncSequence.owner_id == owner_id)
    ).first() or (0, 0)
    if since > top or 0 < since < pruned:
        return {"resync": True, "high_water": top}
    if since == top:
        return {"changes": [], "labels": [], "tombstones": [], "high_water": top, "more": False}
    notes = session.execute(
        select(*_NOTE_COLUMNS)
        .where(Note.owner_id == owner_id, Note.seq > since, Note.seq <= top)
        .order_by(Note.seq)
        .limit(limit + 1)
    ).all()
    labels = session.execute(
        select(Label.uid, Label.name, Label.seq)
        .where(Label.owner_id == owner_id, Label.seq > since, Label.seq <= top)
        .order_by(Label.seq)
        .limit(limit + 1)
    ).all()
    tombstones = session.execute(
        select(Tombstone.kind, Tombstone.uid, Tombstone.seq, Tombstone.deleted_at)
        .where(Tombstone.owner_id == owner_id, Tombstone.seq > since, Tombstone.seq <= top)
        .order_by(Tombstone.seq)
        .limit(limit + 1)
    ).all()
    # The ``limit`` smallest numbers of the three (each gave its limit + 1 smallest).
    found = sorted(
        [(row.seq, "note", row) for row in notes]
        + [(row.seq, "label", row) for row in labels]
        + [(row.seq, "tombstone", row) for row in tombstones],
        key=lambda entry: entry[0],
    )
    more = len(found) > limit
    found = found[:limit]
    page_notes = [row for _, kind, row in found if kind == "note"]
    page_json = notes_json(session, page_notes)
    page_labels = [
        {"uid": r.uid, "name": r.name, "seq": r.seq} for _, k, r in found if k == "label"
    ]
    # The labels this page's notes name, whatever their number: a label renamed later has
    # a greater one, and a device that never saw it must still know it before the notes.
    given = {label["uid"] for label in page_labels}
    named = {uid for note in page_json for uid in note["label_uids"]} - given
    if named:
        page_labels[:0] = [
            {"uid": r.uid, "name": r.name, "seq": r.seq}
            for r in session.execute(
                select(Label.uid, Label.name, Label.seq).where(
                    Label.owner_id == owner_id, Label.uid.in_(sorted(named))
                )
            )
        ]
    return {
        "changes": page_json,
        "labels": page_labels,
        "tombstones": [
            {"kind": r.kind, "uid": r.uid, "seq": r.seq, "deleted_at": isoformat(r.deleted_at)}
            for _, k, r in found
            if k == "tombstone"
        ],
        "high_water": found[-1][0] if more else top,
        "more": more,
    }


def notes_json(session: Session, rows) -> list[dict]:
    """Notes as sync gives them, from rows of ``_NOTE_COLUMNS``: with item ids, label uids
    and each image's SHA-256."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    items: dict[int, list] = {i: [] for i in ids}
    for note_id, uid, text, checked in session.execute(
        select(ChecklistItem.note_id, ChecklistItem.uid, ChecklistItem.text, ChecklistItem.checked)
        .where(ChecklistItem.note_id.in_(ids))
        .order_by(ChecklistItem.note_id, ChecklistItem.position)
    ):
        items[note_id].append({"id": uid, "text": text, "checked": checked})
    labels: dict[int, list] = {i: [] for i in ids}
    for note_id, uid in session.execute(
        select(note_labels.c.note_id, Label.uid)
        .join(Label, Label.id == note_labels.c.label_id)
        .where(note_labels.c.note_id.in_(ids))
        .order_by(note_labels.c.note_id, Label.name_key)
    ):
        labels[note_id].append(uid)
    images: dict[int, list] = {i: [] for i in ids}
    for image in session.execute(
        select(Image.note_id, Image.id, Image.digest, Image.width, Image.height, Image.content_type)
        .where(Image.note_id.in_(ids))
        .order_by(Image.note_id, Image.position)
    ):
        images[image.note_id].append({
            "sha256": image.digest, "width": image.width, "height": image.height,
            "content_type": image.content_type, "url": f"/api/images/{image.id}/file",
        })  # fmt: skip
    return [_note_json(row, items[row.id], labels[row.id], images[row.id]) for row in rows]


def _time(value: datetime | None) -> str | None:
    return None if value is None else isoformat(value)


def _note_json(row, items, label_uids, images) -> dict:
    return {
        "uid": row.uid,
        "id": row.id,  # the notes and images API's id (adding an image names the note by it)
        "version": row.version,
        "seq": row.seq,
        "title": row.title,
        "body": row.body,
        "kind": row.kind,
        "color": row.color,
        "pinned": row.pinned,
        "archived": row.archived,
        "trashed": row.trashed_at is not None,
        "trashed_at": _time(row.trashed_at),
        "created_at": _time(row.created_at),
        "updated_at": _time(row.updated_at),
        "position": row.position,
        "items": items,
        "label_uids": label_uids,
        "images": images,
        # A note field like color: merged by the later change (``field_times["reminder"]``).
        "reminder": reminders.to_json(
            reminders.of_row(
                row.reminder_at, row.reminder_zone, row.reminder_repeat, row.reminder_done
            )
        ),
        "field_times": {
            "color": _time(row.color_changed_at),
            "pinned": _time(row.pinned_changed_at),
            "archived": _time(row.archived_changed_at),
            "trashed": _time(row.trashed_changed_at),
            "reminder": _time(row.reminder_changed_at),
        },
    }


def note_by_uid(session: Session, owner_id: int, uid: str) -> dict | None:
    """The owner's note of this uid as sync gives it, or None."""
    row = session.execute(
        select(*_NOTE_COLUMNS).where(Note.owner_id == owner_id, Note.uid == uid)
    ).first()
    return None if row is None else notes_json(session, [row])[0]


def prune_tombstones(session: Session, now: datetime, days: int) -> int:
    """Forget tombstones (and push answers kept) older than ``days``; each owner remembers the
    greatest number forgotten, so a device that last synced before it resyncs in full."""
    cutoff = now - timedelta(days=days)
    forgotten = session.execute(
        select(Tombstone.owner_id, func.max(Tombstone.seq))
        .where(Tombstone.deleted_at < cutoff)
        .group_by(Tombstone.owner_id)
    ).all()
    for owner_id, seq in forgotten:
        session.execute(
            update(SyncSequence)
            .where(SyncSequence.owner_id == owner_id, SyncSequence.pruned_seq < seq)
            .values(pruned_seq=seq)
        )
    result = session.execute(delete(Tombstone).where(Tombstone.deleted_at < cutoff))
    # A push retried after that long is from a device that resyncs anyway.
    session.execute(delete(AppliedChange).where(AppliedChange.created_at < cutoff))
    session.commit()
    return result.rowcount
