"""Screenshots of every view at desktop and phone sizes, to look at (test-artifacts/)."""

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import SIZES, screenshot


def seed(api):
    work = api.label("Work")
    api.label("Ideas")
    api.note(
        title="Groceries",
        kind="checklist",
        items=[{"text": "Milk"}, {"text": "Bread"}, {"text": "Eggs", "checked": True}],
        color="green",
    )
    api.note(
        title="Meeting notes",
        body="Discuss the roadmap\nShip the Keep-style UI\nLunch at noon",
        label_ids=[work["id"]],
        color="yellow",
    )
    api.note(title="주간회의록", body="다음 주 회의는 화요일입니다.", color="blue")
    api.note(
        title="",
        body="A note without a title, just a thought that goes on for a little while "
        "so the card wraps over a few lines.",
    )
    api.note(title="Pinned idea", body="Pinned notes sit on top.", pinned=True, color="purple")
    api.note(
        title="Books to read",
        kind="checklist",
        items=[{"text": "Dune"}, {"text": "Snow Crash"}],
        pinned=True,
    )
    for color in ["red", "orange", "teal", "darkblue", "pink", "brown", "gray"]:
        api.note(title=f"A {color} note", body=f"This one is {color}.", color=color)


def close_editor(page):
    """Esc, and wait until the note's URL (#note/<id>) is gone: a reload before that opens the
    note again (it did under load, and the search behind it never ran)."""
    page.keyboard.press("Escape")
    page.wait_for_function("!location.hash.startsWith('#note/')")
    page.wait_for_selector("dialog#editor:not([open])", state="attached")


@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_each_view(page, api, size):
    seed(api)
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    page.reload()
    page.wait_for_selector(".card")
    screenshot(page, "notes")
    page.get_by_role("button", name="Take a note…").click()
    page.get_by_label("Title", exact=True).first.fill("Draft")
    screenshot(page, "composer")
    page.keyboard.press("Escape")
    page.locator(".card", has_text="Groceries").click()
    page.wait_for_selector("dialog#editor[open]")
    screenshot(page, "editor")
    close_editor(page)
    api.client.patch("/api/settings", json={"theme": "dark"})
    page.reload()
    page.wait_for_selector(".card")
    screenshot(page, "dark")
    page.locator(".card", has_text="Groceries").click()
    screenshot(page, "dark-editor")
    close_editor(page)
    api.client.patch("/api/settings", json={"theme": "system"})
    page.reload()
    page.wait_for_selector(".card")
    page.keyboard.press("Control+g")
    screenshot(page, "list")
    page.keyboard.press("Control+g")
    page.locator("#search").fill("note")
    page.wait_for_selector("mark")
    screenshot(page, "search")
    page.keyboard.press("Escape")
    page.goto(page.url.split("#")[0] + "#trash")
    screenshot(page, "trash-empty")
    page.keyboard.press("?")
    screenshot(page, "help")
    page.keyboard.press("Escape")
    page.goto(page.url.split("#")[0] + "#")
    page.get_by_role("button", name="Edit labels").click() if size == "desktop" else None
    if size == "desktop":
        screenshot(page, "labels")


def background(page, selector="body"):
    return page.eval_on_selector(selector, "el => getComputedStyle(el).backgroundColor")


def settings_saved(response) -> bool:
    return response.url.endswith("/api/settings") and response.request.method == "PATCH"


def test_dark_theme_follows_the_system_and_can_be_switched(browser, base_url, api):
    api.note(title="Dark", color="blue")
    context = browser.new_context(color_scheme="dark", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(base_url + "/")
        page.wait_for_selector(".card")
        assert background(page) == "rgb(32, 33, 36)"
        assert background(page, ".card") == "rgb(37, 99, 119)"
        # The page shows the choice at once and saves it in the background: reloaded only
        # once the server has it (a reload during the save would draw the old one).
        with page.expect_response(settings_saved):
            page.get_by_role("button", name="Use light theme").click()
        assert background(page) == "rgb(255, 255, 255)"
        page.reload()
        page.wait_for_selector(".card")
        assert background(page) == "rgb(255, 255, 255)"  # the choice is remembered
        page.get_by_role("button", name="Use dark theme").click()
        assert background(page) == "rgb(32, 33, 36)"
    finally:
        context.close()


def test_the_360px_layout_fits_and_the_menu_folds_away(page, api):
    seed(api)
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    page.wait_for_selector(".card")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.get_by_role("link", name="Archive")).not_to_be_visible()
    boxes = [page.locator("#grid-others .card").nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"]
    assert boxes[1]["x"] + boxes[1]["width"] <= 360
    screenshot(page, "narrow")
    page.get_by_role("button", name="Main menu").click()
    expect(page.get_by_role("link", name="Archive")).to_be_visible()
    screenshot(page, "narrow-menu")
    page.get_by_role("link", name="Archive").click()
    expect(page.get_by_role("link", name="Archive")).not_to_be_visible()
    expect(page.get_by_text("Your archived notes appear here")).to_be_visible()
