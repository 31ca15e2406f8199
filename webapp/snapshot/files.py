"""The snapshot file in the data directory, with no Flask: the thin first-page path reads it."""

from __future__ import annotations

from pathlib import Path

SNAPSHOT_NAME = "snapshot.html"
MARKER = "<!--kaap-snapshot-->"
MAX_BYTES = 512 * 1024


def path(data_dir) -> Path:
    """Where the snapshot is kept: ``<data dir>/cache/snapshot.html``."""
    return Path(data_dir) / "cache" / SNAPSHOT_NAME


def read(data_dir) -> str:
    """The snapshot's HTML, or "" when there is none (or it cannot be read); at most 512 KB."""
    try:
        with path(data_dir).open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError:
        return ""
    if len(data) > MAX_BYTES:
        return ""
    return data.decode("utf-8", "replace")
