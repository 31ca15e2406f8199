"""``/api/labels``: thin resources over ``webapp.labels.service``."""

from __future__ import annotations

from flask import url_for
from flask_restx import Namespace, Resource, fields

from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.extensions import db
from webapp.labels import service
from webapp.labels.models import NAME_MAX

ns = Namespace("labels", description="Labels, each with how many notes carry it")

label_input = ns.model(
    "LabelInput",
    {"name": fields.String(required=True, min_length=1, max_length=NAME_MAX, example="Work")},
    strict=True,
)
label_model = ns.model(
    "Label",
    {
        "id": fields.Integer(required=True),
        "name": fields.String(required=True),
        "note_count": fields.Integer(required=True, description="Notes outside the trash"),
    },
)
register_models(ns)


def _out(label, count):
    return {"id": label.id, "name": label.name, "note_count": count}


@ns.route("")
@ns.response(400, "Invalid request", error_model)
class LabelList(Resource):
    @ns.marshal_list_with(label_model)
    def get(self):
        """List labels by name."""
        return [
            _out(label, count)
            for label, count in service.list_labels(db.session, current_owner_id())
        ]

    @ns.expect(label_input, validate=True)
    @ns.response(409, "A label with that name exists (case-insensitive)", error_model)
    @ns.marshal_with(label_model, code=201)
    def post(self):
        """Create a label."""
        label = service.create_label(db.session, current_owner_id(), ns.payload["name"])
        return (
            _out(label, 0),
            201,
            {"Location": url_for("api.labels_label_item", label_id=label.id)},
        )


@ns.route("/<int:label_id>")
@ns.response(404, "No such label", error_model)
class LabelItem(Resource):
    @ns.marshal_with(label_model)
    def get(self, label_id: int):
        """One label."""
        label = service.get_label(db.session, current_owner_id(), label_id)
        return _out(label, service.note_count(db.session, label))

    @ns.expect(label_input, validate=True)
    @ns.response(400, "Invalid name", error_model)
    @ns.response(409, "A label with that name exists (case-insensitive)", error_model)
    @ns.marshal_with(label_model)
    def patch(self, label_id: int):
        """Rename a label."""
        label = service.rename_label(db.session, current_owner_id(), label_id, ns.payload["name"])
        return _out(label, service.note_count(db.session, label))

    @ns.response(204, "Deleted; its notes keep existing without it")
    def delete(self, label_id: int):
        """Delete a label (its notes stay)."""
        service.delete_label(db.session, current_owner_id(), label_id)
        return "", 204
