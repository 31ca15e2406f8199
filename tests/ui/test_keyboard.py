"""Keep's keyboard shortcuts."""

import re

from playwright.sync_api import expect


def selected(page):
    return page.evaluate("document.activeElement.closest('.card')?.getAttribute('aria-label')")


def test_c_and_l_open_the_composer_for_a_note_and_a_list(page, api):
    page.keyboard.press("c")
    expect(page.locator("#composer .nf-body")).to_be_focused()
    page.keyboard.type("from the keyboard")
    page.keyboard.press("Escape")
    expect(page.locator(".card", has_text="from the keyboard")).to_be_visible()
    page.keyboard.press("l")
    expect(page.get_by_label("New list item")).to_be_focused()
    page.keyboard.type("item one")
    page.keyboard.press("Escape")
    expect(page.locator(".card", has_text="item one")).to_be_visible()
    assert sorted(note["kind"] for note in api.notes()) == ["checklist", "text"]


def test_slash_focuses_search_and_escape_clears_it(page, api):
    page.keyboard.press("/")
    expect(page.locator("#search")).to_be_focused()
    page.keyboard.type("abc")
    page.keyboard.press("Escape")
    expect(page.locator("#search")).to_have_value("")
    expect(page.locator("#search")).not_to_be_focused()


def test_j_k_move_between_cards_and_enter_esc_open_and_close(page, api):
    for title in ("third", "second", "first"):
        api.note(title=title)
    page.reload()
    expect(page.locator(".card")).to_have_count(3)
    page.keyboard.press("j")
    assert selected(page) == "first"
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert selected(page) == "third"
    page.keyboard.press("k")
    assert selected(page) == "second"
    page.keyboard.press("Enter")
    expect(page.locator("dialog#editor")).to_be_visible()
    expect(page.locator("#editor .nf-title")).to_have_value("second")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#editor")).to_be_hidden()


def test_e_archives_hash_trashes_and_f_pins_the_selected_card(page, api):
    pin, archive, trash = (api.note(title=t) for t in ("pin me", "archive me", "trash me"))
    page.reload()
    page.locator(".card", has_text="pin me").focus()
    page.keyboard.press("f")
    expect(page.locator("#grid-pinned .card")).to_contain_text("pin me")
    page.locator(".card", has_text="archive me").focus()
    page.keyboard.press("e")
    expect(page.locator(".card", has_text="archive me")).to_have_count(0)
    page.locator(".card", has_text="trash me").focus()
    page.keyboard.press("#")
    expect(page.locator(".card", has_text="trash me")).to_have_count(0)
    assert api.get(pin["id"])["pinned"] is True
    assert api.get(archive["id"])["archived"] is True
    assert api.get(trash["id"])["trashed_at"] is not None


def test_ctrl_g_switches_grid_and_list_and_question_mark_shows_help(page, api):
    page.keyboard.press("Control+g")
    expect(page.locator("body")).to_have_class(re.compile(r"\blist-view\b"))
    expect(page.get_by_role("button", name="Grid view")).to_be_visible()
    page.keyboard.press("Control+g")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\blist-view\b"))
    page.keyboard.press("?")
    help_sheet = page.locator("#help-dialog")
    expect(help_sheet).to_be_visible()
    for key in ("c", "l", "/", "j", "k", "Enter", "Esc", "e", "#", "f", "Ctrl", "G", "?"):
        expect(help_sheet.locator("kbd", has_text=key).first).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_sheet).to_be_hidden()


def test_shortcuts_do_not_fire_while_typing(page, api):
    page.get_by_role("button", name="Take a note…").click()
    page.locator("#composer .nf-title").type("c l j f e")
    expect(page.locator("#composer .nf-title")).to_have_value("c l j f e")
    expect(page.locator("#help-dialog")).to_be_hidden()


def test_enter_on_a_card_button_presses_the_button_not_the_card(page, api):
    api.note(title="buttons")
    page.reload()
    page.locator(".card").focus()
    page.keyboard.press("Tab")  # the pin button inside the card
    page.keyboard.press("Enter")
    expect(page.locator("#grid-pinned .card")).to_contain_text("buttons")
    expect(page.locator("dialog#editor")).to_be_hidden()
