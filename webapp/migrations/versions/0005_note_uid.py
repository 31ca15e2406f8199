"""A stable uid per note, so importing an export twice creates no duplicates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 14:45:00
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Plain ALTER TABLE and CREATE INDEX: a batch rebuild of notes would drop the search
# triggers, and with foreign keys on, dropping notes would cascade to items and images.


def upgrade():
    op.add_column(
        "notes", sa.Column("uid", sa.String(length=36), nullable=False, server_default="")
    )
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM notes"))]
    for note_id in ids:
        bind.execute(
            sa.text("UPDATE notes SET uid = :uid WHERE id = :id"),
            {"uid": str(uuid.uuid4()), "id": note_id},
        )
    op.create_index("uq_notes_owner_uid", "notes", ["owner_id", "uid"], unique=True)


def downgrade():
    op.drop_index("uq_notes_owner_uid", table_name="notes")
    op.drop_column("notes", "uid")
