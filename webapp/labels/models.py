from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
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
    __table_args__ = (UniqueConstraint("owner_id", "name_key", name="uq_labels_owner_name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(4 * NAME_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
