"""The desktop's snapshot of the Notes view: saved by the page, shown stale and inert by the
next launch's shell (simulated here: the index served with the marker replaced, as
desktop/thin.py does), then replaced by the live grid."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import eventually, screenshot
from tests.ui.test_images import upload
from webapp.snapshot import files

STALE_MS = 2500  # the debounce (2 s) and the request


class WindowDialogs:
    native = True

    def ask_save_path(self, suggested_name, file_types=()):
        return None


@pytest.fixture
def desktop(server):
    """The session's app as the desktop window's (data-desktop), its snapshot file removed."""
    app = server[0]
    before = app.extensions["kaap.dialogs"]
    app.extensions["kaap.dialogs"] = WindowDialogs()
    files.path(app.config["DATA_DIR"]).unlink(missing_ok=True)
    yield app
    app.extensions["kaap.dialogs"] = before
    files.path(app.config["DATA_DIR"]).unlink(missing_ok=True)


def some_notes(api):
    api.note(title="Pinned plan", body="Call the plumber", pinned=True, color="yellow")
    api.note(title="Groceries", kind="checklist", items=[{"text": "Milk"}, {"text": "Eggs"}])
    photo = api.note(title="Holiday", color="teal")
    upload(api, photo["id"], (251, 140, 0))
    api.note(
        title="Quote",
        body="Simplicity is prerequisite for reliability.",
        color="blue",
        reminder={"at": "2099-06-01T08:00:00+00:00", "zone": "UTC"},
    )
    api.note(title="Ideas", body="A link https://example.com/ and more\n" * 3, color="red")
    label = api.label("home")
    api.note(title="Labelled", label_ids=[label["id"]])


def saved(app):
    return eventually(lambda: files.read(app.config["DATA_DIR"]), timeout=8)


class HeldApi:
    """The page's API calls held back (the app still being built) until ``release()``."""

    def __init__(self, page):
        self.held, self.open = [], False
        page.route("**/api/**", self._hold)

    def _hold(self, route):
        if self.open:
            route.continue_()
        else:
            self.held.append(route)

    def release(self):
        self.open = True
        for route in self.held:
            route.continue_()


def with_snapshot(page, base_url, html):
    """Serve ``/`` with the snapshot inlined where the marker is, as the thin path will."""

    def inline(route):
        response = route.fetch()
        body = response.text()
        assert files.MARKER in body
        route.fulfill(response=response, body=body.replace(files.MARKER, html))

    page.route(base_url + "/", inline)


def card_boxes(page, selector):
    boxes = {}
    for card in page.locator(selector).all():
        title = card.locator(".card-title").first.text_content()
        boxes[title] = card.bounding_box()
    return boxes


def test_the_desktop_page_saves_its_notes_view(desktop, tab, base_url, api):
    some_notes(api)
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    html = saved(desktop)
    assert html.count('<article class="card') == 6
    assert (
        '<section class="snapshot-section snapshot-pinned"><h2 class="section-title">Pinned' in html
    )
    assert '<article class="card color-yellow">' in html
    assert '<span class="snapshot-box"></span>' in html  # the checklist's boxes
    assert '<img width="320" height="200">' in html  # a placeholder: the thumbnail is not kept
    assert '<a class="chip" href="#label/' in html
    assert '<span class="icon-btn chip-remove">' in html  # hidden, as on the live chip
    assert '<a class="note-link">https://example.com/</a>' in html  # not a link any more
    for gone in ("<button", "<input", "src=", "style=", "tabindex", "data-id"):
        assert gone not in html


def test_a_change_is_saved_after_a_pause_and_other_views_are_not(desktop, tab, base_url, api):
    api.note(title="First")
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    assert "First" in saved(desktop)
    api.note(title="Second")  # another window's change, drawn live here
    eventually(lambda: "Second" in files.read(desktop.config["DATA_DIR"]), timeout=8)
    archived = api.note(title="Put away")
    api.patch(archived["id"], archived=True)
    tab.goto(base_url + "/#archive")
    expect(tab.locator(".card", has_text="Put away")).to_be_visible()
    tab.wait_for_timeout(STALE_MS + 500)
    assert "Put away" not in files.read(desktop.config["DATA_DIR"])


def test_a_browser_page_sends_no_snapshot(tab, base_url, api, server):
    sent = []
    tab.on("request", lambda r: sent.append(r.url) if "/api/desktop/" in r.url else None)
    api.note(title="In a browser")
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    tab.wait_for_timeout(STALE_MS)
    tab.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    assert sent == []
    assert files.read(server[0].config["DATA_DIR"]) == ""


