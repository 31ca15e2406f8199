"""``push``: a batch of a device's changes, each applied once, atomically, through the one
write path (``write_note``, ``delete_notes``), or answered with the server's note when it
was based on a version that is no longer current (the device merges and pushes again)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.db.sqlite import reading
from webapp.errors import KaapError, ValidationError
from webapp.images import service as images_service
from webapp.labels import service as labels_service
from webapp.labels.models import Label, name_key
from webapp.notes import queries
from webapp.notes import service as notes
from webapp.notes.models import COLORS, KINDS, Note
from webapp.reminders import service as reminders
from webapp.sync import blobs
from webapp.sync.models import AppliedChange, SyncSequence, Tombstone
from webapp.sync.service import note_by_uid

BATCH_MAX = 100
UID = re.compile(r"^[0-9A-Za-z-]{1,36}$")
_FLAGS = ("pinned", "archived", "trashed")
_TIMED = ("color", "pinned", "archived", "trashed", "reminder")
# A device's clock may run ahead a little; a field time further ahead is taken as now, so
# one wrong clock cannot win every later merge of that field.
CLOCK_SKEW = timedelta(minutes=5)


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, fields={field: message})


def _check(change: Any) -> tuple[str, str, int | None, dict | None]:
    """The change's id, uid, base version and note (None for a deletion), or a 400."""
    if not isinstance(change, dict):
        raise _invalid("change", "each change is an object")
    change_id, uid, base = change.get("change_id"), change.get("uid"), change.get("base_version")
    if not isinstance(change_id, str) or not 1 <= len(change_id) <= 100:
        raise _invalid("change_id", "a string of 1 to 100 characters")
    if not isinstance(uid, str) or not UID.match(uid):
        raise _invalid("uid", "a note uid (letters, digits, dashes; at most 36)")
    if base is not None and (type(base) is not int or base < 1):
        raise _invalid("base_version", "a positive integer, or null for a new note")
    if not isinstance(change.get("deleted", False), bool):
        raise _invalid("deleted", "true or false")
    if change.get("deleted"):
        if base is None:
            raise _invalid("base_version", "a deletion names the version it deletes")
        return change_id, uid, base, None
    note = change.get("note")
    if not isinstance(note, dict):
        raise _invalid("note", "the note's new state, or deleted: true")
    _check_note(note)
    return change_id, uid, base, note


def _check_note(note: Mapping[str, Any]) -> None:
    known = {"title", "body", "kind", "color", "items", "label_uids", "images", "field_times",
             "reminder", *_FLAGS}  # fmt: skip
    if set(note) - known:
        raise _invalid("note", f"unknown field(s): {', '.join(sorted(set(note) - known))}")
    for name in ("title", "body"):
        if not isinstance(note.get(name, ""), str):
            raise _invalid(name, "a string")
    if len(note.get("title", "")) > notes.TITLE_MAX:
        raise _invalid("title", f"at most {notes.TITLE_MAX} characters")
    if note.get("kind", "text") not in KINDS:
        raise _invalid("kind", f"one of {', '.join(KINDS)}")
    if note.get("color", "default") not in COLORS:
        raise _invalid("color", "one of Keep's colors")
    for name in _FLAGS:
        if not isinstance(note.get(name, False), bool):
            raise _invalid(name, "true or false")
    items = note.get("items", [])
    if not isinstance(items, list) or len(items) > notes.ITEMS_MAX:
        raise _invalid("items", f"a list of at most {notes.ITEMS_MAX} items")
    for item in items:
        if (
            not isinstance(item, dict)
            or set(item) - {"id", "text", "checked"}
            or not isinstance(item.get("text"), str)
            or len(item["text"]) > notes.ITEM_TEXT_MAX
            or not isinstance(item.get("checked", False), bool)
            or not (
                item.get("id") is None or (isinstance(item["id"], str) and UID.match(item["id"]))
            )
        ):
            raise _invalid("items", "items are {id, text, checked}")
    uids = note.get("label_uids", [])
    if not isinstance(uids, list) or not all(isinstance(u, str) and UID.match(u) for u in uids):
        raise _invalid("label_uids", "a list of label uids")
    shas = note.get("images", [])
    if not isinstance(shas, list) or len(shas) > images_service.IMAGES_PER_NOTE:
        raise _invalid("images", f"a list of at most {images_service.IMAGES_PER_NOTE} SHA-256")
    for sha in shas:
        blobs.check_sha(sha, "images")
    _field_times(note.get("field_times", {}))
    _reminder(note.get("reminder"))


def _reminder(raw: Any) -> reminders.Reminder | None:
    """A device's reminder as it is (its time may have passed there meanwhile), or a 400."""
    return reminders.parse(raw, datetime.now(UTC), strict=False)


