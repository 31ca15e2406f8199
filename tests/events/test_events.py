"""``GET /api/events``: each write reaches its owner's open streams, within the caps."""

from __future__ import annotations

import pytest

from tests.accounts.world import png, upload_form
from tests.events.sse import Stream, parse
from tests.transfer.test_hostile_imports import keep_zip, note, run_import
from webapp import events
from webapp.extensions import db


def test_the_stream_is_an_unbuffered_event_stream_that_reconnects(client):
    with Stream(client) as stream:
        headers = stream.response.headers
        assert headers["Content-Type"].startswith("text/event-stream")
        assert headers["Cache-Control"] == "no-cache"
        assert headers["X-Accel-Buffering"] == "no"
        first = next(stream._chunks).decode()
        assert first.startswith("retry: 3000\n")
        (ready,) = parse(first)
        assert ready["event"] == "ready" and ready["data"] == {"reset": False} and ready["id"]


def test_each_change_to_a_note_reaches_the_stream_with_its_kind_and_version(client, make_note):
    with Stream(client) as stream:
        stream.next()
        made = make_note(title="live")
        assert stream.notes() == [{"ids": [made["id"]], "kind": "created", "versions": [1]}]
        client.patch(f"/api/notes/{made['id']}", json={"body": "edited"})
        assert stream.notes() == [{"ids": [made["id"]], "kind": "updated", "versions": [2]}]
        client.post(f"/api/notes/{made['id']}/trash")
        assert stream.notes() == [{"ids": [made["id"]], "kind": "trashed", "versions": [3]}]
        client.post(f"/api/notes/{made['id']}/restore")
        assert stream.notes() == [{"ids": [made["id"]], "kind": "restored", "versions": [4]}]
        client.post(f"/api/notes/{made['id']}/trash")
        stream.next()
        client.delete(f"/api/notes/{made['id']}")
        assert stream.notes() == [{"ids": [made["id"]], "kind": "deleted", "versions": []}]


def test_every_kind_of_write_is_heard(app, client, make_note, make_label, tmp_path):
    first, second = make_note(title="one"), make_note(title="two")
    label = make_label("work")
    ids = [first["id"], second["id"]]
    client.patch(f"/api/notes/{first['id']}", json={"label_ids": [label["id"]]})
    heard = []
    with Stream(client) as stream:
        stream.next()

        def write(method, url, **kwargs):
            response = client.open(url, method=method, **kwargs)
            assert response.status_code < 300, (url, response.get_json())
            heard.append([(e["kind"], e["ids"]) for e in stream.notes()])
            return response

        write("POST", "/api/notes/bulk", json={"ids": ids, "action": "archive"})
        copies = write("POST", "/api/notes/bulk", json={"ids": ids, "action": "copy"})
        copied = [n["id"] for n in copies.get_json()["notes"]]
        write("POST", f"/api/notes/{first['id']}/copy")
        image = write("POST", f"/api/notes/{first['id']}/images", **upload_form(png((9, 9, 9))))
        write("DELETE", f"/api/images/{image.get_json()['images'][0]['id']}")
        write("POST", "/api/notes/images", **upload_form(png((1, 2, 3))))
        write("PATCH", f"/api/labels/{label['id']}", json={"name": "job"})
        write("DELETE", f"/api/labels/{label['id']}")
        write("POST", "/api/labels", json={"name": "new"})
        write("POST", "/api/notes/bulk", json={"ids": copied, "action": "trash"})
        write("DELETE", "/api/trash")
        run_import(app, keep_zip(tmp_path / "k.zip", {"a.json": note("imported")}))
        heard.append([(e["kind"], len(e["ids"])) for e in stream.notes()])
    kinds = [[kind for kind, _ in chunk] for chunk in heard]
    assert kinds == [
        ["updated"], ["created"], ["created"], ["updated"], ["updated"], ["created"],
        ["labels"], ["updated", "labels"], ["labels"], ["trashed"], ["deleted"], ["created"],
    ]  # fmt: skip
    assert heard[0] == [("updated", ids)] and heard[1] == [("created", copied)]
    # The label's notes: the first and its two copies (a copy keeps the labels).
    assert len(heard[6][0][1]) == 3 and first["id"] in heard[6][0][1]
    # Deleting the label is an edit of those notes (new versions), then the labels' change.
    assert sorted(heard[7][0][1]) == sorted(heard[6][0][1])
    assert heard[10] == [("deleted", copied)]


def test_a_write_that_rolls_back_sends_nothing(app, client, make_note):
    with Stream(client) as stream:
        stream.next()
        with app.app_context():
            events.changed(db.session, 1, [999], "updated", [5])
            db.session.rollback()
            db.session.commit()
        made = make_note()
        assert stream.notes() == [{"ids": [made["id"]], "kind": "created", "versions": [1]}]


