"""``GET /api/events``: the signed-in owner's note changes as server-sent events."""

from __future__ import annotations

import json
import time

from flask import Response, current_app, request
from flask_restx import Namespace, Resource

from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.events.broker import Broker, Event, Subscriber

# How long a stream's session, once checked, is taken to hold: a second, so that a burst of
# changes costs one look at the database per stream, and a logged-out page hears no more
# than a second of them.
ALLOWED_FOR = 1.0

ns = Namespace("events", path="/", description="Live changes: one event stream per open page")
register_models(ns)


def _event(name: str, data: dict, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _note_event(broker: Broker, event: Event) -> str:
    data = {"ids": list(event.ids), "kind": event.kind, "versions": list(event.versions)}
    return _event("notes", data, f"{broker.epoch}-{event.seq}")


class EventStream:
    """The response body. An iterable with ``close``, not a generator: the WSGI server closes
    it even if the body was never read (the client left at once), and the stream's slot must
    be given back then too."""

    def __init__(self, broker: Broker, subscriber: Subscriber, config, still_allowed=None):
        self.broker = broker
        self.subscriber = subscriber
        # With accounts on: whether the stream's session or token still holds, asked before
        # each chunk after the first (at most once a second); a logged-out page hears no more.
        self.still_allowed = still_allowed
        self._allowed_until = 0.0
        self.retry_ms = int(config["EVENTS_RETRY_MS"])
        self.heartbeat = float(config["EVENTS_HEARTBEAT_SECONDS"])
        self.ends = time.monotonic() + float(config["EVENTS_STREAM_SECONDS"])
        self._chunks = self._generate()

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def _generate(self):
        broker, subscriber = self.broker, self.subscriber
        # ``retry`` tells EventSource how soon to come back once the stream ends; "ready"
        # carries an id, so even a page that saw no change reconnects with Last-Event-ID.
        first = [f"retry: {self.retry_ms}\n\n"]
        first += [_note_event(broker, event) for event in subscriber.missed or ()]
        first.append(_event("ready", {"reset": subscriber.missed is None}, subscriber.first_id))
        yield "".join(first).encode()
        while broker.is_open(subscriber):
            left = self.ends - time.monotonic()
            if left <= 0:
                return  # a bounded lifetime: EventSource reconnects, with Last-Event-ID
            events = broker.wait(subscriber, min(self.heartbeat, left))
            if not self._allowed():
                return
            if events:
                yield "".join(_note_event(broker, event) for event in events).encode()
            elif broker.is_open(subscriber) and self.ends > time.monotonic():
                # A comment: proxies keep an idle stream open, and a gone client is noticed.
                yield b": keep-alive\n\n"

    def _allowed(self) -> bool:
        if self.still_allowed is None or time.monotonic() < self._allowed_until:
            return True
        if not self.still_allowed():
            return False
        self._allowed_until = time.monotonic() + ALLOWED_FOR
        return True

    def close(self) -> None:
        self.broker.unsubscribe(self.subscriber)
        self._chunks.close()


@ns.route("/events")
class Events(Resource):
    @ns.produces(["text/event-stream"])
    @ns.response(200, "A `text/event-stream` of this account's note changes")
    @ns.response(429, "This account has its share of streams open", error_model)
    @ns.response(503, "The server has as many streams open as it allows", error_model)
    @ns.param(
        "Last-Event-ID",
        "The last event's id (EventSource sends it when it reconnects): the stream starts "
        "with what was missed since, or with a `ready` event whose `reset` is true when "
        "that cannot be known",
        _in="header",
    )
    @ns.param("last_event_id", "The same as the header, for a page that opens a new EventSource")
    def get(self):
        """This account's note changes, as server-sent events (`text/event-stream`, not JSON).

        `notes` (`{"ids", "kind", "versions"}`, kind created, updated, trashed, restored,
        deleted, labels, or reminded: a reminder notified, no new version) for every change to this account's notes made by any page or
        client; `ready` once connected. Only ids, kinds and versions are sent:
        fetch a note to see it. The stream ends after `EVENTS_STREAM_SECONDS` and `retry`
        makes EventSource reconnect by itself."""
        config = current_app.config
        broker = current_app.extensions["kaap.events"]
        last_id = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
        subscriber = broker.subscribe(
            current_owner_id(),
            (last_id or "")[:64] or None,
            max_streams=int(config["EVENTS_MAX_STREAMS"]),
            max_per_owner=int(config["EVENTS_MAX_STREAMS_PER_USER"]),
            retry_after=max(1, int(config["EVENTS_RETRY_MS"]) // 1000),
        )
        still_allowed = None
        if config["ACCOUNTS"]:
            from webapp.accounts.login import still_signed_in  # server mode's only

            still_allowed = still_signed_in()
        stream = EventStream(broker, subscriber, config, still_allowed)
        response = Response(stream, mimetype="text/event-stream")
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        return response
