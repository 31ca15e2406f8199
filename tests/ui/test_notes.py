"""Writing notes: the composer, the editor's autosave, checklists, colors, pins and labels."""

from playwright.sync_api import expect

from tests.ui.conftest import eventually, screenshot


def card(page, text):
    return page.locator(".card", has_text=text)


def open_editor(page, text):
    card(page, text).click()
    expect(page.locator("dialog#editor")).to_be_visible()
    return page.locator("dialog#editor")


def test_composer_saves_a_text_note_when_clicking_outside(page, api):
    page.get_by_role("button", name="Take a note…").click()
    page.locator("#composer .nf-title").fill("Shopping")
    page.locator("#composer .nf-body").fill("Apples\nPears")
    page.mouse.click(1200, 700)
    expect(card(page, "Shopping")).to_contain_text("Pears")
    assert [(n["title"], n["body"]) for n in api.notes()] == [("Shopping", "Apples\nPears")]


def test_composer_saves_a_checklist_on_escape(page, api):
    page.get_by_role("button", name="New list").click()
    page.get_by_label("New list item").fill("Milk")
    page.keyboard.press("Enter")
    page.keyboard.type("Bread")
    page.keyboard.press("Escape")
    expect(card(page, "Milk")).to_contain_text("Bread")
    [note] = api.notes()
    assert note["kind"] == "checklist"
    assert [item["text"] for item in note["items"]] == ["Milk", "Bread"]


def test_an_empty_note_is_not_saved(page, api):
    page.get_by_role("button", name="Take a note…").click()
    page.keyboard.press("Escape")
    expect(page.locator("#composer-collapsed")).to_be_visible()
    expect(page.get_by_text("Notes you add appear here")).to_be_visible()
    assert api.notes() == []


def test_editor_autosaves_and_a_reload_shows_the_text(page, api):
    note = api.note(title="Plan", body="first")
    page.reload()
    editor = open_editor(page, "Plan")
    editor.locator(".nf-body").fill("first\nsecond line")
    expect(editor.locator(".edited")).to_contain_text("Edited")
    eventually(lambda: api.get(note["id"])["body"] == "first\nsecond line")
    page.reload()
    expect(card(page, "Plan")).to_contain_text("second line")


def test_closing_the_editor_mid_typing_keeps_the_text(page, api):
    note = api.note(title="Quick")
    page.reload()
    editor = open_editor(page, "Quick")
    editor.locator(".nf-body").press_sequentially("typed fast")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#editor")).to_be_hidden()
    expect(card(page, "Quick")).to_contain_text("typed fast")
    assert api.get(note["id"])["body"] == "typed fast"


def test_checklist_items_are_added_ticked_reordered_and_deleted_in_the_editor(page, api):
    note = api.note(title="Trip", kind="checklist", items=[{"text": "tent"}, {"text": "stove"}])
    page.reload()
    editor = open_editor(page, "Trip")
    editor.get_by_label("New list item").fill("map")
    rows = editor.locator(".nf-list:not(.nf-checked) .nf-item-text")
    expect(rows).to_have_count(3)
    items = editor.locator(".nf-list:not(.nf-checked) .nf-item")
    # drag "map" by its handle above "tent"
    items.nth(2).hover()
    items.nth(2).locator(".nf-drag").hover()
    page.mouse.down()
    box = items.nth(0).bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 3, steps=5)
    # SortableJS moves the placeholder on its 50 ms tick: let go once it is there, as a person does
    expect(rows.nth(0)).to_have_value("map")
    page.mouse.up()
    expect(rows).to_have_count(3)
    assert [rows.nth(i).input_value() for i in range(3)] == ["map", "tent", "stove"]
    # tick "stove": it moves below, under "1 checked item"
    items.nth(2).get_by_role("checkbox").click()
    expect(editor.get_by_role("button", name="1 checked item")).to_be_visible()
    expect(editor.locator(".nf-checked .nf-item-text")).to_have_value("stove")
    # edit "tent", delete "map"
    rows.nth(1).fill("big tent")
    items.nth(0).hover()
    items.nth(0).get_by_label("Delete item").click()
    expect(rows).to_have_count(1)
    screenshot(page, "editor-checklist")
    page.keyboard.press("Escape")
    expect(card(page, "Trip")).to_contain_text("1 checked item")
    saved = api.get(note["id"])["items"]
    assert [(i["text"], i["checked"]) for i in saved] == [("big tent", False), ("stove", True)]


def test_items_are_ticked_right_on_the_card(page, api):
    note = api.note(title="Todo", kind="checklist", items=[{"text": "one"}, {"text": "two"}])
    page.reload()
    card(page, "Todo").get_by_label("Tick one").click()
    expect(card(page, "Todo")).to_contain_text("1 checked item")
    assert api.get(note["id"])["items"][0]["checked"] is True


