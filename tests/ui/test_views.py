"""Moving notes around and finding them: trash, archive, search, infinite scroll."""

import re

from playwright.sync_api import expect

from tests.ui.conftest import eventually, screenshot


def card(page, text):
    return page.locator(".card", has_text=text)


def go(page, view):
    page.evaluate(f"location.hash = '{view}'")


def test_trash_with_undo_then_restore_and_delete_forever(page, api):
    keep = api.note(title="Keep me")
    gone = api.note(title="Lose me")
    page.reload()
    card(page, "Keep me").hover()
    card(page, "Keep me").get_by_label("Delete note").click()
    expect(page.locator("#snackbar")).to_contain_text("Note moved to Trash")
    expect(card(page, "Keep me")).to_have_count(0)
    page.get_by_role("button", name="Undo").click()
    expect(card(page, "Keep me")).to_be_visible()
    assert api.get(keep["id"])["trashed_at"] is None

    for title in ("Keep me", "Lose me"):
        card(page, title).hover()
        card(page, title).get_by_label("Delete note").click()
        expect(card(page, title)).to_have_count(0)
    go(page, "trash")
    expect(page.get_by_text("Notes in Trash are deleted after 7 days.")).to_be_visible()
    expect(page.locator(".card")).to_have_count(2)
    card(page, "Keep me").hover()
    card(page, "Keep me").get_by_label("Restore").click()
    expect(card(page, "Keep me")).to_have_count(0)
    card(page, "Lose me").hover()
    card(page, "Lose me").get_by_label("Delete forever").click()
    expect(page.get_by_text("No notes in Trash")).to_be_visible()
    assert api.client.get(f"/api/notes/{gone['id']}").status_code == 404
    go(page, "")
    expect(card(page, "Keep me")).to_be_visible()


def test_empty_trash_asks_first(page, api):
    for title in ("one", "two"):
        note = api.note(title=title)
        api.client.post(f"/api/notes/{note['id']}/trash")
    api.note(title="stays")
    go(page, "trash")
    expect(page.locator(".card")).to_have_count(2)
    page.get_by_role("button", name="Empty trash").click()
    screenshot(page, "empty-trash-confirm")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator(".card")).to_have_count(2)
    page.get_by_role("button", name="Empty trash").click()
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("No notes in Trash")).to_be_visible()
    assert api.notes("trashed") == []
    assert [note["title"] for note in api.notes()] == ["stays"]


def test_archive_with_undo_and_unarchive(page, api):
    note = api.note(title="Old stuff")
    page.reload()
    card(page, "Old stuff").hover()
    card(page, "Old stuff").get_by_label("Archive").click()
    expect(page.locator("#snackbar")).to_contain_text("Note archived")
    expect(card(page, "Old stuff")).to_have_count(0)
    page.get_by_role("button", name="Undo").click()
    expect(card(page, "Old stuff")).to_be_visible()
    card(page, "Old stuff").hover()
    card(page, "Old stuff").get_by_label("Archive").click()
    expect(card(page, "Old stuff")).to_have_count(0)
    page.get_by_role("link", name="Archive").click()
    expect(card(page, "Old stuff")).to_be_visible()
    card(page, "Old stuff").hover()
    card(page, "Old stuff").get_by_label("Unarchive").click()
    expect(page.get_by_text("Your archived notes appear here")).to_be_visible()
    assert api.get(note["id"])["archived"] is False


def test_make_a_copy_from_the_more_menu(page, api):
    api.note(title="Template", body="copy me")
    page.reload()
    card(page, "Template").hover()
    card(page, "Template").get_by_label("More").click()
    page.get_by_role("menuitem", name="Make a copy").click()
    expect(card(page, "Template")).to_have_count(2)
    assert len(api.notes()) == 2


def test_search_highlights_matches_including_korean(page, api):
    api.note(title="주간회의록", body="회의 안건")
    api.note(title="Weekly MEETING", body="the meeting is on Monday")
    api.note(title="Lunch")
    page.reload()
    page.locator("#search").fill("회의")
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card mark")).to_have_text(["회의", "회의"])
    page.locator("#search").fill("meeting")
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card mark")).to_have_text(["MEETING", "meeting"])
    page.locator("#search").fill("weekly monday")
    expect(page.locator(".card mark")).to_have_text(["Weekly", "Monday"])
    screenshot(page, "search-highlight")
    page.locator("#search").press("Escape")
    expect(page.locator("#search")).to_have_value("")
    expect(page.locator(".card")).to_have_count(3)


