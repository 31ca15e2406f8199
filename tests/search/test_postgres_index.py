"""PostgreSQL: search's owner and substring conditions are answered by one GIN index (0009).

Correctness is the other search tests' job (they run on PostgreSQL too, the brute-force
comparison included); this proves the condition keeps a form the index can serve.
"""

import pytest
from sqlalchemy import select, text

from tests.conftest import TEST_DATABASE_URL
from webapp.extensions import db
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
