"""``/api/backups``: list, create and restore backups of the database (the settings page)."""

from __future__ import annotations

from flask import current_app
from flask_restx import Namespace, Resource, fields

from webapp.accounts.auth import check_admin
from webapp.api.envelope import error_model, register_models
from webapp.api.fields import UTCTime
from webapp.backups import live as backups
from webapp.backups.service import KINDS, Backup

ns = Namespace(
    "backups",
    path="/",
    description="Backups of the database: list, create, restore (in server mode, admins only)",
)
register_models(ns)


def _admins_only() -> None:
    """A backup holds every user's notes, and a restore rewinds them all: in server mode only
    an admin may touch them (anyone else gets 404, as for anything not theirs)."""
    if not current_app.config["ACCOUNTS"]:
        return
    from flask_login import current_user  # server mode's package: the desktop never loads it

    check_admin(current_user)


backup_model = ns.model(
    "Backup",
    {
        "name": fields.String(required=True, example="manual-20261125T143000000000Z.sqlite3"),
        "kind": fields.String(required=True, enum=list(KINDS)),
        "created_at": UTCTime(required=True),
        "size": fields.Integer(required=True, description="Bytes"),
    },
)
backup_list_model = ns.model(
    "BackupList", {"items": fields.List(fields.Nested(backup_model), required=True)}
)
restored_model = ns.model(
    "BackupRestored",
    {
        "restored": fields.Nested(backup_model, required=True),
        "previous": fields.String(
            required=True,
            description="The backup holding the database as it was before the restore",
        ),
    },
)


def _json(backup: Backup) -> dict:
    return {
        "name": backup.name,
        "kind": backup.kind,
        "created_at": backup.created_at,
        "size": backup.size,
    }


_NO_SCOPE = "Server mode: an admin's API token without the admin scope"


@ns.route("/backups")
@ns.response(403, _NO_SCOPE, error_model)
class BackupList(Resource):
    @ns.marshal_with(backup_list_model)
    def get(self):
        """Every backup, newest first."""
        _admins_only()
        return {"items": [_json(b) for b in backups.list_all(current_app)]}

    @ns.response(409, "The database is not a SQLite file", error_model)
    @ns.response(201, "Created", backup_model)
    def post(self):
        """Back up the database now."""
        _admins_only()
        return ns.marshal(_json(backups.create(current_app)), backup_model), 201


@ns.route("/backups/<string:name>/restore")
@ns.param("name", "A backup's name, as listed")
@ns.response(404, "No backup of that name", error_model)
@ns.response(400, "The backup is damaged or not a Kaap database", error_model)
@ns.response(409, "The database is not a SQLite file, or stayed busy", error_model)
@ns.response(403, _NO_SCOPE, error_model)
class BackupRestore(Resource):
    @ns.response(200, "Restored", restored_model)
    def post(self, name: str):
        """Replace the database with this backup, keeping the current one as a backup."""
        _admins_only()
        backup, previous = backups.restore(current_app, name)
        return ns.marshal({"restored": _json(backup), "previous": previous}, restored_model)
