"""One sync of this desktop with its server: pull what changed there, merge it with what
changed here, push what changed here. The page's "Sync now", the background worker
(``webapp.sync.device.worker``) and ``flask sync now`` all run ``sync_now``.

Runs inside an app context (the local database through ``db.session``, the app's clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    """What one sync did, for the CLI's lines and the page's state."""

    pulled: int = 0  # notes and labels changed here from the server
    pushed: int = 0  # changes the server applied
    deleted_here: int = 0  # notes deleted or trashed here by the server's changes
    conflict_copies: int = 0  # notes made to keep text that could not be merged
    images_up: int = 0
    images_down: int = 0
    invalid: list[str] = field(default_factory=list)  # changes the server refused, as sentences
    # Set when the pull would remove many of this device's notes: nothing was applied, and
    # the person is asked (``sync_now(removals="apply" | "keep")`` goes on).
    paused_removals: int | None = None
    in_step: bool = False  # nothing left to pull or push


def sync_now(*, removals: str | None = None) -> Report:
    """Sync once; raises ``webapp.sync.device.client.SyncError`` when the server cannot be
    reached, refuses the token, or is not the one connected to (the state in sync.json says
    so too). ``removals``: the person's answer to a paused pull ("apply": go on; "keep":
    put the notes back on the server instead)."""
    raise NotImplementedError("webapp.sync.device.engine: being written (issue #14)")
