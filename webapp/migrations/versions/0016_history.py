"""Every note's own history (its versions)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 13:30:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    pass  # written by issue #17's history work


def downgrade():
    pass
