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
    _first_versions()


# Notes per batch of the first versions (each batch's children in three queries).
BATCH = 500


def _first_versions():
    """Every existing note gets its first version, itself as it is now: the first edit after
    the upgrade can then be undone."""
    from webapp.history.delta import pack

    conn = op.get_bind()
    last = 0
    while True:
        notes = conn.execute(
            sa.text(
                "SELECT id, owner_id, title, body, kind, color, updated_at FROM notes "
                "WHERE id > :last ORDER BY id LIMIT :batch"
            ),
            {"last": last, "batch": BATCH},
        ).all()
        if not notes:
            return
        last = notes[-1].id
        first, final = notes[0].id, notes[-1].id
        span = {"first": first, "final": final}
        items, labels, images = {}, {}, {}
        for row in conn.execute(
            sa.text(
                "SELECT note_id, text, checked, uid FROM checklist_items "
                "WHERE note_id BETWEEN :first AND :final ORDER BY note_id, position"
            ),
            span,
        ):
            items.setdefault(row.note_id, []).append([row.text, bool(row.checked), row.uid or ""])
        for row in conn.execute(
            sa.text(
                "SELECT nl.note_id, l.id, l.name FROM note_labels nl JOIN labels l "
                "ON l.id = nl.label_id WHERE nl.note_id BETWEEN :first AND :final "
                "ORDER BY nl.note_id, l.name_key"
            ),
            span,
        ):
            labels.setdefault(row.note_id, []).append([row.id, row.name])
        for row in conn.execute(
            sa.text(
                "SELECT note_id, digest, content_type, width, height, byte_size, thumb_digest "
                "FROM images WHERE note_id BETWEEN :first AND :final ORDER BY note_id, position"
            ),
            span,
        ):
            images.setdefault(row.note_id, []).append(list(row[1:]))
        conn.execute(
            sa.text(
                "INSERT INTO note_versions (note_id, number, owner_id, saved_at, device, full, "
                "data) VALUES (:note_id, 1, :owner_id, :saved_at, NULL, :full, :data)"
            ).bindparams(
                sa.bindparam("saved_at", type_=webapp.db.types.UTCDateTime()),
                sa.bindparam("full", type_=sa.Boolean()),
                sa.bindparam("data", type_=sa.LargeBinary()),
            ),
            [
                {
                    "note_id": note.id,
                    "owner_id": note.owner_id,
                    "saved_at": _aware(note.updated_at),
                    "full": True,
                    "data": pack({
                        "title": note.title or "", "body": note.body or "", "kind": note.kind,
                        "color": note.color, "items": items.get(note.id, []),
                        "labels": labels.get(note.id, []), "images": images.get(note.id, []),
                    }),  # fmt: skip
                }
                for note in notes
            ],
        )


def _aware(value):
    """A timestamp as the driver gave it (text on SQLite) as an aware UTC datetime."""
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def downgrade():
    op.drop_table("note_version_files")
    op.drop_table("note_versions")
