"""A full disk: a 507 that says so and how much to free, no partial files left behind, and a
reserve file that is given up so that deleting (the way out) still works on a full disk.

SQLite needs free space even to delete: the changed pages go to the write-ahead log first,
which grows. ``<data dir>/kaap.reserve`` holds ``DISK_RESERVE_BYTES`` for that moment; a
delete that meets a full disk releases it and runs once more, and it is made again once the
disk has room (at start-up, or after a delete that freed enough).
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app, request

from webapp.errors import ConfigError, KaapError
from webapp.extensions import db

log = logging.getLogger(__name__)

RESERVE_FILE = "kaap.reserve"
EXTENSION = "kaap.reserve"
T = TypeVar("T")
_FULL_ERRNOS = frozenset(n for n in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if n)
MB = 1024 * 1024
# PostgreSQL's SQLSTATE for a full disk on the database server (class 53: insufficient
# resources), as psycopg (``sqlstate``) and psycopg2 (``pgcode``) report it.
PG_DISK_FULL = "53100"
# What opening the database needs at least: its -shm file (32 KB) and the first WAL frames.
START_ROOM = MB


class DiskFullError(KaapError):
    """Nothing was saved: the disk (or the quota) holding the data directory is full."""

    status = 507
    code = "disk_full"


class ReadOnlyError(KaapError):
    """Nothing was saved: the data directory became read-only while the app ran."""

    status = 503
    code = "read_only"


def is_disk_full(exc: BaseException | None) -> bool:
    """ENOSPC or EDQUOT from a file write, SQLITE_FULL, or a PostgreSQL server out of disk,
    here or in what caused it."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
            return True
        if (getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)) == PG_DISK_FULL:
            return True
        if isinstance(exc, sqlite3.Error):
            return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


def is_database_server_full(exc: BaseException | None) -> bool:
    """The PostgreSQL server's disk is full (SQLSTATE 53100), here or in what caused it:
    another machine's disk, maybe, so the data directory's free space says nothing of it."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if (getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)) == PG_DISK_FULL:
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


DATABASE_SERVER_FULL = (
    "The database server's disk is full, so nothing was saved: make room on the disk of the "
    "PostgreSQL server, then try again."
)


def is_read_only(exc: BaseException | None) -> bool:
    """EROFS from a file write, or SQLITE_READONLY (the disk was remounted read-only, say)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno == errno.EROFS:
            return True
        if isinstance(exc, sqlite3.Error):
            return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


def request_read_only_error() -> ReadOnlyError:
    """The 503 for a write the data directory refused: it is read-only, nothing is damaged."""
    data_dir = Path(current_app.config["DATA_DIR"])
    reason = read_only_reason(data_dir) or "the database refused the write"
    return ReadOnlyError(
        f"The data directory {data_dir} has become read-only ({reason}), so nothing was "
        "saved; the notes are untouched: make it writable again, then try again."
    )


def free_bytes(path: Path) -> int | None:
    """Free space (for this user) on the disk holding ``path``; None if it cannot be read."""
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _mb(size: int) -> str:
    return f"{max(size, 0) / MB:.1f} MB"


def full_message(folder: Path, needed: int, outcome: str = "nothing was saved") -> str:
    """One sentence: the disk holding ``folder`` is full, what did not happen, and how much
    to free."""
    free = free_bytes(folder)
    has = f" ({_mb(free)} free)" if free is not None else ""
    return (
        f"The disk holding {folder} is full{has}, so {outcome}: "
        f"make at least {_mb(needed)} free on it, then try again."
    )


def full_error(folder: Path, needed: int) -> DiskFullError:
    return DiskFullError(full_message(folder, needed))


@contextmanager
def removed_on_failure(path: Path):
    """Delete ``path`` (a scratch or ``.part`` file being written) if the block fails."""
    try:
        yield path
    except BaseException:
        with suppress(OSError):
            path.unlink(missing_ok=True)
        raise


