"""``/api/notes/<id>/versions``: a note's history, one version, its images, a restore.

The JSON, for the page's "Version history" dialog:

- ``GET /api/notes/<id>/versions?limit=50&before=<number>``:
  ``{"versions": [{"number": 7, "saved_at": "2026-12-01T13:40:00.000000Z", "device": null,
  "title": "...", "first_line": "...", "current": true}, ...], "next_before": 3}`` newest
  first (``current``: the newest, what the note is now); ``next_before`` is the ``before`` of
  the next page, null on the last. ``limit`` 1-100 (default 50).
- ``GET /api/notes/<id>/versions/<n>`` (add ``?compare=current`` for ``changes``):
  ``{"number", "saved_at", "device", "current", "note": {"title", "body", "kind", "color",
  "items": [{"id", "text", "checked"}], "labels": [{"id", "name"}], "images": [{"digest",
  "width", "height", "content_type", "url", "thumb_url"}]}, "changes": {"title": [{"op",
  "text"}], "body": [{"op", "text"}], "items": [{"op", "text", "checked"}], "changed":
  ["body", "color", ...]}}``; ``op`` is ``equal``, ``insert`` (only in this version) or
  ``delete`` (only in the current note); the runs of ``title`` and ``body`` read in order.
  Image URLs serve even if the note no longer has the image.
- ``POST /api/notes/<id>/versions/<n>/restore`` (optional ``If-Match: <note version>``):
  the note as restored (the notes API's JSON, ETag its version); itself a new version.
"""

from __future__ import annotations

from flask import current_app, request, send_file
from flask_restx import Namespace, Resource, fields

from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.api.fields import NullableInteger, NullableString, UTCTime
from webapp.errors import NotFoundError, ValidationError
from webapp.extensions import db
from webapp.history import compare, service
from webapp.images import quota
from webapp.notes import queries
from webapp.notes.api import _if_match, _with_etag, note_model
from webapp.timeutil import isoformat, now

ns = Namespace("history", path="/", description="Every note's own history: versions, restore")
register_models(ns)
ns.add_model(note_model.name, note_model)  # a restore answers with the note

LIMIT_MAX = 100

summary_model = ns.model(
    "VersionSummary",
    {
        "number": fields.Integer(required=True),
        "saved_at": UTCTime(required=True),
        "device": NullableString(description="The device that saved it, null for the page"),
        "title": fields.String(required=True),
        "first_line": fields.String(required=True),
        "current": fields.Boolean(required=True, description="The newest: the note as it is"),
    },
)
list_model = ns.model(
    "VersionList",
    {
        "versions": fields.List(fields.Nested(summary_model), required=True),
        "next_before": NullableInteger(description="`before` of the next page; null at the end"),
    },
)
version_image = ns.model(
    "VersionImage",
    {
        "digest": fields.String(required=True),
        "width": fields.Integer(required=True),
        "height": fields.Integer(required=True),
        "content_type": fields.String(required=True),
        "url": fields.String(required=True),
        "thumb_url": fields.String(required=True),
    },
)
version_note = ns.model(
    "VersionNote",
    {
        "title": fields.String(required=True),
        "body": fields.String(required=True),
        "kind": fields.String(required=True),
        "color": fields.String(required=True),
        "items": fields.List(fields.Raw, required=True),
        "labels": fields.List(fields.Raw, required=True),
        "images": fields.List(fields.Nested(version_image), required=True),
    },
)
version_model = ns.model(
    "Version",
    {
        "number": fields.Integer(required=True),
        "saved_at": UTCTime(required=True),
        "device": NullableString(description="The device that saved it, null for the page"),
        "current": fields.Boolean(required=True),
        "note": fields.Nested(version_note, required=True),
        "changes": fields.Raw(description="With compare=current: runs per field (see above)"),
    },
)


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and low <= int(raw) <= high):
        raise ValidationError(f"{name} must be a number from {low} to {high}.",
                              fields={name: f"{low}-{high}"})  # fmt: skip
    return int(raw)


def _note_json(note_id: int, state: dict) -> dict:
    base = f"/api/notes/{note_id}/versions/images"
    return {
        "title": state["title"],
        "body": state["body"],
        "kind": state["kind"],
        "color": state["color"],
        "items": [{"id": uid, "text": t, "checked": c} for t, c, uid in state["items"]],
        "labels": [{"id": label_id, "name": name} for label_id, name in state["labels"]],
        "images": [
            {"digest": digest, "width": width, "height": height, "content_type": content_type,
             "url": f"{base}/{digest}/file", "thumb_url": f"{base}/{digest}/thumb"}
            for digest, content_type, width, height, _, _ in state["images"]
        ],
    }  # fmt: skip


