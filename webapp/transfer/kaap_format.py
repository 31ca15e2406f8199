"""Kaap's own export: ``kaap.json`` (every field, versioned), Markdown per note, the images.

Format (``"format": "kaap-export", "version": 1``)::

    {"format": "kaap-export", "version": 1, "exported_at": "...Z",
     "labels": [{"name": "Work"}],
     "notes": [{"uid", "title", "body", "kind", "items": [{"id", "text", "checked"}], "color",
                "pinned", "archived", "trashed_at", "created_at", "updated_at", "version",
                "position", "labels": ["Work"],
                "images": [{"file": "images/<name>", "content_type", "width", "height"}]}]}
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.history import transfer as history_transfer
from webapp.images.service import Store
from webapp.labels.models import Label
from webapp.notes import keys
from webapp.notes.models import COLORS, KINDS, Note
from webapp.notes.service import ITEM_ID_PATTERN
from webapp.timeutil import isoformat
from webapp.transfer.archive import Source
from webapp.transfer.notes import Incoming

FORMAT, VERSION = "kaap-export", 1
INDEX = "kaap.json"


def _yaml(value) -> str:
    # JSON strings, numbers, booleans and null are valid YAML scalars.
    return json.dumps(value, ensure_ascii=False)


def markdown(note: Note) -> str:
    """One note as Markdown with YAML front matter; checklists as task lists."""
    front = {
        "title": note.title,
        "labels": [label.name for label in note.labels],
        "color": note.color,
        "pinned": note.pinned,
        "archived": note.archived,
        "trashed_at": isoformat(note.trashed_at),
        "created_at": isoformat(note.created_at),
        "updated_at": isoformat(note.updated_at),
    }
    lines = ["---", *(f"{key}: {_yaml(value)}" for key, value in front.items()), "---", ""]
    if note.body:
        lines += [note.body, ""]
    lines += [f"- [{'x' if item.checked else ' '}] {item.text}" for item in note.items]
    lines += [f"![image](../images/{image.file_name})" for image in note.images]
    return "\n".join(lines).rstrip() + "\n"


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.casefold(), flags=re.UNICODE).strip("-")
    return slug[:50] or "note"


def write_export(
    session: Session,
    store: Store,
    owner_id: int,
    now: datetime,
    dest: Path | BinaryIO,
    history: bool = False,
) -> int:
    """Write every note of the owner to a zip at ``dest`` (a path, or a file open for
    writing); returns how many notes. ``history``: each note's versions too (and the image
    files only older versions still show)."""
    notes = session.scalars(
        select(Note)
        .where(Note.owner_id == owner_id)
        .order_by(Note.created_at, Note.id)
        .options(selectinload(Note.items), selectinload(Note.labels), selectinload(Note.images))
    ).all()
    labels = session.scalars(
        select(Label).where(Label.owner_id == owner_id).order_by(Label.name_key)
    ).all()
    index = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": isoformat(now),
        "labels": [{"name": label.name} for label in labels],
        "notes": [],
    }
    versions_of = None
    if history:

        def versions_of(note):
            archived = {image.digest: f"images/{image.file_name}" for image in note.images}
            return history_transfer.export_versions(session, owner_id, note.id, archived)

    if not isinstance(dest, Path):
        _write_zip(dest, store, notes, index, versions_of)
        return len(notes)
    tmp = dest.with_name(dest.name + ".part")
    try:
        _write_zip(tmp, store, notes, index, versions_of)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return len(notes)


def _write_zip(dest: Path | BinaryIO, store: Store, notes, index: dict, versions_of=None) -> None:
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, note in enumerate(notes, start=1):
            if versions_of is not None:
                versions, kept_files = versions_of(note)
                for name in kept_files:
                    if store.path(name).is_file():
                        archive.write(store.path(name), f"images/{name}",
                                      compress_type=zipfile.ZIP_STORED)  # fmt: skip
            index["notes"].append(
                {
                    "uid": note.uid,
                    "title": note.title,
                    "body": note.body,
                    "kind": note.kind,
                    "items": [
                        {"id": i.uid, "text": i.text, "checked": i.checked} for i in note.items
                    ],
                    "color": note.color,
                    "pinned": note.pinned,
                    "archived": note.archived,
                    "trashed_at": isoformat(note.trashed_at),
                    "created_at": isoformat(note.created_at),
                    "updated_at": isoformat(note.updated_at),
                    "version": note.version,
                    "position": note.position,
                    "labels": [label.name for label in note.labels],
                    "images": [
                        {
                            "file": f"images/{image.file_name}",
                            "content_type": image.content_type,
                            "width": image.width,
                            "height": image.height,
                        }
                        for image in note.images
                    ],
                }
            )
            if versions_of is not None:
                index["notes"][-1]["history"] = versions
            archive.writestr(
                f"notes/{number:05d}-{_slug(note.title or note.body)}.md", markdown(note)
            )
            for image in note.images:
                archive.write(
                    store.path(image.file_name),
                    f"images/{image.file_name}",
                    compress_type=zipfile.ZIP_STORED,
                )
        archive.writestr(INDEX, json.dumps(index, ensure_ascii=False, indent=1))


def is_kaap_export(source: Source) -> bool:
    return source.exists(INDEX)


def _time(value) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # Year 1 at +01:00 is before datetime's first instant in UTC.
        return parsed.astimezone(UTC) if parsed.tzinfo else None
    except (ValueError, OverflowError):
        return None


def _time_of(raw: dict, name: str, warn: Callable[[str], None]) -> datetime | None:
    value = raw.get(name)
    parsed = _time(value)
    if parsed is None and value is not None:
        warn(f"{name} {str(value)[:40]!r} is not a time Kaap can store: set to the import time")
    return parsed


def _list(value) -> list:
    return value if isinstance(value, list) else []


def read_index(source: Source) -> dict:
    index = json.loads(source.read(INDEX).decode("utf-8"))
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise ValueError("kaap.json is not a Kaap export")
    if index.get("version") != VERSION:
        raise ValueError(f"this Kaap reads export version {VERSION}, not {index.get('version')}")
    return index


def in_own_order(notes: list) -> list[tuple[int, object]]:
    """The index's notes with their numbers, lowest position first: each imported note goes
    first, so the last written is on top and the notes keep the order they were exported in
    (notes without a position, from before 0011, come first: at the bottom, in file order)."""

    def place(entry):
        position = entry[1].get("position") if isinstance(entry[1], dict) else None
        return (True, position) if keys.is_valid(position) else (False, "")

    return sorted(enumerate(notes), key=place)


def parse(source: Source, raw: dict, warn: Callable[[str], None]) -> Incoming:
    """One note of ``kaap.json``; anything malformed raises ``ValueError``."""
    if not isinstance(raw, dict) or not isinstance(raw.get("uid"), str) or len(raw["uid"]) > 36:
        raise ValueError("a note without a valid uid")
    kind = raw.get("kind") if raw.get("kind") in KINDS else "text"
    items = [
        item
        for item in _list(raw.get("items"))
        if isinstance(item, dict) and isinstance(item.get("text"), str)
    ]
    incoming = Incoming(
        uid=raw["uid"],
        title=raw.get("title") if isinstance(raw.get("title"), str) else "",
        body=raw.get("body") if isinstance(raw.get("body"), str) else "",
        kind=kind,
        items=[(item["text"], item.get("checked") is True) for item in items],
        item_ids=[_item_id(item.get("id")) for item in items],
        color=raw.get("color") if raw.get("color") in COLORS else "default",
        pinned=raw.get("pinned") is True,
        archived=raw.get("archived") is True,
        trashed=raw.get("trashed_at") is not None,
        created_at=_time_of(raw, "created_at", warn),
        updated_at=_time_of(raw, "updated_at", warn),
        version=raw.get("version", 1),  # checked with the other numbers by notes.settle
        labels=[name for name in _list(raw.get("labels")) if isinstance(name, str)],
    )
    for image in _list(raw.get("images")):
        path = image.get("file") if isinstance(image, dict) else None
        if not isinstance(path, str) or not source.exists(path):
            warn(f"image {path} is missing from the archive")
            continue
        incoming.images.append((path, lambda path=path: source.read(path)))
    incoming.history = history_transfer.parse_versions(
        raw.get("history"), kinds=KINDS, colors=COLORS
    )
    return incoming


def _item_id(value) -> str | None:
    """An item's id as an export kept it (what sync knows the item by), if well formed."""
    if isinstance(value, str) and re.match(ITEM_ID_PATTERN, value):
        return value
    return None
