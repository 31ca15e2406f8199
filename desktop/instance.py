"""One running Kaap per data directory.

The lock is an OS file lock (``flock`` / ``msvcrt.locking``) on ``<data dir>/kaap.lock``: the
OS drops it when the process ends, however it ends, so a crash never leaves a lock that blocks
the next start. The running instance listens on 127.0.0.1 for a "show yourself" (or "open the
composer", ``kaap --new-note``) message from a second launch; the address and a random key are in ``<data dir>/kaap.instance``, readable by
the user only. The caller proves it has the key by answering a random challenge with its
HMAC-SHA256; the key itself never crosses the socket.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE = "kaap.lock"
INFO_FILE = "kaap.instance"
# A second launch's X11 startup notification id (DESKTOP_STARTUP_ID, which the desktop gives
# what it starts from a menu entry, a dock, an action), handed to the running Kaap: with it,
# the window may take the focus, and the launcher's "starting" cursor ends.
STARTUP_FILE = "kaap.startup-id"
# A second launch waits at most ASK_TIMEOUT for the first, so it exits within 5 s in all.
ASK_TIMEOUT = 3.0
ANSWER_TIMEOUT = 2.0  # what the first gives each caller to prove it has the key
MAX_CALLERS = 8  # answered at once; more are hung up on
CHALLENGE_BYTES = 32
OK = b"ok"
SHOW = b"show"
QUIT = b"quit"  # the tray icon's Quit
NEW_NOTE = b"new-note"  # kaap --new-note: the window forward, with the composer open


class AlreadyRunning(Exception):
    """Another Kaap holds the data directory's lock."""


def _lock(fh) -> None:
    if os.name == "nt":
        import msvcrt

        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


