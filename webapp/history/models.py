"""History's tables: a note's versions and the image files its versions keep alive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db.types import UTCDateTime
from webapp.extensions import db


class NoteVersion(db.Model):
    """One version of a note: the note as it was after a save (see ``webapp.history.store``).

    The newest version of a note holds its state in full, each older one only what changed
    against the next (zlib-compressed JSON either way): a few words edited cost a few bytes.
    """

    __tablename__ = "note_versions"
    # Keyed by (note, number) with no rowid on SQLite: one b-tree, not a table and an index.
    __table_args__ = {"sqlite_with_rowid": False}

    note_id: Mapped[int] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The device that made it (the API token's "Kaap on <device>"), None for the page's saves.
    device: Mapped[str | None] = mapped_column(String(100))
    full: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class VersionFile(db.Model):
    """An image file a version of the note names, kept after the note let go of the image.

    ``last_number``: the newest version that may name it; the files go once the note keeps
    no version up to that number.
    """

    __tablename__ = "note_version_files"

    note_id: Mapped[int] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(80), unique=True)
    thumb_name: Mapped[str] = mapped_column(String(80), unique=True)
    last_number: Mapped[int] = mapped_column(Integer)
