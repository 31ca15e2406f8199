"""Reading a server-sent event stream in tests."""

from __future__ import annotations

import json


def parse(text: str) -> list[dict]:
    """The events of ``text`` (complete ones), each ``{"event", "id", "data"}``; comments and
    the ``retry`` field are left out."""
    found = []
    for block in text.split("\n\n"):
        fields = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "event" in fields:
            data = json.loads(fields["data"]) if "data" in fields else None
            found.append({"event": fields["event"], "id": fields.get("id"), "data": data})
    return found


class Stream:
    """``GET /api/events`` through a Flask test client, read one chunk at a time."""

    def __init__(self, client, headers=None, query_string=None):
        self.response = client.get(
            "/api/events", headers=headers, query_string=query_string, buffered=False
        )
        self.status = self.response.status_code
        self._chunks = iter(self.response.response) if self.status == 200 else iter(())

    def next(self) -> list[dict]:
        """The events of the next chunk (empty for a heartbeat)."""
        return parse(next(self._chunks).decode())

    def notes(self) -> list[dict]:
        """The next chunk's ``notes`` events' data."""
        return [e["data"] for e in self.next() if e["event"] == "notes"]

    def close(self) -> None:
        self.response.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