def _field_times(raw: Any) -> dict[str, datetime]:
    """``field_times`` as aware UTC times by field (a null time: none given), or a 400."""
    if not isinstance(raw, dict) or set(raw) - set(_TIMED):
        raise _invalid("field_times", f"an object of ISO 8601 times for {', '.join(_TIMED)}")
    times = {}
    for name, value in raw.items():
        if value is None:
            continue
        try:
            when = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise _invalid("field_times", f"{name}: an ISO 8601 time with its zone")
        times[name] = when.astimezone(UTC)
    return times


def upsert_labels(session: Session, owner_id: int, labels: Any) -> dict[str, str]:
    """The pushed labels, by uid: renamed where the name differs, created where unknown; a
    new uid whose name the owner has already (the same label made on two devices) becomes
    that label. Returns the uids that became another (pushed uid -> server's)."""
    if labels is None:
        return {}
    if not isinstance(labels, list) or len(labels) > 1000:
        raise _invalid("labels", "a list of at most 1,000 {uid, name}")
    merged = {}
    for pushed in labels:
        if not isinstance(pushed, dict) or not UID.match(str(pushed.get("uid", ""))):
            raise _invalid("labels", "each label is {uid, name}")
        name = labels_service.clean_name(str(pushed.get("name", "")))
        mine = session.scalar(
            select(Label).where(Label.owner_id == owner_id, Label.uid == pushed["uid"])
        )
        same_name = session.scalar(
            select(Label).where(Label.owner_id == owner_id, Label.name_key == name_key(name))
        )
        if mine is None and same_name is not None:
            merged[pushed["uid"]] = same_name.uid
        elif mine is None:
            labels_service.add_label(session, owner_id, name, uid=pushed["uid"])
        elif mine.name != name and (same_name is None or same_name.id == mine.id):
            labels_service.rename_label(session, owner_id, mine.id, name)
    session.commit()
    return merged


def delete_labels(session: Session, owner_id: int, uids: Any) -> None:
    """Delete the owner's labels of these uids as the labels service does (a tombstone; the
    notes lose the label); a uid not found is one already deleted."""
    if uids is None:
        return
    if (
        not isinstance(uids, list)
        or len(uids) > 1000
        or not all(isinstance(uid, str) and UID.match(uid) for uid in uids)
    ):
        raise _invalid("deleted_labels", "a list of at most 1,000 label uids")
    for uid in dict.fromkeys(uids):
        label_id = session.scalar(
            select(Label.id).where(Label.owner_id == owner_id, Label.uid == uid)
        )
        if label_id is not None:
            labels_service.delete_label(session, owner_id, label_id)
    session.commit()


def push(
    session: Session,
    owner_id: int,
    body: Any,
    now: datetime,
    store: images_service.Store | None,
) -> dict:
    """Apply a batch (``{"deleted_labels": [...], "labels": [...], "changes": [...]}``); one
    answer per change."""
    if not isinstance(body, dict) or not isinstance(body.get("changes"), list):
        raise ValidationError('Send {"changes": [...]}.', fields={"changes": "required"})
    changes = body["changes"]
    if len(changes) > BATCH_MAX:
        raise ValidationError(f"At most {BATCH_MAX} changes per push.",
                              fields={"changes": f"at most {BATCH_MAX}"})  # fmt: skip
    # Deletions first: a label deleted and made again by name on the device is then a new
    # label, not merged into the one it replaces.
    delete_labels(session, owner_id, body.get("deleted_labels"))
    merged = upsert_labels(session, owner_id, body.get("labels"))
    results = [_one(session, owner_id, change, merged, now, store) for change in changes]
    return {"results": results, "label_uids": merged}