@ns.route("/notes/<int:note_id>/versions")
@ns.response(404, "No such note", error_model)
class VersionList(Resource):
    @ns.doc(params={"limit": "1-100, default 50", "before": "only versions numbered below"})
    @ns.response(400, "Invalid limit or before", error_model)
    @ns.response(200, "OK", list_model)
    def get(self, note_id: int):
        """The note's versions, newest first: number, time, device, title and first line."""
        limit = _int_arg("limit", 50, 1, LIMIT_MAX)
        before = _int_arg("before", None, 1, 2**31 - 1)
        owner_id = current_owner_id()
        queries.read_note(db.session, owner_id, note_id)
        versions, next_before = service.list_versions(db.session, owner_id, note_id, limit,
                                                      before)  # fmt: skip
        newest = versions[0]["number"] if versions and before is None else None
        return {
            "versions": [
                {**v, "saved_at": isoformat(v["saved_at"]), "current": v["number"] == newest}
                for v in versions
            ],
            "next_before": next_before,
        }


@ns.route("/notes/<int:note_id>/versions/<int:number>")
@ns.response(404, "No such note or version", error_model)
class VersionItem(Resource):
    @ns.doc(params={"compare": "`current`: add `changes` against the note as it is"})
    @ns.response(400, "Unknown compare", error_model)
    @ns.response(200, "OK", version_model)
    def get(self, note_id: int, number: int):
        """One version in full; with compare=current, what differs from the current note."""
        compare_to = request.args.get("compare")
        if compare_to not in (None, "current"):
            raise ValidationError("compare must be current.", fields={"compare": "current"})
        owner_id = current_owner_id()
        queries.read_note(db.session, owner_id, note_id)
        saved_at, device, state, newest = service.version_state(
            db.session, owner_id, note_id, number
        )
        body = {
            "number": number,
            "saved_at": isoformat(saved_at),
            "device": device,
            "current": number == newest,
            "note": _note_json(note_id, state),
        }
        if compare_to:
            _, _, current, _ = service.version_state(db.session, owner_id, note_id, newest)
            body["changes"] = compare.changes(current, state)
        return body


@ns.route("/notes/<int:note_id>/versions/<int:number>/restore")
@ns.response(404, "No such note or version", error_model)
class VersionRestore(Resource):
    @ns.doc(params={"If-Match": {"in": "header", "description": "The note version you saw"}})
    @ns.response(400, "If-Match is not a version number", error_model)
    @ns.response(409, "The note is in the trash", error_model)
    @ns.response(412, "The note changed since that version", error_model)
    @ns.response(507, "Over the account's image quota (quota_exceeded)", error_model)
    @ns.response(200, "The note as restored", note_model)
    def post(self, note_id: int, number: int):
        """Make the note what this version holds; the restore is itself a new version."""
        note = service.restore(
            db.session, current_app.extensions["kaap.images"], current_owner_id(), note_id,
            number, now(), if_match=_if_match(), quota=quota(current_app),
        )  # fmt: skip
        return _with_etag(note)


def _serve(note_id: int, digest: str, thumb: bool):
    owner_id = current_owner_id()
    queries.read_note(db.session, owner_id, note_id)
    found = service.image_file(db.session, note_id, digest)
    if found is None:
        raise NotFoundError("This note's versions have no such image.")
    file_name, thumb_name, content_type = found
    path = current_app.extensions["kaap.images"].path(thumb_name if thumb else file_name)
    if not path.is_file():
        raise NotFoundError("This image's file is lost.")
    response = send_file(
        path, mimetype="image/webp" if thumb else content_type, conditional=True,
        max_age=31536000,
    )  # fmt: skip
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response


@ns.route("/notes/<int:note_id>/versions/images/<string:digest>/file")
@ns.response(404, "No such image in the note's versions", error_model)
class VersionImageFile(Resource):
    @ns.produces(["image/jpeg", "image/png", "image/webp", "application/json"])
    @ns.response(200, "The image")
    def get(self, note_id: int, digest: str):
        """An image a version of the note names, kept while a version does."""
        return _serve(note_id, digest, thumb=False)


@ns.route("/notes/<int:note_id>/versions/images/<string:digest>/thumb")
@ns.response(404, "No such image in the note's versions", error_model)
class VersionImageThumb(Resource):
    @ns.produces(["image/webp", "application/json"])
    @ns.response(200, "The thumbnail")
    def get(self, note_id: int, digest: str):
        """The WebP thumbnail of an image a version of the note names."""
        return _serve(note_id, digest, thumb=True)
