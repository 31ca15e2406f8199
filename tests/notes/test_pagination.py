import random
from datetime import timedelta

import pytest
from sqlalchemy import event

from tests.conftest import error_code
from webapp.extensions import db


def walk(client, query="", limit=3, between=None):
    """Every note id of a walk through all pages, calling ``between`` after each page."""
    ids, cursor, pages = [], None, 0
    while True:
        url = f"/api/notes?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        assert len(page["items"]) <= limit
        ids += [note["id"] for note in page["items"]]
        cursor, pages = page["next_cursor"], pages + 1
        if cursor is None:
            return ids
        if between:
            between(pages)


def test_order_is_pinned_first_then_most_recently_edited(client, make_note):
    client.patch("/api/settings", json={"order": "edited"})
    a, b, c = make_note(title="a"), make_note(title="b"), make_note(title="c")
    client.patch(f"/api/notes/{a['id']}", json={"body": "edited"})
    client.patch(f"/api/notes/{c['id']}", json={"pinned": True})
    assert walk(client, limit=100) == [c["id"], a["id"], b["id"]]


def test_pages_join_up_to_the_whole_list(client, make_note):
    ids = [make_note(title=str(i), pinned=i % 4 == 0)["id"] for i in range(20)]
    expected = [i for i in reversed(ids) if (ids.index(i)) % 4 == 0]
    expected += [i for i in reversed(ids) if (ids.index(i)) % 4 != 0]
    for limit in (1, 3, 7, 20, 100):
        assert walk(client, limit=limit) == expected


def test_notes_edited_in_the_same_instant_are_ordered_by_id(client, clock, make_note):
    clock.tick = timedelta(0)
    ids = [make_note(title=str(i))["id"] for i in range(7)]
    assert walk(client, limit=2) == sorted(ids, reverse=True)


def test_default_page_is_30_notes(client, make_note):
    for i in range(31):
        make_note(title=str(i))
    page = client.get("/api/notes").get_json()
    assert len(page["items"]) == 30
    assert page["next_cursor"]


@pytest.mark.parametrize("seed", range(12))
def test_walk_under_concurrent_changes_never_repeats_or_skips(client, make_note, seed):
    rng = random.Random(seed)
    notes = [make_note(title=f"n{i}", pinned=rng.random() < 0.2)["id"] for i in range(40)]
    unstable: set[int] = set()  # notes that left the list at some point during the walk

    def change(_page):
        for _ in range(rng.randint(1, 4)):
            action = rng.choice(["create", "edit", "edit", "pin", "trash", "archive", "restore"])
            target = rng.choice(notes)
            if action == "create":
                notes.append(make_note(title="new")["id"])
                unstable.add(notes[-1])
            elif action == "edit":
                client.patch(f"/api/notes/{target}", json={"body": str(rng.random())})
            elif action == "pin":
                client.patch(f"/api/notes/{target}", json={"pinned": rng.random() < 0.5})
            elif action == "trash":
                client.post(f"/api/notes/{target}/trash")
                unstable.add(target)
            elif action == "archive":
                client.patch(f"/api/notes/{target}", json={"archived": True})
                unstable.add(target)
            else:
                client.post(f"/api/notes/{target}/restore")
                client.patch(f"/api/notes/{target}", json={"archived": False})

    seen = walk(client, limit=4, between=change)
    assert len(seen) == len(set(seen)), "a note was returned twice"
    missing = set(notes) - unstable - set(seen)
    assert not missing, f"notes skipped: {missing}"


def test_invalid_cursor_is_400(client):
    response = client.get("/api/notes?cursor=bm9wZQ")
    assert response.status_code == 400
    assert "cursor" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("note_id", [2**31, 2**63, -1])
def test_a_cursor_with_an_id_out_of_range_is_400_not_500(client, note_id):
    import base64
    import json

    raw = [0, "2026-01-05T09:00:00+00:00", note_id, "2026-01-05T09:00:00+00:00"]
    token = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    response = client.get(f"/api/notes?cursor={token}")
    assert response.status_code == 400
    assert "cursor" in response.get_json()["error"]["fields"]


def test_cursor_older_than_a_day_must_restart(client, clock, make_note):
    for _ in range(3):
        make_note()
    cursor = client.get("/api/notes?limit=1").get_json()["next_cursor"]
    clock.advance(days=2)
    response = client.get(f"/api/notes?limit=1&cursor={cursor}")
    assert response.status_code == 400
    assert error_code(response) == "cursor_expired"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("state=deleted", "state"),
        ("color=mauve", "color"),
        ("label=work", "label"),
        ("q=" + "x" * 1001, "q"),
    ],
)
def test_invalid_list_parameters_are_400(client, query, field):
    response = client.get(f"/api/notes?{query}")
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


@pytest.fixture
def count_statements(app):
    def count(fn):
        statements = []
        with app.app_context():
            engine = db.engine

        def record(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", record)
        try:
            fn()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    return count


def test_a_page_costs_the_same_statements_whatever_its_length(
    client, make_note, make_label, count_statements
):
    label = make_label("L")
    for i in range(60):
        make_note(title=str(i), label_ids=[label["id"]], kind="checklist", items=[{"text": "i"}])
    client.get("/api/notes")  # the first request of a session also reads the user
    small = count_statements(lambda: client.get("/api/notes?limit=2"))
    large = count_statements(lambda: client.get("/api/notes?limit=50"))
    assert small == large
    cursor = client.get("/api/notes?limit=40").get_json()["next_cursor"]
    deep = count_statements(lambda: client.get(f"/api/notes?limit=10&cursor={cursor}"))
    assert deep <= small + 1  # plus the query for notes changed since the walk began


@pytest.mark.parametrize("q", ["report", "회의", "zz", "report -draft"])
def test_a_search_page_costs_the_same_statements_whatever_its_length(
    client, make_note, count_statements, q
):
    for i in range(40):
        make_note(title=f"report {i} 회의 zz", body="draft" if i % 3 else "")
    client.get("/api/notes")
    small = count_statements(lambda: client.get(f"/api/notes?limit=2&q={q}"))
    large = count_statements(lambda: client.get(f"/api/notes?limit=30&q={q}"))
    assert small == large
