"""``<data dir>/imports`` and ``<data dir>/exports``: where uploads and downloads are spooled.

Both hold only files without a name (``tempfile.TemporaryFile``), so anything found there
was left by an older Kaap or a crash in between, and is swept when the app starts.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)
FOLDERS = ("imports", "exports")


def work_folder(app: Flask, name: str) -> Path:
    folder = Path(app.config["DATA_DIR"]) / name
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def sweep(app: Flask) -> int:
    """Remove whatever an earlier run left in the spool folders; returns how many entries."""
    removed = 0
    for name in FOLDERS:
        folder = Path(app.config["DATA_DIR"]) / name
        if not folder.is_dir():
            continue
        for leftover in folder.iterdir():
            try:
                if leftover.is_dir() and not leftover.is_symlink():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()
                removed += 1
            except OSError:
                log.warning("could not remove %s", leftover, exc_info=True)
    if removed:
        log.info("removed %d leftover file(s) of imports and exports", removed)
    return removed
