"""``/api/desktop/snapshot``: the page hands over its last Notes view, for the next launch.

Desktop only (the window's page, accounts off): anywhere else the route answers 404, as there
is no next launch to show it. CSRF-checked like every write; the body is capped
(``webapp/uploads.py``) at what the snapshot file may hold.
"""

from __future__ import annotations

from flask import current_app, request
from flask_restx import Namespace, Resource, fields

from webapp.api.envelope import error_model, register_models
from webapp.dialogs import dialogs
from webapp.errors import NotFoundError, ValidationError
from webapp.snapshot import files, service

ns = Namespace("desktop", path="/desktop", description="The desktop window's own helpers")

snapshot_input = ns.model(
    "SnapshotInput",
    {
        "html": fields.String(
            required=True,
            description="The Notes view's cards as HTML; sanitized (only the cards' tags, "
            "classes and sizes are kept) and shown stale at the next launch",
        )
    },
    strict=True,
)
snapshot_model = ns.model(
    "Snapshot", {"bytes": fields.Integer(required=True, description="Stored, once cleaned")}
)
register_models(ns)


def _desktop() -> None:
    # The window's page: the shell puts native dialogs in place (the page's data-desktop).
    if current_app.config["ACCOUNTS"] or not getattr(dialogs(), "native", False):
        raise NotFoundError("Only the desktop app keeps a snapshot of its notes.")


@ns.route("/snapshot")
@ns.response(404, "Not the desktop app", error_model)
class Snapshot(Resource):
    # Checked here, not with validate=True: that runs first, and outside the desktop the
    # answer is 404 whatever the body.
    @ns.expect(snapshot_input)
    @ns.response(200, "Stored", snapshot_model)
    @ns.response(400, "Not a JSON object with an html string", error_model)
    @ns.response(413, f"Larger than {files.MAX_BYTES} bytes", error_model)
    def put(self):
        """Keep the last Notes view drawn, shown stale and inert at the next launch."""
        _desktop()
        size = service.store(current_app.config["DATA_DIR"], _html(request.get_json()))
        return {"bytes": size}


def _html(payload) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("html"), str):
        raise ValidationError(
            'Send a JSON object {"html": "..."}.', fields={"html": "A string is required."}
        )
    extra = sorted(set(payload) - {"html"})
    if extra:
        raise ValidationError(
            f"Unknown field {extra[0]!r}.", fields={name: "Unknown field." for name in extra}
        )
    return payload["html"]
