"""``/api/notes`` and ``/api/trash``: thin resources over ``webapp.notes.service``."""

from __future__ import annotations

import functools
from datetime import timedelta

import orjson
from flask import current_app, request, url_for
from flask_restx import Namespace, Resource, fields
from jsonschema import Draft4Validator

from webapp import images
from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models, schema_error_fields
from webapp.api.fields import NullableNested, NullableString, UTCTime, upload_doc
from webapp.db.types import MAX_ID
from webapp.disk import EXTENSION as DISK
from webapp.disk import freeing_space, frees_space
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.images.api import image_model
from webapp.inputs import loads
from webapp.notes import queries, service
from webapp.notes.models import COLORS, KINDS
from webapp.notes.serialize import note_json
from webapp.settings import service as settings
from webapp.timeutil import now

ns = Namespace("notes", path="/", description="Notes: create, edit, list, search, trash")
register_models(ns)


class ReminderInput(fields.Raw):
    """A reminder as sent (checked by ``webapp.reminders.service.parse``), or null."""

    def schema(self):
        # No type: jsonschema would refuse null for "object" (x-nullable is not its word), and
        # ``parse`` answers every wrong shape with a sentence of its own.
        schema = super().schema() | {"x-nullable": True}
        schema.pop("type", None)
        return schema


reminder_model = ns.model(
    "Reminder",
    {
        "at": UTCTime(required=True, description="The next occurrence, UTC"),
        "zone": fields.String(required=True, description="IANA zone: the wall-clock time repeats"),
        "repeat": NullableString(enum=["daily", "weekly", "monthly", "yearly"]),
        "done": fields.Boolean(required=True),
        "local": fields.String(
            required=True, description="Wall-clock time in zone: 2026-12-02T09:00"
        ),
    },
)

item_input = ns.model(
    "ChecklistItemInput",
    {
        "text": fields.String(required=True, max_length=service.ITEM_TEXT_MAX),
        "checked": fields.Boolean(default=False),
        "id": fields.String(
            pattern=service.ITEM_ID_PATTERN,
            description="The item's id as the API gave it (kept across edits); none for a new one",
        ),
    },
    strict=True,
)
note_input = ns.model(
    "NoteInput",
    {
        "title": fields.String(max_length=service.TITLE_MAX),
        "body": fields.String(description="Plain text, at most 1 MB (UTF-8)"),
        "kind": fields.String(enum=list(KINDS)),
        "items": fields.List(fields.Nested(item_input), max_items=service.ITEMS_MAX),
        "color": fields.String(enum=list(COLORS)),
        "pinned": fields.Boolean,
        "archived": fields.Boolean,
        "label_ids": fields.List(fields.Integer(min=1, max=MAX_ID), max_items=1000, unique=True),
        "reminder": ReminderInput(
            description='{"at": ISO 8601 (with an offset: that instant; without: wall-clock '
            'time in zone), "zone": IANA name, "repeat": null|daily|weekly|monthly|yearly, '
            '"done": bool}, or {"preset": later_today|tomorrow|next_week, "zone": ...}; '
            "null removes it. A one-off time in the past is refused (400); a repeating one "
            "starts at its first occurrence from now"
        ),
    },
    strict=True,
)
item_model = ns.model(
    "ChecklistItem", {"id": fields.String, "text": fields.String, "checked": fields.Boolean}
)
label_ref = ns.model("LabelRef", {"id": fields.Integer, "name": fields.String})
note_model = ns.model(
    "Note",
    {
        "id": fields.Integer(required=True),
        "title": fields.String(required=True),
        "body": fields.String(required=True),
        "kind": fields.String(required=True, enum=list(KINDS)),
        "items": fields.List(fields.Nested(item_model), required=True),
        "color": fields.String(required=True, enum=list(COLORS)),
        "pinned": fields.Boolean(required=True),
        "archived": fields.Boolean(required=True),
        "labels": fields.List(fields.Nested(label_ref), required=True),
        "images": fields.List(fields.Nested(image_model), required=True),
        "trashed_at": UTCTime(nullable=True, description="Null unless the note is in the trash"),
        "created_at": UTCTime(required=True),
        "updated_at": UTCTime(required=True),
        "version": fields.Integer(required=True, description="Rises with every change"),
        "position": fields.String(
            required=True,
            description="Its place in the own order, within pinned or others: greater is "
            "higher; keys sort as their code points (a new note takes the greatest)",
        ),
        "reminder": NullableNested(reminder_model, required=True, allow_null=True),
    },
)
match_model = ns.model(
    "Match",
    {
        "field": fields.String(
            required=True,
            description="title, body, items.<n> or labels.<n> (index into the note's lists)",
        ),
        "start": fields.Integer(required=True, description="Offset in Unicode code points"),
        "end": fields.Integer(required=True, description="Offset just past the match"),
    },
)
result_model = ns.clone(
    "NoteResult",
    note_model,
    {
        "matches": fields.List(
            fields.Nested(match_model),
            required=True,
            description="Where the words of `q` occur (empty without `q`)",
        )
    },
)
page_model = ns.model(
    "NotePage",
    {
        "items": fields.List(fields.Nested(result_model), required=True),
        "next_cursor": NullableString(
            description="Pass as `cursor` for the next page; null at the end"
        ),
    },
)
deleted_model = ns.model("Deleted", {"deleted": fields.Integer(required=True)})
_note_id = fields.Integer(min=1, max=MAX_ID)
bulk_input = ns.model(
    "BulkInput",
    {
        "ids": fields.List(
            _note_id, required=True, min_items=1, max_items=service.BULK_MAX, unique=True
        ),
        "action": fields.String(required=True, enum=list(service.BULK_ACTIONS)),
        "color": fields.String(enum=list(COLORS), description="With color: one for all"),
        "colors": fields.List(
            fields.String(enum=list(COLORS)),
            max_items=service.BULK_MAX,
            description="With color: one per id, in the order of ids (what an undo sends)",
        ),
        "pins": fields.List(
            fields.Boolean,
            max_items=service.BULK_MAX,
            description="With unarchive: each note's pin, in the order of ids (an undo's)",
        ),
        "label_id": fields.Integer(
            min=1, max=MAX_ID, description="With add_label and remove_label"
        ),
    },
    strict=True,
)


