"""Full-text search indexes (SQLite FTS5), kept in step by triggers; label names searchable

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# kaap_grams() is a Python function the app registers on every SQLite connection
# (webapp.search.index.register_functions).
UPGRADE = [
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
]


def _refresh_search_text(bind) -> None:
    """Label names are searchable from now on: add them to every labelled note's text."""
    rows = bind.execute(
        sa.text(
            "SELECT nl.note_id, l.name FROM note_labels nl JOIN labels l ON l.id = nl.label_id "
            "ORDER BY nl.note_id, l.name_key"
        )
    ).fetchall()
    names: dict[int, list[str]] = {}
    for note_id, name in rows:
        names.setdefault(note_id, []).append(name)
    for note_id, labels in names.items():
        current = bind.execute(
            sa.text("SELECT search_text FROM notes WHERE id = :id"), {"id": note_id}
        ).scalar_one()
        bind.execute(
            sa.text("UPDATE notes SET search_text = :text WHERE id = :id"),
            {"text": current + "\n" + "\n".join(n.casefold() for n in labels), "id": note_id},
        )


def upgrade():
    bind = op.get_bind()
    _refresh_search_text(bind)
    if bind.dialect.name != "sqlite":
        return  # other databases search with substring conditions
    for statement in UPGRADE:
        op.execute(statement)
    op.execute("INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')")
    op.execute("INSERT INTO notes_grams(rowid, grams) SELECT id, kaap_grams(search_text) FROM notes")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("notes_search_au", "notes_search_ad", "notes_search_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS notes_grams")
        op.execute("DROP TABLE IF EXISTS notes_fts")
