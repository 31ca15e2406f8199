"""Sync's change feed: a change sequence per account, tombstones, stable uids for labels and
checklist items, per-field change times, the server's id and the push changes applied

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:30:00
"""

import uuid

import sqlalchemy as sa
from alembic import op

from webapp.db.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TIMES = ("color_changed_at", "pinned_changed_at", "archived_changed_at", "trashed_changed_at")


# Plain ALTER TABLE and CREATE INDEX, as 0005 and 0011: a batch rebuild of notes would drop
# the search triggers. Filling the columns touches no search_text.


def upgrade():
    op.create_table(
        "sync_sequences",
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),  # fmt: skip
        sa.Column("seq", sa.BigInteger, nullable=False),
        # The greatest sequence of a tombstone pruned: a device behind it resyncs in full.
        sa.Column("pruned_seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "sync_tombstones",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),  # fmt: skip
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_sync_tombstones_owner_seq", "sync_tombstones", ["owner_id", "seq"])
    op.create_index("ix_sync_tombstones_deleted_at", "sync_tombstones", ["deleted_at"])
    op.create_table(
        "sync_applied",
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),  # fmt: skip
        sa.Column("change_id", sa.String(100), primary_key=True),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "sync_server",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("server_id", sa.String(36), nullable=False),
    )
    bind = op.get_bind()
    bind.execute(sa.text("INSERT INTO sync_server (id, server_id) VALUES (1, :s)"),
                 {"s": str(uuid.uuid4())})  # fmt: skip
    op.add_column("notes", sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"))
    for name in _TIMES:
        op.add_column("notes", sa.Column(name, UTCDateTime(), nullable=True))
    op.add_column("labels", sa.Column("uid", sa.String(36), nullable=False, server_default=""))
    op.add_column("labels", sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"))
    op.add_column(
        "checklist_items", sa.Column("uid", sa.String(36), nullable=False, server_default="")
    )
    # Every existing note and label gets a sequence of its owner's, oldest edit first.
    rows = bind.execute(sa.text(
        "SELECT owner_id, 'note', id, updated_at FROM notes UNION ALL "
        "SELECT owner_id, 'label', id, created_at FROM labels ORDER BY 1, 4, 3"
    )).all()  # fmt: skip
    seqs: dict[int, int] = {}
    notes, labels = [], []
    for owner_id, kind, row_id, _ in rows:
        seqs[owner_id] = seqs.get(owner_id, 0) + 1
        if kind == "note":
            notes.append({"id": row_id, "seq": seqs[owner_id]})
        else:
            labels.append({"id": row_id, "seq": seqs[owner_id], "uid": str(uuid.uuid4())})
    if notes:
        bind.execute(sa.text("UPDATE notes SET seq = :seq WHERE id = :id"), notes)
    if labels:
        bind.execute(sa.text("UPDATE labels SET seq = :seq, uid = :uid WHERE id = :id"), labels)
    if seqs:
        bind.execute(
            sa.text("INSERT INTO sync_sequences (owner_id, seq, pruned_seq) VALUES (:o, :s, 0)"),
            [{"o": owner, "s": seq} for owner, seq in seqs.items()],
        )
    bind.execute(sa.text(
        "UPDATE notes SET color_changed_at = updated_at, pinned_changed_at = updated_at, "
        "archived_changed_at = updated_at, trashed_changed_at = updated_at"
    ))  # fmt: skip
    items = [{"id": row[0], "uid": str(uuid.uuid4())}
             for row in bind.execute(sa.text("SELECT id FROM checklist_items"))]  # fmt: skip
    if items:
        bind.execute(sa.text("UPDATE checklist_items SET uid = :uid WHERE id = :id"), items)
    op.create_index("ix_notes_owner_seq", "notes", ["owner_id", "seq"])
    op.create_index("ix_labels_owner_seq", "labels", ["owner_id", "seq"])
    op.create_index("uq_labels_owner_uid", "labels", ["owner_id", "uid"], unique=True)


def downgrade():
    op.drop_index("uq_labels_owner_uid", table_name="labels")
    op.drop_index("ix_labels_owner_seq", table_name="labels")
    op.drop_index("ix_notes_owner_seq", table_name="notes")
    op.drop_column("checklist_items", "uid")
    op.drop_column("labels", "seq")
    op.drop_column("labels", "uid")
    for name in (*_TIMES, "seq"):
        op.drop_column("notes", name)
    for table in ("sync_server", "sync_applied", "sync_tombstones", "sync_sequences"):
        op.drop_table(table)