def test_a_refused_edit_sends_nothing(client, make_note):
    made = make_note()
    with Stream(client) as stream:
        stream.next()
        stale = client.patch(
            f"/api/notes/{made['id']}", json={"body": "x"}, headers={"If-Match": '"9"'}
        )
        assert stale.status_code == 412
        client.patch(f"/api/notes/{made['id']}", json={"body": "y"})
        assert stream.notes() == [{"ids": [made["id"]], "kind": "updated", "versions": [2]}]


def test_an_idle_stream_sends_heartbeat_comments(app, client):
    app.config["EVENTS_HEARTBEAT_SECONDS"] = 0.05
    with Stream(client) as stream:
        stream.next()
        assert next(stream._chunks) == b": keep-alive\n\n"


def test_the_stream_ends_after_its_lifetime(app, client):
    app.config["EVENTS_STREAM_SECONDS"] = 0.2
    app.config["EVENTS_HEARTBEAT_SECONDS"] = 0.05
    with Stream(client) as stream:
        rest = list(stream._chunks)  # ends by itself
    assert all(chunk == b": keep-alive\n\n" for chunk in rest[1:])
    assert app.extensions["kaap.events"].open_streams() == 0


def test_a_reconnect_with_last_event_id_gets_what_it_missed(client, make_note):
    with Stream(client) as stream:
        (ready,) = stream.next()
    missed = [make_note(title=f"while away {i}")["id"] for i in range(2)]
    with Stream(client, headers={"Last-Event-ID": ready["id"]}) as again:
        got = again.next()
    assert [
        (e["event"], e["data"]["ids"] if e["event"] == "notes" else e["data"]) for e in got
    ] == [
        ("notes", [missed[0]]),
        ("notes", [missed[1]]),
        ("ready", {"reset": False}),
    ]
    # A new EventSource cannot set the header: the query string says the same.
    with Stream(client, query_string={"last_event_id": got[0]["id"]}) as third:
        assert [e["data"].get("ids") for e in third.next()] == [[missed[1]], None]


@pytest.mark.parametrize("last_id", ["another-epoch-3", "nonsense", "x" * 5000])
def test_an_unknown_last_event_id_tells_the_page_to_reload(client, last_id):
    with Stream(client, headers={"Last-Event-ID": last_id}) as stream:
        ((ready),) = stream.next()
    assert ready["event"] == "ready" and ready["data"] == {"reset": True}


def test_a_last_event_id_older_than_the_backlog_tells_the_page_to_reload(app, client):
    broker = app.extensions["kaap.events"]
    with Stream(client) as stream:
        (ready,) = stream.next()
    from webapp.events.broker import BACKLOG

    for i in range(BACKLOG + 1):
        broker.publish(2, [i], "updated")  # another owner's: they use up the backlog too
    with Stream(client, headers={"Last-Event-ID": ready["id"]}) as again:
        assert again.next()[-1]["data"] == {"reset": True}


def test_streams_over_the_cap_of_one_account_get_429(app, client):
    app.config["EVENTS_MAX_STREAMS_PER_USER"] = 2
    with Stream(client), Stream(client):
        over = Stream(client)
        assert over.status == 429
        body = over.response.get_json()
        assert body["error"]["code"] == "too_many_streams"
        assert set(body["error"]) == {"code", "message", "fields"}
        assert int(over.response.headers["Retry-After"]) >= 1
    with Stream(client) as again:  # closed streams gave their slots back
        assert again.status == 200


def test_streams_over_the_servers_cap_get_503(app, client):
    app.config["EVENTS_MAX_STREAMS"] = 1
    with Stream(client):
        over = Stream(client)
        assert over.status == 503
        assert over.response.get_json()["error"]["code"] == "service_unavailable"


def test_a_stream_closed_before_it_was_read_gives_its_slot_back(app, client):
    response = client.get("/api/events", buffered=False)
    assert app.extensions["kaap.events"].open_streams() == 1
    response.close()
    assert app.extensions["kaap.events"].open_streams() == 0


def test_closing_the_app_ends_its_streams_and_refuses_new_ones(app, client):
    stream = Stream(client)
    stream.next()
    events.close(app)
    assert list(stream._chunks) == []
    assert Stream(client).status == 503


def test_an_event_carries_ids_not_text(client, make_note):
    with Stream(client) as stream:
        stream.next()
        make_note(title="secret title", body="secret body")
        chunk = next(stream._chunks)
    assert b"secret" not in chunk


def test_the_stream_is_documented_as_an_event_stream(client):
    operation = client.get("/api/swagger.json").get_json()["paths"]["/events"]["get"]
    assert operation["produces"] == ["text/event-stream"]
    assert {"200", "429", "503"} <= set(operation["responses"])
    assert "`text/event-stream`, not JSON" in operation["summary"]
