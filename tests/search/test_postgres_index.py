"""PostgreSQL: search's owner and substring conditions are answered by one GIN index (0009).

Correctness is the other search tests' job (they run on PostgreSQL too, the brute-force
comparison included); this proves the conditions keep a form the index can serve, and that
a search reads its owner's rows only, however many a neighbour has.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, text

from tests.conftest import TEST_DATABASE_URL
from tests.search.test_neighbours import add_owner, fill
from webapp.extensions import db
from webapp.notes import queries as notes
from webapp.notes.models import Note
from webapp.search.index import substring

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only (make test-postgres, which CI runs)"
)


def plan(term: str) -> str:
    statement = select(Note.id).where(Note.owner_id == 1, substring(term, "postgresql"))
    compiled = statement.compile(dialect=db.engine.dialect)
    connection = db.session.connection()
    connection.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows in tests
    # With a handful of rows any owner index is cheapest: leave the GIN index the only one.
    connection.execute(text("DROP INDEX uq_notes_owner_uid, ix_notes_owner_order, "
                            "ix_notes_owner_trashed_at, ix_notes_owner_position, "
                            "ix_notes_owner_seq"))  # fmt: skip
    rows = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("term", ["zebracorn", "50% off", "x_y/z", "주간회의"])
def test_a_search_term_and_its_owner_use_one_trigram_index(app, term):
    with app.app_context():
        found = plan(term)
        assert "ix_notes_owner_search_trgm" in found
        # Both conditions are the index's, not a filter on what it returned.
        (condition,) = [line for line in found.splitlines() if "Index Cond" in line]
        assert "owner_id = 1" in condition and "search_text ~~" in condition, found
        db.session.rollback()


def test_the_index_finds_exactly_the_substring_matches(app, make_note):
    for body in ("50% off", "500 off", "x_y/z", "xzy/z", "ZEBRACORN"):
        make_note(body=body)
    with app.app_context():
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        for term, bodies in (("50% off", {"50% off"}), ("x_y/z", {"x_y/z"}),
                             ("zebracorn", {"ZEBRACORN"})):  # fmt: skip
            found = db.session.scalars(select(Note.body).where(substring(term, "postgresql")))
            assert set(found) == bodies, term
        db.session.rollback()


def rows_read(plan: dict) -> int:
    """Rows every node of an EXPLAIN ANALYZE plan produced or threw away, summed."""
    own = sum(plan.get(key, 0) for key in ("Actual Rows", "Rows Removed by Filter",
                                           "Rows Removed by Index Recheck"))  # fmt: skip
    return own * plan.get("Actual Loops", 1) + sum(map(rows_read, plan.get("Plans", [])))


@pytest.mark.parametrize("q", ["meeting", "aaaa", "report plan"])
def test_a_search_reads_only_its_owners_rows_beside_a_heavy_neighbour(app, q):
    with app.app_context():
        a, b = add_owner("a"), add_owner("b")
        fill(b, 10, "weekly meeting report plan")
        fill(b, 20, "something else entirely")
        fill(a, 3000, "AAAA meeting report plan " * 20)
        db.session.execute(text("ANALYZE notes"))
        statements = []

        def capture(_conn, _cursor, statement, parameters, _context, _many):
            if "LIMIT" in statement:
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            found, _ = notes.list_notes(db.session, b, datetime.now(UTC), q=q, limit=100)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        assert len(found) == (0 if q == "aaaa" else 10)
        ((statement, parameters),) = statements
        explain = "EXPLAIN (ANALYZE, FORMAT JSON) " + statement
        (plan,) = db.session.connection().exec_driver_sql(explain, parameters).scalar_one()
        assert rows_read(plan["Plan"]) <= 3 * 30, plan
        db.session.rollback()


def test_a_search_puts_the_statement_timeout_back(app):
    with app.app_context():
        before = db.session.execute(text("SHOW statement_timeout")).scalar_one()
        notes.list_notes(db.session, 1, datetime.now(UTC), q="anything", search_timeout_ms=1500)
        assert db.session.execute(text("SHOW statement_timeout")).scalar_one() == before
        db.session.rollback()