class _NullableObject(fields.Raw):
    # Swagger 2.0 has no null type: x-nullable, as NullableString, so null (nothing to undo)
    # is what the document allows (the fuzz test checks answers against it).
    def schema(self):
        return super().schema() | {"x-nullable": True}


bulk_model = ns.model(
    "BulkResult",
    {
        "notes": fields.List(
            fields.Nested(note_model),
            required=True,
            description="The notes changed (a note left as it was is not), or the copies made",
        ),
        "deleted": fields.List(fields.Integer, required=True, description="Ids deleted forever"),
        "undo": _NullableObject(
            required=True,
            description="The BulkInput that takes this back (null: nothing to undo)",
        ),
    },
)


def _int_arg(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
        if not -(2**63) <= value < 2**63:
            raise ValueError
        return value
    except ValueError:
        raise ValidationError(
            f"{name} must be a whole number.", fields={name: "a whole number"}
        ) from None


def _store():
    return current_app.extensions["kaap.images"]


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise ValidationError(f"{name} must be true or false.", fields={name: "true or false"})


def _if_match() -> int | None:
    """The version the client last saw, from ``If-Match: 3`` or ``If-Match: "3"``."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("²" is a digit to isdigit, not to int), and no more than a version
    # can have: int() of thousands of digits is an error, not a number.
    if not (value.isascii() and value.isdigit() and len(value) <= 19 and int(value) < 2**63):
        raise ValidationError(
            "If-Match must be the note's version number.", fields={"If-Match": "a version number"}
        )
    return int(value)


def _json(body, status: int = 200, headers: dict | None = None):
    # A finished response: flask-restx returns it as is, without negotiating a representation
    # (parsing Accept on every request cost more than the page's SQL). The bodies hold JSON's
    # own types only; orjson writes them as compact UTF-8 about ten times faster than
    # json.dumps (0.4 ms of a 30-note page's 2-4 ms in the app).
    return current_app.response_class(
        orjson.dumps(body), status, headers, mimetype="application/json"
    )


def _with_etag(note, status: int = 200, headers: dict | None = None):
    """The note's JSON, with its version as the ETag (what If-Match sends back)."""
    return _json(note_json(note), status, {"ETag": f'"{note.version}"', **(headers or {})})


@ns.route("/notes")
@ns.response(400, "Invalid request", error_model)
class NoteList(Resource):
    @ns.doc(
        params={
            "state": {
                "description": "active (default), archived, trashed, or notes: active and "
                "archived together (what a search from Notes covers; each note says `archived`)",
                "enum": list(queries.STATES),
            },
            "label": {"description": "Only notes with this label id", "type": "integer"},
            "color": {"description": "Only notes of this color", "enum": list(COLORS)},
            "kind": {"description": "Only text notes or only checklists", "enum": list(KINDS)},
            "has_image": {
                "description": "Only notes with (true) or without (false) images",
                "type": "boolean",
            },
            "q": {
                "description": "Words that must all occur (case-insensitive substrings of title, "
                'text, checklist items or labels); "a phrase" as typed; -word excludes'
            },
            "limit": {
                "description": "Page size, 1 to 100 (default 30)",
                "type": "integer",
                "minimum": 1,
                "maximum": queries.LIMIT_MAX,
            },
            "cursor": {"description": "`next_cursor` of the previous page"},
        }
    )
    @ns.response(503, "The search took too long: narrow it (search_too_costly)", error_model)
    @ns.response(200, "OK", page_model)
    def get(self):
        """List notes: pinned first, then in the person's order setting; keyset pages.

        The setting ``order`` is ``own`` (the order notes were moved into, new notes first) or
        ``edited`` (the latest edit first); the trash is by the latest change. A cursor keeps
        the order its walk began in.
        """
        cursor = request.args.get("cursor") or None
        owner_id = current_owner_id()
        # A later page reads its order from the cursor: no settings query then.
        order = "own" if cursor else settings.get_settings(db.session, owner_id)["order"]
        notes, next_cursor = queries.list_notes(
            db.session,
            owner_id,
            now(),
            state=request.args.get("state", "active"),
            label_id=_int_arg("label", None),
            color=request.args.get("color") or None,
            kind=request.args.get("kind") or None,
            has_image=_bool_arg("has_image"),
            q=request.args.get("q"),
            limit=_int_arg("limit", queries.LIMIT_DEFAULT),
            cursor=cursor,
            cursor_max_age=timedelta(seconds=current_app.config["CURSOR_MAX_AGE"]),
            search_timeout_ms=current_app.config["SEARCH_TIMEOUT_MS"],
            order=order,
        )
        items = [note_json(note) for note in notes]
        return _json({"items": items, "next_cursor": next_cursor})

    @ns.expect(note_input, validate=True)
    @ns.response(413, "Request body too large", error_model)
    @ns.response(201, "Created", note_model)
    def post(self):
        """Create a note (an empty one is refused)."""
        note = service.create_note(db.session, current_owner_id(), ns.payload, now())
        return _with_etag(note, 201, {"Location": url_for("api.notes_note_item", note_id=note.id)})


@ns.route("/notes/images")
class NoteFromImages(Resource):
    @ns.doc(
        **upload_doc(
            "One or more images (repeat the field)",
            note="Other fields of the note, as NoteInput JSON",
        )
    )
    @ns.response(201, "Created", note_model)
    @ns.response(400, "Invalid fields, damaged image or no file", error_model)
    @ns.response(413, "Request body too large", error_model)
    @ns.response(415, "Not a JPEG, PNG, GIF or WebP image", error_model)
    @ns.response(503, "Busy with other images: try again", error_model)
    @ns.response(507, "Over the account's image quota (quota_exceeded)", error_model)
    def post(self):
        """Create a note holding images (a pasted screenshot): they are its content."""
        data = _form_note_fields(request.form.get("note"))
        uploads = [(f.filename or "", f.stream) for f in request.files.getlist("file")]
        note = service.create_note_with_images(
            db.session, _store(), images.work(current_app), current_owner_id(), data, uploads,
            now(), images.quota(current_app),
        )  # fmt: skip
        return _with_etag(note, 201, {"Location": url_for("api.notes_note_item", note_id=note.id)})


def _form_note_fields(raw: str | None) -> dict:
    """The ``note`` form field: NoteInput JSON, checked against the same schema as JSON bodies."""
    if not raw:
        return {}
    try:
        data = loads(raw)
    except ValueError:
        raise ValidationError("The note field is not JSON.", fields={"note": "not JSON"}) from None
    validator = Draft4Validator({**note_input.__schema__, "definitions": _definitions()})
    errors = {".".join(map(str, e.path)): e.message for e in validator.iter_errors(data)}
    if errors:
        raise ValidationError("The note field is not valid.", fields=schema_error_fields(errors))
    return data


def _definitions() -> dict:
    return {"ChecklistItemInput": item_input.__schema__}


@ns.route("/notes/bulk")
class NoteBulk(Resource):
    @ns.expect(bulk_input, validate=True)
    @ns.response(400, "Invalid request", error_model)
    @ns.response(404, "An id is not one of your notes: nothing changed", error_model)
    @ns.response(409, "A note is in the wrong view for the action: nothing changed", error_model)
    @ns.response(413, "Request body too large", error_model)
    @ns.response(200, "OK", bulk_model)
    def post(self):
        """One action on many notes, all or nothing; answers the call that undoes it."""
        body = ns.payload
        work = functools.partial(
            service.bulk_change,
            db.session,
            current_owner_id(),
            body["ids"],
            body["action"],
            now(),
            color=body.get("color"),
            colors=body.get("colors"),
            pins=body.get("pins"),
            label_id=body.get("label_id"),
            store=_store(),
        )
        if body["action"] == "delete":  # as one delete: on a full disk, the reserve lets it
            result = freeing_space(current_app.extensions[DISK], work, db.session.rollback)
        else:
            result = work()
        notes = [note_json(note) for note in result.notes]
        return _json({"notes": notes, "deleted": result.deleted, "undo": result.undo})


@ns.route("/notes/<int:note_id>")
@ns.response(404, "No such note", error_model)
class NoteItem(Resource):
    @ns.response(200, "OK", note_model)
    def get(self, note_id: int):
        """One note; its ETag is its version."""
        return _with_etag(queries.read_note(db.session, current_owner_id(), note_id))

    @ns.expect(note_input, validate=True)
    @ns.doc(params={"If-Match": {"in": "header", "description": "The version you edited"}})
    @ns.response(400, "Invalid request", error_model)
    @ns.response(412, "The note changed since that version", error_model)
    @ns.response(413, "Request body too large", error_model)
    @ns.response(200, "OK", note_model)
    def patch(self, note_id: int):
        """Change any subset of the fields; send If-Match to avoid overwriting other edits."""
        note = service.update_note(
            db.session, current_owner_id(), note_id, ns.payload, now(), if_match=_if_match()
        )
        return _with_etag(note)

    @ns.response(204, "Deleted forever")
    @ns.response(409, "The note is not in the trash", error_model)
    @frees_space
    def delete(self, note_id: int):
        """Delete forever a note that is in the trash."""
        service.delete_note(db.session, current_owner_id(), note_id, _store())
        return "", 204


@ns.route("/notes/<int:note_id>/trash")
@ns.response(404, "No such note", error_model)
class NoteTrash(Resource):
    @ns.response(200, "OK", note_model)
    def post(self, note_id: int):
        """Move a note to the trash (purged after 7 days)."""
        return _with_etag(service.trash_note(db.session, current_owner_id(), note_id, now()))


@ns.route("/notes/<int:note_id>/restore")
@ns.response(404, "No such note", error_model)
class NoteRestore(Resource):
    @ns.response(200, "OK", note_model)
    def post(self, note_id: int):
        """Bring a note back from the trash."""
        return _with_etag(service.restore_note(db.session, current_owner_id(), note_id, now()))


move_input = ns.model(
    "MoveInput",
    {
        "after": fields.Integer(
            min=1, max=MAX_ID, description="The note shown right above it (omit: none)"
        ),
        "before": fields.Integer(
            min=1, max=MAX_ID, description="The note shown right below it (omit: none)"
        ),
    },
    strict=True,
)


@ns.route("/notes/<int:note_id>/move")
@ns.response(404, "No such note (or neighbour)", error_model)
class NoteMoveTo(Resource):
    @ns.expect(move_input, validate=True)
    @ns.response(400, "Neither neighbour given, or the note itself", error_model)
    @ns.response(
        409, "A neighbour in the other section, out of order, or the note trashed", error_model
    )
    @ns.response(200, "OK", note_model)
    def post(self, note_id: int):
        """Move a note in the own order, between the notes it was dropped between.

        They need not be next to each other in the whole list (a label view shows some notes
        only): the note lands between them. With only ``after``, it goes right below that
        note; with only ``before``, right above it. Pinned and other notes are ordered apart.
        """
        body = ns.payload
        note = service.move_note(
            db.session, current_owner_id(), note_id, body.get("after"), body.get("before"), now()
        )
        return _with_etag(note)


@ns.route("/notes/<int:note_id>/copy")
@ns.response(404, "No such note", error_model)
class NoteCopy(Resource):
    @ns.response(409, "The note is in the trash", error_model)
    @ns.response(201, "Created", note_model)
    def post(self, note_id: int):
        """Make a copy of a note."""
        note = service.copy_note(db.session, current_owner_id(), note_id, now(), _store())
        return _with_etag(note, 201, {"Location": url_for("api.notes_note_item", note_id=note.id)})


@ns.route("/trash")
class Trash(Resource):
    @ns.response(200, "OK", deleted_model)
    @frees_space
    def delete(self):
        """Empty the trash: delete forever every note in it."""
        return {"deleted": service.empty_trash(db.session, current_owner_id(), _store())}
