"""The connection's state in ``<data dir>/sync.json`` and its token, kept apart.

The token goes to the OS keyring when a real one is there (service "Kaap", keyed by data
directory and server id, so two data directories or two servers never share one), else to
``<data dir>/sync-token`` with mode 0600. sync.json never holds it: it is read by the page's
endpoints and shown in ``sync status``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

STATE_FILE = "sync.json"
TOKEN_FILE = "sync-token"
KEYRING_SERVICE = "Kaap"


@dataclass
class State:
    """What Kaap remembers of the server it is connected to (never the token)."""

    server_url: str
    server_id: str
    account_id: str
    username: str
    token_id: int | None
    device: str
    insecure: bool = False
    token_store: str = "file"  # "keyring" or "file"
    connected_at: str | None = None
    last_sync_at: str | None = None
    last_error: str | None = None
    last_error_code: str | None = None
    # A server that answered as another server or account: nothing syncs until a new connect.
    stopped: bool = False
    # This install's id with the server: part of every pushed change's id.
    device_id: str | None = None
    # A pull paused for the person: how many notes it would remove here.
    pending_removals: int | None = None


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, atomically: a crash leaves the old file."""
    # mkstemp: mode 0600 and a name of its own, so two writers never share a half-written file.
    fd, part = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, path)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise


def load(data_dir: Path) -> State | None:
    """The stored connection, or None when not connected (or the file is unreadable)."""
    try:
        raw = json.loads((Path(data_dir) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    known = {f.name for f in fields(State)}
    try:
        return State(**{k: v for k, v in raw.items() if k in known})
    except TypeError:  # a required field missing: treat as not connected
        return None


def save(data_dir: Path, state: State) -> None:
    _write_private(Path(data_dir) / STATE_FILE, json.dumps(asdict(state), indent=2) + "\n")


def forget(data_dir: Path) -> None:
    (Path(data_dir) / STATE_FILE).unlink(missing_ok=True)


def usable_keyring():
    """The OS keyring backend when a real one is available, else None."""
    import keyring  # not at start-up: only connecting needs it
    from keyring.backends import chainer, fail

    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration: fall back to the file
        return None
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__:
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    try:
        if backend.priority <= 0:
            return None
    except Exception:
        return None
    return backend


def _key(data_dir: Path, server_id: str) -> str:
    return f"{Path(data_dir).resolve()}|{server_id}"


def save_token(data_dir: Path, server_id: str, token: str, use_keyring: bool) -> str:
    """Keep the token; returns where ("keyring" or "file")."""
    backend = usable_keyring() if use_keyring else None
    if backend is not None:
        try:
            backend.set_password(KEYRING_SERVICE, _key(data_dir, server_id), token)
        except Exception:  # a locked or refusing keyring: the file still works
            pass
        else:
            return "keyring"
    _write_private(Path(data_dir) / TOKEN_FILE, token)
    return "file"


def load_token(data_dir: Path, state: State) -> str | None:
    if state.token_store == "keyring":
        backend = usable_keyring()
        if backend is None:
            return None
        try:
            return backend.get_password(KEYRING_SERVICE, _key(data_dir, state.server_id))
        except Exception:
            return None
    try:
        return (Path(data_dir) / TOKEN_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def delete_token(data_dir: Path, state: State) -> None:
    """Forget the token wherever it is kept; never fails."""
    if state.token_store == "keyring":
        backend = usable_keyring()
        if backend is not None:
            # Already gone, or the keyring refuses: nothing more to do.
            with contextlib.suppress(Exception):
                backend.delete_password(KEYRING_SERVICE, _key(data_dir, state.server_id))
    (Path(data_dir) / TOKEN_FILE).unlink(missing_ok=True)