def test_search_combines_with_color_and_label_filters(page, api):
    work = api.label("Work")
    api.note(title="report red", color="red", label_ids=[work["id"]])
    api.note(title="report blue", color="blue", label_ids=[work["id"]])
    api.note(title="report red home", color="red")
    page.reload()
    page.locator("#search").fill("report")
    expect(page.locator(".card")).to_have_count(3)
    page.locator("#color-filter").get_by_label("Only Coral").click()
    expect(page.locator(".card")).to_have_count(2)
    go(page, f"label/{work['id']}")
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("report red")
    page.locator("#search").fill("nothing like this")
    expect(page.get_by_text("No matching results")).to_be_visible()


def test_a_search_from_notes_finds_archived_notes_marked_and_not_the_trash(page, api):
    api.note(title="report active")
    api.note(title="report archived", archived=True)
    trashed = api.note(title="report trashed")
    api.client.post(f"/api/notes/{trashed['id']}/trash")
    page.reload()
    expect(page.locator(".card")).to_have_count(1)
    page.locator("#search").fill("report")
    expect(page.locator(".card")).to_have_count(2)
    expect(card(page, "report archived").locator(".card-archived")).to_have_text("archiveArchived")
    expect(card(page, "report active").locator(".card-archived")).to_have_count(0)
    screenshot(page, "search-archived")
    card(page, "report archived").hover()
    card(page, "report archived").get_by_label("Unarchive").click()
    expect(card(page, "report archived").locator(".card-archived")).to_have_count(0)
    page.locator("#search").press("Escape")
    expect(page.locator(".card")).to_have_count(2)  # unarchived: back in Notes
    go(page, "archive")
    expect(page.get_by_text("Your archived notes appear here")).to_be_visible()


def test_list_view_groups_the_card_toolbar_on_the_left(page, api):
    api.note(title="a note", body="in a list")
    page.reload()
    page.keyboard.press("Control+g")
    expect(page.locator("body")).to_have_class(re.compile(r"\blist-view\b"))
    note = card(page, "a note")
    note.hover()
    buttons = note.locator(".card-toolbar .icon-btn")
    first, last = buttons.first.bounding_box(), buttons.last.bounding_box()
    box = note.bounding_box()
    assert last["x"] + last["width"] - first["x"] < box["width"] / 2, (first, last, box)
    screenshot(page, "list-view-toolbar")


def test_infinite_scroll_walks_250_notes_without_duplicates(page, api):
    for i in range(250):
        api.note(title=f"Note {i:03}", pinned=i % 50 == 0)
    page.reload()
    expect(page.locator(".card").nth(29)).to_be_attached()
    assert page.locator(".card").count() < 250  # pages come as you scroll

    def scrolled_all():
        page.mouse.wheel(0, 4000)
        return page.locator(".card").count() == 250

    eventually(scrolled_all, timeout=20)
    titles = page.locator(".card-title").all_inner_texts()
    assert sorted(titles) == [f"Note {i:03}" for i in range(250)]
    assert page.locator("#grid-pinned .card").count() == 5
    expect(page.locator("#loading")).to_be_hidden()


def test_cards_fill_rows_left_to_right(page, api):
    for i in range(4):
        api.note(title=f"Card {i}", body="x\n" * (i + 1))
    page.reload()
    expect(page.locator(".card")).to_have_count(4)
    page.wait_for_timeout(100)
    boxes = [page.locator(".card").nth(i).bounding_box() for i in range(4)]
    # Newest first (Card 3, the tallest, ... Card 0). Three columns at 1280 px beside the
    # menu: the first row fills left to right, the fourth card goes under the shortest column.
    assert boxes[0]["y"] == boxes[1]["y"] == boxes[2]["y"]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
    assert boxes[3]["x"] == boxes[2]["x"] and boxes[3]["y"] > boxes[2]["y"]
