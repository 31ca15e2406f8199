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


def test_search_sees_edits(client, make_note):
    note = make_note(title="before")
    client.patch(f"/api/notes/{note['id']}", json={"title": "after"})
    assert search(client, "before") == []
    assert search(client, "after") == ["after"]


def test_blank_query_lists_everything(client, corpus):
    assert len(search(client, "  ")) == 7
