"""Connect, check and disconnect: the steps both the page and the CLI take.

Nothing here touches the notes: signing out, switching servers or finding the server reset
only changes sync.json and the token (the notes' database is never opened).
"""

from __future__ import annotations

import platform
import threading
from dataclasses import asdict
from pathlib import Path

from webapp.sync.device import client, store
from webapp.sync.device.client import SyncError

IDENTITY_CHANGED = (
    "This server is not the one Kaap was connected to (it was reset or replaced): connect "
    "again to start over. Your notes on this computer are kept."
)

# One change of the connection at a time in this process (a double click on "Connect", the
# page and a check at once): each reads the state the previous one left.
_lock = threading.Lock()


def device_name() -> str:
    """This machine's name: the server names the device's token "Kaap on <name>"."""
    return platform.node() or "this computer"


def connect(
    data_dir: Path,
    url: str,
    username: str,
    password: str,
    *,
    allow_insecure: bool = False,
    use_keyring: bool = True,
    now: str,
) -> store.State:
    """Sign this computer in: a device token from the server, kept; any old one forgotten."""
    base_url, insecure = client.check_url(url, allow_insecure)
    if not (username or "").strip():
        raise SyncError("Give your user name on the server.", code="invalid", status=400)
    if not password:
        raise SyncError("Give your password on the server.", code="invalid", status=400)
    with _lock:
        return _connect(data_dir, base_url, insecure, username.strip(), password, use_keyring, now)


def _connect(data_dir, base_url, insecure, username, password, use_keyring, now) -> store.State:
    device = device_name()
    answer = client.register_device(base_url, username, password, device)
    previous = store.load(data_dir)
    if previous is not None:
        _forget(data_dir, previous, revoke=True)  # switching servers: the notes stay
    state = store.State(
        server_url=base_url,
        server_id=str(answer["server_id"]),
        account_id=str(answer["account_id"]),
        username=str(answer["username"]),
        token_id=answer.get("token_id"),
        device=device,
        insecure=insecure,
        connected_at=now,
    )
    state.token_store = store.save_token(data_dir, state.server_id, answer["token"], use_keyring)
    store.save(data_dir, state)
    return state


def check(data_dir: Path) -> store.State | None:
    """Ask the server who we are; a different server or account stops sync (nothing deleted)."""
    with _lock:
        return _check(data_dir)


def _check(data_dir: Path) -> store.State | None:
    state = store.load(data_dir)
    if state is None or state.stopped:
        return state
    token = store.load_token(data_dir, state)
    if token is None:
        return _fail(data_dir, state, "missing_token", "The sign-in was lost: connect again.")
    try:
        answer = client.identity(state.server_url, token)
    except SyncError as exc:
        return _fail(data_dir, state, exc.code, exc.message)
    if (str(answer["server_id"]), str(answer["account_id"])) != (
        state.server_id,
        state.account_id,
    ):
        state.stopped = True
        return _fail(data_dir, state, "identity_changed", IDENTITY_CHANGED)
    state.last_error = state.last_error_code = None
    store.save(data_dir, state)
    return state


def _fail(data_dir: Path, state: store.State, code: str, message: str) -> store.State:
    state.last_error_code, state.last_error = code, message
    store.save(data_dir, state)
    return state


def disconnect(data_dir: Path) -> bool | None:
    """Sign out: forget the token here, revoke it there when possible.

    Returns None when there was no connection, else whether the server revoked the token.
    """
    with _lock:
        state = store.load(data_dir)
        if state is None:
            return None
        return _forget(data_dir, state, revoke=True)


def _forget(data_dir: Path, state: store.State, *, revoke: bool) -> bool:
    revoked = False
    token = store.load_token(data_dir, state)
    if revoke and token and state.token_id is not None and not state.stopped:
        try:
            client.revoke(state.server_url, token, state.token_id)
            revoked = True
        except SyncError:
            pass  # offline or refused: forgetting it here is what signing out promises
    store.delete_token(data_dir, state)
    store.forget(data_dir)
    return revoked


def describe(state: store.State | None) -> dict:
    """The state for the page and ``sync status --json``: never the token."""
    if state is None:
        return {"connected": False}
    fields = asdict(state)
    fields.pop("token_store")
    return {"connected": True, "host": client.host_of(state.server_url), **fields}
