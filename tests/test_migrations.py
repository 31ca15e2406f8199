"""Migrations: every revision upgrades to head with data intact; models match migrations."""

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import select, text

from webapp import create_app
from webapp.db.migrate import MIGRATIONS_DIR, current_revision, head_revision
from webapp.extensions import db
from webapp.models import Label, Note, NoteMove, User
from webapp.notes import keys
from webapp.notes.queries import list_notes
from webapp.search.index import register_functions

# Rows each revision's schema can hold; a new revision adds its own (the test below insists).
SEEDS = {
    "0001": [
        "INSERT INTO users (id, username, created_at) VALUES (1, 'local', '2025-01-01 00:00:00.000000')",
        "INSERT INTO labels (id, owner_id, name, name_key, created_at) "
        "VALUES (1, 1, 'Trip', 'trip', '2025-01-01 00:00:00.000000')",
        "INSERT INTO notes (id, owner_id, title, body, kind, color, pinned, archived, trashed_at, "
        "created_at, updated_at, version, search_text) VALUES (1, 1, '회의', 'body ✓', 'checklist', "
        "'teal', 1, 0, NULL, '2025-01-01 00:00:00.000001', '2025-01-02 00:00:00.123456', 3, "
        "'회의\nbody ✓\npack')",
        "INSERT INTO checklist_items (id, note_id, position, text, checked) VALUES (1, 1, 0, 'pack', 1)",
        "INSERT INTO note_labels (note_id, label_id) VALUES (1, 1)",
    ],
    "0002": [
        "INSERT INTO note_moves (id, note_id, moved_at, old_pinned, old_updated_at) "
        "VALUES (1, 1, '2025-01-02 00:00:00.123456', 0, '2025-01-01 00:00:00.000001')"
    ],
    "0003": [
        "INSERT INTO notes (id, owner_id, title, body, kind, color, pinned, archived, trashed_at, "
        "created_at, updated_at, version, search_text) VALUES (2, 1, '', '주간회의록', 'text', "
        "'default', 0, 0, NULL, '2025-01-03 00:00:00.000000', '2025-01-03 00:00:00.000000', 1, "
        "'\n주간회의록')",
    ],
    "0004": [
        "INSERT INTO images (id, note_id, position, file_name, thumb_name, content_type, width, "
        "height, byte_size, digest, thumb_digest, created_at) VALUES (1, 1, 0, 'ab.png', "
        "'cd.webp', 'image/png', 3, 2, 10, 'x', 'y', '2025-01-03 00:00:00.000000')",
    ],
    "0005": [
        "INSERT INTO notes (id, owner_id, uid, title, body, kind, color, pinned, archived, "
        "trashed_at, created_at, updated_at, version, search_text) VALUES (3, 1, "
        "'6f1c1ba6-4a4c-4f55-9d7e-3c9b1f0e2a11', 'third', '', 'text', 'default', 0, 0, NULL, "
        "'2025-01-04 00:00:00.000000', '2025-01-04 00:00:00.000000', 1, 'third')",
    ],
    "0006": [
        "INSERT INTO users (id, username, created_at, password_hash, is_admin) VALUES "
        "(2, 'ana', '2025-01-05 00:00:00.000000', 'scrypt:32768:8:1$x$y', 1)",
        "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, created_at) VALUES "
        "(1, 2, 'script', 'kaap_ab', 'f00d', '2025-01-05 00:00:00.000000')",
    ],
    # 0007 adds a PostgreSQL index only; on SQLite any note will do, with LIKE's wildcards.
    "0007": [
        "INSERT INTO notes (id, owner_id, uid, title, body, kind, color, pinned, archived, "
        "trashed_at, created_at, updated_at, version, search_text) VALUES (4, 1, "
        "'0b7e3c52-9a51-4d4e-8f2c-5d0c7e1a9b33', '50% off_', '', 'text', 'default', 0, 0, NULL, "
        "'2025-01-06 00:00:00.000000', '2025-01-06 00:00:00.000000', 1, '50% off_')",
    ],
    "0008": [
        "INSERT INTO drafts (owner_id, key, content, updated_at) VALUES (1, 'note-1', "
        '\'{"fields": {"body": "unsaved"}, "version": 3}\', \'2025-01-07 00:00:00.000000\')',
        "INSERT INTO settings (owner_id, name, value, updated_at) VALUES "
        "(2, 'theme', 'dark', '2025-01-07 00:00:00.000000')",
    ],
    # 0009 puts the owner in the search index: another owner's note with the same words.
    "0009": [
        "INSERT INTO notes (id, owner_id, uid, title, body, kind, color, pinned, archived, "
        "trashed_at, created_at, updated_at, version, search_text) VALUES (5, 2, "
        "'2d9c4f1e-7b3a-4c6d-9e8f-1a2b3c4d5e6f', 'trip', '회의 pack', 'text', 'default', 0, 0, "
        "NULL, '2025-01-08 00:00:00.000000', '2025-01-08 00:00:00.000000', 1, 'trip\n회의 pack')",
    ],
    "0010": [
        "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, created_at, admin) VALUES "
        "(2, 2, 'admin script', 'kaap_cd', 'beef', '2025-01-08 00:00:00.000000', 1)",
    ],
    # 0011 gives each note a position key: a note written with its own key, a move with its
    # old one, and the order setting.
    "0011": [
        "INSERT INTO notes (id, owner_id, uid, title, body, kind, color, pinned, archived, "
        "trashed_at, created_at, updated_at, version, search_text, position) VALUES (6, 2, "
        "'3e8d5a2f-8c4b-4d7e-af90-2b3c4d5e6f7a', 'moved', '', 'text', 'default', 0, 0, NULL, "
        "'2025-01-09 00:00:00.000000', '2025-01-09 00:00:00.000000', 1, 'moved', 'Zz')",
        "INSERT INTO note_moves (id, note_id, moved_at, old_pinned, old_updated_at, "
        "old_position) VALUES (2, 6, '2025-01-09 00:00:00.000000', 0, "
        "'2025-01-09 00:00:00.000000', 'a0')",
        "INSERT INTO settings (owner_id, name, value, updated_at) VALUES "
        "(2, 'order', 'edited', '2025-01-09 00:00:00.000000')",
    ],
    # 0012 is sync's: a note with its sequence and change times, a label and an item with
    # uids, a tombstone and a change a device pushed.
    "0012": [
        "INSERT INTO notes (id, owner_id, uid, title, body, kind, color, pinned, archived, "
        "trashed_at, created_at, updated_at, version, search_text, position, seq, "
        "color_changed_at) VALUES (7, 2, '4f9e6b3a-9d5c-4e8f-b0a1-3c4d5e6f7a8b', 'synced', '', "
        "'text', 'red', 0, 0, NULL, '2025-01-10 00:00:00.000000', '2025-01-10 00:00:00.000000', "
        "1, 'synced', 'Zy', 9, '2025-01-10 00:00:00.000000')",
        "INSERT INTO labels (id, owner_id, name, name_key, created_at, uid, seq) VALUES (2, 2, "
        "'Home', 'home', '2025-01-10 00:00:00.000000', '5a0f7c4b-ae6d-4f90-c1b2-4d5e6f7a8b9c', 10)",
        "INSERT INTO checklist_items (id, note_id, position, text, checked, uid) VALUES "
        "(2, 7, 0, 'milk', 0, '6b1a8d5c-bf7e-4a01-d2c3-5e6f7a8b9c0d')",
        "UPDATE sync_sequences SET seq = 11 WHERE owner_id = 2",
        "INSERT INTO sync_tombstones (id, owner_id, kind, uid, seq, deleted_at) VALUES "
        "(1, 2, 'note', '7c2b9e6d-c08f-4b12-e3d4-6f7a8b9c0d1e', 11, '2025-01-10 00:00:00.000000')",
        "INSERT INTO sync_applied (owner_id, change_id, result, created_at) VALUES "
        "(2, 'device-1', '{}', '2025-01-10 00:00:00.000000')",
    ],
    # 0013 is the desktop side of sync: a note's base copy and a cursor.
    "0013": [
        "INSERT INTO sync_base (server_id, kind, uid, version, state) VALUES "
        "('9d8c7b6a-5e4f-4a3b-9c2d-1e0f9a8b7c6d', 'note', '4f9e6b3a-9d5c-4e8f-b0a1-3c4d5e6f7a8b', "
        "1, '{}')",
        "INSERT INTO sync_cursor (server_id, high_water, pushed_seq, first_synced_at) VALUES "
        "('9d8c7b6a-5e4f-4a3b-9c2d-1e0f9a8b7c6d', 11, 9, '2025-01-10 00:00:00.000000')",
    ],
    # 0014 is sync's images by content: a blob uploaded before its note.
    "0014": [
        "INSERT INTO sync_blobs (id, owner_id, digest, uploaded_digest, file_name, thumb_name, "
        "content_type, width, height, byte_size, thumb_digest, created_at) VALUES (1, 1, "
        "'" + "a" * 64 + "', '" + "b" * 64 + "', 'ab12.jpg', 'ab13.webp', 'image/jpeg', 4, 3, "
        "120, '" + "c" * 64 + "', '2025-01-10 00:00:00.000000')",
    ],
    # 0015 and 0016 are reminders and history (issue #17): their rows come with their tables.
    "0015": [],
    # 0016 is history (the upgrade gave note 7 its version 1): a second version (uncompressed
    # JSON) and a file a version keeps.
    "0016": [
        "UPDATE note_versions SET full = 0, data = X'7b7d' WHERE note_id = 7",
        "INSERT INTO note_versions (note_id, number, owner_id, saved_at, device, full, data) "
        "VALUES (7, 2, 2, '2025-01-10 00:00:00.000000', NULL, 1, X'"
        + "7b227469746c65223a2273796e636564222c22626f6479223a22222c226b696e64223a2274657874222c22636f6c6f72223a22726564222c226974656d73223a5b5b226d696c6b222c66616c73652c2236623161386435632d626637652d346130312d643263332d356536663761386239633064225d5d2c226c6162656c73223a5b5d2c22696d61676573223a5b5d7d"
        + "')",
        "INSERT INTO note_version_files (note_id, digest, file_name, thumb_name, last_number) "
        "VALUES (7, '" + "d" * 64 + "', 'cd34.png', 'cd35.webp', 1)",
    ],
}


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def bare_app(data_dir: Path):
    return create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "AUTO_MIGRATE": False})


