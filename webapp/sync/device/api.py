"""``/api/sync/device``: the page's view of this Kaap's connection to a server.

Single-user mode only (the desktop): with accounts on, this Kaap *is* the server and the
routes answer 404. Writes are CSRF-checked like every other; none answer with the token.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from flask_restx import Namespace, Resource, fields

from webapp.api.envelope import error_model, register_models
from webapp.errors import ConflictError, NotFoundError, ValidationError
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
        "status": fields.String(
            enum=["idle", "syncing", "synced", "offline", "error", "paused"],
            description="The background sync now: idle (none yet), syncing, synced, offline, "
            "error (last_error says what), paused (a large removal waits for an answer)",
        ),
        "paused_removals": fields.Integer(
            description="Paused: how many of this computer's notes the server's changes would "
            "trash or delete (answer with POST .../sync and removals apply or keep)"
        ),
        "notes_here": fields.Integer(description="Paused: the notes on this computer"),
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
sync_input = ns.model(
    "SyncNow",
    {
        "removals": fields.String(
            enum=["apply", "keep"],
            description="The answer to a paused sync: apply the server's removals here (a "
            "backup is taken first), or keep this computer's notes and put them back there",
        )
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
            return _describe(service.check(data_dir))
        return _describe(store.load(data_dir))

    @ns.expect(connect_input, validate=True)
    @ns.response(400, "Bad address, wrong user name or password", error_model)
    @ns.response(
        409, "The server takes no devices (single-user mode), or a sync is under way", error_model
    )
    @ns.response(429, "Too many sign-in attempts", error_model)
    @ns.response(502, "Certificate not trusted, or not a Kaap server", error_model)
    @ns.response(503, "Offline: the server cannot be reached", error_model)
    @ns.response(504, "The server took too long", error_model)
    @ns.marshal_with(device_model, code=201, skip_none=True)
    def post(self):
        """Connect: sign in to the server with a user name and password; a device token is
        kept (OS keyring, or a 0600 file), the password is not."""
        from webapp.sync.device import service, worker

        data = ns.payload
        data_dir = _data_dir()
        _stop_worker()  # the previous connection's: no sync of it runs while this one starts
        try:
            state = service.connect(
                data_dir,
                data["url"],
                data["username"],
                data["password"],
                allow_insecure=bool(data.get("allow_insecure")),
                use_keyring=current_app.config["SYNC_KEYRING"],
                now=isoformat(now()),
            )
        finally:
            worker.start(current_app)  # the new connection's, or the old one's again
        return _describe(state), 201

    @ns.response(204, "Signed out: the token is forgotten here; every local note stays")
    @ns.response(409, "A sync is under way: try again in a moment", error_model)
    def delete(self):
        """Sign out (revoking the token on the server when it can be reached)."""
        from webapp.sync.device import service

        data_dir = _data_dir()
        _stop_worker()  # its sync in progress ends first: nothing syncs after this
        service.disconnect(data_dir)
        return "", 204


# How long a sign-out or a new connect waits for a sync under way before saying so (409).
STOP_WAIT_SECONDS = 10


def _stop_worker() -> None:
    from webapp.sync.device import worker

    if not worker.stop(current_app, timeout=STOP_WAIT_SECONDS):
        raise ConflictError(
            "A sync is under way: try again in a moment, once it is done.", code="sync_running"
        )


@ns.route("/sync")
@ns.response(404, "Server mode (accounts on): not available", error_model)
class SyncNow(Resource):
    @ns.expect(sync_input, validate=False)
    @ns.response(400, "Not a valid answer", error_model)
    @ns.response(409, "Not connected, connection stopped, or no pause to answer", error_model)
    @ns.marshal_with(device_model, code=202, skip_none=True)
    def post(self):
        """Sync now, in the background worker (never on this request): answers at once with
        the state, whose ``status`` says when it is done. ``removals`` answers a paused sync."""
        from webapp.sync.device import store, worker

        data_dir = _data_dir()
        removals = _answer(request.get_json() if request.get_data() else None)
        state = store.load(data_dir)
        if state is None:
            raise ConflictError(
                "This computer is not connected to a server: connect first.", code="not_connected"
            )
        if state.stopped:
            raise ConflictError(
                state.last_error or "Sync is stopped: connect again.", code="sync_stopped"
            )
        current = worker.status(current_app)
        paused = current.state == "paused" if current else bool(state.pending_removals)
        if removals is not None and not paused:
            raise ConflictError(
                "No sync is waiting for an answer: the removals were applied or kept already.",
                code="not_paused",
            )
        worker.sync_soon(current_app, removals)
        return _describe(state), 202


def _answer(body) -> str | None:
    if body is None or body == {}:
        return None
    if not isinstance(body, dict) or set(body) - {"removals"}:
        raise ValidationError('Send {"removals": "apply"} or {"removals": "keep"}, or nothing.')
    removals = body.get("removals")
    if removals is not None and removals not in ("apply", "keep"):
        raise ValidationError(
            'removals must be "apply" or "keep".', fields={"removals": "apply or keep"}
        )
    return removals


def _describe(state) -> dict:
    """The stored connection and the worker's live status (the live error over the stored)."""
    from webapp.sync.device import service, worker

    described = service.describe(state)
    if state is None:
        return described
    live = worker.status(current_app)
    described.pop("pending_removals", None)
    if live is None:
        described["status"] = _stored_status(state)
        if described["status"] == "paused":
            described["paused_removals"] = state.pending_removals
        return described
    described["status"] = live.state
    if live.state == "paused" or (live.state == "syncing" and live.paused_removals):
        described["paused_removals"] = live.paused_removals
        described["notes_here"] = live.notes_here
    if live.error:
        described["last_error"], described["last_error_code"] = live.error, live.error_code
    elif live.state == "synced":
        described["last_error"] = described["last_error_code"] = None
    return described


def _stored_status(state) -> str:
    """No worker in this process (turned off, or not started yet): what sync.json says."""
    from webapp.sync.device.worker import OFFLINE_CODES

    if state.stopped or (state.last_error and state.last_error_code not in OFFLINE_CODES):
        return "error"
    if state.pending_removals:
        return "paused"  # the last sync (here or ``flask sync now``) waits for an answer
    if state.last_error:
        return "offline"
    return "synced" if state.last_sync_at else "idle"
