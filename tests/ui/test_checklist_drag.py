"""Reordering checklist items: by their handle with a mouse or a finger (SortableJS), by keys."""

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import eventually, screenshot

ITEMS = [{"text": "tent"}, {"text": "stove"}, {"text": "map"}]


def saved_texts(api, note_id):
    return [item["text"] for item in api.get(note_id)["items"]]


def open_items(form):
    return form.locator(".nf-list:not(.nf-checked) .nf-item")


def texts(form):
    rows = form.locator(".nf-list:not(.nf-checked) .nf-item:not(.sortable-drag) .nf-item-text")
    return [rows.nth(i).input_value() for i in range(rows.count())]


def open_editor(page, title):
    page.locator(".card", has_text=title).click()
    editor = page.locator("dialog#editor")
    expect(editor).to_be_visible()
    return editor


def center(locator):
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_an_item_dragged_with_the_mouse_is_lifted_and_its_new_place_autosaved(page, api):
    note = api.note(title="Trip", kind="checklist", items=ITEMS, color="yellow")
    page.reload()
    editor = open_editor(page, "Trip")
    items = open_items(editor)
    items.nth(2).hover()
    x, y = center(items.nth(2).locator(".nf-drag"))
    page.mouse.move(x, y)
    page.mouse.down()
    top = items.nth(0).bounding_box()
    page.mouse.move(x, top["y"] + 4, steps=10)
    # mid-drag (SortableJS moves the placeholder on a 50 ms tick: let go once it is there): the item follows the pointer, its place in the list shows where it lands
    lifted = editor.locator(".nf-item.sortable-drag")
    expect(lifted).to_be_visible()
    expect(lifted).to_have_css("background-color", "rgb(255, 248, 184)")  # the note's yellow
    expect(editor.locator(".nf-item.sortable-ghost .nf-item-text")).to_have_value("map")
    eventually(lambda: texts(editor) == ["map", "tent", "stove"])
    screenshot(page, "checklist-drag-mouse")
    page.mouse.up()
    expect(editor.locator(".sortable-drag")).to_have_count(0)
    assert texts(editor) == ["map", "tent", "stove"]
    eventually(lambda: saved_texts(api, note["id"]) == ["map", "tent", "stove"])
    # a drag is one step of the note's undo history
    editor.locator(".nf-title").click()
    page.keyboard.press("Control+z")
    assert texts(editor) == ["tent", "stove", "map"]
    eventually(lambda: saved_texts(api, note["id"]) == ["tent", "stove", "map"])


def test_items_dragged_in_the_composer_are_saved_in_that_order(page, api):
    page.get_by_role("button", name="New list").click()
    composer = page.locator("#composer")
    page.get_by_label("New list item").fill("milk")
    for text in ("bread", "eggs"):
        page.keyboard.press("Enter")
        page.keyboard.type(text)
    items = open_items(composer)
    expect(items).to_have_count(3)
    items.nth(0).hover()
    x, y = center(items.nth(0).locator(".nf-drag"))
    page.mouse.move(x, y)
    page.mouse.down()
    bottom = items.nth(2).bounding_box()
    page.mouse.move(x, bottom["y"] + bottom["height"] - 4, steps=10)
    eventually(lambda: texts(composer) == ["bread", "eggs", "milk"])
    page.mouse.up()
    assert texts(composer) == ["bread", "eggs", "milk"]
    page.mouse.click(1200, 700)  # outside: the composer saves and closes
    expect(page.locator(".card", has_text="milk")).to_be_visible()
    [note] = api.notes()
    assert [item["text"] for item in note["items"]] == ["bread", "eggs", "milk"]


@pytest.fixture
def phone(browser, base_url, api):
    """A touch-screen phone: touch events only, no hover, no mouse."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, locale="en-US"
    )
    context.set_default_timeout(5000)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base_url + "/")
    page.wait_for_selector("body.ready")
    yield page
    context.close()
    assert problems == []


class Finger:
    """One finger on the screen, through the DevTools protocol (Playwright's tap cannot drag)."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.at = (0, 0)

    def touch(self, kind, x, y):
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
        self.at = (x, y)

    def down(self, x, y, hold_ms=400):
        self.touch("touchStart", x, y)
        self.page.wait_for_timeout(hold_ms)  # a press, held: SortableJS waits this out on touch

    def move(self, x, y, steps=12):
        x0, y0 = self.at
        for step in range(1, steps + 1):
            self.touch("touchMove", x0 + (x - x0) * step / steps, y0 + (y - y0) * step / steps)
            self.page.wait_for_timeout(16)

    def up(self):
        self.touch("touchEnd", *self.at)


def test_an_item_dragged_by_a_finger_on_a_touch_screen_is_saved_in_its_new_place(phone, api):
    note = api.note(title="Trip", kind="checklist", items=ITEMS)
    phone.reload()
    phone.wait_for_selector("body.ready")
    phone.locator(".card", has_text="Trip").tap()
    editor = phone.locator("dialog#editor")
    expect(editor).to_be_visible()
    items = open_items(editor)
    handle = items.nth(2).locator(".nf-drag")
    expect(handle).to_be_visible()  # no hover on a phone: the handle is always shown
    finger = Finger(phone)
    finger.down(*center(handle))
    top = items.nth(0).bounding_box()
    finger.move(center(handle)[0], top["y"] + 4)
    expect(editor.locator(".nf-item.sortable-drag")).to_be_visible()
    eventually(lambda: texts(editor) == ["map", "tent", "stove"])
    screenshot(phone, "checklist-drag-touch")
    finger.up()
    expect(editor.locator(".sortable-drag")).to_have_count(0)
    assert texts(editor) == ["map", "tent", "stove"]
    eventually(lambda: saved_texts(api, note["id"]) == ["map", "tent", "stove"])


def test_a_quick_swipe_over_the_handles_scrolls_instead_of_dragging(phone, api):
    items = [{"text": f"item {n}"} for n in range(40)]
    note = api.note(title="Long", kind="checklist", items=items)
    phone.reload()
    phone.wait_for_selector("body.ready")
    phone.locator(".card", has_text="Long").tap()
    editor = phone.locator("dialog#editor")
    expect(editor).to_be_visible()
    handle = open_items(editor).nth(10).locator(".nf-drag")
    x, y = center(handle)
    finger = Finger(phone)
    finger.touch("touchStart", x, y)  # no hold: a swipe
    finger.move(x, y - 300)
    finger.up()
    expect(editor.locator(".sortable-drag")).to_have_count(0)
    assert editor.locator(".editor-card").evaluate("e => e.scrollTop") > 0
    assert saved_texts(api, note["id"]) == [item["text"] for item in items]


def test_alt_arrows_move_the_focused_item_and_the_order_is_autosaved(page, api):
    note = api.note(title="Trip", kind="checklist", items=ITEMS)
    page.reload()
    editor = open_editor(page, "Trip")
    editor.locator(".nf-item-text").nth(2).click()
    page.keyboard.press("Alt+ArrowUp")
    page.keyboard.press("Alt+ArrowUp")
    assert texts(editor) == ["map", "tent", "stove"]
    expect(editor.locator(".nf-item-text").nth(0)).to_be_focused()  # the focus moves with it
    eventually(lambda: saved_texts(api, note["id"]) == ["map", "tent", "stove"])
    page.keyboard.press("Alt+ArrowDown")
    assert texts(editor) == ["tent", "map", "stove"]
    eventually(lambda: saved_texts(api, note["id"]) == ["tent", "map", "stove"])
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.locator("dl")).to_contain_text("Alt+↑ / ↓Move a list item")
