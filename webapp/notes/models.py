from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db.types import UTCDateTime
from webapp.extensions import db
from webapp.labels.models import Label

if TYPE_CHECKING:  # mapped by name: the images package's store reaches these models
    from webapp.images.models import Image

# Position keys compare as their code points (see ``webapp.notes.order``): on PostgreSQL the
# "C" collation, whatever the database's own (en_US would put "a0" before "Zz").
POSITION_KEY = Text().with_variant(Text(collation="C"), "postgresql")

COLORS = (
    "default", "red", "orange", "yellow", "green", "teal", "blue",
    "darkblue", "purple", "pink", "brown", "gray",
)  # fmt: skip
KINDS = ("text", "checklist")

note_labels = Table(
    "note_labels",
    db.metadata,
    Column("note_id", Integer, ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True),
    Column("label_id", Integer, ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_note_labels_label_id", "label_id"),
)


class Note(db.Model):
    __tablename__ = "notes"
    __table_args__ = (
        # The list order (pinned, updated_at, id), per owner: keyset pages walk this index.
        Index("ix_notes_owner_order", "owner_id", "pinned", "updated_at", "id"),
        # The person's own order (``webapp.notes.order``), walked the same way.
        Index("ix_notes_owner_position", "owner_id", "pinned", "position", "id"),
        Index("ix_notes_owner_trashed_at", "owner_id", "trashed_at"),
        Index("uq_notes_owner_uid", "owner_id", "uid", unique=True),
        # Sync's change feed walks each owner's changes in sequence order.
        Index("ix_notes_owner_seq", "owner_id", "seq"),
        # Reminders, upcoming soonest first, and what is due (``webapp.reminders``).
        # Upcoming reminders, per owner: only the notes that have one (see 0015).
        Index(
            "ix_notes_owner_reminder",
            "owner_id",
            "reminder_done",
            "reminder_at",
            sqlite_where=text("reminder_at IS NOT NULL"),
            postgresql_where=text("reminder_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Stable across exports and imports: re-importing an export creates no duplicates.
    uid: Mapped[str] = mapped_column(
        String(36), default=lambda: str(uuid.uuid4()), server_default=""
    )
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="text")
    color: Mapped[str] = mapped_column(String(16), default="default")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    trashed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The note's place in its section in the person's own order: the greatest key first.
    position: Mapped[str] = mapped_column(POSITION_KEY, default="", server_default="")
    # Case-folded title, body and items, kept in step by the service: substring search
    # in any language without SQL's ASCII-only lower().
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The owner's change sequence at the note's last change (``webapp.sync``).
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # When each field merged by "later change wins" last changed (sync's merge reads them).
    color_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pinned_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archived_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trashed_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The reminder (``webapp.reminders``): its next occurrence in UTC, the person's IANA zone
    # (the wall-clock time repeats), an RFC 5545 rule or None, done, when it last changed (for
    # sync's merge) and the occurrence last notified (each notifies once).
    reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_zone: Mapped[str | None] = mapped_column(String(64))
    reminder_repeat: Mapped[str | None] = mapped_column(String(32))
    reminder_done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reminder_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="note",
        order_by="ChecklistItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    labels: Mapped[list[Label]] = relationship(
        secondary=note_labels, order_by=Label.name_key, passive_deletes=True
    )
    images: Mapped[list[Image]] = relationship(order_by="Image.position", viewonly=True)


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    checked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Stable across edits (an edit that sends the item's id back keeps it): sync merges by it.
    uid: Mapped[str] = mapped_column(
        String(36), default=lambda: str(uuid.uuid4()), server_default=""
    )

    note: Mapped[Note] = relationship(back_populates="items")


class NoteMove(db.Model):
    """A note's place in the list before a change moved it (kept for a day).

    Every change bumps ``updated_at`` and so moves the note to the top of the list by last
    edit; a move or a pin changes its ``position`` in the own order. A pagination cursor
    remembers when its walk began; with these rows a later page can still place a note that
    moved since then where it stood, so a walk neither repeats nor skips it.
    """

    __tablename__ = "note_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    old_pinned: Mapped[bool] = mapped_column(Boolean)
    old_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    old_position: Mapped[str] = mapped_column(POSITION_KEY, server_default="")
