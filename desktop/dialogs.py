"""The native save dialog behind ``webapp.dialogs.Dialogs``: the one place views' dialogs
meet pywebview."""

from __future__ import annotations

from collections.abc import Sequence


class WebviewDialogs:
    """Dialogs shown by the pywebview window ``window``."""

    native = True

    def __init__(self, window):
        self.window = window

    def ask_save_path(self, suggested_name: str, file_types: Sequence[str] = ()) -> str | None:
        import webview

        chosen = self.window.create_file_dialog(
            webview.FileDialog.SAVE, save_filename=suggested_name, file_types=tuple(file_types)
        )
        if not chosen:
            return None
        # Back ends disagree: some return the path, some a one-item sequence.
        return chosen if isinstance(chosen, str) else chosen[0]
