"""Search: the query language, the index kept in step, offsets, and equality with a brute-force scan."""

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text

from webapp import create_app
from webapp.db.sqlite import backup_sqlite
from webapp.extensions import db
from webapp.labels import service as labels
from webapp.labels.models import Label
from webapp.notes import queries
from webapp.notes import service as notes
from webapp.notes.models import Note
from webapp.search.query import parse


def titles(client, q, extra=""):
    response = client.get(f"/api/notes?limit=100&q={quote(q)}{extra}")
    assert response.status_code == 200, response.get_json()
    return sorted(note["title"] for note in response.get_json()["items"])


@pytest.mark.parametrize(
    ("q", "include", "exclude"),
    [
        ("milk eggs", ["milk", "eggs"], []),
        ('"fifty percent" -off', ["fifty percent"], ["off"]),
        ("e-mail", ["e-mail"], []),
        ("-", ["-"], []),
        ('"unfinished phrase', ["unfinished phrase"], []),
        ('"" ÄRGER', ["ärger"], []),
        ("   ", [], []),
    ],
)
def test_query_language(q, include, exclude):
    assert (parse(q).include, parse(q).exclude) == (include, exclude)


@pytest.fixture
def corpus(make_note, make_label):
    trip = make_label("Trip")
    make_note(title="weekly", body="주간회의록 정리")
    make_note(title="milk", body="buy milk and eggs", label_ids=[trip["id"]])
    make_note(title="milk only", body="buy milk")
    make_note(title="phrase", body="fifty percent off")
    make_note(title="words", body="off by fifty, one percent")
    make_note(title="list", kind="checklist", items=[{"text": "Pack the tent"}])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("milk eggs", ["milk"]),
        ("milk -eggs", ["milk only"]),
        ('"fifty percent"', ["phrase"]),
        ("fifty percent", ["phrase", "words"]),
        ("trip", ["milk"]),
        ("TENT", ["list"]),
        ("회의", ["weekly"]),
        ("록", ["weekly"]),
        ("회의 -정리", []),
        ("-milk -off -회", ["list"]),
    ],
)
def test_words_phrases_exclusions_and_labels(client, corpus, q, expected):
    assert titles(client, q) == expected


def test_results_say_where_the_words_match(client, make_note, make_label):
    label = make_label("Meetings")
    make_note(
        title="Straße plan",
        body="주간회의록",
        kind="checklist",
        items=[{"text": "x"}, {"text": "STRASSE 2"}],
        label_ids=[label["id"]],
    )
    (item,) = client.get(f"/api/notes?q={quote('strasse 회의 meet -zzz')}").get_json()["items"]
    assert item["matches"] == [
        {"field": "title", "start": 0, "end": 6},
        {"field": "body", "start": 2, "end": 4},
        {"field": "items.1", "start": 0, "end": 7},
        {"field": "labels.0", "start": 0, "end": 4},
    ]
    assert client.get("/api/notes").get_json()["items"][0]["matches"] == []


def test_search_combines_with_filters(client, make_note, make_label):
    work = make_label("work")
    make_note(title="a", body="report", kind="checklist", items=[{"text": "x"}], color="red")
    make_note(title="b", body="report", label_ids=[work["id"]], color="red")
    make_note(title="c", body="report", archived=True)
    assert titles(client, "report", "&kind=checklist") == ["a"]
    assert titles(client, "report", "&kind=text") == ["b"]
    assert titles(client, "report", f"&label={work['id']}&color=red") == ["b"]
    assert titles(client, "report", "&state=archived") == ["c"]
    assert client.get("/api/notes?kind=drawing").status_code == 400


