"""``/api/notes/<id>/images`` and ``/api/images/<id>``: upload, serve, delete."""

from __future__ import annotations

from flask import current_app, request, send_file
from flask_restx import Namespace, Resource, fields

from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.api.fields import upload_doc
from webapp.disk import frees_space
from webapp.extensions import db
from webapp.images import quota, service, work
from webapp.images.models import Image
from webapp.notes import service as notes
from webapp.notes.serialize import image_json
from webapp.timeutil import now

ns = Namespace("images", path="/", description="Images in notes (JPEG, PNG, GIF, WebP)")
register_models(ns)

image_model = ns.model(
    "Image",
    {
        "id": fields.Integer(required=True),
        "width": fields.Integer(required=True),
        "height": fields.Integer(required=True),
        "content_type": fields.String(required=True, example="image/jpeg"),
        "url": fields.String(required=True, description="The cleaned image, at most 4096 px"),
        "thumb_url": fields.String(required=True, description="WebP, at most 512 px"),
    },
)
upload_model = ns.model(
    "ImageUpload",
    {
        "images": fields.List(fields.Nested(image_model), required=True),
        "note_version": fields.Integer(required=True, description="The note's new version"),
    },
)

# A year: file names never change, a new upload is a new image with a new URL.
CACHE_CONTROL = "private, max-age=31536000, immutable"


def store() -> service.Store:
    return current_app.extensions["kaap.images"]


@ns.route("/notes/<int:note_id>/images")
@ns.response(404, "No such note", error_model)
class NoteImages(Resource):
    @ns.doc(**upload_doc("One or more images (repeat the field)"))
    @ns.response(201, "Stored", upload_model)
    @ns.response(400, "Damaged image, too many pixels or frames, or no file", error_model)
    @ns.response(409, "The note is in the trash", error_model)
    @ns.response(413, "Request body too large", error_model)
    @ns.response(415, "Not a JPEG, PNG, GIF or WebP image", error_model)
    @ns.response(503, "Busy with other images: try again", error_model)
    @ns.response(507, "Over the account's image quota (quota_exceeded)", error_model)
    def post(self, note_id: int):
        """Add images (multipart field `file`, several allowed): all are stored or none."""
        request.max_content_length = current_app.config["IMAGE_MAX_BYTES"]
        uploads = [(f.filename or "", f.stream) for f in request.files.getlist("file")]
        images, version = notes.add_images(
            db.session, store(), work(current_app), current_owner_id(), note_id, uploads, now(),
            quota(current_app),
        )  # fmt: skip
        return {"images": [image_json(i) for i in images], "note_version": version}, 201


@ns.route("/images/<int:image_id>")
@ns.response(404, "No such image", error_model)
class ImageItem(Resource):
    @ns.response(204, "Deleted, files included")
    @frees_space
    def delete(self, image_id: int):
        """Delete an image and its files."""
        notes.delete_image(db.session, store(), current_owner_id(), image_id, now())
        return "", 204


def _serve(image: Image, thumb: bool):
    name = image.thumb_name if thumb else image.file_name
    response = send_file(
        store().path(name),
        mimetype="image/webp" if thumb else image.content_type,
        etag=image.thumb_digest if thumb else image.digest,
        conditional=True,
        max_age=31536000,
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response


@ns.route("/images/<int:image_id>/file")
@ns.response(404, "No such image", error_model)
class ImageFile(Resource):
    @ns.produces(["image/jpeg", "image/png", "image/webp", "application/json"])
    @ns.response(200, "The image")
    def get(self, image_id: int):
        """The cleaned image (strong ETag, cached for a year)."""
        return _serve(service.get_image(db.session, current_owner_id(), image_id), thumb=False)


@ns.route("/images/<int:image_id>/thumb")
@ns.response(404, "No such image", error_model)
class ImageThumb(Resource):
    @ns.produces(["image/webp", "application/json"])
    @ns.response(200, "The thumbnail")
    def get(self, image_id: int):
        """The WebP thumbnail, at most 512 px on its longer side."""
        return _serve(service.get_image(db.session, current_owner_id(), image_id), thumb=True)
