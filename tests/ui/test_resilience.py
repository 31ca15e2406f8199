"""Nothing typed is lost: conflicts, an unreachable server; and note text is never markup."""

import json

from playwright.sync_api import expect

from tests.ui.conftest import eventually, screenshot

HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
HOSTILE_BODY = '<script>alert(2)</script><b onmouseover="alert(3)">bold</b><iframe src="x">'


def open_editor(page, text):
    page.locator(".card", has_text=text).click()
    expect(page.locator("dialog#editor")).to_be_visible()
    return page.locator("dialog#editor")


def without_live_events(page):
    """No event stream: another window's change is learnt from the save's 412 alone."""
    page.route("**/api/events*", lambda route: route.abort())
    page.reload()
    page.wait_for_selector("body.ready")


def test_a_412_conflict_shows_the_other_version_and_keeps_the_text(page, api):
    note = api.note(title="Shared", body="original")
    without_live_events(page)
    editor = open_editor(page, "Shared")
    api.patch(note["id"], body="changed in another window")
    editor.locator(".nf-body").fill("my own words")
    banner = editor.get_by_role("alert")
    expect(banner).to_contain_text("This note changed in another window")
    expect(banner.locator(".conflict-theirs")).to_contain_text("changed in another window")
    expect(editor.locator(".nf-body")).to_have_value("my own words")
    screenshot(page, "conflict")
    assert api.get(note["id"])["body"] == "changed in another window"
    editor.get_by_role("button", name="Keep mine").click()
    eventually(lambda: api.get(note["id"])["body"] == "my own words")
    expect(editor.get_by_role("alert")).to_be_hidden()


def test_keep_mine_never_overwrites_a_version_it_did_not_show(page, api):
    note = api.note(title="Shared", body="original")
    without_live_events(page)
    editor = open_editor(page, "Shared")
    api.patch(note["id"], body="second")
    editor.locator(".nf-body").fill("mine")
    expect(editor.locator(".conflict-theirs")).to_contain_text("second")
    api.patch(note["id"], body="third, unseen")
    editor.get_by_role("button", name="Keep mine").click()
    # The save meets the unseen version (412): the banner now shows it, nothing is overwritten.
    expect(editor.locator(".conflict-theirs")).to_contain_text("third, unseen")
    assert api.get(note["id"])["body"] == "third, unseen"
    editor.get_by_role("button", name="Keep mine").click()
    eventually(lambda: api.get(note["id"])["body"] == "mine")


def test_the_other_version_can_be_taken_after_a_conflict(page, api):
    note = api.note(title="Shared", body="original")
    without_live_events(page)
    editor = open_editor(page, "Shared")
    api.patch(note["id"], body="theirs")
    editor.locator(".nf-body").fill("mine")
    editor.get_by_role("button", name="Use theirs").click()
    expect(editor.locator(".nf-body")).to_have_value("theirs")


def test_unreachable_server_shows_a_message_and_keeps_the_text(page, api):
    note = api.note(title="Offline")
    page.reload()
    editor = open_editor(page, "Offline")
    page.route("**/api/notes/**", lambda route: route.abort())
    editor.locator(".nf-body").fill("written while offline")
    expect(editor.locator(".offline")).to_contain_text("can't be reached")
    expect(page.locator("#snackbar")).to_contain_text("can't be reached")
    screenshot(page, "offline")
    page.keyboard.press("Escape")
    drafts = page.evaluate("localStorage.getItem('kaap.drafts')")
    assert "written while offline" in drafts
    page.unroute("**/api/notes/**")
    eventually(lambda: api.get(note["id"])["body"] == "written while offline", timeout=10)


def test_a_new_note_typed_while_offline_is_kept_until_saved(page, api):
    page.route("**/api/notes", lambda route: route.abort())
    page.get_by_role("button", name="Take a note…").click()
    page.locator("#composer .nf-body").fill("do not lose me")
    page.keyboard.press("Escape")
    expect(page.locator("#snackbar")).to_contain_text("can't be reached")
    expect(page.locator("#composer .nf-body")).to_have_value("do not lose me")
    page.unroute("**/api/notes")
    page.reload()  # the draft survives a reload too
    expect(page.locator("#composer .nf-body")).to_have_value("do not lose me")
    page.keyboard.press("Escape")
    expect(page.locator(".card", has_text="do not lose me")).to_be_visible()
    assert [n["body"] for n in api.notes()] == ["do not lose me"]


