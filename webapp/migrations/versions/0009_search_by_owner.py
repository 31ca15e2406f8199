"""Search indexes narrow by owner: the owner's term in SQLite's FTS tables, (owner_id,
search_text) in one GIN index on PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 08:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# SQLite. kaap_owner() and the two-argument kaap_grams() are Python functions the app
# registers on every connection (webapp.search.index.register_functions). The FTS tables are
# made anew (FTS5 cannot add a column) and refilled; the triggers go first, as they name them.
TRIGGERS = ("notes_search_ai", "notes_search_ad", "notes_search_au")
UPGRADE = [
    # notes_fts reads the owner's token and the text through this view when it rebuilds.
    "CREATE VIEW notes_fts_source AS "
    "SELECT id, kaap_owner(owner_id) AS owner, search_text FROM notes",
    "CREATE VIRTUAL TABLE notes_fts USING fts5(owner, search_text, "
    "content='notes_fts_source', content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE VIRTUAL TABLE notes_grams USING fts5(grams, content='', detail='none', "
    "tokenize='ascii')",
    """CREATE TRIGGER notes_search_ai AFTER INSERT ON notes BEGIN
        INSERT INTO notes_fts(rowid, owner, search_text)
            VALUES (new.id, kaap_owner(new.owner_id), new.search_text);
        INSERT INTO notes_grams(rowid, grams)
            VALUES (new.id, kaap_grams(new.owner_id, new.search_text));
    END""",
    """CREATE TRIGGER notes_search_ad AFTER DELETE ON notes BEGIN
        INSERT INTO notes_fts(notes_fts, rowid, owner, search_text)
            VALUES ('delete', old.id, kaap_owner(old.owner_id), old.search_text);
        INSERT INTO notes_grams(notes_grams, rowid, grams)
            VALUES ('delete', old.id, kaap_grams(old.owner_id, old.search_text));
    END""",
    # An owner changes only when an account takes notes over; the index must follow it too.
    """CREATE TRIGGER notes_search_au AFTER UPDATE OF search_text, owner_id ON notes
    WHEN old.search_text IS NOT new.search_text OR old.owner_id IS NOT new.owner_id BEGIN
        INSERT INTO notes_fts(notes_fts, rowid, owner, search_text)
            VALUES ('delete', old.id, kaap_owner(old.owner_id), old.search_text);
        INSERT INTO notes_grams(notes_grams, rowid, grams)
            VALUES ('delete', old.id, kaap_grams(old.owner_id, old.search_text));
        INSERT INTO notes_fts(rowid, owner, search_text)
            VALUES (new.id, kaap_owner(new.owner_id), new.search_text);
        INSERT INTO notes_grams(rowid, grams)
            VALUES (new.id, kaap_grams(new.owner_id, new.search_text));
    END""",
    "INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')",
    "INSERT INTO notes_grams(rowid, grams) SELECT id, kaap_grams(owner_id, search_text) FROM notes",
]
# 0003's tables and triggers, for the way back.
DOWNGRADE = [
    "CREATE VIRTUAL TABLE notes_fts USING fts5(search_text, content='notes', "
    "content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE VIRTUAL TABLE notes_grams USING fts5(grams, content='', detail='none', "
    "tokenize='ascii')",
    """CREATE TRIGGER notes_search_ai AFTER INSERT ON notes BEGIN
        INSERT INTO notes_fts(rowid, search_text) VALUES (new.id, new.search_text);
        INSERT INTO notes_grams(rowid, grams) VALUES (new.id, kaap_grams(new.search_text));
    END""",
    """CREATE TRIGGER notes_search_ad AFTER DELETE ON notes BEGIN
        INSERT INTO notes_fts(notes_fts, rowid, search_text)
            VALUES ('delete', old.id, old.search_text);
        INSERT INTO notes_grams(notes_grams, rowid, grams)
            VALUES ('delete', old.id, kaap_grams(old.search_text));
    END""",
    """CREATE TRIGGER notes_search_au AFTER UPDATE OF search_text ON notes
    WHEN old.search_text IS NOT new.search_text BEGIN
        INSERT INTO notes_fts(notes_fts, rowid, search_text)
            VALUES ('delete', old.id, old.search_text);
        INSERT INTO notes_grams(notes_grams, rowid, grams)
            VALUES ('delete', old.id, kaap_grams(old.search_text));
        INSERT INTO notes_fts(rowid, search_text) VALUES (new.id, new.search_text);
        INSERT INTO notes_grams(rowid, grams) VALUES (new.id, kaap_grams(new.search_text));
    END""",
    "INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')",
    "INSERT INTO notes_grams(rowid, grams) SELECT id, kaap_grams(search_text) FROM notes",
]

# PostgreSQL: GIN over both columns (btree_gin gives owner_id its GIN operator class), so
# the index intersects the owner's rows with each trigram's instead of returning every
# owner's candidates for a filter to discard. It replaces 0007's trigram-only index.
OLD_INDEX = "ix_notes_search_text_trgm"
INDEX = "ix_notes_owner_search_trgm"


def _drop_sqlite_search() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS notes_grams")
    op.execute("DROP TABLE IF EXISTS notes_fts")
    op.execute("DROP VIEW IF EXISTS notes_fts_source")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _drop_sqlite_search()
        for statement in UPGRADE:
            op.execute(statement)
        return
    if bind.dialect.name != "postgresql":
        return
    installed = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'btree_gin'"))
    if installed.first() is None:
        # btree_gin is a trusted extension, as pg_trgm is (see 0007).
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON notes "
        "USING gin (owner_id, search_text gin_trgm_ops)"
    )
    op.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _drop_sqlite_search()
        for statement in DOWNGRADE:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute(f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON notes "
                   "USING gin (search_text gin_trgm_ops)")  # fmt: skip
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
