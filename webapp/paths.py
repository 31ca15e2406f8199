"""Paths to files shipped with the package, from source and from a PyInstaller bundle.

PyInstaller places data files under ``sys._MEIPASS`` with the same layout as the source
tree and sets each frozen module's ``__file__`` inside it, so resolving against this
package's directory works in both cases.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource(*parts: str) -> Path:
    """Absolute path of a file shipped inside the ``webapp`` package."""
    return PACKAGE_DIR.joinpath(*parts)
