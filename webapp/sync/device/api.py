"""``/api/sync/device``: the page's view of this Kaap's connection to a server.

Single-user mode only (the desktop): with accounts on, this Kaap *is* the server and the
routes answer 404. Writes are CSRF-checked like every other; none answer with the token.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from flask_restx import Namespace, Resource, fields

from webapp.api.envelope import error_model, register_models
from webapp.errors import NotFoundError
from webapp.timeutil import isoformat, now

ns = Namespace(
    "sync-device", path="/sync/device", description="This Kaap's connection to a Kaap server"
)

device_model = ns.model(
    "SyncDevice",
    {
        "connected": fields.Boolean(required=True),
        "server_url": fields.String(description="The server's address"),
        "host": fields.String(description="Its host (and port)"),
        "username": fields.String(description="The account on the server"),
        "device": fields.String(description="This computer's name on the server"),
        "server_id": fields.String(),
        "account_id": fields.String(),
        "token_id": fields.Integer(description="The device token's id (never its secret)"),
        "insecure": fields.Boolean(description="Plain http to another computer: not encrypted"),
        "connected_at": fields.String(description="When it was connected (ISO 8601)"),
        "last_sync_at": fields.String(description="Last finished sync; null: not synced yet"),
        "last_error": fields.String(description="The last problem, as a sentence"),
        "last_error_code": fields.String(),
        "stopped": fields.Boolean(description="The server changed identity: connect again"),
    },
)
connect_input = ns.model(
    "SyncConnect",
    {
        "url": fields.String(required=True, description="https://..., or http:// to this computer"),
        "username": fields.String(required=True),
        "password": fields.String(required=True, description="Sent to the server, not kept"),
        "allow_insecure": fields.Boolean(
            default=False, description="Allow http:// to another computer (not encrypted)"
        ),
    },
    strict=True,
)
register_models(ns)


def _data_dir() -> Path:
    if current_app.config["ACCOUNTS"]:
        raise NotFoundError("This Kaap is a server: connecting to another one is for a desktop.")
    return Path(current_app.config["DATA_DIR"])


@ns.route("")
@ns.response(404, "Server mode (accounts on): not available", error_model)
class Device(Resource):
    @ns.param("check", "true: ask the server first (identity, reachable)", type=bool)
    @ns.marshal_with(device_model, skip_none=True)
    def get(self):
        """The connection: server, user, last sync, last error (never the token)."""
        from webapp.sync.device import service, store

        data_dir = _data_dir()
        if request.args.get("check") in ("1", "true"):
            return service.describe(service.check(data_dir))
        return service.describe(store.load(data_dir))

    @ns.expect(connect_input, validate=True)
    @ns.response(400, "Bad address, wrong user name or password", error_model)
    @ns.response(409, "The server takes no devices (single-user mode)", error_model)
    @ns.response(429, "Too many sign-in attempts", error_model)
    @ns.response(502, "Certificate not trusted, or not a Kaap server", error_model)
    @ns.response(503, "Offline: the server cannot be reached", error_model)
    @ns.response(504, "The server took too long", error_model)
    @ns.marshal_with(device_model, code=201, skip_none=True)
    def post(self):
        """Connect: sign in to the server with a user name and password; a device token is
        kept (OS keyring, or a 0600 file), the password is not."""
        from webapp.sync.device import service

        data = ns.payload
        state = service.connect(
            _data_dir(),
            data["url"],
            data["username"],
            data["password"],
            allow_insecure=bool(data.get("allow_insecure")),
            use_keyring=current_app.config["SYNC_KEYRING"],
            now=isoformat(now()),
        )
        return service.describe(state), 201

    @ns.response(204, "Signed out: the token is forgotten here; every local note stays")
    def delete(self):
        """Sign out (revoking the token on the server when it can be reached)."""
        from webapp.sync.device import service

        service.disconnect(_data_dir())
        return "", 204
