"""Search on PostgreSQL: a trigram (pg_trgm) GIN index on notes.search_text; none on SQLite

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 16:50:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Search keeps its one condition on every database, search_text LIKE '%term%' (both sides
# already case-folded, % and _ escaped); a trigram index answers it for terms of 3 or more
# characters and PostgreSQL rechecks each candidate row, so results cannot change.
INDEX = "ix_notes_search_text_trgm"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite has its own full-text indexes (0003)
    installed = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
    if installed.first() is None:
        # pg_trgm is a trusted extension: the database's owner may create it (PostgreSQL 13+);
        # where the role may not, an administrator runs this once beforehand.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON notes USING gin (search_text gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")  # the extension may serve others: it stays
