"""waitress's wake-up pipe, guarded against a descriptor number that is no longer the pipe.

Standard library and waitress only: the desktop imports it before the app is built."""

from __future__ import annotations

import errno
import logging
import os
import threading

from waitress import wasyncore

if os.name == "posix":
    import fcntl

log = logging.getLogger(__name__)


def _identity(fd: int) -> tuple[int, int] | None:
    """Which open file ``fd`` is (device and inode), or None when it is not open."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _writable(fd: int) -> bool:
    try:
        return fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)
    except OSError:
        return False


def _what_is(fd: int) -> str:
    """What a descriptor number points to now (Linux), to tell who took it."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "closed" if _identity(fd) is None else "another file"


class WakePipeGuard:
    """Keeps waitress's wake-up pipe (its trigger) from writing to, or closing, a descriptor
    that is no longer the pipe.

    waitress wakes its event loop by writing a byte to a pipe, from every request thread
    after every response, and closes the pipe's descriptors by number when it stops. Its
    ``pull_trigger`` adds a thunk, then writes: when another thread's byte wakes the loop in
    between, the loop runs the thunk first. A thunk that closed the pipe (how Kaap stopped its
    server until 2026-12) left that write to a closed number: EBADF at shutdown, about one CI
    run in ten, or a byte in whatever file took the number meanwhile, say a database file.
    The stops no longer close the pipe in a thunk (desktop/server.py, tests/live.py); this
    guard is the second line. It checks the descriptor is still the pipe (device and inode)
    before each write and each close, and takes a write that fails with EBADF the same way.
    Then it says so once in the log (what the number is now, whether waitress had closed the
    pipe itself, in which thread), writes nothing, and closes only what is still the pipe.
    A pipe closed on purpose (the server stopped) is left alone without a word. The loop then
    wakes by its own timeout (a second), so the server keeps answering, only slower, and
    ``LocalServer.stop`` ends it without the pipe. POSIX only: on Windows the trigger is a
    pair of sockets.
    """

    def __init__(self, trigger):
        self.trigger = trigger
        self.write_fd = trigger.trigger
        self.fds = [*trigger._fds, trigger.socket.fd]  # the pipe's ends and waitress's dup
        self.identities = {fd: _identity(fd) for fd in self.fds}
        self.broken = False
        self._lock = threading.Lock()
        trigger._physical_pull = self.pull
        trigger._close = self.close
        if not _writable(self.write_fd):  # its number was closed before waitress's dup took it
            self._break(self.write_fd, "is not the pipe's write end")

    def intact(self, fd: int) -> bool:
        return _identity(fd) == self.identities[fd]

    def _break(self, fd: int, how: str = "was closed while still in use") -> None:
        with self._lock:
            if self.broken:
                return
            self.broken = True
        log.error(
            "the server's wake-up pipe (descriptor %d) %s (the number is now %s; waitress "
            "closed the pipe itself: %s; in thread %s); it is no longer used (the server "
            "answers up to a second later until it stops)",
            fd,
            how,
            _what_is(fd),
            self.trigger._closed,
            threading.current_thread().name,
        )

    def pull(self) -> None:
        if self.trigger._closed:  # closed on purpose (the server stopped): nothing to wake
            return
        if self.broken or not self.intact(self.write_fd):
            self._break(self.write_fd)
            return
        try:
            os.write(self.write_fd, b"x")
        except OSError as exc:  # closed this very moment, or never the write end
            if exc.errno != errno.EBADF:
                raise
            self._break(self.write_fd, "could not be written to (EBADF)")

    def close(self) -> None:
        """waitress's ``trigger._close``, closing only the descriptors that are still the pipe."""
        trigger = self.trigger
        for fd in trigger._fds:
            if self.intact(fd):
                os.close(fd)
            else:
                self._break(fd)
        trigger._fds = []
        wrapper = trigger.socket
        if wrapper is not None and wrapper.fd >= 0 and not self.intact(wrapper.fd):
            self._break(wrapper.fd)
            wrapper.fd = -1  # file_dispatcher.close would close it: not ours any more
        wasyncore.file_dispatcher.close(trigger)


def guard_wake_pipe(server) -> WakePipeGuard | None:
    """Guard the wake-up pipe of a waitress server made by ``create_server`` (None on Windows,
    where it is a pair of sockets)."""
    return WakePipeGuard(server.trigger) if os.name == "posix" else None


def serve(app, **options) -> None:
    """``waitress.serve``, with the wake-up pipe guarded."""
    from waitress import create_server

    server = create_server(app, **options)
    guard_wake_pipe(server)
    server.print_listen("Serving on http://{}:{}")
    server.run()
