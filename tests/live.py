"""The app on a real waitress server in a thread, for tests that speak HTTP over a socket."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from waitress import create_server, wasyncore

from webapp.wakepipe import guard_wake_pipe


def _close_all_but_the_trigger(server) -> None:
    """In the loop's thread: every channel closed, so the loop ends. The trigger only leaves
    the map: the pull carrying this may not have written its byte yet (desktop/server.py)."""
    for channel in list(server._map.values()):
        if channel is server.trigger:
            channel.del_channel()
        elif channel is server:  # not the server's own close(): that one closes the trigger
            wasyncore.dispatcher.close(server)
        else:
            with contextlib.suppress(OSError):
                channel.close()


@contextmanager
def serving(app, **options) -> Iterator[int]:
    """Serve ``app`` on 127.0.0.1 on a port the OS picks; yields the port."""
    server = create_server(app, host="127.0.0.1", port=0, **options)
    wake = guard_wake_pipe(server)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        if "kaap.events" in getattr(app, "extensions", {}):
            from webapp import events

            events.close(app)  # open event streams end, their threads are free to stop
            # ...and have ended before the loop closes their channels under them.
            broker, deadline = app.extensions["kaap.events"], time.monotonic() + 5
            while broker.open_streams() and time.monotonic() < deadline:
                time.sleep(0.01)
        # Closed from inside the server's own loop: closing its sockets from this thread
        # races the loop's select() on them (EBADF). With nothing left, the loop returns.
        server.trigger.pull_trigger(lambda: _close_all_but_the_trigger(server))
        if wake is not None and wake.broken:
            # The guard found the trigger's pipe broken (webapp/wakepipe.py), so its loop
            # cannot be woken. An empty map ends the loop at its next turn (it polls every
            # second); the sockets are closed once it has.
            channels = list(server._map.values())
            server._map.clear()
            thread.join(10)
            for channel in channels:
                with contextlib.suppress(OSError):
                    channel.close()
        thread.join(10)
        if not thread.is_alive():
            server.trigger.close()
        server.task_dispatcher.shutdown()
