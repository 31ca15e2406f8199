"""The desktop side's memory of a server: the last copy both sides agreed on of each note and
label (the base of the three-way merge), and how far this device has pulled and pushed.

Keyed by the server's id: connecting to another server starts from nothing, and a server's
rows are never read for another.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db.types import UTCDateTime
from webapp.extensions import db


class SyncBase(db.Model):
    """A note or label as last synced with the server: what both sides' edits are merged
    against (``webapp.sync.merge``)."""

    __tablename__ = "sync_base"

    server_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "note" or "label"
    uid: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The server's version of it (notes; labels have none).
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The state as sync's JSON (``webapp.sync.merge`` describes it).
    state: Mapped[str] = mapped_column(Text)


class SyncCursor(db.Model):
    """How far this device is with one server: the feed's high-water mark it pulled to, and
    the local change sequence it pushed to (local writes above it are not on the server)."""

    __tablename__ = "sync_cursor"

    server_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    high_water: Mapped[int] = mapped_column(BigInteger, default=0)
    pushed_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    first_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
