"""Browser tests: the real app on a local port, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from webapp import create_app

CHROMIUM = os.environ.get("KAAP_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}

sync_api = pytest.importorskip("playwright.sync_api")
if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


# Every test's page holds an event stream; werkzeug gives each its own thread, and a closed
# page's is noticed at the next heartbeat: room for the pages of many tests in a row.
LIVE = {"EVENTS_MAX_STREAMS": 64, "EVENTS_MAX_STREAMS_PER_USER": 64, "EVENTS_HEARTBEAT_SECONDS": 1}


_bodies = threading.local()  # the response bodies of this handler thread's request


def closing_bodies(app):
    """``app``, with each response body noted for ``QuietHandler`` to close."""

    def noted(environ, start_response):
        body = app(environ, start_response)
        _bodies.open = [*getattr(_bodies, "open", []), body]
        return body

    return noted


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass

    def run_wsgi(self) -> None:
        """werkzeug skips the body's ``close()`` when the page drops the connection while the
        server drains what is left to read (an exception inside its ``finally``): a served
        image's file is then left to the garbage collector, a ResourceWarning. Closed here."""
        try:
            super().run_wsgi()
        finally:
            for body in getattr(_bodies, "open", []):
                close = getattr(body, "close", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        close()
            _bodies.open = []


@contextmanager
def serving(app):
    """``app`` served by werkzeug on 127.0.0.1 at a free port, in a thread; yields its URL."""
    http = make_server(
        "127.0.0.1", 0, closing_bodies(app), threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        from webapp import events

        events.close(app)  # the pages' event streams end, their threads with them
        http.shutdown()
        thread.join()
        http.server_close()
        with app.app_context():
            from webapp.extensions import db

            db.engine.dispose()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app (testing config: accounts off, as on the desktop) on a local port."""
    data_dir = tmp_path_factory.mktemp("ui-data")
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), **LIVE})
    with serving(app) as url:
        yield app, url


def accounts_app(data_dir):
    """Server mode: accounts on, open sign-up, limits no test run reaches."""
    return create_app(
        {
            "CONFIG": "testing",
            "ACCOUNTS": True,
            "OPEN_SIGNUP": True,
            "SIGNUP_LIMIT_PER_ADDRESS": "1000 per hour",
            "DATA_DIR": str(data_dir),
            **LIVE,
        }
    )


@pytest.fixture(scope="module")
def accounts_server(tmp_path_factory):
    """Server mode on a local port with its own data directory."""
    app = accounts_app(tmp_path_factory.mktemp("ui-accounts-data"))
    with serving(app) as url:
        yield app, url


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


class Api:
    """The REST API through Flask's test client, to set up and check what the page shows."""

    def __init__(self, app):
        self.client = app.test_client()
        token = self.client.get("/api/csrf").get_json()["csrf_token"]
        self.client.environ_base["HTTP_X_CSRFTOKEN"] = token

    def note(self, **fields):
        fields.setdefault("title", "A note")
        response = self.client.post("/api/notes", json=fields)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def get(self, note_id):
        return self.client.get(f"/api/notes/{note_id}").get_json()

    def patch(self, note_id, **fields):
        response = self.client.patch(f"/api/notes/{note_id}", json=fields)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def label(self, name):
        response = self.client.post("/api/labels", json={"name": name})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def notes(self, state="active", **params):
        items, cursor = [], None
        while True:
            query = {"state": state, "limit": 100, **params} | (
                {"cursor": cursor} if cursor else {}
            )
            page = self.client.get("/api/notes", query_string=query).get_json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def labels(self):
        return self.client.get("/api/labels").get_json()

    def clear(self):
        for state in ("active", "archived"):
            for note in self.notes(state):
                self.client.post(f"/api/notes/{note['id']}/trash")
        self.client.delete("/api/trash")
        for label in self.labels():
            self.client.delete(f"/api/labels/{label['id']}")
        for draft in self.drafts():
            self.client.delete(f"/api/drafts/{draft['key']}")
        self.client.patch(
            "/api/settings", json={"theme": "system", "layout": "grid", "order": "own"}
        )

    def drafts(self):
        return self.client.get("/api/drafts").get_json()

    def settings(self):
        return self.client.get("/api/settings").get_json()


@pytest.fixture
def api(server):
    api = Api(server[0])
    api.clear()
    return api


@pytest.fixture
def base_url(server):
    return server[1]


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(5000)
    yield context
    context.close()


@pytest.fixture
def tab(context):
    """A browser tab where any script error or alert() fails the test."""
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    yield page
    assert problems == []


@pytest.fixture
def page(tab, base_url, api):
    """The app at /, in a tab where every JS error and alert() fails the test."""
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    return tab


def screenshot(page, name: str) -> None:
    """Save the page under test-artifacts/screenshots/ (ignored by git) to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.wait_for_timeout(150)  # let the masonry settle
    page.screenshot(path=SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png")


def eventually(check, timeout: float = 5.0):
    """Poll ``check()`` until it returns something truthy (the page's CSP forbids eval, which
    Playwright's wait_for_function would need)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, "condition not met in time"
            return result
        time.sleep(0.05)
