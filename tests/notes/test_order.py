"""The own order: new notes first, moving a note between two others, walks while notes move."""

import random

import pytest

from tests.conftest import error_code
from tests.notes.test_pagination import count_statements as count_statements
from tests.notes.test_pagination import walk


def move(client, note, after=None, before=None):
    body = {name: n["id"] for name, n in (("after", after), ("before", before)) if n}
    return client.post(f"/api/notes/{note['id']}/move", json=body)


def ids(client, query=""):
    return walk(client, query, limit=100)


@pytest.fixture
def four(make_note):
    """d c b a as the list shows them (new notes go first)."""
    return [make_note(title=name) for name in "abcd"]


def test_new_notes_go_first_with_a_greater_key(client, four):
    a, b, c, d = four
    assert ids(client) == [d["id"], c["id"], b["id"], a["id"]]
    assert a["position"] < b["position"] < c["position"] < d["position"]


def test_a_note_moves_between_two_others(client, four):
    a, b, c, d = four
    response = move(client, a, after=d, before=c)
    assert response.status_code == 200, response.get_json()
    assert ids(client) == [d["id"], a["id"], c["id"], b["id"]]
    moved = response.get_json()
    assert d["position"] > moved["position"] > c["position"]
    assert moved["version"] == a["version"] + 1 and response.headers["ETag"] == '"2"'
    assert client.get(f"/api/notes/{a['id']}").get_json()["position"] == moved["position"]


def test_a_note_moves_to_the_top_and_to_the_bottom(client, four):
    a, b, c, d = four
    assert move(client, a, before=d).status_code == 200
    assert ids(client) == [a["id"], d["id"], c["id"], b["id"]]
    assert move(client, d, after=b).status_code == 200
    assert ids(client) == [a["id"], c["id"], b["id"], d["id"]]


def test_a_neighbour_alone_puts_the_note_right_next_to_it(client, four):
    """Only what the page shows is known: "below c" means right below it, not the very end."""
    a, b, c, d = four
    assert move(client, d, after=c).status_code == 200
    assert ids(client) == [c["id"], d["id"], b["id"], a["id"]]
    assert move(client, a, before=c).status_code == 200
    assert ids(client) == [a["id"], c["id"], d["id"], b["id"]]


def test_neighbours_need_not_be_adjacent(client, four):
    """A label view shows some notes only: the note lands between the two it was dropped on."""
    a, b, _c, d = four
    assert move(client, a, after=d, before=b).status_code == 200
    assert ids(client).index(a["id"]) in (1, 2)


def test_edits_leave_a_note_in_its_place_in_the_own_order(client, four):
    a, b, c, d = four
    client.patch(f"/api/notes/{a['id']}", json={"body": "edited"})
    client.patch(f"/api/notes/{b['id']}", json={"color": "red"})
    assert ids(client) == [d["id"], c["id"], b["id"], a["id"]]


def test_by_last_edit_an_edit_moves_the_note_to_the_top(client, four):
    a, b, c, d = four
    assert client.patch("/api/settings", json={"order": "edited"}).status_code == 200
    client.patch(f"/api/notes/{a['id']}", json={"body": "edited"})
    assert ids(client) == [a["id"], d["id"], c["id"], b["id"]]
    client.patch("/api/settings", json={"order": "own"})
    assert ids(client) == [d["id"], c["id"], b["id"], a["id"]]


def test_pinning_puts_a_note_first_among_the_pinned_and_unpinning_first_among_others(client, four):
    a, b, c, d = four
    client.patch(f"/api/notes/{b['id']}", json={"pinned": True})
    client.patch(f"/api/notes/{a['id']}", json={"pinned": True})
    assert ids(client) == [a["id"], b["id"], d["id"], c["id"]]
    client.patch(f"/api/notes/{b['id']}", json={"pinned": False})
    assert ids(client) == [a["id"], b["id"], d["id"], c["id"]]
    client.post("/api/notes/bulk", json={"ids": [c["id"]], "action": "pin"})
    assert ids(client) == [c["id"], a["id"], b["id"], d["id"]]
    client.patch(f"/api/notes/{b['id']}", json={"body": "edited"})  # stays: not re-pinned
    client.patch(f"/api/notes/{a['id']}", json={"pinned": True})  # unchanged: stays too
    assert ids(client) == [c["id"], a["id"], b["id"], d["id"]]


def test_a_copy_goes_right_above_its_original(client, four):
    a, b, c, d = four
    copy = client.post(f"/api/notes/{b['id']}/copy").get_json()
    assert ids(client) == [d["id"], c["id"], copy["id"], b["id"], a["id"]]


def test_pinned_and_other_notes_are_ordered_apart(client, four):
    a, _b, c, d = four
    client.patch(f"/api/notes/{d['id']}", json={"pinned": True})
    response = move(client, a, after=d, before=c)
    assert response.status_code == 409 and error_code(response) == "other_section"
    assert response.get_json()["error"]["fields"] == {"after": "pinned"}


def test_neighbours_out_of_order_are_a_conflict(client, four):
    a, _b, c, d = four
    response = move(client, a, after=c, before=d)
    assert response.status_code == 409 and error_code(response) == "order_changed"


