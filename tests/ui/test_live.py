"""Live windows: two pages of the same app update each other as notes change."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import eventually, screenshot

WITHIN = 1000  # ms: "within a second" of the other page's save


def live(page):
    page.wait_for_selector("body.ready")
    page.wait_for_selector("body[data-live=on]")
    return page


@pytest.fixture
def other(context, base_url, page):
    """A second page of the same app (another tab or window), connected."""
    second = context.new_page()
    second.goto(base_url + "/")
    live(page)
    return live(second)


def open_editor(page, text):
    page.locator(".card", has_text=text).click()
    editor = page.locator("dialog#editor")
    expect(editor).to_be_visible()
    return editor


def test_an_edit_in_one_page_shows_in_the_others_card_within_a_second(page, other, api):
    api.note(title="Groceries", body="milk")
    # The note was made elsewhere too (by the API): both pages show its card unasked.
    expect(page.locator(".card", has_text="Groceries")).to_be_visible(timeout=WITHIN * 2)
    expect(other.locator(".card", has_text="Groceries")).to_be_visible(timeout=WITHIN * 2)
    editor = open_editor(other, "Groceries")
    with other.expect_response(lambda r: r.request.method == "PATCH") as saved:
        editor.locator(".nf-body").fill("milk, eggs and bread")
    assert saved.value.ok
    started = time.monotonic()
    expect(page.locator(".card", has_text="Groceries")).to_contain_text(
        "eggs and bread", timeout=WITHIN
    )
    assert time.monotonic() - started < WITHIN / 1000
    screenshot(page, "live-card-updated")


def test_a_note_trashed_in_one_page_leaves_the_others_notes_view(page, other, api):
    api.note(title="Old list")
    expect(page.locator(".card", has_text="Old list")).to_be_visible(timeout=WITHIN * 2)
    card = other.locator(".card", has_text="Old list")
    card.hover()
    card.get_by_role("button", name="Delete note").click()
    expect(page.locator(".card", has_text="Old list")).to_have_count(0, timeout=WITHIN)
    page.goto(page.url.split("#")[0] + "#trash")
    expect(page.locator(".card", has_text="Old list")).to_be_visible()


def test_an_open_editor_without_unsaved_text_takes_the_change_in_place(page, other, api):
    note = api.note(title="Plan", body="draft one")
    editor = open_editor(page, "Plan")
    other_editor = open_editor(other, "Plan")
    other_editor.locator(".nf-body").fill("draft two, from the other window")
    expect(editor.locator(".nf-body")).to_have_value(
        "draft two, from the other window", timeout=WITHIN * 2
    )
    expect(editor.get_by_role("alert")).to_be_hidden()
    # and typing on goes on from the new version, without a conflict
    editor.locator(".nf-body").press("End")
    editor.locator(".nf-body").press_sequentially(" and mine")
    eventually(lambda: api.get(note["id"])["body"] == "draft two, from the other window and mine")
    expect(editor.get_by_role("alert")).to_be_hidden()


def unsaved(page):
    """The page's saves do not get through (its text stays unsaved, kept as a draft)."""
    page.route(
        "**/api/notes/*",
        lambda route: route.abort() if route.request.method == "PATCH" else route.continue_(),
    )


def conflict_between(page, other, api, body="my words"):
    note = api.note(title="Shared list", body="original")
    editor = open_editor(page, "Shared list")
    unsaved(page)
    editor.locator(".nf-body").fill(body)
    expect(editor.locator(".offline")).to_be_visible()  # the save failed: the text is unsaved
    other_editor = open_editor(other, "Shared list")
    other_editor.locator(".nf-title").fill("Shared list (theirs)")
    other_editor.locator(".nf-body").fill("their words")
    banner = editor.locator("#editor-conflict")
    expect(banner).to_contain_text("This note changed in another window", timeout=WITHIN * 3)
    expect(banner.locator(".conflict-theirs")).to_contain_text("their words")
    expect(banner.locator(".conflict-theirs")).to_contain_text("Shared list (theirs)")
    expect(editor.locator(".nf-body")).to_have_value(body)
    page.unroute("**/api/notes/*")
    return note, editor


def test_unsaved_text_meets_the_other_version_in_the_banner_and_keep_mine_wins(page, other, api):
    note, editor = conflict_between(page, other, api)
    screenshot(page, "live-conflict")
    assert api.get(note["id"])["body"] == "their words"
    editor.get_by_role("button", name="Keep mine").click()
    eventually(lambda: api.get(note["id"])["body"] == "my words")
    expect(editor.locator("#editor-conflict")).to_be_hidden()
    # the other page hears of it in turn: its open editor takes my version in place
    expect(other.locator("dialog#editor .nf-body")).to_have_value("my words", timeout=WITHIN * 2)


def test_unsaved_text_meets_the_other_version_and_use_theirs_takes_it(page, other, api):
    note, editor = conflict_between(page, other, api)
    editor.get_by_role("button", name="Use theirs").click()
    expect(editor.locator(".nf-body")).to_have_value("their words")
    expect(editor.locator(".nf-title")).to_have_value("Shared list (theirs)")
    expect(editor.locator("#editor-conflict")).to_be_hidden()
    page.keyboard.press("Escape")
    assert api.get(note["id"])["body"] == "their words"
    assert "my words" not in (page.evaluate("localStorage.getItem('kaap.drafts')") or "")


def test_labels_made_and_renamed_elsewhere_show_in_the_menu(page, api):
    live(page)
    label = api.label("Work")
    expect(page.get_by_role("link", name="Work")).to_be_visible(timeout=WITHIN * 2)
    api.client.patch(f"/api/labels/{label['id']}", json={"name": "Job"})
    expect(page.get_by_role("link", name="Job")).to_be_visible(timeout=WITHIN * 2)


def test_renaming_a_label_here_does_not_redraw_the_dialog_under_the_typing(page, api):
    api.label("Alpha")
    api.label("Beta")
    page.reload()
    live(page)
    page.get_by_role("button", name="Edit labels").click()
    echo = lambda r: r.request.method == "GET" and r.url.endswith("/api/labels")  # noqa: E731
    with page.expect_response(echo):
        with page.expect_response(lambda r: r.request.method == "PATCH"):
            alpha = page.get_by_label("Label name Alpha")
            alpha.fill("Alpha two")
            alpha.press("Enter")  # saved, and the list redrawn in its new order
        # The page's own redraw after the save (the PATCH's answer reaches the test before the
        # page has handled it): only the echo's must not follow.
        expect(page.get_by_label("Label name Alpha two")).to_be_visible()
        beta = page.get_by_label("Label name Beta").element_handle()
        beta.click()
        beta.press("End")
        beta.type(" typed on")
    page.wait_for_timeout(200)  # the echo of the page's own rename has been handled
    assert beta.evaluate("input => input.isConnected"), "the dialog was redrawn under the typing"
    expect(page.get_by_label("Label name Beta")).to_have_value("Beta typed on")
