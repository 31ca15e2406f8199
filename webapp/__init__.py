"""Kaap's web application. ``create_app`` builds it; importing this package does nothing else.

Nothing heavy is imported here: the desktop's first page is answered by modules of this
package that need no Flask (``webapp.boundary``, ``webapp.snapshot.files``), and importing
them runs this file first. ``create_app`` is loaded from ``webapp.factory`` when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from webapp.errors import ConfigError

if TYPE_CHECKING:
    from webapp.factory import create_app

# Kaap's version (pyproject.toml's, tests/test_factory.py checks): part of the desktop's
# shell cache key (desktop/thin.py).
__version__ = "0.1.0"

__all__ = ["ConfigError", "create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from webapp.factory import create_app

        return create_app
    raise AttributeError(f"module 'webapp' has no attribute {name!r}")
