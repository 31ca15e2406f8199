"""``/api/sync``: thin resources over ``webapp.sync.service`` and ``webapp.sync.push`` (the
change feed, this server's identity, pushes, and a device's token)."""

from __future__ import annotations

from flask import current_app, request, send_file
from flask_restx import Namespace, Resource, fields

from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.errors import NotFoundError
from webapp.extensions import csrf, db
from webapp.images import quota, work
from webapp.images.api import CACHE_CONTROL
from webapp.images.pipeline import UnsupportedImageError
from webapp.sync import blobs, push, service
from webapp.timeutil import now

ns = Namespace("sync", path="/sync", description="Sync: a device's change feed and pushes")
register_models(ns)

identity_model = ns.model(
    "SyncIdentity",
    {
        "server_id": fields.String(required=True, description="Made once per database"),
        "account_id": fields.Integer(required=True),
        "username": fields.String(required=True),
    },
)
device_input = ns.model(
    "DeviceInput",
    {
        "username": fields.String(required=True, min_length=1, max_length=150),
        "password": fields.String(required=True, min_length=1, max_length=1024),
        "device": fields.String(required=True, min_length=1, max_length=80),
    },
    strict=True,
)
device_model = ns.inherit(
    "DeviceToken",
    identity_model,
    {
        "token": fields.String(required=True, description="Shown once: a personal API token"),
        "token_id": fields.Integer(required=True),
    },
)
changes_model = ns.model(
    "SyncChanges",
    {
        "changes": fields.List(
            fields.Raw,
            description="Notes in full: uid, version, seq, "
            "fields, items with ids, label_uids, images with sha256, "
            "field_times",
        ),
        "labels": fields.List(fields.Raw, description="{uid, name, seq}"),
        "tombstones": fields.List(fields.Raw, description="{kind, uid, seq, deleted_at}"),
        "high_water": fields.Integer(required=True, description="Ask since this next time"),
        "more": fields.Boolean(description="Another page follows at once"),
        "resync": fields.Boolean(description="Behind the tombstones kept: sync in full"),
    },
)
push_input = ns.model(
    "SyncPush",
    {
        "deleted_labels": fields.List(
            fields.String,
            max_items=1000,
            description="Uids of labels deleted on the device, deleted here first (a "
            "tombstone; their notes lose them); an unknown uid is one already deleted",
        ),
        "labels": fields.List(fields.Raw, description="{uid, name}, upserted by uid"),
        "changes": fields.List(
            fields.Raw,
            required=True,
            max_items=push.BATCH_MAX,
            description="{change_id, uid, base_version (null: new), note | deleted: true}; "
            "a note may carry field_times {color, pinned, archived, trashed: ISO 8601}, "
            "kept for the fields it changes (at most 5 minutes ahead of the server)",
        ),
    },
)
push_model = ns.model(
    "SyncPushResults",
    {
        "results": fields.List(
            fields.Raw,
            description="Per change: applied (version, seq), "
            "conflict (the server's note) or invalid (error)",
        ),
        "label_uids": fields.Raw(description="Pushed label uids that became an existing one"),
    },
)


@ns.route("/changes")
@ns.response(400, "since or limit is not a valid number", error_model)
@ns.response(401, "Not logged in and no valid API token", error_model)
class Changes(Resource):
    @ns.doc(params={"since": "The high_water of the last sync (0: everything)",
                    "limit": f"At most this many (default {service.LIMIT_DEFAULT}, "
                             f"max {service.LIMIT_MAX})"})  # fmt: skip
    @ns.marshal_with(changes_model, skip_none=True)
    def get(self):
        """What changed since ``since``: notes, labels and tombstones in sequence order."""
        since = service.parse_since(request.args.get("since"))
        limit = service.parse_limit(request.args.get("limit"))
        return service.changes(db.session, current_owner_id(), since, limit)


@ns.route("/identity")
@ns.response(401, "Not logged in and no valid API token", error_model)
class Identity(Resource):
    @ns.marshal_with(identity_model)
    def get(self):
        """This server's id and the token's account: a device notices a reset or another
        server by them."""
        return service.identity(db.session, current_owner_id())


@ns.route("/push")
@ns.response(400, "Not a batch of at most 100 changes", error_model)
@ns.response(401, "Not logged in and no valid API token", error_model)
class Push(Resource):
    @ns.expect(push_input)
    @ns.marshal_with(push_model)
    def post(self):
        """Apply a device's changes, each once and atomically, or answer the server's note."""
        store = current_app.extensions["kaap.images"]
        return push.push(db.session, current_owner_id(), request.get_json(silent=True), now(),
                         store)  # fmt: skip


