"""``<data dir>/cache/snapshot.html``: where the snapshot lives and how it is read and written.

Standard library only: the desktop's thin first-page path imports this before Flask is
loaded. The file holds HTML that ``webapp.snapshot.service`` sanitized before writing it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

CACHE_DIR = "cache"
SNAPSHOT_NAME = "snapshot.html"
# index.html's empty #snapshot holds this comment; the thin path puts the file in its place.
MARKER = "<!--kaap-snapshot-->"
MAX_BYTES = 512 * 1024


def path(data_dir: str | os.PathLike) -> Path:
    """The snapshot file of the data directory ``data_dir``."""
    return Path(data_dir) / CACHE_DIR / SNAPSHOT_NAME


def read(data_dir: str | os.PathLike) -> str:
    """The stored snapshot, or "" when there is none, it cannot be read or it is too large."""
    try:
        with open(path(data_dir), "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError:
        return ""
    if len(data) > MAX_BYTES:
        return ""  # not written by Kaap (it caps what it stores): cut HTML is no snapshot
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def remove(data_dir: str | os.PathLike) -> None:
    """Forget the snapshot (a note in it was deleted forever): the next launch has none to
    show until the page sends a new one."""
    path(data_dir).unlink(missing_ok=True)


def write(data_dir: str | os.PathLike, html: str) -> None:
    """Replace the snapshot with ``html`` (already sanitized): mode 0600 in a 0700 folder,
    atomically, so a reader sees the old file or the new one, never half of one."""
    target = path(data_dir)
    target.parent.mkdir(mode=0o700, exist_ok=True)
    if os.name == "posix":
        target.parent.chmod(0o700)  # made by an older umask, or by hand
    # mkstemp: mode 0600 and a name of its own, so two writers never share a half-written file.
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=SNAPSHOT_NAME + ".", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        os.replace(part, target)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
