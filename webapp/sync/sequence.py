"""The per-account change sequence: what every write (``webapp.notes.service.write_note``,
``delete_notes``, the label writes) takes a number of, inside its own transaction.

The counter row is bumped with one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: on
PostgreSQL the row's lock makes two writers of one account wait for each other until the first
commits, so sequences commit in their order and a feed reader that saw sequence n never later
meets a smaller one (SQLite's one writer gives the same).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, text
from sqlalchemy.engine import Connection

from webapp.db.prepared import run
from webapp.sync.models import Tombstone

_BUMP = text(
    "INSERT INTO sync_sequences (owner_id, seq, pruned_seq) VALUES (:owner_id, :n, 0) "
    "ON CONFLICT (owner_id) DO UPDATE SET seq = sync_sequences.seq + :n RETURNING seq"
)


def bump(conn: Connection, owner_id: int, n: int = 1) -> int:
    """Take ``n`` numbers of the owner's sequence; returns the last (the first is it - n + 1)."""
    # Prepared on SQLite (``webapp.db.prepared``): it runs on every write.
    return run(conn, _BUMP, {"owner_id": owner_id, "n": n}).scalar_one()


def bury(conn: Connection, owner_id: int, kind: str, uids: list[str], now: datetime) -> None:
    """Tombstones for these deleted notes or labels of the owner, each with its own number."""
    if not uids:
        return
    last = bump(conn, owner_id, len(uids))
    first = last - len(uids) + 1
    conn.execute(insert(Tombstone), [
        {"owner_id": owner_id, "kind": kind, "uid": uid, "seq": first + i, "deleted_at": now}
        for i, uid in enumerate(uids)
    ])  # fmt: skip