class Reserve:
    """``<data dir>/kaap.reserve``: space kept back for deletes on a full disk."""

    def __init__(self, data_dir: Path, size: int):
        self.path = data_dir / RESERVE_FILE
        self.size = size

    def ensure(self, room: int = 0) -> bool:
        """Make the reserve if it is missing and at least ``room`` more bytes would stay free;
        True if it is there afterwards."""
        if self.size <= 0:
            return False
        if self.path.exists():
            return True
        free = free_bytes(self.path.parent)
        if free is None or free < self.size + room:
            return False
        try:
            with removed_on_failure(self.path), open(self.path, "xb") as fh:
                # Written, not a sparse file: the blocks must really be taken from the disk.
                chunk = b"\0" * min(self.size, MB)
                left = self.size
                while left > 0:
                    left -= fh.write(chunk[: min(left, len(chunk))])
        except FileExistsError:
            return True
        except OSError as exc:
            log.warning("could not keep %s of reserve space: %s", _mb(self.size), exc)
            return False
        return True

    def release(self) -> bool:
        """Give the reserve's space back to the disk; True if there was one to give."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        log.warning("the disk is full: released %s of reserve space to delete", _mb(self.size))
        return True


def freeing_space(reserve: Reserve, work: Callable[[], T], rollback: Callable[[], None]) -> T:
    """Run ``work``, which deletes; on a full disk, release the reserve and run it once more
    (the failed attempt changed nothing once rolled back). Afterwards the reserve is kept
    again if the disk has room for it three times over."""
    try:
        result = work()
    except Exception as exc:
        if not is_disk_full(exc) or not reserve.release():
            raise
        rollback()
        result = work()
    reserve.ensure(room=3 * reserve.size)
    return result


def frees_space(view):
    """Decorate an API view that deletes with ``freeing_space``, with the app's reserve."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        work = functools.partial(view, *args, **kwargs)
        return freeing_space(current_app.extensions[EXTENSION], work, db.session.rollback)

    return wrapper


def request_full_error(exc: BaseException | None = None) -> DiskFullError:
    """The 507 for the request being handled: room for its body twice, and the minimum (or,
    when it was the PostgreSQL server's disk, that one's to free)."""
    if is_database_server_full(exc):
        return DiskFullError(DATABASE_SERVER_FULL)
    needed = max(2 * (request.content_length or 0), current_app.config["DISK_MIN_FREE_BYTES"])
    return full_error(Path(current_app.config["DATA_DIR"]), needed)


def private_umask() -> None:
    """Files and folders this process creates are for its user alone (0600 and 0700): the
    notes, images, backups and exports are nobody else's business on a shared machine."""
    if os.name == "posix":
        os.umask(0o077)


def private_directory(path: Path) -> None:
    """Create the data directory ``path`` (mode 0700), or narrow an existing one of ours to
    0700 (an older Kaap made it 0755, and its files 0644); one that cannot be written to
    raises ``ReadOnlyDataError``, which says so."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ReadOnlyDataError(read_only_message(path, exc.strerror or str(exc))) from exc
    reason = read_only_reason(path)
    if reason is not None:
        raise ReadOnlyDataError(read_only_message(path, reason))
    if os.name != "posix":
        return
    info = path.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o077:
        path.chmod(0o700)


class DiskFullStartError(ConfigError):
    """The disk has no room for what the start must do first (a migration): nothing was
    touched."""


@contextmanager
def start_on_full_disk(folder: Path, outcome: str):
    """Turn a full disk met while starting into ``DiskFullStartError``'s one sentence."""
    try:
        yield
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        message = full_message(folder, START_ROOM, f"{outcome} and did not start")
        raise DiskFullStartError(message) from exc


class ReadOnlyDataError(ConfigError):
    """The data directory cannot be written: the app does not start, and says why."""


def read_only_reason(path: Path) -> str | None:
    """Why nothing can be written in the directory ``path``, or None if it can be."""
    if os.access(path, os.W_OK):  # False on a read-only mount, even for root (EROFS)
        return None
    with suppress(OSError, AttributeError):  # statvfs is POSIX only
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "it is on a file system mounted read-only"
    return "this user may not write in it"


def read_only_message(path: Path, reason: str) -> str:
    """One sentence: the data directory is read-only, nothing in it is damaged, what to do."""
    return (
        f"The data directory {path} is read-only ({reason}), so Kaap did not start; the notes "
        "in it are untouched and need no restore: make it writable (remount the disk "
        "read-write, or let this user write there) and start Kaap again."
    )


def init_app(app: Flask) -> None:
    """The reserve, kept in ``app.extensions``: made now if the disk has room for it, given up
    now if the disk is full, since even opening the database takes space (its ``-shm``
    index and write-ahead log are created on opening, and deleted on closing)."""
    reserve = Reserve(Path(app.config["DATA_DIR"]), app.config["DISK_RESERVE_BYTES"])
    app.extensions[EXTENSION] = reserve
    free = free_bytes(reserve.path.parent)
    if free is not None and free < START_ROOM:
        reserve.release()
    else:
        reserve.ensure(room=reserve.size)
