"""Every model, imported once so the metadata is complete (migrations, create_all)."""

from webapp.accounts.models import ApiToken, User, UserSession
from webapp.images.models import Image
from webapp.labels.models import Label
from webapp.notes.models import ChecklistItem, Note, NoteMove, note_labels

__all__ = [
    "ApiToken",
    "ChecklistItem",
    "Image",
    "Label",
    "Note",
    "NoteMove",
    "User",
    "UserSession",
    "note_labels",
]