def test_color_and_pin_from_the_card(page, api):
    note = api.note(title="Colorful")
    api.note(title="Plain")
    page.reload()
    card(page, "Colorful").hover()
    card(page, "Colorful").get_by_label("Background options").click()
    page.locator(".palette").get_by_label("Mint").click()
    expect(card(page, "Colorful")).to_have_class("card color-green")
    card(page, "Colorful").hover()
    card(page, "Colorful").get_by_label("Pin note").click()
    expect(page.locator("#grid-pinned .card")).to_contain_text("Colorful")
    expect(page.get_by_role("heading", name="Others")).to_be_visible()
    saved = api.get(note["id"])
    assert (saved["color"], saved["pinned"]) == ("green", True)


def test_a_label_made_in_the_picker_filters_the_notes(page, api):
    note = api.note(title="Tax return")
    api.note(title="Holiday")
    page.reload()
    card(page, "Tax return").hover()
    card(page, "Tax return").get_by_label("Change labels").click()
    page.get_by_label("Label name").fill("Finance")
    page.get_by_role("button", name='Create label "Finance"').click()
    expect(card(page, "Tax return").locator(".chip")).to_have_text("Finance")
    page.keyboard.press("Escape")
    page.locator("#nav-labels").get_by_role("link", name="Finance").click()
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("Tax return")
    assert [label["name"] for label in api.get(note["id"])["labels"]] == ["Finance"]


def test_the_label_picker_filters_as_you_type(page, api):
    api.label("Home")
    api.label("Work")
    api.note(title="Note")
    page.reload()
    card(page, "Note").hover()
    card(page, "Note").get_by_label("Change labels").click()
    page.get_by_label("Label name").fill("wo")
    expect(page.locator(".picker-row")).to_have_text(["Work"])
    page.locator(".picker-row").get_by_role("checkbox").check()
    expect(card(page, "Note").locator(".chip")).to_have_text("Work")


def test_edit_labels_creates_renames_and_deletes(page, api):
    api.label("Old")
    page.reload()
    page.get_by_role("button", name="Edit labels").click()
    page.get_by_label("Create new label").fill("Fresh")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Fresh")).to_be_visible()
    page.get_by_label("Create new label").fill("fresh")
    page.keyboard.press("Enter")
    expect(page.locator("#label-error")).to_contain_text("exists")
    rename = page.get_by_label("Label name Old")
    rename.fill("Renamed")
    rename.press("Enter")
    expect(page.get_by_role("link", name="Renamed")).to_be_visible()
    page.get_by_label("Delete label Fresh").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_role("link", name="Fresh")).to_have_count(0)
    assert [label["name"] for label in api.labels()] == ["Renamed"]


def test_reloading_mid_typing_keeps_the_text(page, api):
    note = api.note(title="Tab")
    page.reload()
    editor = open_editor(page, "Tab")
    editor.locator(".nf-body").press_sequentially("before the tab closed")
    page.reload()  # the save flushes on pagehide; a kept draft is replayed on the next load
    eventually(lambda: api.get(note["id"])["body"] == "before the tab closed")
    expect(card(page, "Tab")).to_contain_text("before the tab closed")


def test_a_note_made_in_a_label_view_gets_that_label(page, api):
    work = api.label("Work")
    page.goto(page.url.split("#")[0] + f"#label/{work['id']}")
    page.reload()
    expect(page.get_by_text("No notes with this label yet")).to_be_visible()
    page.get_by_role("button", name="Take a note…").click()
    expect(page.locator("#composer .chip")).to_contain_text("Work")
    page.keyboard.type("labelled")
    page.keyboard.press("Escape")
    expect(card(page, "labelled")).to_be_visible()
    assert [label["name"] for label in api.notes()[0]["labels"]] == ["Work"]


def test_a_note_emptied_in_the_editor_is_discarded_with_undo(page, api):
    note = api.note(title="short-lived")
    page.reload()
    editor = open_editor(page, "short-lived")
    editor.locator(".nf-title").fill("")
    page.keyboard.press("Escape")
    expect(page.locator("#snackbar")).to_contain_text("Empty note discarded")
    expect(page.locator(".card")).to_have_count(0)
    assert api.get(note["id"])["trashed_at"] is not None


def test_color_and_labels_from_the_editor(page, api):
    api.label("Ideas")
    note = api.note(title="In the editor")
    page.reload()
    editor = open_editor(page, "In the editor")
    editor.get_by_label("Background options").click()
    editor.locator(".palette").get_by_label("Storm").click()
    expect(page.locator("#editor-card")).to_have_class("editor-card color-darkblue")
    editor.get_by_label("Add label").click()
    editor.get_by_label("Label name").fill("id")
    editor.locator(".picker-row").get_by_role("checkbox").check()
    expect(editor.locator(".nf-chips .chip")).to_contain_text("Ideas")
    screenshot(page, "editor-labels")
    page.keyboard.press("Escape")  # closes the picker
    page.keyboard.press("Escape")  # closes the note
    expect(page.locator("dialog#editor")).to_be_hidden()
    chip = card(page, "In the editor").locator(".chip")
    expect(chip).to_have_text("Ideas")
    saved = api.get(note["id"])
    assert (saved["color"], [lb["name"] for lb in saved["labels"]]) == ("darkblue", ["Ideas"])
    chip.click()  # a chip leads to its label's notes
    expect(page.locator("#nav-labels .nav-item.active")).to_have_text("labelIdeas")
    expect(page.locator("dialog#editor")).to_be_hidden()
