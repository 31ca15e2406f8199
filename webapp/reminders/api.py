"""``/api/reminders`` and ``/api/notes/<id>/reminder/done``: thin resources over
``webapp.reminders``."""

from __future__ import annotations

from flask import request
from flask_restx import Namespace, Resource, fields

from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.api.fields import NullableString, UTCTime
from webapp.extensions import db
from webapp.notes import api as notes_api
from webapp.notes import queries
from webapp.notes import service as notes
from webapp.reminders import listing
from webapp.reminders import service as reminders
from webapp.timeutil import isoformat, now

ns = Namespace("reminders", path="/", description="Reminders on notes")
register_models(ns)
note_model = ns.add_model("Note", notes_api.note_model)
ns.add_model("Reminder", notes_api.reminder_model)
reminder_page = ns.model(
    "ReminderPage",
    {
        "items": fields.List(
            fields.Nested(note_model),
            required=True,
            description="Notes with a reminder, soonest first",
        ),
        "next_cursor": NullableString(description="Pass as `cursor` for the next page"),
    },
)
presets_model = ns.model(
    "ReminderPresets",
    {
        name: UTCTime(nullable=True, description="Null: not offered now")
        for name in reminders.PRESETS
    },
)


@ns.route("/reminders")
class ReminderList(Resource):
    @ns.doc(
        params={
            "state": {
                "description": "upcoming (default: not done), done or all",
                "enum": list(listing.STATES),
            },
            "limit": {
                "description": f"Page size, 1 to {listing.LIMIT_MAX} (default "
                f"{listing.LIMIT_DEFAULT})",
                "type": "integer",
            },
            "cursor": {"description": "`next_cursor` of the previous page"},
        }
    )
    @ns.response(400, "Invalid query parameters", error_model)
    @ns.response(200, "OK", reminder_page)
    def get(self):
        """Notes with a reminder, soonest first (trashed notes left out), in keyset pages."""
        found, cursor = listing.list_reminders(
            db.session,
            current_owner_id(),
            state=request.args.get("state", "upcoming"),
            limit=notes_api._int_arg("limit", listing.LIMIT_DEFAULT),
            cursor=request.args.get("cursor") or None,
        )
        return notes_api._json({"items": [notes_api.note_json(n) for n in found],
                                "next_cursor": cursor})  # fmt: skip


@ns.route("/reminders/presets")
class ReminderPresets(Resource):
    @ns.doc(params={"zone": {"description": "IANA zone, such as Europe/Amsterdam",
                             "required": True}})  # fmt: skip
    @ns.response(400, "Unknown zone", error_model)
    @ns.response(200, "OK", presets_model)
    def get(self):
        """What Later today, Tomorrow and Next week mean now in this zone (UTC times)."""
        zone = reminders.zone_of(request.args.get("zone"), "zone")
        return {name: isoformat(at) for name, at in reminders.presets(zone, now()).items()}


@ns.route("/notes/<int:note_id>/reminder/done")
@ns.response(404, "No such note", error_model)
class ReminderDone(Resource):
    @ns.response(409, "The note has no reminder (no_reminder)", error_model)
    @ns.response(200, "OK", note_model)
    def post(self, note_id: int):
        """Mark the reminder done: a one-off is done, a repeating one moves to its next time."""
        return notes_api._with_etag(
            notes.reminder_done(db.session, current_owner_id(), note_id, now())
        )


notified_input = ns.model(
    "ReminderNotified",
    {"at": UTCTime(required=True, description="The occurrence shown (the reminder's `at`)")},
    strict=True,
)


@ns.route("/notes/<int:note_id>/reminder/notified")
@ns.response(404, "No such note", error_model)
class ReminderNotified(Resource):
    @ns.expect(notified_input, validate=True)
    @ns.response(400, "`at` is not a time, or not due yet (not_due)", error_model)
    @ns.response(200, "OK", note_model)
    def post(self, note_id: int):
        """A page showed the reminder due at ``at``: it is notified once, and a repeating one
        moves on to its next time (what the desktop's scheduler does). A reminder changed
        since is left as it is; the answer is the note either way."""
        owner, when = current_owner_id(), now()
        queries.read_note(db.session, owner, note_id)  # another owner's note: the same 404
        at = reminders.notified_at(ns.payload.get("at"), when)
        reminders.mark_notified(db.session, owner, note_id, at, when)
        return notes_api._with_etag(queries.read_note(db.session, owner, note_id))
