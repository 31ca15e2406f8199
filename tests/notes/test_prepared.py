"""Prepared statements run on the driver's connection, listened to or not, and convert their rows."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    Boolean,
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

from webapp.db.prepared import Rows, prepare, run
from webapp.db.types import UTCDateTime

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String),
    Column("done", Boolean, default=False),
    Column("at", UTCDateTime, default=datetime(2026, 11, 25, 13, 49, 19, 123456, tzinfo=UTC)),
)
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


def test_a_listened_statement_still_runs_on_the_driver_connection_and_is_seen(engine):
    # The statement counts of the tests and the benchmark's capture see the production path.
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    with engine.connect() as conn:
        rows = run(conn, BY_NAME, {"name": "a"})
    assert isinstance(rows, Rows) and [tuple(r) for r in rows] == [(1, "a")]
    assert seen == [prepare(BY_NAME, engine.dialect).sql]


def test_rows_come_converted_for_into(engine):
    statement = select(things.c.id, things.c.done, things.c.at).where(
        things.c.id == bindparam("id")
    )
    with engine.connect() as conn:
        (row,) = run(conn, statement, {"id": 1}, into=lambda *values: values).all()
    assert row == (1, False, "2026-11-25T13:49:19.123456Z")


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
