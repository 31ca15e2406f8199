"""Remember where a note stood in the list before a change moved it

Keyset pagination cursors read the list as it stood when the walk began; these rows let a
later page place a note that moved since then, so no note is repeated or skipped.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:05:00
"""

import sqlalchemy as sa
from alembic import op

import webapp.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('note_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('moved_at', webapp.db.types.UTCDateTime(), nullable=False),
    sa.Column('old_pinned', sa.Boolean(), nullable=False),
    sa.Column('old_updated_at', webapp.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('note_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_moves_moved_at'), ['moved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_moves_note_id'), ['note_id'], unique=False)


def downgrade():
    with op.batch_alter_table('note_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_moves_note_id'))
        batch_op.drop_index(batch_op.f('ix_note_moves_moved_at'))

    op.drop_table('note_moves')
