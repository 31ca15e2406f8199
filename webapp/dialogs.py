"""Native dialogs behind a small adapter, so views never touch the window toolkit.

The desktop shell puts a ``Dialogs`` in ``app.extensions["kaap.dialogs"]``; in web and test
modes there is none (``NoDialogs``) and a view falls back to a browser download. Tests swap
in a fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from flask import Flask, current_app

EXTENSION = "kaap.dialogs"


class Dialogs(Protocol):
    def ask_save_path(self, suggested_name: str, file_types: Sequence[str] = ()) -> str | None:
        """The path the user chose to save to, or None if they cancelled."""


class NoDialogs:
    """No native window: there is nothing to ask, the browser's download does the job."""

    native = False

    def ask_save_path(self, suggested_name: str, file_types: Sequence[str] = ()) -> str | None:
        return None


def dialogs() -> Dialogs:
    """The current app's dialogs adapter."""
    return current_app.extensions[EXTENSION]


def init_app(app: Flask) -> None:
    app.extensions.setdefault(EXTENSION, NoDialogs())