@pytest.mark.parametrize(
    "body",
    [{}, {"after": None}, {"after": "x"}, {"after": 0}, {"before": 2**31}, {"over": 1},
     {"after": 1, "before": 1}, "self"],
)  # fmt: skip
def test_bad_neighbours_are_400(client, four, body):
    a = four[0]
    if body == "self":
        body = {"after": a["id"]}
    elif body == {"after": 1, "before": 1}:
        body = {"after": four[1]["id"], "before": four[1]["id"]}
    response = client.post(f"/api/notes/{a['id']}/move", json=body)
    assert response.status_code == 400, response.get_json()
    error_code(response)


def test_unknown_notes_are_404(client, four):
    a = four[0]
    assert client.post("/api/notes/999999/move", json={"after": a["id"]}).status_code == 404
    response = client.post(f"/api/notes/{a['id']}/move", json={"after": 999999})
    assert response.status_code == 404 and response.get_json()["error"]["fields"] == {
        "after": "unknown note"
    }


def test_a_note_in_the_trash_is_not_moved(client, four):
    a, _b, _c, d = four
    client.post(f"/api/notes/{a['id']}/trash")
    assert move(client, a, before=d).status_code == 409


def test_a_move_costs_a_few_statements(client, four, count_statements):
    a, _b, c, d = four
    client.get("/api/notes")  # the first request of a session also reads the user
    read = count_statements(lambda: client.get(f"/api/notes/{a['id']}"))
    answers = []
    moved = count_statements(lambda: answers.append(move(client, a, after=d, before=c)))
    # Reading the note, then the neighbours, the move recorded, sync's sequence and the new key.
    assert answers[0].status_code == 200 and moved <= read + 4


@pytest.mark.parametrize("seed", range(10))
def test_a_walk_in_own_order_never_repeats_or_skips_while_notes_move(client, make_note, seed):
    rng = random.Random(seed)
    notes = [make_note(title=f"n{i}", pinned=rng.random() < 0.2) for i in range(40)]
    by_id = {note["id"]: note for note in notes}
    unstable: set[int] = set()

    def change(_page):
        for _ in range(rng.randint(1, 5)):
            action = rng.choice(["move", "move", "move", "edit", "pin", "create", "trash"])
            target = by_id[rng.choice(list(by_id))]
            if action == "move":
                current = client.get(f"/api/notes/{target['id']}").get_json()
                section = [
                    n for n in client.get("/api/notes?limit=100").get_json()["items"]
                    if n["pinned"] == current["pinned"] and n["id"] != current["id"]
                ]  # fmt: skip
                if len(section) < 2:
                    continue
                i = rng.randrange(len(section) + 1)
                after = section[i - 1] if i > 0 else None
                before = section[i] if i < len(section) else None
                assert move(client, current, after, before).status_code in (200, 409)
            elif action == "edit":
                client.patch(f"/api/notes/{target['id']}", json={"body": str(rng.random())})
            elif action == "pin":
                client.patch(f"/api/notes/{target['id']}", json={"pinned": rng.random() < 0.5})
            elif action == "create":
                new = make_note(title="new")
                by_id[new["id"]] = new
                unstable.add(new["id"])
            else:
                client.post(f"/api/notes/{target['id']}/trash")
                unstable.add(target["id"])

    seen = walk(client, limit=4, between=change)
    assert len(seen) == len(set(seen)), "a note was returned twice"
    missing = set(by_id) - unstable - set(seen)
    assert not missing, f"notes skipped: {missing}"


def test_a_walk_keeps_its_order_when_the_setting_changes(client, four):
    a, b, c, d = four
    client.patch(f"/api/notes/{a['id']}", json={"body": "edited"})  # top by last edit
    first = client.get("/api/notes?limit=2").get_json()
    client.patch("/api/settings", json={"order": "edited"})
    rest = client.get(f"/api/notes?limit=2&cursor={first['next_cursor']}").get_json()
    seen = [n["id"] for n in first["items"] + rest["items"]]
    assert seen == [d["id"], c["id"], b["id"], a["id"]]


def test_the_trash_is_ordered_by_the_latest_trashed(client, four):
    a, b, c, d = four
    assert move(client, a, before=d).status_code == 200  # the own order does not rule here
    for note in (b, d, a, c):
        client.post(f"/api/notes/{note['id']}/trash")
    assert ids(client, "&state=trashed") == [c["id"], a["id"], d["id"], b["id"]]


def test_mixed_case_keys_sort_as_code_points_in_the_database(client, make_note):
    """Below "a0" keys start with capitals: "Zz" < "a0" in C collation, not in en_US."""
    top = make_note(title="top")
    bottom = [make_note(title=f"b{i}") for i in range(3)]
    for note in bottom:
        assert (
            client.post(f"/api/notes/{note['id']}/move", json={"after": top["id"]}).status_code
            == 200
        )
    positions = [n["position"] for n in client.get("/api/notes").get_json()["items"]]
    assert positions == sorted(positions, reverse=True)
