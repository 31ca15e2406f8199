"""The native save dialog behind ``webapp.dialogs.Dialogs``: the one place views' dialogs
meet pywebview."""

from __future__ import annotations

import os
from collections.abc import Sequence


class WebviewDialogs:
    """Dialogs shown by the pywebview window ``window``."""

    native = True

    def __init__(self, window):
        self.window = window

    def ask_save_path(self, suggested_name: str, file_types: Sequence[str] = ()) -> str | None:
        import webview

        chosen = self.window.create_file_dialog(
            webview.FileDialog.SAVE,
            directory=downloads_dir(),
            save_filename=suggested_name,
            file_types=tuple(file_types),
        )
        if not chosen:
            return None
        # Back ends disagree: some return the path, some a one-item sequence.
        return chosen if isinstance(chosen, str) else chosen[0]


def downloads_dir() -> str:
    """The person's Downloads folder, where a browser would save; "" (the back end's own
    choice) if there is none. Without it the dialog opened in the working directory."""
    from platformdirs import user_downloads_dir

    folder = user_downloads_dir()
    return folder if os.path.isdir(folder) else ""
