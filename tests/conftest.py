from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.db.sqlite import backup_sqlite


class Clock:
    """A clock tests can move; every reading is a millisecond after the previous one."""

    def __init__(self, start: datetime):
        self.current = start
        self.tick = timedelta(milliseconds=1)

    def __call__(self) -> datetime:
        self.current += self.tick
        return self.current

    def advance(self, **kwargs) -> None:
        self.current += timedelta(**kwargs)


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """A database at the newest revision, made once and copied for each test."""
    data_dir = tmp_path_factory.mktemp("template")
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir)})
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()
    out = data_dir.parent / "template.sqlite3"
    backup_sqlite(data_dir / "kaap.sqlite3", out)
    return out


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))


@pytest.fixture
def data_dir(tmp_path, migrated_db) -> Path:
    backup_sqlite(migrated_db, tmp_path / "kaap.sqlite3")
    return tmp_path


# KAAP_TEST_DATABASE_URL=postgresql+psycopg://... runs the app fixtures on that database
# (emptied before each test); tests of SQLite itself are marked sqlite_only and skipped there.
TEST_DATABASE_URL = os.environ.get("KAAP_TEST_DATABASE_URL")


def pytest_collection_modifyitems(config, items):
    if TEST_DATABASE_URL:
        skip = pytest.mark.skip(reason="tests SQLite itself; this run uses KAAP_TEST_DATABASE_URL")
        for item in items:
            if "sqlite_only" in item.keywords:
                item.add_marker(skip)


def _empty_database(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        names = ", ".join(f'"{name}"' for name in tables if name != "alembic_version")
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app_settings() -> dict:
    """Settings a test package adds to the app's (tests/accounts turns accounts on)."""
    return {}


@pytest.fixture
def app(data_dir, clock, app_settings):
    settings = {"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock, **app_settings}
    if TEST_DATABASE_URL:
        migrated = create_app({**settings, "DATABASE_URL": TEST_DATABASE_URL})
        with migrated.app_context():
            from webapp.extensions import db

            db.engine.dispose()
        _empty_database(TEST_DATABASE_URL)
        settings["DATABASE_URL"] = TEST_DATABASE_URL
    app = create_app(settings)
    yield app
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client that sends the session's CSRF token on every request, as the page does."""
    client = app.test_client()
    token = client.get("/api/csrf").get_json()["csrf_token"]
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_note(client):
    """Create a note through the API and return its JSON."""

    def make(**fields):
        fields.setdefault("title", "A note")
        response = client.post("/api/notes", json=fields)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def make_label(client):
    def make(name: str):
        response = client.post("/api/labels", json={"name": name})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


def error_code(response) -> str:
    """The envelope's error code, checking the envelope's shape on the way."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["message"]
    return body["error"]["code"]
