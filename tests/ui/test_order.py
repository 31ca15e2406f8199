"""Your own order, as Keep: drag a card with the mouse or a finger, Shift+J/K, and an edit that
leaves the card where it is."""

from playwright.sync_api import expect

from tests.ui.conftest import SIZES, eventually, screenshot


def titles(page, section="#grid-others"):
    return page.locator(f"{section} .card .card-title").all_inner_texts()


def api_titles(api):
    return [note["title"] for note in api.notes()]


def four(api, page, **fields):
    """d c b a on the page (a new note goes first); d is first."""
    for name in "abcd":
        api.note(title=name, body=f"the note {name}", **fields)
    page.reload()
    page.wait_for_selector("body.ready")
    expect(page.locator("#grid-others .card")).to_have_count(4)
    assert titles(page) == ["d", "c", "b", "a"]


def centre(page, text):
    box = page.locator(".card", has_text=text).first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box


def test_a_card_dragged_with_the_mouse_stays_where_it_was_dropped(page, api):
    four(api, page)
    x, y, _ = centre(page, "the note a")
    _, _, target = centre(page, "the note d")
    page.mouse.move(x, y)
    page.mouse.down()
    # To the upper part of the first card: the dragged card goes before it.
    goal_x, goal_y = target["x"] + target["width"] / 2, target["y"] + 10
    for step in range(1, 21):
        page.mouse.move(x + (goal_x - x) * step / 20, y + (goal_y - y) * step / 20)
        page.wait_for_timeout(30)
    page.wait_for_timeout(120)
    expect(page.locator(".card.card-dragged")).to_have_count(1)  # the card follows the pointer
    eventually(lambda: titles(page) == ["a", "d", "c", "b"])  # the grid makes room already
    screenshot(page, "order-drag-mouse-in-progress")
    page.mouse.up()
    eventually(lambda: api_titles(api) == ["a", "d", "c", "b"])
    expect(page.locator("dialog#editor")).not_to_be_visible()  # a drag is not a click
    screenshot(page, "order-drag-mouse-done")
    page.reload()
    page.wait_for_selector("body.ready")
    assert titles(page) == ["a", "d", "c", "b"]


def test_pinned_and_others_are_dragged_apart(page, api):
    api.note(title="pinned one", pinned=True)
    four(api, page)
    x, y, _ = centre(page, "the note a")
    _, _, target = centre(page, "pinned one")
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(
            x + (target["x"] + 20 - x) * step / 20, y + (target["y"] + 10 - y) * step / 20
        )
        page.wait_for_timeout(20)
    expect(page.locator(".card.card-dragged")).to_have_count(1)  # dragging, over Pinned
    page.mouse.up()
    page.wait_for_timeout(200)
    # It cannot enter Pinned: it stays among the others (at the top, where it passed last).
    assert titles(page, "#grid-pinned") == ["pinned one"]
    assert sorted(titles(page)) == ["a", "b", "c", "d"]
    assert [n["title"] for n in api.notes() if n["pinned"]] == ["pinned one"]
    eventually(lambda: api_titles(api)[1:] == titles(page))


