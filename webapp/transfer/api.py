"""``/api/imports`` and ``/api/export``: thin resources over the importer and exporter."""

from __future__ import annotations

import secrets
from datetime import UTC
from pathlib import Path

from flask import current_app, request, send_file, url_for
from flask_restx import Namespace, Resource, fields

from webapp.accounts.service import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.api.fields import NullableNested, NullableString, upload_doc
from webapp.dialogs import dialogs
from webapp.disk import full_error, is_disk_full, removed_on_failure
from webapp.errors import ConflictError, NotFoundError, ValidationError
from webapp.extensions import db
from webapp.timeutil import now
from webapp.transfer.kaap_format import write_export

ns = Namespace("transfer", path="/", description="Import from Google Keep; export everything")
register_models(ns)

entry = ns.model("ImportEntry", {"file": fields.String, "reason": fields.String})
summary_model = ns.model(
    "ImportSummary",
    {
        "imported": fields.Integer(required=True),
        "skipped": fields.List(fields.Nested(entry), required=True),
        "failed": fields.List(fields.Nested(entry), required=True),
        "warnings": fields.List(fields.Nested(entry), required=True),
    },
)
job_model = ns.model(
    "ImportJob",
    {
        "id": fields.String(required=True),
        "status": fields.String(required=True, enum=["queued", "running", "done", "failed"]),
        "done": fields.Integer(required=True, description="Notes handled so far"),
        "total": fields.Integer(required=True, description="Notes found (0 until known)"),
        "summary": NullableNested(summary_model, description="Once done"),
        "error": NullableString(description="Why the import stopped, if it did"),
    },
)
saved_model = ns.model(
    "ExportSaved", {"saved": NullableString(description="Where it was saved; null if cancelled")}
)


def _jobs():
    return current_app.extensions["kaap.jobs"]


@ns.route("/imports")
class Imports(Resource):
    @ns.doc(**upload_doc("A Google Takeout .zip, or a Kaap export .zip"))
    @ns.response(202, "Started; poll the job", job_model)
    @ns.response(400, "No file", error_model)
    @ns.response(413, "Larger than IMPORT_MAX_BYTES", error_model)
    def post(self):
        """Start importing an uploaded archive; the import runs in the background."""
        upload = request.files.get("file")
        if upload is None:
            raise ValidationError(
                "Send the archive in the field `file`.", fields={"file": "required"}
            )
        folder = Path(current_app.config["DATA_DIR"]) / "imports"
        folder.mkdir(exist_ok=True)
        path = folder / f"{secrets.token_hex(8)}.zip"
        with removed_on_failure(path):
            upload.save(path)
        app = current_app._get_current_object()
        name = Path(upload.filename or "archive.zip").name[:200]
        job = _jobs().start_import(app, current_owner_id(), path, delete_after=True, name=name)
        location = url_for("api.transfer_import_job", job_id=job.id)
        return job.as_json(), 202, {"Location": location}


@ns.route("/imports/<string:job_id>")
@ns.response(404, "No such import", error_model)
class ImportJob(Resource):
    @ns.response(200, "Progress, and the summary once done", job_model)
    def get(self, job_id: str):
        """An import's progress and, when done, its summary."""
        job = _jobs().get(job_id, current_owner_id())
        if job is None:
            raise NotFoundError(
                f"Import {job_id} does not exist (imports are forgotten at restart)."
            )
        return job.as_json()


def _export_to(path: Path) -> int:
    store = current_app.extensions["kaap.images"]
    return write_export(db.session, store, current_owner_id(), now(), path)


def _file_name() -> str:
    return f"kaap-export-{now().astimezone(UTC):%Y-%m-%d}.zip"


@ns.route("/export")
class Export(Resource):
    @ns.produces(["application/zip", "application/json"])
    @ns.response(200, "A zip: kaap.json, one Markdown file per note, the images")
    def get(self):
        """Download every note, label and image as one zip."""
        folder = Path(current_app.config["DATA_DIR"]) / "exports"
        folder.mkdir(exist_ok=True)
        path = folder / f"{secrets.token_hex(8)}.zip"
        _export_to(path)
        response = send_file(
            path, mimetype="application/zip", as_attachment=True, download_name=_file_name()
        )
        response.call_on_close(lambda: path.unlink(missing_ok=True))
        return response


@ns.route("/export/save")
class ExportSave(Resource):
    @ns.response(200, "Saved where the person chose, or null when they cancelled", saved_model)
    @ns.response(409, "No native window to ask (use GET /api/export)", error_model)
    def post(self):
        """In the desktop app: ask where to save with the native dialog, then write the zip."""
        chooser = dialogs()
        if not getattr(chooser, "native", False):
            raise ConflictError(
                "There is no native save dialog here; download GET /api/export.",
                code="no_native_dialog",
            )
        chosen = chooser.ask_save_path(_file_name(), ("Zip archives (*.zip)",))
        if not chosen:
            return {"saved": None}
        try:
            _export_to(Path(chosen))
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            # The chosen folder may be on another disk than the data: name that one.
            needed = current_app.config["DISK_MIN_FREE_BYTES"]
            raise full_error(Path(chosen).parent, needed) from exc
        return {"saved": chosen}
