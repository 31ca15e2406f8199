"""Sync's images by content: a blob a device uploaded before the note that uses it is pushed

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 13:00:00
"""

import sqlalchemy as sa
from alembic import op

from webapp.db.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sync_blobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("uploaded_digest", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(80), nullable=False, unique=True),
        sa.Column("thumb_name", sa.String(80), nullable=False, unique=True),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("byte_size", sa.Integer, nullable=False),
        sa.Column("thumb_digest", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("owner_id", "digest", name="uq_sync_blobs_owner_digest"),
    )
    op.create_index("ix_sync_blobs_owner_uploaded", "sync_blobs", ["owner_id", "uploaded_digest"])
    op.create_index("ix_sync_blobs_created_at", "sync_blobs", ["created_at"])
    # A blob's digest is looked up among the owner's images (missing, GET, a push naming it).
    op.create_index("ix_images_digest", "images", ["digest"])


def downgrade():
    op.drop_index("ix_images_digest", table_name="images")
    op.drop_table("sync_blobs")