def test_a_full_disk_is_explained_in_the_servers_words_and_the_text_kept(page, api):
    # What the server answers on a full disk (tests/disk makes one for real).
    message = "The disk holding /data is full (0.0 MB free), so nothing was saved: make at least 16.0 MB free on it, then try again."
    body = json.dumps({"error": {"code": "disk_full", "message": message, "fields": {}}})
    page.route(
        "**/api/notes",
        lambda route: (
            route.fulfill(status=507, content_type="application/json", body=body)
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.get_by_role("button", name="Take a note…").click()
    page.locator("#composer .nf-body").fill("kept on a full disk")
    page.keyboard.press("Escape")
    expect(page.locator("#snackbar")).to_contain_text(message)
    expect(page.locator("#composer .nf-body")).to_have_value("kept on a full disk")


def test_a_refused_write_is_explained(page, api):
    note = api.note(title="Gone")
    without_live_events(page)  # a live page would drop the card: this one has not heard
    expect(page.locator(".card", has_text="Gone")).to_be_visible()
    api.client.post(f"/api/notes/{note['id']}/trash")
    api.client.delete(f"/api/notes/{note['id']}")
    page.locator(".card", has_text="Gone").hover()
    page.locator(".card", has_text="Gone").get_by_label("Pin note").click()
    expect(page.locator("#snackbar")).to_be_visible()
    assert "note" in page.locator("#snackbar-text").inner_text().lower()


def test_html_in_notes_shows_as_text_everywhere(page, api):
    api.note(title=HOSTILE_TITLE, body=HOSTILE_BODY)
    api.note(title="img checklist", kind="checklist", items=[{"text": HOSTILE_TITLE}])
    page.reload()
    title = page.locator(".card-title", has_text=HOSTILE_TITLE)
    expect(title).to_have_text(HOSTILE_TITLE)
    expect(page.locator(".card-text")).to_have_text(HOSTILE_BODY)
    expect(page.locator(".card-item span")).to_have_text(HOSTILE_TITLE)
    assert page.locator("main img, main script, main iframe, main b").count() == 0
    page.get_by_role("article", name=HOSTILE_TITLE).click()
    editor = page.locator("dialog#editor")
    expect(editor.locator(".nf-title")).to_have_value(HOSTILE_TITLE)
    expect(editor.locator(".nf-body")).to_have_value(HOSTILE_BODY)
    page.keyboard.press("Escape")
    page.locator("#search").fill("<img")
    expect(page.locator(".card")).to_have_count(2)
    hostile = page.get_by_role("article", name=HOSTILE_TITLE)
    expect(hostile.locator(".card-title mark")).to_have_text("<img")
    expect(hostile.locator(".card-title")).to_have_text(HOSTILE_TITLE)
    expect(page.locator(".card-item mark")).to_have_text("<img")
    assert page.locator("main img, main script, main iframe").count() == 0
    page.wait_for_timeout(200)  # any onerror would have fired by now; the fixture fails on it


def test_a_draft_already_saved_is_dropped_quietly_on_the_next_load(page, api):
    note = api.note(title="Saved twice", body="final words")
    stale = {
        str(note["id"]): {
            "version": note["version"] - 1 if note["version"] > 1 else 0,
            "fields": {
                "title": "Saved twice",
                "body": "final words",
                "kind": "text",
                "items": [],
                "color": "default",
                "pinned": False,
                "label_ids": [],
            },
        }
    }
    api.patch(note["id"], body="final words")  # raises the version past the draft's
    page.evaluate("d => localStorage.setItem('kaap.drafts', JSON.stringify(d))", stale)
    page.reload()
    expect(page.locator(".card", has_text="Saved twice")).to_be_visible()
    eventually(lambda: page.evaluate("localStorage.getItem('kaap.drafts')") == "{}")
    expect(page.locator("dialog#editor")).to_be_hidden()
