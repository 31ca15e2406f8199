"""The page's sync states (the header's indicator, the Settings card's "Sync now") and the
large-removal prompt, with the background worker on and a fake engine in the served app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.sync.device.conftest import PASSWORD
from tests.sync.device.fakes import SHORT, FakeEngine, connect_without_a_server, sync_threads
from tests.ui.conftest import LIVE, Api, eventually, screenshot, serving
from webapp import create_app
from webapp.sync.device import engine, store, worker
from webapp.sync.device.client import SyncError
from webapp.sync.device.engine import Report

OFFLINE = SyncError("Offline: the server cannot be reached.", code="offline", status=503)


@pytest.fixture(scope="module")
def sync_server(tmp_path_factory):
    """Single-user mode with the sync worker on (short waits), on a local port."""
    data_dir = tmp_path_factory.mktemp("ui-sync-data")
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), **LIVE, **SHORT})
    with serving(app) as url:
        yield app, url, data_dir


@pytest.fixture
def fake(monkeypatch, sync_server):
    app, _, data_dir = sync_server
    fake = FakeEngine(data_dir)
    monkeypatch.setattr(engine, "sync_now", fake)
    yield fake
    worker.stop(app)
    store.forget(data_dir)
    assert sync_threads() == []


@pytest.fixture
def notes(sync_server):
    api = Api(sync_server[0])
    api.clear()
    for title in ("Groceries", "Ideas", "Books"):
        api.note(title=title)
    return api


def connect(sync_server, fake, **fields):
    """Connected, last synced two minutes ago; the worker started (its first sync: ``fake``)."""
    app, _, data_dir = sync_server
    two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
    fields.setdefault("last_sync_at", two_minutes_ago.isoformat().replace("+00:00", "Z"))
    connect_without_a_server(data_dir, **fields)
    fake.data_dir = None  # the first sync leaves the time as it was: "2 minutes ago"
    started = worker.start(app)
    eventually(lambda: fake.calls)
    fake.data_dir = data_dir
    return started


def open_notes(tab, sync_server):
    tab.goto(sync_server[1] + "/")
    tab.wait_for_selector("body.ready")
    return tab.locator("#sync-state")


def status_of(header) -> str:
    return header.get_attribute("data-status") or ""


def test_synced_shows_a_cloud_and_the_last_sync_time(tab, sync_server, fake, notes):
    connect(sync_server, fake)
    eventually(lambda: fake.calls)
    header = open_notes(tab, sync_server)
    eventually(lambda: status_of(header) == "synced")
    assert header.locator(".mi").inner_text() == "cloud_done"
    assert header.locator(".sync-state-text").inner_text() == "Synced"
    assert header.get_attribute("title").startswith("Last synced 2 minutes ago.")
    screenshot(tab, "sync-state-synced")


def test_syncing_spins_then_settles(tab, sync_server, fake, notes):
    import threading

    fake.gate = threading.Event()
    connect(sync_server, fake)
    header = open_notes(tab, sync_server)
    eventually(lambda: status_of(header) == "syncing")
    assert header.locator(".sync-state-text").inner_text() == "Syncing…"
    animation = header.locator(".mi").evaluate("el => getComputedStyle(el).animationName")
    assert animation == "spin"
    screenshot(tab, "sync-state-syncing")
    fake.gate.set()
    eventually(lambda: status_of(header) == "synced", timeout=8)


def test_offline_says_changes_are_kept(tab, sync_server, fake, notes):
    fake.then = OFFLINE
    connect(sync_server, fake)
    header = open_notes(tab, sync_server)
    eventually(lambda: status_of(header) == "offline")
    assert header.locator(".mi").inner_text() == "cloud_off"
    assert header.get_attribute("title").startswith(
        "Offline: changes are kept here and sync when the server is back."
    )
    screenshot(tab, "sync-state-offline")
    fake.then = Report()  # the server is back: the next retry (backoff at most 0.4 s) syncs
    eventually(lambda: status_of(header) == "synced", timeout=8)


def test_an_error_is_a_sentence_and_opens_the_sync_settings(tab, sync_server, fake, notes):
    fake.then = SyncError(
        "The server's certificate is not trusted: check the address.",
        code="certificate_untrusted",
    )
    connect(sync_server, fake)
    header = open_notes(tab, sync_server)
    eventually(lambda: status_of(header) == "error")
    text = header.locator(".sync-state-text").inner_text()
    assert text == "The server's certificate is not trusted: check the address."
    assert "error" in header.get_attribute("class")
    screenshot(tab, "sync-state-error")
    header.click()
    tab.wait_for_url(sync_server[1] + "/settings#sync")
    tab.wait_for_selector("body.ready")
    eventually(lambda: "certificate is not trusted" in tab.inner_text("#sync-error"))
    tab.locator("#sync").scroll_into_view_if_needed()
    screenshot(tab, "sync-card-error")


def test_sync_now_in_settings_syncs_and_shows_the_time(tab, sync_server, fake, notes):
    connect(sync_server, fake)
    eventually(lambda: fake.calls)
    tab.goto(sync_server[1] + "/settings#sync")
    tab.wait_for_selector("body.ready")
    eventually(lambda: "Last synced 2 minutes ago" in tab.inner_text("#sync-last"))
    eventually(lambda: "Synced" in tab.inner_text("#sync-status"))
    before = len(fake.calls)
    tab.click("#sync-now")
    eventually(lambda: len(fake.calls) == before + 1)
    eventually(lambda: "Last synced just now" in tab.inner_text("#sync-last"))
    eventually(lambda: tab.locator("#sync-now").is_enabled())
    tab.locator("#sync").scroll_into_view_if_needed()
    screenshot(tab, "sync-card-synced")


def paused_prompt(tab, sync_server, fake, notes):
    for number in range(37):
        notes.note(title=f"Note {number}")
    fake.outcomes = [Report(paused_removals=12, notes_here=40)]
    fake.then = Report(
        paused_removals=12, notes_here=40
    )  # a periodic sync pauses again until answered
    connect(sync_server, fake)
    open_notes(tab, sync_server)
    dialog = tab.locator("#sync-removal-dialog")
    dialog.wait_for(state="visible")
    return dialog


def test_a_large_removal_asks_and_removing_answers_apply(tab, sync_server, fake, notes):
    dialog = paused_prompt(tab, sync_server, fake, notes)
    text = dialog.inner_text()
    assert "would remove 12 of your 40 notes on this computer" in text
    assert "Kaap backs up your notes first" in text
    header = tab.locator("#sync-state")
    assert status_of(header) == "paused"
    screenshot(tab, "sync-removal-prompt")
    fake.then = Report()
    tab.click("#sync-removal-apply")
    dialog.wait_for(state="hidden")
    eventually(lambda: any(call["removals"] == "apply" for call in fake.calls))
    eventually(lambda: status_of(header) == "synced", timeout=8)


def test_keeping_my_notes_answers_keep(tab, sync_server, fake, notes):
    dialog = paused_prompt(tab, sync_server, fake, notes)
    fake.then = Report()
    tab.click("#sync-removal-keep")
    dialog.wait_for(state="hidden")
    eventually(lambda: any(call["removals"] == "keep" for call in fake.calls))
    eventually(lambda: status_of(tab.locator("#sync-state")) == "synced", timeout=8)
    assert [call["removals"] for call in fake.calls].count("apply") == 0


def test_dismissing_the_prompt_leaves_sync_paused_and_the_header_reopens_it(
    tab, sync_server, fake, notes
):
    dialog = paused_prompt(tab, sync_server, fake, notes)
    tab.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    header = tab.locator("#sync-state")
    assert status_of(header) == "paused"
    assert header.locator(".sync-state-text").inner_text() == "Sync paused"
    tab.wait_for_timeout(1500)  # polls come and go: the dismissed prompt stays closed
    assert dialog.is_hidden()
    screenshot(tab, "sync-state-paused")
    assert all(call["removals"] is None for call in fake.calls)  # nothing was answered
    header.click()
    dialog.wait_for(state="visible")
    assert tab.url == sync_server[1] + "/"  # the prompt, not the settings page


def test_the_prompt_and_the_header_on_a_phone(browser, sync_server, fake, notes):
    from tests.ui.conftest import SIZES

    width, height = SIZES["phone"]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    try:
        phone = context.new_page()
        dialog = paused_prompt(phone, sync_server, fake, notes)
        box = dialog.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        screenshot(phone, "sync-removal-prompt")
        phone.keyboard.press("Escape")
        header = phone.locator("#sync-state")
        assert header.is_visible() and status_of(header) == "paused"
        screenshot(phone, "sync-state-paused")
    finally:
        context.close()


# --- the real engine, against a real server ------------------------------------------------


@pytest.fixture
def real_server(tmp_path_factory):
    from tests.sync.device.test_engine import _server

    yield from _server(tmp_path_factory)


@pytest.fixture
def other_desktop(real_server, tmp_path_factory):
    from tests.sync.device.test_engine import Desktop

    desktop = Desktop(tmp_path_factory.mktemp("other-desktop"), real_server.url)
    yield desktop
    with desktop.app.app_context():
        from webapp.extensions import db

        db.engine.dispose()


@pytest.fixture
def really_connected(sync_server, real_server):
    """The served app connected to the real server through its own API (the worker starts)."""
    app = sync_server[0]
    api = Api(app)
    api.clear()
    body = {"url": real_server.url, "username": "ana", "password": PASSWORD}
    assert api.client.post("/api/sync/device", json=body).status_code == 201
    yield api
    worker.stop(app)
    assert api.client.delete("/api/sync/device").status_code == 204
    assert sync_threads() == []


def test_real_engine_a_large_removal_asks_and_keeping_puts_them_back(
    tab, sync_server, other_desktop, really_connected
):
    made = [other_desktop.create(title=f"Note {i}") for i in range(12)]
    other_desktop.sync()
    header = open_notes(tab, sync_server)
    eventually(lambda: status_of(header) == "synced", timeout=15)  # the sync at connect
    assert really_connected.client.post("/api/sync/device/sync").status_code == 202
    # The pulled notes appear in the open page by themselves (the engine's writes are heard
    # by the live stream like any other).
    eventually(lambda: tab.locator("#grid-others .card").count() == 12, timeout=15)
    eventually(lambda: status_of(header) == "synced", timeout=15)
    screenshot(tab, "sync-real-synced")

    for note in made[:10]:  # trashed on the other computer
        assert other_desktop.client.post(f"/api/notes/{note['id']}/trash").status_code == 200
    other_desktop.sync()
    assert really_connected.client.post("/api/sync/device/sync").status_code == 202
    dialog = tab.locator("#sync-removal-dialog")
    dialog.wait_for(state="visible", timeout=15000)
    assert "would remove 10 of your 12 notes on this computer" in dialog.inner_text()
    assert len(really_connected.notes()) == 12  # nothing applied yet
    screenshot(tab, "sync-real-removal-prompt")
    tab.click("#sync-removal-keep")
    dialog.wait_for(state="hidden")
    eventually(lambda: status_of(header) == "synced", timeout=15)
    assert len(really_connected.notes()) == 12
    other_desktop.sync()
    assert len(other_desktop.notes()) == 12  # put back on the server, and from there here
