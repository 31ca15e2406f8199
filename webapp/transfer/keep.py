"""Google Keep Takeout: one JSON file per note, whatever the Keep folder is called."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import PurePosixPath

from webapp.transfer.archive import Source
from webapp.transfer.notes import Incoming

# Keep's colour names to Kaap's palette (CERULEAN is Keep's dark blue).
COLORS = {
    "DEFAULT": "default",
    "WHITE": "default",
    "RED": "red",
    "ORANGE": "orange",
    "YELLOW": "yellow",
    "GREEN": "green",
    "TEAL": "teal",
    "BLUE": "blue",
    "CERULEAN": "darkblue",
    "DARK_BLUE": "darkblue",
    "PURPLE": "purple",
    "PINK": "pink",
    "BROWN": "brown",
    "GRAY": "gray",
    "GREY": "gray",
}
NOTE_KEYS = {
    "textContent",
    "listContent",
    "userEditedTimestampUsec",
    "createdTimestampUsec",
    "isTrashed",
    "isArchived",
    "isPinned",
    "title",
    "textContentHtml",
}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")
KEEP_NAMESPACE = uuid.UUID("0b0f3a57-4f0f-4d1e-9f7a-6b6b6b4b6565")


def note_files(source: Source) -> list[str]:
    """The JSON files of the archive, in a stable order."""
    return sorted(e.path for e in source.entries() if e.path.lower().endswith(".json"))


def labels_file(source: Source) -> str | None:
    """Where Labels.txt is (Keep lists every label there, used or not), if anywhere."""
    for entry in source.entries():
        if PurePosixPath(entry.path).name.lower() == "labels.txt":
            return entry.path
    return None


def label_names(source: Source, path: str) -> list[str]:
    """The labels of Labels.txt, one a line."""
    text = source.read(path).decode("utf-8", "replace")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _time(usec) -> datetime | None:
    if isinstance(usec, int | float) and not isinstance(usec, bool) and 0 < usec < 2**62:
        try:
            return datetime.fromtimestamp(usec / 1_000_000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _list(value) -> list:
    # Every field is optional and may hold anything: a wrong type is as good as missing.
    return value if isinstance(value, list) else []


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def parse(source: Source, path: str, raw: dict, warn: Callable[[str], None]) -> Incoming | None:
    """A note from one Takeout JSON object, or None when it is not a note at all."""
    if not isinstance(raw, dict) or not NOTE_KEYS & raw.keys():
        return None
    stem = PurePosixPath(path).stem
    created = _time(raw.get("createdTimestampUsec"))
    edited = _time(raw.get("userEditedTimestampUsec")) or created
    key = f"keep:{raw.get('createdTimestampUsec', '')}:{stem}"
    body = _text(raw.get("textContent")) or _html_to_text(_text(raw.get("textContentHtml")))
    links = []
    for link in _list(raw.get("annotations")):
        url = _text(link.get("url")) if isinstance(link, dict) else ""
        if url and url not in body:
            title = _text(link.get("title"))
            links.append(f"{title}: {url}" if title else url)
    if links:
        body = (body + "\n\n" if body else "") + "\n".join(links)
    color = _text(raw.get("color")).upper() or "DEFAULT"
    if color not in COLORS:
        warn(f"unknown colour {color!r}, kept as default")
    incoming = Incoming(
        uid=str(uuid.uuid5(KEEP_NAMESPACE, key)),
        title=_text(raw.get("title")),
        body=body,
        color=COLORS.get(color, "default"),
        pinned=raw.get("isPinned") is True,
        archived=raw.get("isArchived") is True,
        trashed=raw.get("isTrashed") is True,
        created_at=created,
        updated_at=edited,
        labels=[
            _text(label.get("name"))
            for label in _list(raw.get("labels"))
            if isinstance(label, dict) and _text(label.get("name"))
        ],
    )
    if isinstance(raw.get("listContent"), list):
        incoming.kind = "checklist"
        incoming.items = [
            (_text(item.get("text")), item.get("isChecked") is True)
            for item in raw["listContent"]
            if isinstance(item, dict)
        ]
    folder = PurePosixPath(path).parent
    for attachment in _list(raw.get("attachments")):
        if not isinstance(attachment, dict):
            continue
        name = _text(attachment.get("filePath"))
        mimetype = _text(attachment.get("mimetype"))
        if not name:
            continue
        if not (mimetype.startswith("image/") or name.lower().endswith(IMAGE_EXTENSIONS)):
            warn(f"attachment {name} ({mimetype or 'unknown type'}) skipped: only images are kept")
            continue
        found = _find_attachment(source, folder, name)
        if found is None:
            warn(f"attachment {name} is missing from the archive")
            continue
        if found != (folder / name).as_posix():
            warn(f"attachment {name} found as {PurePosixPath(found).name}")
        incoming.images.append((name, lambda found=found: source.read(found)))
    return incoming


def _find_attachment(source: Source, folder: PurePosixPath, name: str) -> str | None:
    """The archive path of an attachment, allowing for an extension that differs on disk."""
    exact = (folder / name).as_posix()
    if source.exists(exact):
        return exact
    stem = PurePosixPath(name).stem
    for extension in IMAGE_EXTENSIONS:
        for candidate in (stem + extension, stem + extension.upper()):
            path = (folder / candidate).as_posix()
            if source.exists(path):
                return path
    return None


def load_json(source: Source, path: str):
    return json.loads(source.read(path).decode("utf-8"))


def is_empty(incoming: Incoming) -> bool:
    return not (
        incoming.title.strip()
        or incoming.body.strip()
        or any(text.strip() for text, _ in incoming.items)
        or incoming.images
        or incoming.labels
    )