def test_search_pages_with_cursors(client, make_note):
    for i in range(25):
        make_note(title=f"n{i:02}", body="회의 notes" if i % 2 else "other")
    seen, cursor = [], ""
    while True:
        page = client.get(f"/api/notes?q={quote('회의')}&limit=4{cursor}").get_json()
        seen += [n["title"] for n in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert sorted(seen) == [f"n{i:02}" for i in range(25) if i % 2]


def test_index_follows_edits_trash_restore_and_deletes(client, make_note):
    note = make_note(title="alpha", body="회의")
    nid = note["id"]
    client.patch(f"/api/notes/{nid}", json={"title": "beta", "body": "록"})
    assert titles(client, "alpha") == titles(client, "회의") == []
    assert titles(client, "beta") == titles(client, "록") == ["beta"]
    client.post(f"/api/notes/{nid}/trash")
    assert titles(client, "beta") == []
    assert titles(client, "beta", "&state=trashed") == ["beta"]
    client.post(f"/api/notes/{nid}/restore")
    assert titles(client, "록") == ["beta"]
    client.post(f"/api/notes/{nid}/trash")
    client.delete(f"/api/notes/{nid}")
    assert titles(client, "beta", "&state=trashed") == []


@pytest.mark.sqlite_only
def test_index_follows_purge(app, client, clock, make_note):
    from webapp import maintenance

    note = make_note(title="gone", body="회의")
    client.post(f"/api/notes/{note['id']}/trash")
    clock.advance(days=8)
    with app.app_context():
        maintenance.run(app)
        hits = db.session.execute(text("SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'gone'"))
        assert hits.all() == []


def test_index_follows_label_renames_and_deletes(client, make_note, make_label):
    label = make_label("Holiday")
    make_note(title="trip", label_ids=[label["id"]])
    assert titles(client, "holiday") == ["trip"]
    client.patch(f"/api/labels/{label['id']}", json={"name": "Vacation"})
    assert titles(client, "holiday") == []
    assert titles(client, "vacation") == ["trip"]
    client.delete(f"/api/labels/{label['id']}")
    assert titles(client, "vacation") == []


@pytest.mark.sqlite_only
def test_rebuild_command_restores_a_lost_index(app, client, runner, make_note):
    make_note(title="findme", body="회의")
    with app.app_context():
        db.session.execute(text("INSERT INTO notes_fts(notes_fts) VALUES ('delete-all')"))
        db.session.execute(text("INSERT INTO notes_grams(notes_grams) VALUES ('delete-all')"))
        db.session.commit()
    assert titles(client, "findme") == titles(client, "회의") == []
    result = runner.invoke(args=["search", "rebuild"])
    assert "Rebuilt the search index over 1 note(s)." in result.output
    assert titles(client, "findme") == titles(client, "회의") == ["findme"]


# Property: the index answers exactly what a brute-force scan answers --------------------

ALPHABET = "aAbBß%_-xX회의록주간🎉é. "
words = st.text(alphabet=ALPHABET.replace(" ", ""), min_size=1, max_size=4)
phrases = st.text(alphabet=ALPHABET.replace("-", ""), min_size=1, max_size=5)
note_texts = st.text(alphabet=ALPHABET, max_size=30)
a_note = st.fixed_dictionaries(
    {
        "title": note_texts,
        "body": note_texts,
        "items": st.lists(note_texts, max_size=3),
        "labels": st.lists(
            st.sampled_from(["Ärger", "회의", "x_y", "50%"]), max_size=2, unique=True
        ),
    }
)
a_term = st.one_of(
    words.filter(lambda w: not w.startswith("-")).map(lambda w: (w, w, False)),
    words.map(lambda w: ("-" + w, w, True)),
    phrases.filter(lambda p: p.strip()).map(lambda p: (f'"{p}"', p, False)),
)


@pytest.fixture(scope="module")
def search_app(tmp_path_factory, migrated_db):
    data_dir = tmp_path_factory.mktemp("search")
    backup_sqlite(migrated_db, data_dir / "kaap.sqlite3")
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir)})
    yield app
    with app.app_context():
        db.engine.dispose()


def brute_force(note: dict, terms: list[tuple[str, str, bool]]) -> bool:
    fields = [note["title"], note["body"], *note["items"], *note["labels"]]
    for _, term, excluded in terms:
        found = any(term.casefold() in field.casefold() for field in fields)
        if found == excluded:
            return False
    return True


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(a_note, min_size=1, max_size=8), st.lists(a_term, min_size=1, max_size=3))
def test_search_equals_a_brute_force_scan(search_app, corpus_notes, terms):
    q = " ".join(raw for raw, _, _ in terms)
    if not parse(q):
        return
    with search_app.app_context():
        session, now = db.session, datetime.now(UTC)
        session.execute(delete(Note))
        session.execute(delete(Label))
        session.commit()
        owner = 1
        label_ids = {}
        expected = set()
        for note in corpus_notes:
            for name in note["labels"]:
                if name not in label_ids:
                    label_ids[name] = labels.create_label(session, owner, name).id
            data = {
                "title": note["title"] if note["title"].strip() else "t",
                "body": note["body"],
                "items": [{"text": item} for item in note["items"]],
                "label_ids": [label_ids[name] for name in note["labels"]],
            }
            created = notes.create_note(session, owner, data, now)
            if brute_force({**note, "title": data["title"]}, terms):
                expected.add(created.id)
        found, _ = queries.list_notes(session, owner, now, q=q, limit=100)
        assert {n.id for n in found} == expected, q
