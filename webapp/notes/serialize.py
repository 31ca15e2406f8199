"""A note as the API shows it, from the ``NoteRow`` every read and write of a note returns."""

from __future__ import annotations

from webapp.notes.rows import NoteRow
from webapp.reminders import service as reminders


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


def note_json(note: NoteRow) -> dict:
    """JSON of a note (its times are already the API's text); a listed note adds where the
    query matched."""
    out = {
        "id": note.id,
        "title": note.title,
        "body": note.body,
        "kind": note.kind,
        "items": [
            {"id": item.uid, "text": item.text, "checked": item.checked} for item in note.items
        ],
        "color": note.color,
        "pinned": note.pinned,
        "archived": note.archived,
        "labels": [{"id": label.id, "name": label.name} for label in note.labels],
        "images": [image_json(image) for image in note.images],
        "trashed_at": note.trashed_at,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "version": note.version,
        "position": note.position,
        "reminder": reminder_json(note),
    }
    if note.matches is not None:
        out["matches"] = note.matches
    return out


def reminder_json(note: NoteRow) -> dict | None:
    """The note's reminder as the API gives it, or None."""
    return reminders.to_json(
        reminders.of_row(note.reminder_at, note.reminder_zone, note.reminder_repeat,
                         note.reminder_done)
    )  # fmt: skip