class SingleInstance:
    """Hold the data directory's lock for the life of the process (``acquire``/``release``)."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._fh = None
        self._listener: socket.socket | None = None

    def acquire(self) -> None:
        fh = open(self.data_dir / LOCK_FILE, "a+b")  # noqa: SIM115 (held until release)
        try:
            _lock(fh)
        except OSError as exc:
            fh.close()
            raise AlreadyRunning(str(self.data_dir)) from exc
        self._fh = fh

    def listen(
        self,
        on_show: Callable[[], None],
        on_quit: Callable[[], None] | None = None,
        on_new_note: Callable[[], None] | None = None,
    ) -> None:
        """Call ``on_show`` (in a background thread) whenever a second launch asks,
        ``on_quit`` when the tray icon's process asks Kaap to end, and ``on_new_note`` when
        ``kaap --new-note`` asks for the composer.

        Each caller is answered in a thread of its own and given ``ANSWER_TIMEOUT`` seconds:
        any local process can connect, and one that stays silent must not keep the next
        launch waiting (one thread handling every caller in turn, with no timeout, did).
        """
        key = secrets.token_bytes(32)
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        info = self.data_dir / INFO_FILE
        try:
            info.unlink(missing_ok=True)
            fd = os.open(info, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump({"pid": os.getpid(), "port": port, "key": key.hex()}, out)
        except OSError:  # a full disk, say: Kaap runs on, a second launch will say no answer
            log.warning("could not write %s: a second launch cannot reach us", info, exc_info=True)
            info.unlink(missing_ok=True)
            self._listener.close()
            return
        threading.Thread(
            target=self._serve,
            args=(key, {SHOW: on_show, QUIT: on_quit, NEW_NOTE: on_new_note}),
            name="kaap-instance",
            daemon=True,
        ).start()

    def _serve(self, key: bytes, actions: dict) -> None:
        slots = threading.BoundedSemaphore(MAX_CALLERS)
        shown = threading.Lock()  # one "show" at a time, as the window expects
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # the listener was closed: we are exiting
                return
            if not slots.acquire(blocking=False):
                conn.close()  # a flood of callers: they get no answer, and no thread each
                continue
            threading.Thread(
                target=self._answer,
                args=(conn, key, actions, shown, slots),
                name="kaap-instance-caller",
                daemon=True,
            ).start()

    @staticmethod
    def _answer(conn, key, actions, shown, slots) -> None:
        try:
            with conn:
                conn.settimeout(ANSWER_TIMEOUT)
                challenge = secrets.token_bytes(CHALLENGE_BYTES)
                conn.sendall(challenge)
                answer = _receive(conn, len(_proof(key, challenge)), ANSWER_TIMEOUT)
                asked = [
                    action
                    for command, action in actions.items()
                    if action is not None
                    and hmac.compare_digest(answer, _proof(key, challenge, command))
                ]
                if not asked:
                    log.warning("ignored a caller of the instance listener without the key")
                    return
                with shown:
                    asked[0]()
                conn.sendall(OK)
        except OSError as exc:  # silent past the timeout, or gone: the next caller is served
            log.info("dropped a caller of the instance listener: %s", exc)
        except Exception:  # an action failing must not end the listener
            log.warning("could not bring the window forward for a second launch", exc_info=True)
        finally:
            slots.release()

    def release(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() on Linux
            with contextlib.suppress(OSError):
                self._listener.close()
            (self.data_dir / INFO_FILE).unlink(missing_ok=True)
        if self._fh is not None:
            self._fh.close()  # closing the file drops the lock
            self._fh = None


def ask_running_to_show(
    data_dir: Path, timeout: float = ASK_TIMEOUT, command: bytes = SHOW
) -> bool:
    """Ask the instance running on ``data_dir`` to bring its window forward (``command``
    ``QUIT``: to end, what the tray icon's Quit does; ``NEW_NOTE``: forward, with the composer
    open); True if it did.

    Gives up after ``timeout`` seconds in all (an instance that hangs, or a port that some
    other program now listens on and never answers).
    """
    deadline = time.monotonic() + timeout
    try:
        info = json.loads((data_dir / INFO_FILE).read_text())
        key = bytes.fromhex(info["key"])
        with socket.create_connection(("127.0.0.1", int(info["port"])), timeout) as conn:
            challenge = _receive(conn, CHALLENGE_BYTES, deadline - time.monotonic())
            conn.sendall(_proof(key, challenge, command))
            return _receive(conn, len(OK), deadline - time.monotonic()) == OK
    except (OSError, ValueError, KeyError, TypeError):
        log.debug("could not reach the running instance", exc_info=True)
    return False


def ask_running(
    data_dir: Path, commands: tuple[bytes, ...], timeout: float = ASK_TIMEOUT
) -> bytes | None:
    """Ask the running instance for the first of ``commands`` it does, within ``timeout``
    seconds in all; the one done, or None. An older Kaap (before an upgrade it was not
    restarted for) knows no ``NEW_NOTE``, and says no at once: it can still ``SHOW``."""
    deadline = time.monotonic() + timeout
    for command in commands:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if ask_running_to_show(data_dir, left, command):
            return command
    return None


def pass_startup_id(data_dir: Path) -> None:
    """Leave this launch's startup notification id (if the desktop gave one) for the running
    Kaap to take (``take_startup_id``) when it brings its window forward."""
    startup_id = os.environ.get("DESKTOP_STARTUP_ID", "")
    if not startup_id or len(startup_id) > 500 or not startup_id.isprintable():
        return
    path = data_dir / STARTUP_FILE
    with contextlib.suppress(OSError):  # without it, the window comes forward all the same
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(startup_id)


def take_startup_id(data_dir: Path) -> str | None:
    """The startup notification id a second launch left (``pass_startup_id``), once."""
    path = data_dir / STARTUP_FILE
    try:
        startup_id = path.read_text()[:500]
        path.unlink()
    except OSError:
        return None
    return startup_id if startup_id.isprintable() else None


def _proof(key: bytes, challenge: bytes, command: bytes = b"show") -> bytes:
    """What a caller that knows the key answers to the challenge: it asks for ``command``."""
    return hmac.new(key, challenge + command, hashlib.sha256).digest()


def _receive(conn: socket.socket, size: int, timeout: float) -> bytes:
    """Exactly ``size`` bytes within ``timeout`` seconds, or OSError (TimeoutError)."""
    deadline = time.monotonic() + timeout
    data = b""
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer in time")
        conn.settimeout(left)
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the other side hung up")
        data += chunk
    return data
