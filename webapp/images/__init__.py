"""Images in notes: a safe Pillow pipeline, files under the data directory, thumbnails."""

from __future__ import annotations

import warnings
from pathlib import Path

from flask import Flask, request

UPLOAD_ENDPOINT = "api.images_note_images"


def _upload_limit():
    # Before CSRF's check reads the form: an upload may be larger than a JSON body.
    if request.endpoint == UPLOAD_ENDPOINT:
        from flask import current_app

        request.max_content_length = current_app.config["IMAGE_MAX_BYTES"]


def init_app(app: Flask) -> None:
    """The file store in ``app.extensions``, the upload size limit, bombs as errors."""
    from PIL import Image

    from webapp.images.service import Store

    # Pillow only warns about a decompression bomb below twice its limit: make it an error.
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
    app.extensions["kaap.images"] = Store(Path(app.config["DATA_DIR"]) / "images")
    app.before_request(_upload_limit)