def build_at(data_dir: Path, revision: str) -> Path:
    """A database at ``revision`` holding rows written at each revision up to it."""
    app = bare_app(data_dir)
    path = data_dir / "kaap.sqlite3"
    for rev in revisions()[: revisions().index(revision) + 1]:
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR), revision=rev)
            db.engine.dispose()
        with sqlite3.connect(path) as conn:
            register_functions(conn)
            for statement in SEEDS[rev]:
                conn.execute(statement)
    return path


def assert_seed_data_intact(app, up_to: str) -> None:
    with app.app_context():
        note = db.session.get(Note, 1)
        assert (note.title, note.body, note.kind, note.color) == (
            "회의",
            "body ✓",
            "checklist",
            "teal",
        )
        assert (note.pinned, note.archived, note.version) == (True, False, 3)
        assert note.updated_at.isoformat() == "2025-01-02T00:00:00.123456+00:00"
        assert [(i.text, i.checked) for i in note.items] == [("pack", True)]
        assert [label.name for label in note.labels] == ["Trip"]
        assert db.session.get(User, 1).username == "local"
        assert db.session.scalars(select(Label).where(Label.owner_id == 1)).one().name_key == "trip"
        assert [(i.width, i.height) for i in note.images] == (
            [(3, 2)] if revisions().index(up_to) >= revisions().index("0004") else []
        )
        triggers = db.session.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'notes'")
        ).scalar_one()
        assert triggers == 3  # a table rebuild in a migration would silently drop them
        uids = db.session.scalars(select(Note.uid)).all()
        assert len(set(uids)) == len(uids) and all(len(uid) == 36 for uid in uids)
        moves = db.session.scalars(select(NoteMove).where(NoteMove.note_id == 1)).all()
        assert len(moves) == (1 if revisions().index(up_to) >= revisions().index("0002") else 0)
        # Keys that give the order as it was: pinned first, then the latest edit first.
        if revisions().index(up_to) < revisions().index("0011"):
            found, _ = list_notes(db.session, 1, datetime.now(UTC), order="own")
            edited, _ = list_notes(db.session, 1, datetime.now(UTC), order="edited")
            assert [n.id for n in found] == [n.id for n in edited] and len(found) >= 1
            assert all(keys.is_valid(n.position) for n in found)
            assert all(m.old_position == note.position for m in moves)
        # The search index covers notes written before it existed, label names included.
        second = revisions().index(up_to) >= revisions().index("0003")
        for q, ids in (
            ("trip", {1}),
            ("pack", {1}),
            ("body ✓", {1}),
            ("회", {1, 2} if second else {1}),
        ):
            found, _ = list_notes(db.session, 1, datetime.now(UTC), q=q)
            assert {n.id for n in found} == ids, q
        db.engine.dispose()


