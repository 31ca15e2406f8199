"""API tokens carry an admin scope, granted only when asked for at creation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    # Tokens made before the scope existed get none: an admin's old token stops administering.
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("admin")
