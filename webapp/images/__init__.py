"""Images in notes: a safe Pillow pipeline, files under the data directory, thumbnails."""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    """The file store in ``app.extensions``. Pillow itself is imported by ``pipeline`` when
    the first image is processed, which also makes decompression bombs errors."""
    from webapp.images.service import Store

    app.extensions["kaap.images"] = Store(Path(app.config["DATA_DIR"]) / "images")
