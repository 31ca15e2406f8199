"""Keep's multi-select: check marks, Shift-click ranges, `x` and Esc, and the selection toolbar."""

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import eventually, screenshot


def card(page, title):
    return page.locator(".card", has_text=title)


def check(page, title, **kwargs):
    target = card(page, title)
    target.hover()
    target.locator(".card-check").click(**kwargs)


@pytest.fixture
def five(page, api):
    notes = [api.note(title=f"note {i}") for i in range(5)]  # shown newest first: 4 .. 0
    page.reload()
    page.wait_for_selector("body.ready")
    expect(page.locator(".card")).to_have_count(5)
    return notes


def selected_titles(page):
    return page.locator(".card.selected .card-title").all_inner_texts()


def test_the_check_mark_selects_and_then_a_click_on_a_card_toggles_it(page, five):
    check(page, "note 4")
    expect(page.locator("#selection-count")).to_have_text("1 selected")
    expect(page.locator("#selection-bar")).to_be_visible()
    card(page, "note 2").click()  # selects instead of opening the note
    expect(page.locator("dialog#editor")).to_be_hidden()
    assert selected_titles(page) == ["note 4", "note 2"]
    card(page, "note 4").click()
    assert selected_titles(page) == ["note 2"]
    page.locator("#selection-close").click()
    expect(page.locator("#selection-bar")).to_be_hidden()
    expect(page.locator(".card.selected")).to_have_count(0)


def test_shift_click_selects_the_range_in_the_order_shown(page, five):
    check(page, "note 4")
    card(page, "note 1").click(modifiers=["Shift"])
    assert selected_titles(page) == ["note 4", "note 3", "note 2", "note 1"]
    expect(page.locator("#selection-count")).to_have_text("4 selected")


def test_x_toggles_the_focused_card_and_escape_clears(page, five):
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert selected_titles(page) == ["note 4", "note 2"]
    page.keyboard.press("x")
    assert selected_titles(page) == ["note 4"]
    page.keyboard.press("Escape")
    expect(page.locator("#selection-bar")).to_be_hidden()
    expect(page.locator(".card.selected")).to_have_count(0)


def test_bulk_archive_is_one_call_and_undo_brings_them_back(page, api, five):
    calls = []
    page.on("request", lambda r: calls.append(r.url) if "/api/notes/bulk" in r.url else None)
    check(page, "note 3")
    card(page, "note 0").click(modifiers=["Shift"])
    page.locator("#sel-archive").click()
    expect(page.locator("#snackbar-text")).to_have_text("4 notes archived")
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator("#selection-bar")).to_be_hidden()
    assert len(calls) == 1
    assert len(api.notes("archived")) == 4
    page.locator("#snackbar-action").click()
    expect(page.locator(".card")).to_have_count(5)
    assert api.notes("archived") == [] and len(calls) == 2


def test_trash_restore_and_delete_forever_in_the_trash(page, api, five):
    check(page, "note 4")
    card(page, "note 2").click(modifiers=["Shift"])
    page.locator("#sel-trash").click()
    expect(page.locator("#snackbar-text")).to_have_text("3 notes moved to Trash")
    expect(page.locator(".card")).to_have_count(2)
    page.goto(page.url.split("#")[0] + "#trash")
    expect(page.locator(".card")).to_have_count(3)
    check(page, "note 4")
    expect(page.locator("#sel-archive")).to_be_hidden()
    page.locator("#sel-restore").click()
    expect(page.locator("#snackbar-text")).to_have_text("Note restored")
    expect(page.locator(".card")).to_have_count(2)
    check(page, "note 3")
    card(page, "note 2").click()
    screenshot(page, "selection-trash")
    page.locator("#sel-delete").click()
    expect(page.locator("#confirm-text")).to_have_text("Delete 2 notes forever?")
    page.locator("#confirm-ok").click()
    expect(page.locator("#snackbar-text")).to_have_text("2 notes deleted forever")
    expect(page.locator(".card")).to_have_count(0)
    assert api.notes("trashed") == []
    assert sorted(n["title"] for n in api.notes()) == ["note 0", "note 1", "note 4"]


def test_color_and_label_for_the_selection_with_undo(page, api, five):
    api.label("errands")
    page.reload()
    page.wait_for_selector("body.ready")
    api.patch(five[4]["id"], color="red")
    check(page, "note 1")
    card(page, "note 0").click()
    page.locator("#sel-color").click()
    page.locator('.palette [data-color="teal"]').click()
    eventually(lambda: [api.get(n["id"])["color"] for n in five[:2]] == ["teal", "teal"])
    expect(card(page, "note 1")).to_have_class(__import__("re").compile("color-teal"))
    page.locator("#sel-labels").click()
    page.locator(".label-picker .picker-row", has_text="errands").locator("input").check()
    eventually(lambda: all(api.get(n["id"])["labels"] for n in five[:2]))
    expect(card(page, "note 0").locator(".chip")).to_have_text("errands")
    page.locator("#snackbar-action").click()  # undo the label
    eventually(lambda: not any(api.get(n["id"])["labels"] for n in five[:2]))
    assert [api.get(n["id"])["color"] for n in five[:2]] == ["teal", "teal"]


def test_pin_and_make_a_copy_from_the_toolbar(page, api, five):
    check(page, "note 0")
    page.locator("#sel-pin").click()
    expect(page.locator("#grid-pinned .card")).to_have_count(1)
    page.locator("#sel-more").click()
    page.get_by_role("menuitem", name="Make a copy").click()
    expect(page.locator("#snackbar-text")).to_have_text("Note copied")
    expect(page.locator(".card", has_text="note 0")).to_have_count(2)
    assert len(api.notes()) == 6


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", [(1280, 800), (375, 740)])
def test_selection_toolbar_screens(page, api, five, theme, size):
    api.client.patch("/api/settings", json={"theme": theme})
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.reload()
    page.wait_for_selector("body.ready")
    check(page, "note 4")
    card(page, "note 2").click(modifiers=["Shift"])
    card(page, "note 0").hover()
    bar = page.locator("#selection-bar")
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box["width"] <= size[0]
    for button in bar.locator("button:visible").all():  # nothing spills off a phone's screen
        assert button.bounding_box()["x"] + button.bounding_box()["width"] <= size[0] + 1
    screenshot(page, f"selection-{theme}")
    api.client.patch("/api/settings", json={"theme": "system"})


def test_list_view_selects_too(page, api, five):
    page.keyboard.press("Control+g")
    check(page, "note 4")
    card(page, "note 3").click(modifiers=["Shift"])
    assert selected_titles(page) == ["note 4", "note 3"]
    screenshot(page, "selection-list")


def test_a_long_press_selects_on_a_touch_screen(browser, base_url, api):
    api.note(title="touched")
    context = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(base_url + "/")
        page.wait_for_selector("body.ready")
        card(page, "touched").dispatch_event("contextmenu")  # what a long press fires
        expect(page.locator("#selection-count")).to_have_text("1 selected")
        card(page, "touched").tap()  # a tap now unselects instead of opening
        expect(page.locator("#selection-bar")).to_be_hidden()
        expect(page.locator("dialog#editor")).to_be_hidden()
    finally:
        context.close()
