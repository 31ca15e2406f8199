"""A note's history in a Kaap export (optional: it can be large) and back from one."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from webapp.history import delta, service
from webapp.history.models import NoteVersion
from webapp.timeutil import isoformat

# What one note's history may bring in: more than HISTORY_KEEP, less than a hostile archive.
VERSIONS_MAX = 1000
_ITEM_ID = re.compile(r"^[0-9A-Za-z-]{1,36}$")


def export_versions(
    session: Session, owner_id: int, note_id: int, archived: dict[str, str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The note's versions, oldest first, as an export holds them, and the kept image files
    the archive must add (``archived``: digest -> the archive's path of the note's images)."""
    files = service.image_files(session, note_id)
    extra = []
    versions = []
    for number, saved_at, device, state in service._walk(session, owner_id, note_id):
        images = []
        for digest, content_type, width, height, _, _ in state["images"]:
            if digest not in archived and digest in files:
                archived[digest] = f"images/{files[digest][0]}"
                extra.append(files[digest][0])
            images.append({"digest": digest, "file": archived.get(digest),
                           "content_type": content_type, "width": width, "height": height})  # fmt: skip
        versions.append({
            "number": number, "saved_at": isoformat(saved_at), "device": device,
            "title": state["title"], "body": state["body"], "kind": state["kind"],
            "color": state["color"],
            "items": [{"id": uid, "text": t, "checked": c} for t, c, uid in state["items"]],
            "labels": [name for _, name in state["labels"]],
            "images": images,
        })  # fmt: skip
    versions.reverse()
    return versions, extra


def parse_versions(raw: Any, *, kinds: Sequence[str], colors: Sequence[str]) -> list[dict]:
    """An export's history of a note, checked; anything malformed is left out."""
    if not isinstance(raw, list):
        return []
    parsed = []
    for entry in raw[-VERSIONS_MAX:]:
        if not isinstance(entry, dict):
            continue
        title, body = entry.get("title"), entry.get("body")
        if not isinstance(title, str) or not isinstance(body, str):
            continue
        if len(title) > 1000 or len(body.encode("utf-8")) > 1_000_000:
            continue
        items = [
            [item["text"], item.get("checked") is True,
             item["id"] if isinstance(item.get("id"), str) and _ITEM_ID.match(item["id"]) else ""]
            for item in entry.get("items") or []
            if isinstance(item, dict) and isinstance(item.get("text"), str)
        ][:1000]  # fmt: skip
        labels = [name for name in entry.get("labels") or [] if isinstance(name, str)]
        parsed.append({
            "saved_at": _time(entry.get("saved_at")),
            "device": entry["device"][:100] if isinstance(entry.get("device"), str) else None,
            "title": title, "body": body,
            "kind": entry.get("kind") if entry.get("kind") in kinds else "text",
            "color": entry.get("color") if entry.get("color") in colors else "default",
            "items": items, "labels": labels[:1000],
            "image_files": [image.get("file") for image in entry.get("images") or []
                            if isinstance(image, dict)],
        })  # fmt: skip
    return parsed


def _time(value) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def import_versions(
    session: Session,
    owner_id: int,
    note,
    versions: list[dict],
    now: datetime,
    label_id: Callable[[str], int | None],
    image_of_file: dict[str, list],
) -> None:
    """Give an imported note the history its export held (uncommitted), the note as imported
    its newest version. Images of older versions come back where the note still has them
    (``image_of_file``: archive path -> the imported image's state entry); others stay out."""
    current = service.snapshot(session, note)
    states = []
    for version in versions:
        state = {
            "title": version["title"], "body": version["body"], "kind": version["kind"],
            "color": version["color"], "items": version["items"],
            "labels": [[label_id(name) or 0, name] for name in version["labels"]],
            "images": [image_of_file[f] for f in version["image_files"] if f in image_of_file],
        }  # fmt: skip
        states.append((version["saved_at"] or now, version["device"], state))
    if not states:
        return
    if states[-1][2] != current:
        states.append((now, None, current))
    session.execute(delete(NoteVersion).where(NoteVersion.note_id == note.id))
    rows = []
    for number, (saved_at, device, state) in enumerate(states, start=1):
        newer = states[number][2] if number < len(states) else None
        data = delta.pack(state if newer is None else delta.diff(newer, state))
        rows.append({"note_id": note.id, "owner_id": owner_id, "number": number,
                     "saved_at": min(saved_at, now), "device": device, "full": newer is None,
                     "data": data})  # fmt: skip
    session.execute(NoteVersion.__table__.insert(), rows)
