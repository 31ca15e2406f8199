"""A note as the API shows it: one function for ORM notes and list views alike."""

from __future__ import annotations

from webapp.timeutil import isoformat


def image_json(image) -> dict:
    """An image as notes list it; the URLs serve the cleaned file and its thumbnail."""
    return {
        "id": image.id,
        "width": image.width,
        "height": image.height,
        "content_type": image.content_type,
        "url": f"/api/images/{image.id}/file",
        "thumb_url": f"/api/images/{image.id}/thumb",
    }


def _time(value) -> str | None:
    # A ``Note`` holds datetimes, a ``NoteView`` the same instants already as text.
    return value if value is None or isinstance(value, str) else isoformat(value)


def note_json(note, matches: list[dict] | None = None) -> dict:
    """JSON of a ``Note`` or ``NoteView``; list results add where the query matched."""
    out = {
        "id": note.id,
        "title": note.title,
        "body": note.body,
        "kind": note.kind,
        "items": [{"text": item.text, "checked": item.checked} for item in note.items],
        "color": note.color,
        "pinned": note.pinned,
        "archived": note.archived,
        "labels": [{"id": label.id, "name": label.name} for label in note.labels],
        "images": [image_json(image) for image in note.images],
        "trashed_at": _time(note.trashed_at),
        "created_at": _time(note.created_at),
        "updated_at": _time(note.updated_at),
        "version": note.version,
        "position": note.position,
    }
    if matches is not None:
        out["matches"] = matches
    return out
