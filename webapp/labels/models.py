from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db.types import UTCDateTime
from webapp.extensions import db
from webapp.timeutil import utcnow

NAME_MAX = 50


def name_key(name: str) -> str:
    """What makes two label names the same: Unicode case folding (SQL lower() is ASCII-only)."""
    return name.casefold()


class Label(db.Model):
    __tablename__ = "labels"
    __table_args__ = (
        UniqueConstraint("owner_id", "name_key", name="uq_labels_owner_name_key"),
        Index("uq_labels_owner_uid", "owner_id", "uid", unique=True),
        Index("ix_labels_owner_seq", "owner_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(4 * NAME_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Sync names a label by its uid, so a rename on one device follows everywhere.
    uid: Mapped[str] = mapped_column(
        String(36), default=lambda: str(uuid.uuid4()), server_default=""
    )
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
