"""Every model, imported once so the metadata is complete (migrations, create_all)."""

from webapp.accounts.models import ApiToken, User, UserSession
from webapp.drafts.models import Draft
from webapp.history.models import NoteVersion, VersionFile
from webapp.images.models import Image
from webapp.labels.models import Label
from webapp.notes.models import ChecklistItem, Note, NoteMove, note_labels
from webapp.settings.models import Setting
from webapp.sync.device.models import SyncBase, SyncCursor
from webapp.sync.models import AppliedChange, SyncSequence, SyncServer, Tombstone

__all__ = [
    "ApiToken",
    "AppliedChange",
    "ChecklistItem",
    "Draft",
    "Image",
    "Label",
    "Note",
    "NoteMove",
    "NoteVersion",
    "Setting",
    "SyncBase",
    "SyncCursor",
    "SyncSequence",
    "SyncServer",
    "Tombstone",
    "User",
    "UserSession",
    "VersionFile",
    "note_labels",
]