@pytest.mark.parametrize("revision", ["0011"])
def test_sync_numbers_every_existing_note_and_label_and_names_every_item(tmp_path, revision):
    build_at(tmp_path, revision)
    app = bare_app(tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        conn = db.session.connection()
        seqs = conn.execute(text(
            "SELECT owner_id, seq FROM notes UNION ALL SELECT owner_id, seq FROM labels"
        )).all()  # fmt: skip
        counters = dict(conn.execute(text("SELECT owner_id, seq FROM sync_sequences")).all())
        for owner in {owner for owner, _ in seqs}:
            mine = sorted(seq for o, seq in seqs if o == owner)
            assert mine == list(range(1, len(mine) + 1)) and counters[owner] == len(mine)
        uids = conn.execute(text(
            "SELECT uid FROM labels UNION ALL SELECT uid FROM checklist_items"
        )).scalars().all()  # fmt: skip
        assert len(uids) == len(set(uids)) >= 2 and "" not in uids
        assert conn.execute(text("SELECT count(*) FROM sync_server")).scalar() == 1
        db.engine.dispose()


def test_every_revision_has_seed_rows():
    assert list(SEEDS) == revisions()


@pytest.mark.parametrize("revision", revisions()[:-1])
def test_upgrade_from_every_earlier_revision_keeps_data(tmp_path, revision):
    build_at(tmp_path, revision)
    app = bare_app(tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        assert current_revision(db.engine) == head_revision()
    assert_seed_data_intact(app, revision)


def test_models_and_migrations_agree(tmp_path):
    """What ``flask db check`` does: autogenerate finds nothing to write (it exits otherwise)."""
    app = bare_app(tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        check(directory=str(MIGRATIONS_DIR))
        db.engine.dispose()


def test_models_check_notices_a_missing_migration(tmp_path):
    app = bare_app(tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0001")
        with pytest.raises(SystemExit):
            check(directory=str(MIGRATIONS_DIR))
        db.engine.dispose()


def test_start_up_on_an_older_database_backs_up_then_migrates(tmp_path):
    old = revisions()[0]
    build_at(tmp_path, old)
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path)})
    with app.app_context():
        assert current_revision(db.engine) == head_revision()
    assert_seed_data_intact(app, old)
    (backup,) = (tmp_path / "backups").glob("pre-migrate-*.sqlite3")
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (old,)
        assert conn.execute("SELECT title FROM notes").fetchall() == [("회의",)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_fresh_database_needs_no_backup(tmp_path):
    create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path)})
    assert not (tmp_path / "backups").exists()


