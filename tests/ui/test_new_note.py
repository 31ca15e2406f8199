"""Quick capture (``kaap --new-note``): the page opens the composer on #new, or when the desktop
shell says kaap:new-note, as Keep's new note does: on the Notes view, an open note saved first,
a draft in the composer kept (the real window: tests/desktop/test_new_note.py)."""

from playwright.sync_api import expect

from desktop.shell import NEW_NOTE_JS
from tests.ui.conftest import eventually, screenshot

# What desktop/shell.py's NEW_NOTE_JS runs; true when no page listened.
NEW_NOTE = "window.dispatchEvent(new CustomEvent('kaap:new-note', {cancelable: true}))"
FOCUSED = "document.activeElement === document.querySelector('#composer .nf-body')"


def composer_open(page) -> bool:
    return page.evaluate(
        "document.querySelector('#composer').classList.contains('expanded') && "
        "!document.querySelector('#composer-form').hidden"
    )


def test_a_start_on_new_opens_the_composer_focused_and_back_does_not_reopen_it(tab, base_url, api):
    tab.goto(base_url + "/#archive")
    tab.goto(base_url + "/#new")  # a fresh load, as the window's start URL is
    tab.wait_for_selector("body.ready")
    assert composer_open(tab)
    assert tab.evaluate(FOCUSED)
    assert tab.evaluate("location.hash") == ""
    assert tab.evaluate("document.body.dataset.view") == "notes"
    screenshot(tab, "new-note-at-start")
    tab.keyboard.type("Milk, eggs")
    tab.keyboard.press("Escape")
    expect(tab.locator(".card", has_text="Milk, eggs")).to_be_visible()
    assert [n["body"] for n in api.notes()] == ["Milk, eggs"]
    tab.go_back()  # to the archive, not to the composer
    eventually(lambda: tab.evaluate("document.body.dataset.view") == "archive")
    assert not composer_open(tab)


def test_new_note_saves_and_closes_an_open_note_and_opens_the_composer_on_notes(page, api):
    note = api.note(title="Boat", body="sails")
    api.patch(note["id"], archived=True)
    page.goto(page.url.split("#")[0] + "#archive")
    page.locator(".card", has_text="Boat").click()
    page.locator("#editor .nf-body").fill("sails, ropes")
    assert page.evaluate(NEW_NOTE) is False  # the page took it
    expect(page.locator("dialog#editor")).not_to_be_visible()
    eventually(lambda: composer_open(page))
    assert page.evaluate(FOCUSED)
    assert page.evaluate("location.hash") == ""
    assert page.evaluate("document.body.dataset.view") == "notes"
    eventually(lambda: api.get(note["id"])["body"] == "sails, ropes")
    screenshot(page, "new-note-over-an-open-note")
    page.go_back()  # the view the note was open over, not the note
    eventually(lambda: page.evaluate("document.body.dataset.view") == "archive")
    assert not page.evaluate("document.querySelector('dialog#editor').open")


def test_new_note_keeps_a_list_already_in_the_composer(page, api):
    page.locator("#composer-list").click()
    page.keyboard.type("first item")
    page.evaluate("document.activeElement.blur()")  # the window went to the background, say
    assert page.evaluate(NEW_NOTE) is False
    items = page.locator("#composer .nf-item-text")
    expect(items.first).to_have_value("first item")  # still a list, still its item
    # on its "List item" line, as `l` leaves it
    eventually(lambda: page.evaluate("!!document.activeElement.closest('#composer .nf-new-item')"))
    screenshot(page, "new-note-keeps-the-list")
    page.keyboard.type("second item")
    page.keyboard.press("Escape")
    eventually(lambda: len(api.notes()) == 1)
    assert [i["text"] for i in api.notes()[0]["items"]] == ["first item", "second item"]


def test_new_note_leaves_a_search_for_the_composer(page):
    page.keyboard.press("/")
    page.keyboard.type("boat")
    assert page.evaluate("document.body.classList.contains('searching')")
    assert page.evaluate(NEW_NOTE) is False
    eventually(lambda: composer_open(page) and page.evaluate(FOCUSED))
    assert page.locator("#search").input_value() == ""
    assert not page.evaluate("document.body.classList.contains('searching')")
    expect(page.locator("#composer .nf-body")).to_be_visible()


def test_new_note_twice_in_a_row_opens_the_composer_each_time(page):
    for _ in range(2):
        assert page.evaluate(NEW_NOTE) is False
        eventually(lambda: composer_open(page) and page.evaluate(FOCUSED))
        page.keyboard.press("Escape")  # empty: folds up, nothing saved
        eventually(lambda: not composer_open(page))
    assert page.evaluate("location.hash") == ""


def test_the_shells_new_note_on_the_settings_page_goes_to_the_composer(page, base_url):
    page.goto(base_url + "/settings")
    page.evaluate(NEW_NOTE_JS)  # what the desktop shell runs for kaap --new-note
    page.wait_for_selector("body.ready")
    assert page.evaluate("location.pathname + location.hash") == "/"
    eventually(lambda: composer_open(page) and page.evaluate(FOCUSED))


def test_the_shells_new_note_before_the_pages_scripts_start_opens_the_composer(tab, base_url, api):
    held = []
    tab.route("**/static/js/app.js", lambda route: held.append(route))  # scripts not started
    tab.goto(base_url + "/", wait_until="commit")
    tab.wait_for_selector("#composer", state="attached")
    eventually(lambda: held)
    tab.evaluate(NEW_NOTE_JS)
    assert tab.evaluate("location.hash") == "#new"
    held[0].continue_()
    tab.wait_for_selector("body.ready")
    eventually(lambda: composer_open(tab) and tab.evaluate(FOCUSED))
    assert tab.evaluate("location.hash") == ""
