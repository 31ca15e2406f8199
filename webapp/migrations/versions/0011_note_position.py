"""Each note's place in the person's own order, as Keep keeps it

A position key per note (``webapp.notes.keys``) that sorts the list, greatest first, within
pinned and others; existing notes get keys that give today's order (the newest edit first).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from webapp.notes import keys

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KEY = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


# Plain ALTER TABLE and CREATE INDEX, as 0005: a batch rebuild of notes would drop the search
# triggers. Filling the column touches no search_text, so the search index stays as it is.


def upgrade():
    op.add_column("notes", sa.Column("position", KEY, nullable=False, server_default=""))
    op.add_column("note_moves", sa.Column("old_position", KEY, nullable=False, server_default=""))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, owner_id FROM notes ORDER BY owner_id, updated_at, id")
    ).all()
    # Per owner, ascending keys oldest edit first: the list, greatest key first, is unchanged
    # in each section (pinned, others), and so in every view.
    updates, owner, key = [], None, None
    for note_id, owner_id in rows:
        key = keys.between(key if owner_id == owner else None, None)
        owner = owner_id
        updates.append({"id": note_id, "position": key})
    if updates:
        bind.execute(sa.text("UPDATE notes SET position = :position WHERE id = :id"), updates)
    # Moves recorded before: the note's new key is the nearest there is (they expire in a day).
    bind.execute(
        sa.text(
            "UPDATE note_moves SET old_position = "
            "(SELECT position FROM notes WHERE notes.id = note_moves.note_id)"
        )
    )
    op.create_index(
        "ix_notes_owner_position", "notes", ["owner_id", "pinned", "position", "id"]
    )


def downgrade():
    op.drop_index("ix_notes_owner_position", table_name="notes")
    op.drop_column("note_moves", "old_position")
    op.drop_column("notes", "position")