blobs_input = ns.model(
    "SyncBlobsAsk",
    {
        "sha256": fields.List(
            fields.String(pattern="^[0-9a-f]{64}$"),
            required=True,
            max_items=blobs.MISSING_MAX,
            description="SHA-256 of images the device has",
        )
    },
)
missing_model = ns.model(
    "SyncBlobsMissing",
    {
        "missing": fields.List(fields.String, required=True, description="Upload these"),
        "stored_as": fields.Raw(
            description="Hashes uploaded before and stored under another SHA-256 (re-encoded): "
            "download that one and use it instead"
        ),
    },
)
stored_model = ns.model(
    "SyncBlobStored",
    {"sha256": fields.String(required=True, description="The stored file's SHA-256")},
)


@ns.route("/blobs/missing")
@ns.response(400, "Not a list of at most 1,000 SHA-256", error_model)
@ns.response(401, "Not logged in and no valid API token", error_model)
class BlobsMissing(Resource):
    @ns.expect(blobs_input)
    @ns.marshal_with(missing_model)
    def post(self):
        """Which of these images (by SHA-256) the account lacks on the server."""
        shas = blobs.parse_shas(request.get_json(silent=True))
        return blobs.missing(db.session, current_owner_id(), shas)


@ns.route("/blobs/<string:sha256>", endpoint="sync_blob")
@ns.doc(params={"sha256": "The image file's SHA-256, 64 lowercase hex digits"})
@ns.response(400, "Not a SHA-256, damaged image, too many pixels, or digest_mismatch", error_model)
@ns.response(401, "Not logged in and no valid API token", error_model)
class Blob(Resource):
    @ns.doc(consumes=["image/jpeg", "image/png", "image/gif", "image/webp"],
            params={"body": {"in": "body", "required": True, "description": "The image file",
                             "schema": {"type": "string", "format": "binary"}}})  # fmt: skip
    @ns.response(200, "Stored already (under this SHA-256 or another)", stored_model)
    @ns.response(201, "Stored: a note pushed within a day may name it", stored_model)
    @ns.response(413, "Request body too large", error_model)
    @ns.response(415, "Not a JPEG, PNG, GIF or WebP image", error_model)
    @ns.response(503, "Busy with other images: try again", error_model)
    @ns.response(507, "Over the account's image quota (quota_exceeded)", error_model)
    def put(self, sha256: str):
        """Upload an image by its SHA-256; it is cleaned and re-encoded as any upload is, and
        the answer names the stored file's SHA-256 (the one notes then carry)."""
        blobs.check_sha(sha256)
        if not request.mimetype.startswith("image/"):
            raise UnsupportedImageError(
                "Send the image file as the body, with its image/* Content-Type.",
                fields={"body": "an image/* body"},
            )
        digest, new = blobs.put(
            db.session, current_app.extensions["kaap.images"], work(current_app),
            current_owner_id(), sha256, request.get_data(cache=False), now(),
            quota(current_app),
        )  # fmt: skip
        return {"sha256": digest}, 201 if new else 200

    @ns.produces(["image/jpeg", "image/png", "image/webp", "application/json"])
    @ns.response(200, "The stored image file")
    @ns.response(404, "The account has no image with that SHA-256", error_model)
    def get(self, sha256: str):
        """The stored file of the account's image (or uploaded blob) with this SHA-256."""
        found = blobs.get(db.session, current_owner_id(), sha256)
        response = send_file(
            current_app.extensions["kaap.images"].path(found.file_name),
            mimetype=found.content_type,
            etag=found.digest,
            conditional=True,
            max_age=31536000,
        )
        # The address names the content: it never changes.
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Disposition"] = "inline"
        return response


@ns.route("/devices", endpoint="sync_devices")
@ns.response(400, "Invalid request", error_model)
class Devices(Resource):
    kaap_public = True

    @ns.expect(device_input, validate=True)
    @ns.response(401, "Wrong user name or password (code bad_credentials)", error_model)
    @ns.response(404, "Accounts are off: a desktop Kaap is not a sync server", error_model)
    @ns.response(429, "Too many failed attempts for this address or account", error_model)
    @ns.marshal_with(device_model, code=201)
    def post(self):
        """A device's API token ("Kaap on <device>"), for the user name and password."""
        if not current_app.config["ACCOUNTS"]:
            raise NotFoundError(
                "This Kaap has accounts off (a desktop app): it is not a sync server.",
                code="not_a_sync_server",
            )
        from webapp.accounts import tokens
        from webapp.accounts.api import try_login

        data = ns.payload
        user = try_login(data["username"], data["password"])
        token, secret = tokens.create_token(db.session, user, f"Kaap on {data['device']}", now())
        return {"token": secret, "token_id": token.id, **service.identity(db.session, user.id)}, 201


# A device sends its password, not a cookie: no session to ride, so no CSRF token to ask
# for (a forged request could not read the token it answers with).
csrf.exempt("webapp.sync.api.sync_devices")
