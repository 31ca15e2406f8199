"""Request body limits per endpoint: uploads may be larger than the JSON API's bodies."""

from __future__ import annotations

from flask import Flask, current_app, request

# Endpoint -> the setting that caps its request body (MAX_CONTENT_LENGTH caps the rest).
LIMITS = {
    "api.images_note_images": "IMAGE_MAX_BYTES",
    "api.notes_note_from_images": "IMAGE_MAX_BYTES",
    "api.transfer_imports": "IMPORT_MAX_BYTES",
    "api.sync_blob": "IMAGE_MAX_BYTES",
    "api.desktop_snapshot": "SNAPSHOT_MAX_BYTES",
}


def _limit():
    key = LIMITS.get(request.endpoint or "")
    if key:
        request.max_content_length = current_app.config[key]


def init_app(app: Flask) -> None:
    # Registered before CSRF's check, which reads the form and so the body.
    app.before_request(_limit)
