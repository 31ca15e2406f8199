"""PostgreSQL: search's one substring condition is answered by the trigram index (0007).

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
    statement = select(Note.id).where(substring(term, "postgresql"))
    compiled = statement.compile(dialect=db.engine.dialect)
    connection = db.session.connection()
    connection.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows in tests
    rows = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("term", ["zebracorn", "50% off", "x_y/z", "주간회의"])
def test_a_search_term_uses_the_trigram_index(app, term):
    with app.app_context():
        assert "ix_notes_search_text_trgm" in plan(term)
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
