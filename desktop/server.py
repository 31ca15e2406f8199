"""The web app on waitress, on 127.0.0.1, in a background thread: on the port it had last
time if it is free (the web view's storage is per origin), else on one the OS picks."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time

from waitress import create_server, wasyncore

from webapp.wakepipe import guard_wake_pipe

# The largest body the app accepts (webapp.config.max_body_size of the desktop config: a 4 GB
# Takeout import), so its own limits answer, not waitress's 1 GB default. A constant, because
# importing webapp here would hold up the window (tests/desktop checks the two agree).
MAX_BODY_SIZE = 4 * 1024**3 + 1024**2


log = logging.getLogger(__name__)


def bind_local(port: int | None) -> socket.socket:
    """A socket bound to 127.0.0.1:``port``, or to a port the OS picks if that one is not free."""
    for candidate in ([port] if port else []) + [0]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if os.name == "nt":  # there SO_REUSEADDR would share a port another program listens on
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:  # the last launch's closed connections (TIME_WAIT) must not hold the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", candidate))
        except OSError as exc:
            sock.close()
            if not candidate:
                raise
            log.warning("port %d is not free (%s): taking another", candidate, exc.strerror)
            continue
        return sock
    raise AssertionError("unreachable")


class LocalServer:
    """Owns the WSGI server thread, bound on creation to ``port`` (when it is free) or to a
    port the OS picks; ``start`` serves."""

    def __init__(self, app, threads: int = 4, port: int | None = None):
        self.server = create_server(
            app,
            sockets=[bind_local(port)],
            threads=threads,
            ident="Kaap",
            expose_tracebacks=False,
            max_request_body_size=MAX_BODY_SIZE,
        )
        self.port = int(self.server.effective_port)
        self.wake = guard_wake_pipe(self.server)
        self._thread = threading.Thread(target=self.server.run, name="kaap-server", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop accepting, let requests in progress finish (their writes commit), then return."""
        server, dispatcher = self.server, self.server.task_dispatcher
        deadline = time.monotonic() + timeout
        events = sys.modules.get("webapp.events")  # loaded with the app, if it was built
        if events is not None:
            events.close_all()  # the window's event stream ends now, not in minutes
        if self._thread.is_alive():
            # Sockets belong to the event loop's thread: ask it through waitress's trigger.
            self._in_loop(lambda: wasyncore.dispatcher.close(server))
            while (dispatcher.active_count or dispatcher.queue) and time.monotonic() < deadline:
                time.sleep(0.02)

            def close_channels():
                # With its map empty the loop ends and ``run`` returns. Not the trigger: the
                # pull that carries this thunk may not have written its byte yet (waitress
                # adds the thunk, then writes), and closing the pipe before that write made
                # it fail with EBADF, or land in whatever file took the number next. It
                # leaves the map here, and is closed once the loop has ended.
                for channel in list(server._map.values()):
                    if channel is server.trigger:
                        channel.del_channel()
                    elif channel is server:  # its own close() would close the trigger too
                        wasyncore.dispatcher.close(server)
                    else:
                        channel.close()

            if not self._in_loop(close_channels):
                # No pipe to wake the loop with: empty its map, and it ends at its next turn
                # (it looks every second); then its sockets are closed here.
                channels = list(server._map.values())
                server._map.clear()
                self._thread.join(max(0.1, deadline - time.monotonic()))
                for channel in [server, *channels]:
                    channel.close()
            self._thread.join(max(0.1, deadline - time.monotonic()))
            if not self._thread.is_alive():
                server.trigger.close()  # no loop left to wake: nothing writes to it any more
        elif self._thread.ident is None:  # never started: no loop owns the sockets
            for channel in list(server._map.values()):
                channel.close()
        dispatcher.shutdown(timeout=max(0.1, deadline - time.monotonic()))

    def _in_loop(self, thunk) -> bool:
        """Run ``thunk`` in the event loop's thread; False if the loop cannot be woken."""
        self.server.trigger.pull_trigger(thunk)
        if self.server.trigger._closed or (self.wake is not None and self.wake.broken):
            with self.server.trigger.lock:  # it will not run: the fallback does the work
                if thunk in self.server.trigger.thunks:
                    self.server.trigger.thunks.remove(thunk)
            return False
        return True


class DeferredApp:
    """A WSGI app that holds requests until the real one is built in a background thread.

    The build starts when ``start`` is first called: the desktop calls it once the window's
    first page has loaded (desktop/shell.py), so that the app's imports do not hold up the
    first paint, which the thin path (desktop/thin.py) serves meanwhile.
    """

    def __init__(self, build):
        self.app = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._build, args=(build,), name="kaap-app")

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    @property
    def done(self) -> bool:
        """Built, or failed to build."""
        return self._ready.is_set()

    def start(self) -> None:
        """Start building (once: later calls do nothing)."""
        with self._lock:
            if not self.started:
                self._thread.start()

    def _build(self, build) -> None:
        try:
            self.app = build()
        except BaseException as exc:
            self.error = exc
        finally:
            self._ready.set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the app was built (False if building failed or is still going)."""
        self._ready.wait(timeout)
        return self.app is not None

    def __call__(self, environ, start_response):
        if not self.wait(120):
            from webapp import ConfigError

            # A damaged database says what to do in one sentence: show it in the window.
            message = (
                str(self.error)
                if isinstance(self.error, ConfigError)
                else "Kaap could not start; the log in its data directory says why."
            )
            start_response(
                "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")]
            )
            return [message.encode() + b"\n"]
        return self.app(environ, start_response)
