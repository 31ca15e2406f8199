"""Unsaved text reaches the server as soon as it can and is offered wherever the person opens
Kaap next: another browser, or the desktop's web view after a relaunch (tests/desktop)."""

from playwright.sync_api import expect

from tests.ui.conftest import eventually, screenshot


def fresh_page(browser, base_url):
    """Another browser profile: nothing of the first page's localStorage."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(base_url + "/")
    page.wait_for_selector("body.ready")
    return context, page


def test_a_new_note_whose_save_failed_is_offered_in_another_browser(page, api, browser, base_url):
    page.route("**/api/notes", lambda route: route.abort())
    page.get_by_role("button", name="Take a note…").click()
    page.locator("#composer .nf-body").fill("kept by the server")
    page.keyboard.press("Escape")
    expect(page.locator("#snackbar")).to_contain_text("can't be reached")
    eventually(lambda: [d["key"] for d in api.drafts()] == ["composer"])
    context, other = fresh_page(browser, base_url)
    try:
        expect(other.locator("#composer .nf-body")).to_have_value("kept by the server")
        screenshot(other, "draft-offered")
        other.keyboard.press("Escape")
        expect(other.locator(".card", has_text="kept by the server")).to_be_visible()
    finally:
        context.close()
    assert [n["body"] for n in api.notes()] == ["kept by the server"]
    eventually(lambda: api.drafts() == [])


def test_an_edit_kept_only_in_this_browser_goes_to_the_server_at_the_next_start(page, api):
    note = api.note(title="Trip", body="before")
    page.route("**/api/drafts/**", lambda route: route.abort())
    page.route("**/api/notes/**", lambda route: route.abort())
    page.reload()
    page.locator(".card", has_text="Trip").click()
    page.locator("#editor .nf-body").fill("written with no server at all")
    page.keyboard.press("Escape")
    assert "written with no server at all" in page.evaluate("localStorage.getItem('kaap.drafts')")
    assert api.drafts() == []
    page.unroute("**/api/drafts/**")
    page.reload()  # the server is back for drafts, not yet for notes
    eventually(lambda: [d["key"] for d in api.drafts()] == [f"note-{note['id']}"])
    page.unroute("**/api/notes/**")
    eventually(lambda: api.get(note["id"])["body"] == "written with no server at all", 10)
    eventually(lambda: api.drafts() == [])


def test_an_edit_that_saves_leaves_no_draft_behind(page, api):
    note = api.note(title="Quick")
    page.reload()
    page.locator(".card", has_text="Quick").click()
    page.locator("#editor .nf-body").fill("saved at once")
    eventually(lambda: api.get(note["id"])["body"] == "saved at once")
    page.keyboard.press("Escape")
    page.wait_for_timeout(1500)  # past the delay after which a draft would go to the server
    assert api.drafts() == []


def test_theme_and_layout_follow_the_person_to_another_browser(page, api, browser, base_url):
    page.get_by_role("button", name="Use dark theme").click()
    page.keyboard.press("Control+g")
    eventually(
        lambda: (
            api.settings()
            == {"theme": "dark", "layout": "list", "order": "own", "keep_running": "off"}
        )
    )
    context, other = fresh_page(browser, base_url)
    try:
        assert other.evaluate("document.documentElement.dataset.theme") == "dark"
        expect(other.locator("body")).to_have_class("list-view ready")
    finally:
        context.close()


def test_a_setting_the_server_missed_is_sent_at_the_next_start(page, api):
    page.route("**/api/settings", lambda route: route.abort())
    page.get_by_role("button", name="Use dark theme").click()
    assert api.settings()["theme"] == "system"
    page.unroute("**/api/settings")
    page.reload()
    eventually(lambda: api.settings()["theme"] == "dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
