"""Live windows: every open page hears of its owner's note changes through one server-sent
event stream, ``GET /api/events`` (``webapp/events/api.py``).

A write calls ``changed(session, owner_id, ids, kind)`` once, inside its transaction; the
change is published when that transaction commits and forgotten if it rolls back, so a page
never refetches a note for a change that did not happen.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.events.broker import Broker

__all__ = ["changed", "close", "close_all", "init_app"]

_PENDING = "kaap.events"
# Every broker of this process, for ``close_all`` (a server that stops ends its streams).
_brokers: weakref.WeakSet[Broker] = weakref.WeakSet()
_listening = threading.Lock()
_listeners_added = False


def changed(
    session: Session, owner_id: int, ids: Iterable[int], kind: str, versions: Iterable[int] = ()
) -> None:
    """Record that these notes of ``owner_id`` changed (created, updated, trashed, restored,
    deleted; "labels" when its labels did, with the notes that carry the label; ``versions``
    the notes' new versions, in the same order): published after the commit."""
    broker = current_app.extensions.get("kaap.events")
    if broker is None:
        return
    session.connection()  # in the write's transaction (begun if not yet): its end decides
    session.info.setdefault(_PENDING, []).append(
        (broker, owner_id, list(ids), kind, list(versions))
    )


def _publish(session: Session) -> None:
    # One event per run of changes of the same kind (a bulk action's notes, say), not per note.
    merged: list[tuple] = []
    for broker, owner_id, ids, kind, versions in session.info.pop(_PENDING, ()):
        last = merged[-1] if merged else None
        if last and last[:2] == (broker, owner_id) and last[3] == kind and kind != "labels":
            last[2].extend(ids)
            last[4].extend(versions)
        else:
            merged.append((broker, owner_id, list(ids), kind, list(versions)))
    for broker, owner_id, ids, kind, versions in merged:
        broker.publish(owner_id, ids, kind, versions)


def _forget(session: Session, previous_transaction) -> None:
    # Every rollback, with or without a transaction begun (a savepoint's keeps the rest).
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


def _listen() -> None:
    # On the Session class, once per process: every session (Flask-SQLAlchemy's, a CLI's).
    global _listeners_added
    with _listening:
        if not _listeners_added:
            event.listen(Session, "after_commit", _publish)
            event.listen(Session, "after_soft_rollback", _forget)
            _listeners_added = True


def close(app: Flask) -> None:
    """End the app's open streams and refuse new ones: its server is stopping."""
    app.extensions["kaap.events"].close()


def close_all() -> None:
    """End every open stream of this process: the server is stopping (its threads must not
    wait out a stream's lifetime)."""
    for broker in list(_brokers):
        broker.close()


def init_app(app: Flask) -> None:
    broker = Broker()
    app.extensions["kaap.events"] = broker
    _brokers.add(broker)
    _listen()
