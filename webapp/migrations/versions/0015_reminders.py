"""Reminders on notes (a time, its zone, a repeat rule, done)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 13:30:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    pass  # written by issue #17's reminders work


def downgrade():
    pass
