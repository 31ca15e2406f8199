"""Sync's tables: the change sequence per account, tombstones, the server's id and the push
changes already applied (see ``webapp.sync.service``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db.types import UTCDateTime
from webapp.extensions import db


class SyncSequence(db.Model):
    """An account's change counter: every write takes the next number, under this row's lock."""

    __tablename__ = "sync_sequences"

    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    # The greatest sequence of a tombstone pruned: a device behind it resyncs in full.
    pruned_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Tombstone(db.Model):
    """A deleted note or label, kept ``SYNC_TOMBSTONE_DAYS`` so devices hear of it."""

    __tablename__ = "sync_tombstones"
    __table_args__ = (Index("ix_sync_tombstones_owner_seq", "owner_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # "note" or "label"
    uid: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class AppliedChange(db.Model):
    """A pushed change's answer, kept so a retried batch is applied once."""

    __tablename__ = "sync_applied"

    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    change_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SyncServer(db.Model):
    """This server's id, made once: a device notices a reset or another server by it."""

    __tablename__ = "sync_server"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_id: Mapped[str] = mapped_column(String(36))


class SyncBlob(db.Model):
    """An image a device uploaded by its SHA-256 (``webapp.sync.blobs``), the owner's until a
    pushed note takes a copy of it; pruned a day after its upload."""

    __tablename__ = "sync_blobs"
    __table_args__ = (
        UniqueConstraint("owner_id", "digest", name="uq_sync_blobs_owner_digest"),
        Index("ix_sync_blobs_owner_uploaded", "owner_id", "uploaded_digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The stored file's SHA-256 (the pipeline re-encodes), and the one the device sent.
    digest: Mapped[str] = mapped_column(String(64))
    uploaded_digest: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(80), unique=True)
    thumb_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    thumb_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
