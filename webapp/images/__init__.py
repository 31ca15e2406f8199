"""Images in notes: a safe Pillow pipeline, files under the data directory, thumbnails."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask

from webapp.images import pipeline
from webapp.images.service import Store


def init_app(app: Flask) -> None:
    """The file store and the image work's slots in ``app.extensions``. Pillow itself is
    imported by ``pipeline`` when the first image is processed, which also makes decompression
    bombs errors."""
    app.extensions["kaap.images"] = Store(Path(app.config["DATA_DIR"]) / "images")
    slots = int(app.config["IMAGE_WORKERS"]) or pipeline.work_slots(
        int(app.config["IMAGE_MAX_PIXELS"])
    )
    app.extensions["kaap.image_slots"] = threading.BoundedSemaphore(slots)


def quota(app: Flask) -> int | None:
    """What an account's images may weigh: ``ACCOUNT_MAX_IMAGE_BYTES`` in server mode."""
    return int(app.config["ACCOUNT_MAX_IMAGE_BYTES"]) if app.config["ACCOUNTS"] else None


def work(app: Flask) -> pipeline.ImageWork:
    """The image pipeline under the app's limits (read now: tests change them), in its slots."""
    return pipeline.ImageWork(
        pipeline.Limits.from_config(app.config),
        app.extensions["kaap.image_slots"],
        float(app.config["IMAGE_WAIT_SECONDS"]),
    )