def test_the_snapshot_shows_stale_and_inert_then_the_live_grid_takes_its_place(
    desktop, tab, base_url, api
):
    some_notes(api)
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    html = saved(desktop)
    live_boxes = card_boxes(tab, "#grid-pinned .card, #grid-others .card")
    screenshot(tab, "snapshot-live-before")

    fresh = tab.context.new_page()
    errors = []
    fresh.on("pageerror", lambda error: errors.append(str(error)))
    with_snapshot(fresh, base_url, html)
    held = HeldApi(fresh)
    fresh.goto(base_url + "/")
    snapshot = fresh.locator("#snapshot")
    expect(snapshot).to_be_visible()
    expect(snapshot.locator(".card")).to_have_count(6)
    assert snapshot.get_attribute("inert") is not None
    assert float(snapshot.evaluate("e => getComputedStyle(e).opacity")) < 0.8
    expect(fresh.locator("#empty")).to_be_hidden()
    assert fresh.evaluate("performance.getEntriesByName('kaap:snapshot').length") == 1
    screenshot(fresh, "snapshot-stale")
    # the snapshot's cards stand where the live ones stood
    stale_boxes = card_boxes(fresh, "#snapshot .card")
    for title, box in live_boxes.items():
        assert abs(stale_boxes[title]["x"] - box["x"]) <= 2, title
        assert abs(stale_boxes[title]["y"] - box["y"]) <= 2, title
        assert abs(stale_boxes[title]["height"] - box["height"]) <= 2, title

    # clicks and keys on the stale cards are ignored: no editor, no error
    fresh.mouse.click(live_boxes["Groceries"]["x"] + 40, live_boxes["Groceries"]["y"] + 20)
    fresh.keyboard.press("j")
    fresh.keyboard.press("Enter")
    expect(fresh.locator("#editor")).not_to_have_attribute("open", "")

    held.release()
    fresh.wait_for_selector("body.ready")
    expect(fresh.locator("#snapshot .card")).to_have_count(0)
    expect(snapshot).to_be_hidden()
    new_boxes = card_boxes(fresh, "#grid-pinned .card, #grid-others .card")
    for title, box in live_boxes.items():
        assert abs(new_boxes[title]["y"] - box["y"]) <= 2, title
    screenshot(fresh, "snapshot-replaced")
    fresh.locator(".card", has_text="Groceries").click()
    expect(fresh.locator("#editor")).to_have_attribute("open", "")
    assert errors == []
    fresh.close()


@pytest.mark.parametrize("start", ["#archive", "#trash", "#label/1", "#reminders", "#note/1"])
def test_the_snapshot_stays_hidden_when_the_page_opens_on_another_view(
    desktop, tab, base_url, api, start
):
    api.note(title="On Notes")
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    html = saved(desktop)
    fresh = tab.context.new_page()
    with_snapshot(fresh, base_url, html)
    held = HeldApi(fresh)
    fresh.goto(base_url + "/" + start)
    fresh.wait_for_load_state("load")
    assert fresh.locator("#snapshot .card").count() == 1  # inlined, but not shown
    expect(fresh.locator("#snapshot")).to_be_hidden()
    assert fresh.evaluate("performance.getEntriesByName('kaap:snapshot').length") == 0
    held.release()
    fresh.close()


def test_the_snapshot_follows_the_list_view(desktop, tab, base_url, api):
    some_notes(api)
    api.client.patch("/api/settings", json={"layout": "list"})
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    html = saved(desktop)
    live_boxes = card_boxes(tab, "#grid-pinned .card, #grid-others .card")
    fresh = tab.context.new_page()
    with_snapshot(fresh, base_url, html)
    held = HeldApi(fresh)
    fresh.goto(base_url + "/")
    expect(fresh.locator("#snapshot .card")).to_have_count(6)
    stale_boxes = card_boxes(fresh, "#snapshot .card")
    for title, box in live_boxes.items():
        assert abs(stale_boxes[title]["x"] - box["x"]) <= 2, title
        assert abs(stale_boxes[title]["width"] - box["width"]) <= 2, title
        assert abs(stale_boxes[title]["y"] - box["y"]) <= 2, title
    screenshot(fresh, "snapshot-stale-list")
    held.release()
    fresh.wait_for_selector("body.ready")
    fresh.close()