def test_only_the_newest_backups_are_kept(tmp_path):
    build_at(tmp_path, revisions()[0])
    for _ in range(4):
        app = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path), "BACKUP_KEEP": 2})
        with app.app_context():
            downgrade(directory=str(MIGRATIONS_DIR), revision=revisions()[0])
            db.engine.dispose()
    assert len(list((tmp_path / "backups").glob("pre-migrate-*"))) == 2


def test_flask_db_upgrade_command(tmp_path):
    env = {**os.environ, "KAAP_DATA_DIR": str(tmp_path), "KAAP_AUTO_MIGRATE": "false"}
    flask = Path(sys.executable).with_name("flask")
    subprocess.run([flask, "--app", "webapp", "db", "upgrade"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    with sqlite3.connect(tmp_path / "kaap.sqlite3") as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version").text).fetchone()
    assert version == (head_revision(),)


@pytest.mark.parametrize("revision", ["0015"])
def test_history_gives_every_existing_note_its_first_version(tmp_path, revision):
    from webapp.history import service as history

    build_at(tmp_path, revision)
    app = bare_app(tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        note_ids = db.session.scalars(select(Note.id)).all()
        for note_id in note_ids:
            owner = db.session.get(Note, note_id).owner_id
            listed, _ = history.list_versions(db.session, owner, note_id, 10)
            assert [v["number"] for v in listed] == [1]
        _, _, state, _ = history.version_state(db.session, 1, 1, 1)
        assert (state["title"], state["kind"], state["items"][0][:2]) == ("회의", "checklist",
                                                                          ["pack", True])  # fmt: skip
        assert [name for _, name in state["labels"]] == ["Trip"] and len(state["images"]) == 1
        db.engine.dispose()
