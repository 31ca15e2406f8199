"""``/api/imports`` and ``/api/export``: thin resources over the importer and exporter."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC
from pathlib import Path
from typing import BinaryIO

from flask import current_app, request, send_file, url_for
from flask_restx import Namespace, Resource, fields

from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.api.fields import NullableNested, NullableString, upload_doc
from webapp.dialogs import dialogs
from webapp.disk import full_error, is_disk_full
from webapp.errors import ConflictError, NotFoundError, ValidationError
from webapp.extensions import db
from webapp.timeutil import now
from webapp.transfer.kaap_format import write_export
from webapp.transfer.summary import ENTRIES_MAX
from webapp.transfer.workdir import work_folder

ns = Namespace("transfer", path="/", description="Import from Google Keep; export everything")
register_models(ns)

entry = ns.model("ImportEntry", {"file": fields.String, "reason": fields.String})
totals_model = ns.model(
    "ImportTotals",
    {name: fields.Integer(required=True) for name in ("skipped", "failed", "warnings")},
)
summary_model = ns.model(
    "ImportSummary",
    {
        "imported": fields.Integer(required=True),
        "skipped": fields.List(fields.Nested(entry), required=True),
        "failed": fields.List(fields.Nested(entry), required=True),
        "warnings": fields.List(fields.Nested(entry), required=True),
        "totals": fields.Nested(
            totals_model,
            description=f"How many of each; the lists hold the first {ENTRIES_MAX} only",
        ),
        "stopped": NullableString(description="Why the import stopped early (a quota), if it did"),
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
    @ns.response(409, "An import of this account is already running", error_model)
    @ns.response(413, "Larger than IMPORT_MAX_BYTES", error_model)
    @ns.response(503, "Too many imports are running (of all accounts)", error_model)
    def post(self):
        """Start importing an uploaded archive; the import runs in the background."""
        upload = request.files.get("file")
        if upload is None:
            raise ValidationError(
                "Send the archive in the field `file`.", fields={"file": "required"}
            )
        # A file without a name (gone with its last descriptor): nothing is left behind,
        # whatever happens to the job or the process.
        # The job owns the file from here on and closes it when it ends.
        spool = tempfile.TemporaryFile(dir=work_folder(current_app, "imports"))  # noqa: SIM115
        try:
            upload.save(spool)
            spool.seek(0)
            app = current_app._get_current_object()
            name = Path(upload.filename or "archive.zip").name[:200]
            job = _jobs().start_import(app, current_owner_id(), spool, name=name)
        except BaseException:
            spool.close()
            raise
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
                f"Import {job_id} does not exist (imports are forgotten an hour after they "
                "end, and at restart)."
            )
        return job.as_json()


def _with_history() -> bool:
    """``?history=true``: the export carries every note's versions (off by default: large)."""
    raw = request.args.get("history", "false").lower()
    if raw not in ("true", "1", "false", "0"):
        raise ValidationError("history must be true or false.", fields={"history": "true or false"})
    return raw in ("true", "1")


def _export_to(path: Path | BinaryIO) -> int:
    store = current_app.extensions["kaap.images"]
    history = _with_history()
    return write_export(db.session, store, current_owner_id(), now(), path, history=history)


def _file_name() -> str:
    return f"kaap-export-{now().astimezone(UTC):%Y-%m-%d}.zip"


@ns.route("/export")
class Export(Resource):
    @ns.produces(["application/zip", "application/json"])
    @ns.doc(params={"history": "true: each note's versions too (default false)"})
    @ns.response(200, "A zip: kaap.json, one Markdown file per note, the images")
    def get(self):
        """Download every note, label and image as one zip."""
        # Written to a file without a name, streamed from it, and gone when the download ends,
        # fails or the client goes away (the server closes it), or when the process dies.
        spool = tempfile.TemporaryFile(dir=work_folder(current_app, "exports"))  # noqa: SIM115
        try:
            _export_to(spool)
            size = spool.seek(0, os.SEEK_END)
            spool.seek(0)
            response = send_file(
                spool,
                mimetype="application/zip",
                as_attachment=True,
                download_name=_file_name(),
                conditional=False,
            )
        except BaseException:
            spool.close()
            raise
        response.content_length = size
        return response


@ns.route("/export/save")
class ExportSave(Resource):
    @ns.doc(params={"history": "true: each note's versions too (default false)"})
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
