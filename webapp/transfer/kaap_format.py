"""Kaap's own export: ``kaap.json`` (every field, versioned), Markdown per note, the images.

Format (``"format": "kaap-export", "version": 1``)::

    {"format": "kaap-export", "version": 1, "exported_at": "...Z",
     "labels": [{"name": "Work"}],
     "notes": [{"uid", "title", "body", "kind", "items": [{"text", "checked"}], "color",
                "pinned", "archived", "trashed_at", "created_at", "updated_at", "version",
                "labels": ["Work"],
                "images": [{"file": "images/<name>", "content_type", "width", "height"}]}]}
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.disk import removed_on_failure
from webapp.images.service import Store
from webapp.labels.models import Label
from webapp.notes.models import COLORS, KINDS, Note
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


def write_export(session: Session, store: Store, owner_id: int, now: datetime, dest: Path) -> int:
    """Write every note of the owner to a zip at ``dest``; returns how many notes."""
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
    tmp = dest.with_name(dest.name + ".part")
    with (
        removed_on_failure(tmp),
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for number, note in enumerate(notes, start=1):
            index["notes"].append(
                {
                    "uid": note.uid,
                    "title": note.title,
                    "body": note.body,
                    "kind": note.kind,
                    "items": [{"text": i.text, "checked": i.checked} for i in note.items],
                    "color": note.color,
                    "pinned": note.pinned,
                    "archived": note.archived,
                    "trashed_at": isoformat(note.trashed_at),
                    "created_at": isoformat(note.created_at),
                    "updated_at": isoformat(note.updated_at),
                    "version": note.version,
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
    tmp.replace(dest)
    return len(notes)


def is_kaap_export(source: Source) -> bool:
    return source.exists(INDEX)


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def read_index(source: Source) -> dict:
    index = json.loads(source.read(INDEX).decode("utf-8"))
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise ValueError("kaap.json is not a Kaap export")
    if index.get("version") != VERSION:
        raise ValueError(f"this Kaap reads export version {VERSION}, not {index.get('version')}")
    return index


def parse(source: Source, raw: dict, warn: Callable[[str], None]) -> Incoming:
    """One note of ``kaap.json``; anything malformed raises ``ValueError``."""
    if not isinstance(raw, dict) or not isinstance(raw.get("uid"), str) or len(raw["uid"]) > 36:
        raise ValueError("a note without a valid uid")
    kind = raw.get("kind") if raw.get("kind") in KINDS else "text"
    incoming = Incoming(
        uid=raw["uid"],
        title=raw.get("title") if isinstance(raw.get("title"), str) else "",
        body=raw.get("body") if isinstance(raw.get("body"), str) else "",
        kind=kind,
        items=[
            (item["text"], item.get("checked") is True)
            for item in raw.get("items") or []
            if isinstance(item, dict) and isinstance(item.get("text"), str)
        ],
        color=raw.get("color") if raw.get("color") in COLORS else "default",
        pinned=raw.get("pinned") is True,
        archived=raw.get("archived") is True,
        trashed_at=_time(raw.get("trashed_at")),
        created_at=_time(raw.get("created_at")),
        updated_at=_time(raw.get("updated_at")),
        version=raw["version"] if isinstance(raw.get("version"), int) and raw["version"] > 0 else 1,
        labels=[name for name in raw.get("labels") or [] if isinstance(name, str)],
    )
    for image in raw.get("images") or []:
        path = image.get("file") if isinstance(image, dict) else None
        if not isinstance(path, str) or not source.exists(path):
            warn(f"image {path} is missing from the archive")
            continue
        incoming.images.append((path, lambda path=path: source.read(path)))
    return incoming
