"""Images in notes: a safe Pillow pipeline, files under the data directory, thumbnails."""

from __future__ import annotations

import warnings
from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    """The file store in ``app.extensions``; decompression bombs as errors."""
    from PIL import Image

    from webapp.images.service import Store

    # Pillow only warns about a decompression bomb below twice its limit: make it an error.
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
    app.extensions["kaap.images"] = Store(Path(app.config["DATA_DIR"]) / "images")
