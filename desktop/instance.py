"""One running Kaap per data directory.

The lock is an OS file lock (``flock`` / ``msvcrt.locking``) on ``<data dir>/kaap.lock``: the
OS drops it when the process ends, however it ends, so a crash never leaves a lock that blocks
the next start. The running instance listens on 127.0.0.1 for a "show yourself" message from a
second launch; the address and a random key (checked with HMAC by ``multiprocessing``) are in
``<data dir>/kaap.instance``, readable by the user only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE = "kaap.lock"
INFO_FILE = "kaap.instance"


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
        self._listener = None  # a multiprocessing.connection.Listener

    def acquire(self) -> None:
        fh = open(self.data_dir / LOCK_FILE, "a+b")  # noqa: SIM115 (held until release)
        try:
            _lock(fh)
        except OSError as exc:
            fh.close()
            raise AlreadyRunning(str(self.data_dir)) from exc
        self._fh = fh

    def listen(self, on_show: Callable[[], None]) -> None:
        """Call ``on_show`` (in a background thread) whenever a second launch asks."""
        from multiprocessing.connection import Listener  # after the app's build has started

        key = secrets.token_bytes(32)
        self._listener = Listener(("127.0.0.1", 0), authkey=key)
        port = self._listener.address[1]
        info = self.data_dir / INFO_FILE
        info.unlink(missing_ok=True)
        fd = os.open(info, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"pid": os.getpid(), "port": port, "key": key.hex()}, out)
        threading.Thread(
            target=self._serve, args=(on_show,), name="kaap-instance", daemon=True
        ).start()

    def _serve(self, on_show: Callable[[], None]) -> None:
        while True:
            try:
                with self._listener.accept() as conn:
                    if conn.recv() == "show":
                        on_show()
                        conn.send("ok")
            except OSError:  # the listener was closed: we are exiting
                return
            except Exception:  # a bad key or a broken message must not end the listener
                log.warning("ignored a malformed message from a second launch", exc_info=True)

    def release(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
            (self.data_dir / INFO_FILE).unlink(missing_ok=True)
        if self._fh is not None:
            self._fh.close()  # closing the file drops the lock
            self._fh = None


def ask_running_to_show(data_dir: Path, timeout: float = 5) -> bool:
    """Ask the instance running on ``data_dir`` to bring its window forward; True if it did."""
    from multiprocessing.connection import Client

    try:
        info = json.loads((data_dir / INFO_FILE).read_text())
        with Client(("127.0.0.1", int(info["port"])), authkey=bytes.fromhex(info["key"])) as conn:
            conn.send("show")
            if conn.poll(timeout):
                return conn.recv() == "ok"
    except (OSError, ValueError, KeyError, EOFError):
        log.debug("could not reach the running instance", exc_info=True)
    return False