def test_a_card_dragged_with_a_finger_on_a_touch_screen(browser, base_url, api):
    width, height = SIZES["phone"]
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=True,
        locale="en-US",
    )  # fmt: skip
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        for name in "abcd":
            api.note(title=name, body=f"the note {name}")
        page.goto(base_url + "/")
        page.wait_for_selector("body.ready")
        expect(page.locator("#grid-others .card")).to_have_count(4)
        assert titles(page) == ["d", "c", "b", "a"]
        cdp = context.new_cdp_session(page)
        x, y, _ = centre(page, "the note a")
        _, _, target = centre(page, "the note d")

        def touch(kind, px, py):
            points = [] if kind == "touchEnd" else [{"x": px, "y": py, "id": 1}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch("touchStart", x, y)
        page.wait_for_timeout(400)  # held: a drag, not a swipe that scrolls
        goal_x, goal_y = target["x"] + target["width"] / 2, target["y"] + 10
        for step in range(1, 26):
            touch("touchMove", x + (goal_x - x) * step / 25, y + (goal_y - y) * step / 25)
            page.wait_for_timeout(30)
        page.wait_for_timeout(150)
        screenshot(page, "order-drag-touch-in-progress")
        touch("touchEnd", goal_x, goal_y)
        eventually(lambda: api_titles(api) == ["a", "d", "c", "b"])
        screenshot(page, "order-drag-touch-done")
        assert titles(page) == ["a", "d", "c", "b"]
        assert errors == []
    finally:
        context.close()


def test_shift_j_and_shift_k_move_the_focused_note_and_keep_focus(page, api):
    four(api, page)
    page.locator(".card", has_text="the note d").focus()
    page.keyboard.press("Shift+J")
    assert titles(page) == ["c", "d", "b", "a"]
    page.keyboard.press("Shift+J")
    assert titles(page) == ["c", "b", "d", "a"]
    focused = page.evaluate("document.activeElement.querySelector('.card-title')?.textContent")
    assert focused == "d"
    eventually(lambda: api_titles(api) == ["c", "b", "d", "a"])
    page.keyboard.press("Shift+K")
    eventually(lambda: api_titles(api) == ["c", "d", "b", "a"])
    assert titles(page) == ["c", "d", "b", "a"]
    page.keyboard.press("Shift+K")
    page.keyboard.press("Shift+K")  # already first: stays
    eventually(lambda: api_titles(api) == ["d", "c", "b", "a"])
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_contain_text("Move the note down / up")


def test_editing_a_note_leaves_its_card_where_it_is(page, api):
    four(api, page)
    page.locator(".card", has_text="the note b").click()
    editor = page.locator("dialog#editor")
    expect(editor).to_be_visible()
    editor.locator(".nf-body").press("End")
    editor.locator(".nf-body").type(" and more")
    page.keyboard.press("Escape")
    eventually(lambda: "more" in api.notes()[2]["body"])
    assert titles(page) == ["d", "c", "b", "a"]
    page.reload()
    page.wait_for_selector("body.ready")
    assert titles(page) == ["d", "c", "b", "a"]


def test_sorted_by_last_edit_an_edit_comes_first_and_cards_do_not_drag(page, api, base_url):
    page.goto(base_url + "/settings")
    page.get_by_label("Sort by last edited").check()
    expect(page.locator("#order-status")).to_have_text("Saved.")
    screenshot(page, "order-setting")
    assert api.settings()["order"] == "edited"
    page.goto(base_url + "/")
    page.wait_for_selector("body.ready")
    four(api, page)
    api.patch(api.notes()[2]["id"], body="edited")  # b
    page.reload()
    page.wait_for_selector("body.ready")
    assert titles(page) == ["b", "d", "c", "a"]
    page.locator(".card", has_text="the note d").focus()
    page.keyboard.press("Shift+J")
    assert titles(page) == ["b", "d", "c", "a"]


def test_a_plain_click_leaves_the_card_in_its_place_in_the_grid(page, api):
    """Sortable clears a pressed card's transform on release: the grid lays it out again."""
    four(api, page)
    page.locator(".card", has_text="the note c").locator(".card-check").click()
    page.locator(".card", has_text="the note b").click()  # selecting: toggles, opens nothing
    page.wait_for_timeout(100)
    boxes = [card.bounding_box() for card in page.locator("#grid-others .card").all()]
    for i, one in enumerate(boxes):  # no card left on another at the grid's corner
        for other in boxes[i + 1 :]:
            apart_x = (
                one["x"] + one["width"] <= other["x"] or other["x"] + other["width"] <= one["x"]
            )
            apart_y = (
                one["y"] + one["height"] <= other["y"] or other["y"] + other["height"] <= one["y"]
            )
            assert apart_x or apart_y, boxes
