"""The device's three-way merge of one note: the last synced copy (the base), this device's
and the server's, into one note, and a conflict copy when two edits of the same text cannot
both be kept. Pure functions on sync's JSON; nothing here touches a database.

A note's state, as the feed gives it (``webapp.sync.service.notes_json``) and the device keeps
it as its base (``webapp.sync.device.models.SyncBase``)::

    {"title": str, "body": str, "kind": "text" | "checklist", "color": str,
     "pinned": bool, "archived": bool, "trashed": bool,
     "items": [{"id": str, "text": str, "checked": bool}, ...],   # in order
     "label_uids": [str, ...],                                    # a set
     "images": [str, ...],                                        # SHA-256s, in order
     "field_times": {"color": iso, "pinned": iso, "archived": iso, "trashed": iso}}

(The feed's ``images`` are objects with a ``sha256``; ``webapp.sync.device`` turns them into
the plain list above before merging.)
"""

from __future__ import annotations

from dataclasses import dataclass

CONFLICTS_LABEL = "Conflicts"


@dataclass
class Merged:
    """The note both sides end with, and the device's text as a note of its own when it
    could not be kept in it (None otherwise)."""

    note: dict
    conflict_copy: dict | None = None


def merge_note(base: dict | None, local: dict, remote: dict, *, device: str) -> Merged:
    """Merge ``local`` (this device's) and ``remote`` (the server's) edits of ``base``.

    ``base`` None: the two were never synced (a first sync finding one uid on both sides).
    """
    raise NotImplementedError("webapp.sync.merge: being written (issue #14)")
