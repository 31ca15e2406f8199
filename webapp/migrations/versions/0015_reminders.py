"""Reminders on notes (a time, its zone, a repeat rule, done)

A note's reminder: its next occurrence in UTC, the person's IANA zone (the wall-clock time is
what repeats), an RFC 5545 rule (``FREQ=WEEKLY``) or none, done, when it last changed (sync's
"later change wins") and the occurrence last notified (so each one notifies once).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 13:30:00
"""

import sqlalchemy as sa
from alembic import op

from webapp.db.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Plain ALTER TABLE and CREATE INDEX, as 0005, 0011 and 0012: a batch rebuild of notes would
# drop the search triggers. No existing note has a reminder, so there is nothing to fill.


def upgrade():
    op.add_column("notes", sa.Column("reminder_at", UTCDateTime(), nullable=True))
    op.add_column("notes", sa.Column("reminder_zone", sa.String(64), nullable=True))
    op.add_column("notes", sa.Column("reminder_repeat", sa.String(32), nullable=True))
    op.add_column(
        "notes",
        sa.Column("reminder_done", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("notes", sa.Column("reminder_changed_at", UTCDateTime(), nullable=True))
    op.add_column("notes", sa.Column("reminder_notified_at", UTCDateTime(), nullable=True))
    # "Upcoming, soonest first" per owner, and what is due.
    op.create_index(
        "ix_notes_owner_reminder", "notes", ["owner_id", "reminder_done", "reminder_at"],
        # Only the notes with a reminder: an index of every note by owner would be the
        # planner's pick for any owner's query (PostgreSQL took it over the search's trigrams).
        sqlite_where=sa.text("reminder_at IS NOT NULL"),
        postgresql_where=sa.text("reminder_at IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_notes_owner_reminder", table_name="notes")
    for name in ("reminder_notified_at", "reminder_changed_at", "reminder_done",
                 "reminder_repeat", "reminder_zone", "reminder_at"):  # fmt: skip
        op.drop_column("notes", name)
