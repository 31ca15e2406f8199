from urllib.parse import quote

import pytest


def search(client, q, extra=""):
    response = client.get(f"/api/notes?q={quote(q)}{extra}")
    assert response.status_code == 200, response.get_json()
    return sorted(note["title"] for note in response.get_json()["items"])


@pytest.fixture
def corpus(make_note):
    make_note(title="weekly", body="주간회의록 정리")
    make_note(title="percent", body="50% off")
    make_note(title="underscore", body="snake_case name")
    make_note(title="plain", body="fifty percent off, snake case")
    make_note(title="emoji", body="party 🎉 time")
    make_note(title="German", body="ÄRGER mit der Straße")
    make_note(title="list", kind="checklist", items=[{"text": "Buy MILK"}])


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("회의", ["weekly"]),
        ("회", ["weekly"]),
        ("%", ["percent"]),
        ("_", ["underscore"]),
        ("50%", ["percent"]),
        ("e_c", ["underscore"]),
        ("🎉", ["emoji"]),
        ("ärger", ["German"]),
        ("STRASSE", ["German"]),
        ("milk", ["list"]),
        ("WEEK", ["weekly"]),
        ("nothing like this", []),
        ("off", ["percent", "plain"]),
    ],
)
def test_search_is_a_case_insensitive_substring_in_any_language(client, corpus, q, titles):
    assert search(client, q) == titles


def test_search_combines_with_color_label_and_state(client, make_note, make_label):
    work = make_label("work")
    make_note(title="red work", body="report", color="red", label_ids=[work["id"]])
    make_note(title="red", body="report", color="red")
    archived = make_note(title="archived", body="report", archived=True)
    assert search(client, "report") == ["red", "red work"]
    assert search(client, "report", f"&label={work['id']}") == ["red work"]
    assert search(client, "report", "&color=red") == ["red", "red work"]
    assert search(client, "report", "&state=archived") == [archived["title"]]


def test_a_search_of_notes_covers_the_archive_and_says_which_are_archived(client, make_note):
    make_note(title="active", body="report")
    make_note(title="archived", body="report", archived=True)
    trashed = make_note(title="trashed", body="report")
    client.post(f"/api/notes/{trashed['id']}/trash")
    response = client.get("/api/notes?q=report&state=notes")
    found = {note["title"]: note["archived"] for note in response.get_json()["items"]}
    assert found == {"active": False, "archived": True}
    assert search(client, "report") == ["active"]  # older clients: state=active is unchanged


def test_the_notes_state_pages_through_active_and_archived_notes(client, make_note):
    for i in range(5):
        make_note(title=f"n{i}", archived=i % 2 == 0)
    first = client.get("/api/notes?state=notes&limit=3").get_json()
    rest = client.get(f"/api/notes?state=notes&limit=3&cursor={first['next_cursor']}").get_json()
    titles = [note["title"] for note in first["items"] + rest["items"]]
    assert titles == ["n4", "n3", "n2", "n1", "n0"] and rest["next_cursor"] is None


def test_search_sees_edits(client, make_note):
    note = make_note(title="before")
    client.patch(f"/api/notes/{note['id']}", json={"title": "after"})
    assert search(client, "before") == []
    assert search(client, "after") == ["after"]


def test_blank_query_lists_everything(client, corpus):
    assert len(search(client, "  ")) == 7
