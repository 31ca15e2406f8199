"""What the shell keeps between launches in ``<data dir>/desktop.json``: the port and the web
view back end.

The web view keeps its storage (``localStorage``, the session cookie) per origin, and an origin
includes the port: a port picked anew at every launch is a new, empty origin every time. And
each back end has a profile of its own. So both are kept, and only change when they must.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

GUIS = ("gtk", "qt")


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` whole or not at all: on a full disk the old
    content stays, and no temporary file is left behind."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class ShellState:
    """The kept ``port`` and ``gui`` (None until known); ``save`` writes them atomically."""

    def __init__(self, path: Path):
        self.path = path
        self.port: int | None = None
        self.gui: str | None = None
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        if not isinstance(saved, dict):
            return
        port = saved.get("port")
        if isinstance(port, int) and not isinstance(port, bool) and 1024 <= port <= 65535:
            self.port = port
        if saved.get("gui") in GUIS:
            self.gui = saved["gui"]

    def save(self, *, port: int | None, gui: str | None) -> None:
        """Keep these for the next launch (nothing is written when they did not change)."""
        if (port, gui) == (self.port, self.gui):
            return
        self.port, self.gui = port, gui
        try:
            write_atomically(self.path, json.dumps({"port": port, "gui": gui}))
        except OSError:
            log.warning("could not keep the port and back end in %s", self.path, exc_info=True)
