"""Every note's own history (its versions)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 13:30:00
"""

import sqlalchemy as sa
from alembic import op

import webapp.db.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    # No rowid on SQLite: the (note, number) key is the table's one b-tree (see the model).
    op.create_table(
        "note_versions",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", webapp.db.types.UTCDateTime(), nullable=False),
        sa.Column("device", sa.String(length=100), nullable=True),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["notes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("note_id", "number"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "note_version_files",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=False),
        sa.Column("thumb_name", sa.String(length=80), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["notes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("note_id", "digest"),
        sa.UniqueConstraint("file_name"),
        sa.UniqueConstraint("thumb_name"),
    )


def downgrade():
    op.drop_table("note_version_files")
    op.drop_table("note_versions")
