"""An in-process broker: each owner's note changes, fanned out to that owner's open streams.

waitress serves each request on a thread and an event stream holds its thread while open, so
the broker counts the streams it hands out (per owner and in all) and refuses more than its
caps: one account opening streams cannot take the threads everybody else's requests need.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field

from webapp.errors import KaapError

# The last events of all owners, kept so that a stream reconnecting with Last-Event-ID is sent
# what it missed (bounded memory however many accounts write).
BACKLOG = 1024


class TooManyStreams(KaapError):
    status = 429
    code = "too_many_streams"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class StreamsFull(TooManyStreams):
    status = 503
    code = "service_unavailable"


@dataclass(frozen=True)
class Event:
    """One change: which notes, what happened to them (created, updated, trashed, restored,
    deleted) and their versions after it (none for a deletion)."""

    seq: int
    ids: tuple[int, ...]
    kind: str
    versions: tuple[int, ...] = ()


@dataclass
class Subscriber:
    owner_id: int
    # What it missed since the Last-Event-ID it gave, or None if that cannot be known.
    missed: list[Event] | None = None
    first_id: str = ""
    events: deque = field(default_factory=deque)
    closed: bool = False


class Broker:
    """Thread-safe: writes publish from request threads, streams wait on their own."""

    def __init__(self):
        # Event ids are "<epoch>-<seq>": an id from before a restart (another epoch) cannot be
        # replayed, and the stream says so (a reset) rather than skip what it cannot know.
        self.epoch = secrets.token_hex(4)
        self._seq = 0
        self._lock = threading.Condition()
        self._subscribers: dict[int, list[Subscriber]] = {}
        self._backlog: deque[tuple[int, Event]] = deque(maxlen=BACKLOG)
        self._closed = False
        # Called with (owner_id, kind) after each publish, on the writer's thread: the sync
        # worker hears local changes here (webapp/sync/device/worker.py). Must be quick.
        self._listeners: list = []

    def add_listener(self, listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def last_id(self) -> str:
        return f"{self.epoch}-{self._seq}"

    def open_streams(self, owner_id: int | None = None) -> int:
        with self._lock:
            if owner_id is not None:
                return len(self._subscribers.get(owner_id, ()))
            return sum(len(subs) for subs in self._subscribers.values())

    def subscribe(
        self,
        owner_id: int,
        last_id: str | None,
        *,
        max_streams: int,
        max_per_owner: int,
        retry_after: int,
    ) -> Subscriber:
        """A new stream for ``owner_id`` with what it missed after ``last_id``; 429
        (``TooManyStreams``) if the owner has its share open, 503 (``StreamsFull``) if the
        server has. What it missed and what comes next are split under one lock: no event is
        both, none is neither."""
        with self._lock:
            if self._closed:
                raise StreamsFull("The server is shutting down.", retry_after)
            mine = self._subscribers.get(owner_id, [])
            if len(mine) >= max_per_owner:
                raise TooManyStreams(
                    f"This account has {max_per_owner} live streams open already (one per "
                    "open page); close a page or try again later.",
                    retry_after,
                )
            if sum(len(subs) for subs in self._subscribers.values()) >= max_streams:
                raise StreamsFull(
                    "The server has as many live streams open as it allows; try again later.",
                    retry_after,
                )
            missed = self._missed(owner_id, last_id) if last_id else []
            subscriber = Subscriber(owner_id, missed, self.last_id)
            self._subscribers.setdefault(owner_id, []).append(subscriber)
            return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            subscriber.closed = True
            mine = self._subscribers.get(subscriber.owner_id, [])
            if subscriber in mine:
                mine.remove(subscriber)
            if not mine:
                self._subscribers.pop(subscriber.owner_id, None)
            self._lock.notify_all()

    def publish(self, owner_id: int, ids, kind: str, versions=()) -> None:
        with self._lock:
            self._seq += 1
            event = Event(self._seq, tuple(ids), kind, tuple(versions))
            self._backlog.append((owner_id, event))
            for subscriber in self._subscribers.get(owner_id, ()):
                subscriber.events.append(event)
            self._lock.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:  # outside the lock: a listener may take locks of its own
            listener(owner_id, kind)

    def _missed(self, owner_id: int, last_id: str) -> list[Event] | None:
        """The owner's events after ``last_id``; None when they cannot all be known (an id of
        another epoch, or older than the backlog): the page must reload what it shows."""
        epoch, _, seq = last_id.partition("-")
        if epoch != self.epoch or not seq.isdigit() or int(seq) > self._seq:
            return None
        after = int(seq)
        backlog = self._backlog
        # A full backlog has dropped its oldest: if any of those came after ``after``, it may
        # have been this owner's.
        if len(backlog) == BACKLOG and backlog[0][1].seq > after + 1:
            return None
        return [event for owner, event in backlog if owner == owner_id and event.seq > after]

    def wait(self, subscriber: Subscriber, timeout: float) -> list[Event]:
        """The subscriber's events, waiting up to ``timeout`` seconds for one; empty on a
        timeout or once the stream or the broker is closed."""
        with self._lock:
            if not subscriber.events and not subscriber.closed and not self._closed:
                self._lock.wait(timeout)
            events = list(subscriber.events)
            subscriber.events.clear()
            return events

    def is_open(self, subscriber: Subscriber) -> bool:
        return not (subscriber.closed or self._closed)

    def close(self) -> None:
        """End every stream (the server is stopping) and refuse new ones."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
