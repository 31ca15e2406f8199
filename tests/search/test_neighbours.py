"""Server mode: another owner's notes cost a search nothing, and a costly search stops with 503."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text, update

from tests.conftest import error_code
from webapp.accounts.models import User
from webapp.extensions import db
from webapp.notes import queries as notes
from webapp.notes.models import Note
from webapp.search.budget import SearchTooCostlyError
from webapp.search.index import owner_token

NOW = datetime(2025, 12, 1, tzinfo=UTC)  # before the test clock: the pages show them


def add_owner(name: str) -> int:
    user = User(username=name)
    db.session.add(user)
    db.session.commit()
    return user.id


def fill(owner_id: int, count: int, body: str, first_id: int | None = None) -> None:
    """``count`` notes of ``body`` in one statement (the triggers index each one)."""
    rows = [
        {"owner_id": owner_id, "uid": str(uuid.uuid4()), "title": "", "body": body,
         "kind": "text", "color": "default", "pinned": False, "archived": False,
         "created_at": NOW, "updated_at": NOW, "version": 1, "search_text": body.casefold()}
        for _ in range(count)
    ]  # fmt: skip
    if first_id is not None:
        rows = [{**row, "id": first_id + i} for i, row in enumerate(rows)]
    db.session.execute(insert(Note), rows)
    db.session.commit()


def search_steps(owner_id: int, q: str) -> tuple[int, int]:
    """(notes found, SQLite virtual machine steps the search ran): work, not time.

    The index is merged into one segment first: what is compared is the rows a search reads,
    not how many segments the last writes left (FTS5's automerge keeps those logarithmic).
    """
    for table in ("notes_fts", "notes_grams"):
        db.session.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))
    db.session.commit()
    steps = 0

    def count():
        nonlocal steps
        steps += 1
        return 0

    driver = db.session.connection().connection.driver_connection
    driver.set_progress_handler(count, 1)
    try:
        found, _ = notes.list_notes(db.session, owner_id, NOW, q=q, limit=100)
    finally:
        driver.set_progress_handler(None, 0)
    db.session.rollback()
    return len(found), steps


@pytest.mark.sqlite_only
@pytest.mark.parametrize("q", ["aaaa", "meeting", "회의", "meeting 회의"])
def test_a_neighbours_notes_add_no_work_to_a_search(app, q):
    with app.app_context():
        a, b = add_owner("a"), add_owner("b")
        for first_id in (1, 10_000):  # B's notes, then room for A's between them
            fill(b, 10, "weekly meeting 회의 notes", first_id)
            fill(b, 100, "something else entirely", first_id + 10)
        alone = search_steps(b, q)
        # More than an index probe counts (1,000), all matching, all between B's in id order.
        fill(a, 1500, "AAAA meeting 회의 " * 30, first_id=1000)
        beside = search_steps(b, q)
        assert alone[0] == beside[0] == (0 if q == "aaaa" else 20)
        assert beside[1] <= 2 * alone[1], (alone, beside)


@pytest.mark.sqlite_only
def test_the_index_follows_a_note_to_its_new_owner(app):
    with app.app_context():
        a, b = add_owner("a"), add_owner("b")
        fill(a, 1, "moving 회의")
        db.session.execute(update(Note).values(owner_id=b))
        db.session.commit()
        for q in ("moving", "회의"):
            assert search_steps(a, q)[0] == 0
            assert search_steps(b, q)[0] == 1
        (owner,) = db.session.execute(text("SELECT owner FROM notes_fts_source")).one()
        assert owner == owner_token(b)


def test_owner_tokens_are_distinct_and_never_in_folded_text():
    tokens = [owner_token(i) for i in range(100_000)]
    assert len(set(tokens)) == len(tokens)
    assert all(len(token) == 3 for token in tokens)  # one trigram: one index term
    assert len(owner_token(10**9)) > 3
    letters = set("".join(tokens))
    assert not any(ch in letters for ch in "".join(chr(c) for c in range(0x30000)).casefold())


@pytest.fixture
def costly(app):
    """Notes whose text makes a two-letter search (which no index answers) read 6 MB."""
    with app.app_context():
        fill(1, 300, "ab " * 7000)


@pytest.mark.parametrize("app_settings", [{"SEARCH_TIMEOUT_MS": 1}])
def test_a_search_over_its_budget_answers_503_and_nothing_else_is_bounded(app, client, costly):
    response = client.get("/api/notes?q=zq")
    assert response.status_code == 503
    assert error_code(response) == "search_too_costly"
    assert "narrow" in response.get_json()["error"]["message"]
    # The same connection then runs unbounded statements: a list, a write.
    assert client.get("/api/notes?limit=1").status_code == 200
    assert client.post("/api/notes", json={"title": "after"}).status_code == 201
    app.config["SEARCH_TIMEOUT_MS"] = 60_000
    response = client.get("/api/notes?q=zq")
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_the_budget_stops_the_search_statements_only(app, costly):
    with app.app_context():
        with pytest.raises(SearchTooCostlyError):
            notes.list_notes(db.session, 1, NOW, q="zq", search_timeout_ms=1)
        db.session.rollback()
        found, _ = notes.list_notes(db.session, 1, NOW, limit=5, search_timeout_ms=1)
        assert len(found) == 5  # no q: not a search, not bounded
        found, _ = notes.list_notes(db.session, 1, NOW, q="ab", search_timeout_ms=60_000)
        assert len(found) == 30


@pytest.mark.sqlite_only
def test_an_older_database_gets_owners_in_its_index(tmp_path):
    from flask_migrate import upgrade

    from tests.test_migrations import bare_app, build_at
    from webapp.db.migrate import MIGRATIONS_DIR

    build_at(tmp_path, "0008")  # owner 1's notes; user 2 exists
    app = bare_app(tmp_path)
    with app.app_context():
        db.session.execute(update(Note).where(Note.id == 2).values(owner_id=2))
        db.session.commit()
        upgrade(directory=str(MIGRATIONS_DIR))
        for owner, q, found in ((1, "trip", 1), (2, "주간회", 1), (1, "주간회", 0), (2, "회", 1)):
            assert search_steps(owner, q)[0] == found, (owner, q)
        by_owner = text("SELECT rowid FROM notes_fts WHERE notes_fts MATCH :owner ORDER BY rowid")
        for owner, ids in ((1, [1, 3, 4]), (2, [2])):
            rows = db.session.scalars(by_owner, {"owner": f'"{owner_token(owner)}"'}).all()
            assert rows == ids
        db.engine.dispose()
