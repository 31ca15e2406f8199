"""``/api/drafts``: unsaved text the page hands over as soon as it can."""

from __future__ import annotations

from flask_restx import Namespace, Resource, fields
from werkzeug.routing import BaseConverter

from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.disk import frees_space
from webapp.drafts import service
from webapp.extensions import db
from webapp.timeutil import now

ns = Namespace("drafts", description="Unsaved drafts: a new note, or edits not yet saved")

draft_input = ns.model(
    "DraftInput",
    {"content": fields.Raw(required=True, description="What the page needs to offer it again")},
    strict=True,
)
draft_model = ns.model(
    "Draft",
    {
        "key": fields.String(required=True, example="note-7", description='or "composer"'),
        "content": fields.Raw(required=True),
        "updated_at": fields.String(required=True),
    },
)
register_models(ns)


class DraftKeyConverter(BaseConverter):
    """``<draft_key:key>``: ``composer`` or ``note-<id>``; any other key is no route (404)."""

    regex = service.KEY.pattern


@ns.route("")
class DraftList(Resource):
    @ns.response(200, "The drafts, oldest first", [draft_model])
    def get(self):
        """Every unsaved draft."""
        return [service.draft_json(d) for d in service.list_drafts(db.session, current_owner_id())]


@ns.route("/<draft_key:key>")
@ns.response(404, 'No such key: "composer" or "note-" and a note id', error_model)
class DraftItem(Resource):
    @ns.expect(draft_input, validate=True)
    @ns.response(200, "Kept", draft_model)
    @ns.response(400, "Invalid content", error_model)
    @ns.response(409, "Too many drafts", error_model)
    @ns.response(413, "Request body too large", error_model)
    def put(self, key: str):
        """Keep a draft (replacing the one under that key)."""
        draft = service.keep_draft(
            db.session, current_owner_id(), key, ns.payload["content"], now()
        )
        return service.draft_json(draft)

    @ns.response(204, "Gone (or there was none)")
    @frees_space
    def delete(self, key: str):
        """Drop a draft: its text was saved or discarded."""
        service.drop_draft(db.session, current_owner_id(), key)
        return "", 204