def _one(session, owner_id, change, merged, now, store) -> dict:
    change_id = change.get("change_id") if isinstance(change, dict) else None
    try:
        change_id, uid, base, note = _check(change)
        done = session.scalar(
            select(AppliedChange.result).where(
                AppliedChange.owner_id == owner_id, AppliedChange.change_id == change_id
            )
        )
        if done is not None:
            session.commit()
            return json.loads(done)
        if note is None:
            return _delete(session, owner_id, change_id, uid, base, store, now)
        return _write(session, owner_id, change_id, uid, base, note, merged, now, store)
    except KaapError as exc:
        session.rollback()
        return {"change_id": change_id, "status": "invalid",
                "error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}  # fmt: skip
    except IntegrityError:
        # Another request applied the same change or made the same uid meanwhile.
        session.rollback()
        return _conflict(session, owner_id, change_id, uid)


def _conflict(session, owner_id, change_id, uid) -> dict:
    current = note_by_uid(session, owner_id, uid)
    session.commit()
    return {"change_id": change_id, "status": "conflict", "note": current}


def _note_id(session, owner_id, uid) -> int | None:
    return session.scalar(select(Note.id).where(Note.owner_id == owner_id, Note.uid == uid))


def _write(session, owner_id, change_id, uid, base, note, merged, now, store) -> dict:
    note_id = _note_id(session, owner_id, uid)
    if (note_id is None) != (base is None):
        # A new note whose uid exists, or an edit of a note this account does not have
        # (deleted here, or never its own): the device is told what the server holds.
        return _conflict(session, owner_id, change_id, uid)
    current = None if note_id is None else queries.read_note(session, owner_id, note_id)
    if current is not None and current.version != base:
        return _conflict(session, owner_id, change_id, uid)
    data = {name: note[name] for name in ("title", "body", "kind", "color", "pinned", "archived")
            if name in note}  # fmt: skip
    if "items" in note:
        data["items"] = [{"text": i["text"], "checked": i.get("checked", False), "id": i.get("id")}
                         for i in note["items"]]  # fmt: skip
    if "label_uids" in note:
        data["label_ids"] = _label_ids(session, owner_id, note["label_uids"], merged)
    if "reminder" in note:
        data["reminder"] = _reminder(note["reminder"])
    notes._check_values(data)
    trashed = note.get("trashed")
    was_trashed = False if current is None else current.trashed_at is not None
    if trashed == was_trashed:
        trashed = None  # not a move into or out of the trash
    images = blobs.ImagePlan(order=None)
    if "images" in note:
        # Files copied before the write (no lock held); the note is read again after.
        with reading(session):
            images = blobs.plan_images(session, store, owner_id, note_id, note["images"])
        current = None if note_id is None else queries.read_note(session, owner_id, note_id)
        if current is not None and current.version != base:
            store.remove(images.written)
            return _conflict(session, owner_id, change_id, uid)
    before = None
    if current is not None:
        before = {name: getattr(current, name) for name in _TIMED[:3]}
        before["reminder"] = notes.note_reminder(current)
    with images_service.files_or_nothing(session, store, images.written) as written:
        row = notes.write_note(
            session, owner_id, current, data, now, trashed=trashed,
            origin=notes.Origin(uid=uid) if current is None else None, store=store,
            written=written, attach=images.attach, detach=images.detach,
            image_order=images.order,
        )  # fmt: skip
        _keep_field_times(session, row.id, note, data, before, trashed is not None, now)
        seq = session.scalar(select(Note.seq).where(Note.id == row.id))
        result = {"change_id": change_id, "status": "applied", "uid": uid,
                  "version": row.version, "seq": seq}  # fmt: skip
        session.add(AppliedChange(owner_id=owner_id, change_id=change_id,
                                  result=json.dumps(result), created_at=now))  # fmt: skip
        session.commit()
    return result


def _keep_field_times(session, note_id, note, data, before, trash_moved, now) -> None:
    """The device's times for the fields this push changed, in place of the server's clock:
    the merge's "later change wins" then compares when people changed them."""
    pushed = _field_times(note.get("field_times", {}))
    changed = {
        name: pushed[name]
        for name in pushed
        if before is None  # a new note: every field is as its device made it
        or (trash_moved if name == "trashed" else name in data and data[name] != before[name])
    }
    if changed:
        session.execute(
            update(Note)
            .where(Note.id == note_id)
            .values({f"{name}_changed_at": now if when > now + CLOCK_SKEW else when
                     for name, when in changed.items()})
        )  # fmt: skip


def _label_ids(session, owner_id, uids: Sequence[str], merged) -> list[int]:
    wanted = list(dict.fromkeys(merged.get(uid, uid) for uid in uids))
    found = dict(session.execute(
        select(Label.uid, Label.id).where(Label.owner_id == owner_id, Label.uid.in_(wanted))
    ).all())  # fmt: skip
    missing = [uid for uid in wanted if uid not in found]
    if missing:
        raise _invalid("label_uids", f"unknown label uid(s): {', '.join(missing)}")
    return [found[uid] for uid in wanted]


def _delete(session, owner_id, change_id, uid, base, store, now) -> dict:
    note_id = _note_id(session, owner_id, uid)
    if note_id is None:
        return _conflict(session, owner_id, change_id, uid)
    current = queries.read_note(session, owner_id, note_id)
    if current.version != base:
        return _conflict(session, owner_id, change_id, uid)
    session.commit()
    condition = (Note.owner_id == owner_id) & (Note.id == note_id) & (Note.version == base)
    if not notes.delete_notes(session, store, condition, now):
        return _conflict(session, owner_id, change_id, uid)  # changed meanwhile
    seq = session.scalar(
        select(Tombstone.seq)
        .where(Tombstone.owner_id == owner_id, Tombstone.uid == uid, Tombstone.kind == "note")
        .order_by(Tombstone.seq.desc())
        .limit(1)
    ) or session.scalar(select(SyncSequence.seq).where(SyncSequence.owner_id == owner_id))
    result = {"change_id": change_id, "status": "applied", "uid": uid, "version": None,
              "seq": seq, "deleted": True}  # fmt: skip
    session.add(AppliedChange(owner_id=owner_id, change_id=change_id,
                              result=json.dumps(result), created_at=now))  # fmt: skip
    session.commit()
    return result
