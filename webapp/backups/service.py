"""Backups of the SQLite file: plain functions over paths, no Flask.

Every copy goes through SQLite's online backup API (``webapp.db.sqlite.backup_sqlite``),
never a file copy, so a backup taken while the app writes is consistent. A backup is one
self-contained file named ``<kind>-<UTC timestamp>[-<tag>].sqlite3``, which sorts by time
within its kind.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from webapp.db.sqlite import backup_sqlite
from webapp.disk import removed_on_failure
from webapp.errors import NotFoundError, ValidationError

KINDS = ("daily", "manual", "pre-migrate", "pre-restore", "pre-sync")
STAMP = "%Y%m%dT%H%M%S%fZ"
SUFFIX = ".sqlite3"
_NAME = re.compile(
    r"^(?P<kind>daily|manual|pre-migrate|pre-restore|pre-sync)-(?P<stamp>\d{8}T\d{12}Z)"
    r"(?:-[A-Za-z0-9_]+)?\.sqlite3$"
)


class BadBackupError(ValidationError):
    code = "bad_backup"


@dataclass(frozen=True)
class Backup:
    name: str
    kind: str
    created_at: datetime
    size: int
    path: Path


def _parse(path: Path) -> Backup | None:
    match = _NAME.match(path.name)
    if match is None or not path.is_file():
        return None
    created = datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)
    return Backup(path.name, match["kind"], created, path.stat().st_size, path)


def list_backups(directory: Path) -> list[Backup]:
    """The backups in ``directory``, newest first."""
    if not directory.is_dir():
        return []
    found = (_parse(path) for path in directory.iterdir())
    return sorted(
        (b for b in found if b is not None), key=lambda b: (b.created_at, b.name), reverse=True
    )


def find(directory: Path, name: str) -> Backup:
    """The backup called ``name``: only a name listed in ``directory`` (no paths) is found."""
    for backup in list_backups(directory):
        if backup.name == name:
            return backup
    raise NotFoundError(f"There is no backup called {name!r}.")


def create(
    source: Path, directory: Path, kind: str, when: datetime, keep: int, tag: str = ""
) -> Backup:
    """Back up ``source`` into ``directory``, then keep only the newest ``keep`` of this kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown backup kind {kind!r}")
    stamp = when.astimezone(UTC).strftime(STAMP)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{kind}-{stamp}{'-' + tag if tag else ''}{SUFFIX}"
    part = directory / f".{name}.part"
    with removed_on_failure(part):
        backup_sqlite(source, part)
    dest = directory / name
    if dest.exists():
        raise FileExistsError(dest)  # two backups in one microsecond: never overwrite one
    os.replace(part, dest)
    prune(directory, kind, keep)
    backup = _parse(dest)
    assert backup is not None
    return backup


def prune(directory: Path, kind: str, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups of ``kind``; returns the names deleted."""
    if keep <= 0:
        return []
    old = [b for b in list_backups(directory) if b.kind == kind][keep:]
    for backup in old:
        backup.path.unlink(missing_ok=True)
    return [b.name for b in old]


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


DAMAGE = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def damage(exc: sqlite3.DatabaseError) -> str:
    """What ``exc`` says is wrong with the file's content; raised again when it says nothing
    about the content (the file could not be opened or read: a read-only disk, a full one,
    permissions), since no restore would help with that."""
    if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in DAMAGE:  # extended keep the primary
        raise exc
    return str(exc)


def problem(path: Path, cancelled: threading.Event | None = None) -> str | None:
    """Why the database at ``path`` is damaged (``PRAGMA quick_check``), or None if it is not.

    Opened read-only: a damaged file is never written to. Every page is read, which takes
    seconds for a large file not in the OS cache; setting ``cancelled`` stops the check
    (None is returned then: the caller looks at ``cancelled``).
    """
    try:
        conn = _open_read_only(path)
        try:
            if cancelled is not None:
                conn.set_progress_handler(cancelled.is_set, 10_000)
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return None if cancelled is not None and cancelled.is_set() else damage(exc)
    if rows != [("ok",)]:
        return "; ".join(str(row[0]) for row in rows[:3])
    return None


def first_problem(path: Path) -> str | None:
    """What a glance finds wrong with the database at ``path``, or None: the header, the size
    it declares against the file's, and the schema. About a millisecond whatever the size;
    damage inside the pages is left to ``problem``. Opened read-only."""
    try:
        conn = _open_read_only(path)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return damage(exc)
    return None


def stored_revision(path: Path) -> str | None:
    """The migration revision in the database at ``path`` (None if it has none), read-only."""
    conn = _open_read_only(path)
    try:
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone():
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def validate(path: Path, known_revisions: Iterable[str]) -> str:
    """Check a backup is sound and is a Kaap database; returns its migration revision."""
    try:
        conn = _open_read_only(path)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            if rows != [("ok",)]:
                details = "; ".join(str(row[0]) for row in rows[:3])
                raise BadBackupError(f"The backup {path.name} is damaged: {details}.")
            has_version = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            revision = (
                has_version and conn.execute("SELECT version_num FROM alembic_version").fetchone()
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BadBackupError(f"The backup {path.name} is not a usable database: {exc}.") from exc
    if not revision:
        raise BadBackupError(f"The backup {path.name} is not a Kaap database.")
    if revision[0] not in set(known_revisions):
        raise BadBackupError(
            f"The backup {path.name} was made by a newer Kaap (revision {revision[0]})."
        )
    return revision[0]


def newest_good(directory: Path, known_revisions: Iterable[str]) -> Backup | None:
    """The newest backup that passes ``validate``."""
    known = set(known_revisions)
    for backup in list_backups(directory):
        try:
            validate(backup.path, known)
        except BadBackupError:
            continue
        return backup
    return None


def restore_into(source: Path, live: Path, busy_timeout_ms: int = 5000) -> None:
    """Replace the content of the database at ``live`` with the backup at ``source``.

    SQLite's backup API writes into the live file under its own locks (through the WAL
    when the file is in WAL mode), so other connections see either the old or the new
    database, never a mix, and no file is moved under an open connection.
    """
    src = _open_read_only(source)
    try:
        dst = sqlite3.connect(live, timeout=busy_timeout_ms / 1000)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def move_aside(live: Path, when: datetime) -> Path:
    """Rename a damaged database (and its -wal and -shm) to ``<name>.corrupt-<timestamp>``."""
    aside = live.with_name(f"{live.name}.corrupt-{when.astimezone(UTC).strftime(STAMP)}")
    for suffix in ("-wal", "-shm"):
        extra = live.with_name(live.name + suffix)
        if extra.exists():
            os.replace(extra, aside.with_name(aside.name + suffix))
    os.replace(live, aside)
    return aside
