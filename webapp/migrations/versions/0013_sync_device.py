"""The desktop side of sync: the last synced copy of each note and label (the merge's base)
and how far a device has pulled and pushed, per server

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 13:00:00
"""

import sqlalchemy as sa
from alembic import op

from webapp.db.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sync_base",
        sa.Column("server_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("uid", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_table(
        "sync_cursor",
        sa.Column("server_id", sa.String(36), primary_key=True),
        sa.Column("high_water", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("pushed_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("first_synced_at", UTCDateTime(), nullable=True),
    )


def downgrade():
    op.drop_table("sync_cursor")
    op.drop_table("sync_base")
