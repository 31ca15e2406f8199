"""Prepared statements run on the driver's connection unless something listens for statements."""

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    select,
)
from sqlalchemy.exc import MultipleResultsFound, NoResultFound, OperationalError

from webapp.notes.prepared import Rows, run

metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True), Column("name", String))
BY_NAME = select(things.c.id, things.c.name).where(things.c.name == bindparam("name"))


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(things.insert(), [{"name": "a"}, {"name": "b"}, {"name": "b"}])
    yield engine
    engine.dispose()


def test_raw_and_listened_runs_give_the_same_rows(engine):
    seen = []
    with engine.connect() as conn:
        raw = run(conn, BY_NAME, {"name": "b"})
        assert isinstance(raw, Rows)
        rows = raw.all()
        event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
        listened = run(conn, BY_NAME, {"name": "b"}).all()
    assert [tuple(r) for r in rows] == [tuple(r) for r in listened] == [(2, "b"), (3, "b")]
    assert len(seen) == 1 and seen[0].startswith("SELECT")


def test_rows_answer_like_sqlalchemy_results(engine):
    with engine.connect() as conn:
        assert tuple(run(conn, BY_NAME, {"name": "a"}).first()) == (1, "a")
        assert run(conn, BY_NAME, {"name": "z"}).first() is None
        assert run(conn, BY_NAME, {"name": "a"}).scalar_one() == 1
        with pytest.raises(NoResultFound):
            run(conn, BY_NAME, {"name": "z"}).scalar_one()
        with pytest.raises(MultipleResultsFound):
            run(conn, BY_NAME, {"name": "b"}).scalar_one()


def test_driver_errors_are_raised_as_sqlalchemy_errors(engine):
    # What the API's error handler knows: "database is locked" as OperationalError is a 503.
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP TABLE things")
        with pytest.raises(OperationalError, match="no such table"):
            run(conn, BY_NAME, {"name": "a"})
