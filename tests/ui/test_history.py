"""The editor's Version history: the list of times, an old checklist's preview with its images,
the changes marked, Restore with Undo, the keyboard, desktop and phone screens."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import LIVE, SIZES, eventually, screenshot, serving
from webapp import create_app

# The browser's "now" (a Tuesday) and its zone: the labels are local times, 1 hour ahead of UTC.
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
ZONE = "Europe/Amsterdam"
THURSDAY = datetime(2026, 11, 19, 8, 0, tzinfo=UTC)  # more than a week ago: its date
SUNDAY = datetime(2026, 11, 29, 9, 15, tzinfo=UTC)  # this week: its weekday
TODAY = datetime(2026, 12, 1, 10, 42, tzinfo=UTC)


class Clock:
    """The app's clock (the ``CLOCK`` setting): each version is saved at a time a test sets."""

    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def server(tmp_path_factory, clock):
    """This module's own app, on the movable clock."""
    data_dir = tmp_path_factory.mktemp("ui-history-data")
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir), "CLOCK": clock, **LIVE})
    with serving(app) as url:
        yield app, url


@pytest.fixture
def context(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id=ZONE
    )
    context.set_default_timeout(5000)
    yield context
    context.close()


@pytest.fixture
def page(tab, base_url, api):
    """The app with the browser's clock fixed at NOW (timers still run)."""
    tab.clock.set_fixed_time(NOW)
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    return tab


def png_bytes(color):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(buffer, "PNG")
    return buffer.getvalue()


def add_image(api, note_id, color=(251, 140, 0)):
    response = api.client.post(
        f"/api/notes/{note_id}/images",
        data={"file": (io.BytesIO(png_bytes(color)), "photo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def shopping(api, clock):
    """A checklist with three versions: Thursday's (yellow, an image, a label, Bread ticked),
    Sunday's, and today's current one (no image, other items, another color and label)."""
    clock.now = THURSDAY
    label = api.label("Groceries")
    note = api.note(
        title="Shopping",
        kind="checklist",
        items=[
            {"text": "Whole milk", "checked": False},
            {"text": "Bread", "checked": True},
            {"text": "Eggs", "checked": False},
        ],
        color="yellow",
        label_ids=[label["id"]],
    )
    image = add_image(api, note["id"])["images"][0]
    clock.now = SUNDAY
    api.patch(note["id"], title="Shopping for Sunday")
    clock.now = TODAY
    api.client.delete(f"/api/images/{image['id']}")
    other = api.label("Weekend")
    api.patch(
        note["id"],
        title="Shopping list",
        items=[
            {"text": "Oat milk", "checked": True},
            {"text": "Bread", "checked": False},
            {"text": "Apples", "checked": False},
        ],
        color="blue",
        label_ids=[other["id"]],
    )
    clock.now = NOW
    return api.get(note["id"])


def open_history(page, title):
    page.locator(".card", has_text=title).click()
    page.locator("#editor").get_by_role("button", name="More").click()
    page.get_by_role("menuitem", name="Version history").click()
    dialog = page.locator("dialog#versions-dialog")
    expect(dialog).to_be_visible()
    return dialog


def times(dialog):
    return [row.inner_text().split("\n")[0] for row in dialog.locator(".vh-version").all()]


def test_the_more_menu_opens_the_history_newest_first_with_local_times(page, shopping):
    page.reload()
    dialog = open_history(page, "Shopping list")
    assert times(dialog) == ["Today, 11:42 AM", "Sunday, 10:15 AM", "Nov 19, 9:00 AM"]
    current = dialog.locator(".vh-version").first
    expect(current).to_contain_text("Current version")
    expect(current).to_have_attribute("aria-selected", "true")
    expect(dialog.locator(".vh-legend")).to_have_text("This is the current version.")
    expect(dialog.get_by_role("button", name="Restore this version")).to_be_disabled()


def test_arrow_keys_move_in_the_list_and_escape_closes_only_the_history(page, shopping):
    page.reload()
    dialog = open_history(page, "Shopping list")
    rows = dialog.locator(".vh-version")
    page.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    expect(rows.nth(1)).to_be_focused()
    expect(dialog.locator(".vh-title")).to_contain_text("Sunday")
    page.keyboard.press("End")
    expect(rows.nth(2)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")  # past the end: stays on the last
    expect(rows.nth(2)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowUp")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("dialog#editor")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog#editor")).to_be_hidden()


def test_an_old_checklist_version_is_previewed_with_its_ticks_color_labels_and_image(
    page, shopping
):
    page.reload()
    dialog = open_history(page, "Shopping list")
    dialog.locator(".vh-version").nth(2).click()
    preview = dialog.locator(".vh-preview")
    expect(preview).to_have_class("vh-preview color-yellow")
    expect(preview.locator(".vh-title")).to_have_text("Shopping list")  # "list" struck
    items = preview.locator(".vh-item")
    expect(items).to_have_count(4)  # Whole milk (was Oat milk), Bread, Apples removed, Eggs added
    assert [item.locator(".vh-check").inner_text() for item in items.all()] == [
        "check_box_outline_blank",
        "check_box",
        "check_box_outline_blank",
        "check_box_outline_blank",
    ]
    expect(items.nth(1)).to_have_class("vh-item checked vh-item-ticked")
    expect(items.nth(1)).to_contain_text("ticked here, not now")
    # the image the note no longer has: still served while a version keeps it
    img = preview.locator(".images img")
    expect(img).to_have_count(1)
    width = "img => img.complete ? img.naturalWidth : 0"
    assert eventually(lambda: img.evaluate(width)) > 0
    expect(preview.locator(".vh-image-added")).to_have_count(1)
    expect(preview.locator(".vh-labels ins")).to_have_text("Groceries")
    expect(preview.locator(".vh-labels del")).to_have_text("Weekend")
    expect(preview.locator(".vh-facts")).to_have_text("Color: Sand (now Fog)")


def test_the_changes_against_the_current_version_are_marked_per_field(page, shopping):
    page.reload()
    dialog = open_history(page, "Shopping list")
    dialog.locator(".vh-version").nth(2).click()
    preview = dialog.locator(".vh-preview")
    expect(preview.locator(".vh-title del")).to_have_text(" list")
    expect(preview.locator(".vh-title ins")).to_have_count(0)
    items = preview.locator(".vh-item")
    # Oat milk -> Whole milk, word by word
    expect(items.nth(0).locator(".vh-item-text")).to_have_text("OatWhole milk")
    expect(items.nth(0).locator("del")).to_have_text("Oat")
    expect(items.nth(0).locator("ins")).to_have_text("Whole")
    expect(items.nth(2)).to_have_class("vh-item vh-item-removed")
    expect(items.nth(2).locator("del")).to_have_text("Apples")
    expect(items.nth(3)).to_have_class("vh-item vh-item-added")
    expect(items.nth(3).locator("ins")).to_have_text("Eggs")
    # Sunday's version differs from now in the title's words only
    dialog.locator(".vh-version").nth(1).click()
    expect(preview.locator(".vh-title ins")).to_have_text("for Sunday")
    expect(preview.locator(".vh-title del")).to_have_text("list")


def test_a_text_notes_body_changes_are_marked_word_by_word(page, api, clock):
    clock.now = SUNDAY
    note = api.note(title="Plan", body="Train at 9\nBring the tent")
    clock.now = TODAY
    api.patch(note["id"], body="Train at 10\nBring the tent and a stove")
    clock.now = NOW
    page.reload()
    dialog = open_history(page, "Plan")
    dialog.locator(".vh-version").nth(1).click()
    body = dialog.locator(".vh-body")
    expect(body.locator("ins")).to_have_text("9")
    expect(body.locator("del")).to_have_text(["10", " and a stove"])
    expect(dialog.locator(".vh-title ins, .vh-title del")).to_have_count(0)


def test_restore_brings_the_version_back_in_editor_and_grid_and_undo_returns(page, api, shopping):
    page.reload()
    dialog = open_history(page, "Shopping list")
    dialog.locator(".vh-version").nth(2).click()
    expect(dialog.locator(".vh-title")).to_contain_text("Shopping")
    dialog.get_by_role("button", name="Restore this version").click()
    expect(dialog).to_be_hidden()
    editor = page.locator("dialog#editor")
    expect(editor.locator(".nf-title")).to_have_value("Shopping")
    expect(editor.locator(".nf-item-text").first).to_have_value("Whole milk")
    expect(editor.locator(".nf-images img")).to_have_count(1)
    expect(page.locator(".card", has_text="Eggs")).to_have_count(1)
    note = api.get(shopping["id"])
    assert (note["title"], note["color"], len(note["images"])) == ("Shopping", "yellow", 1)
    assert [(i["text"], i["checked"]) for i in note["items"]] == [
        ("Whole milk", False),
        ("Bread", True),
        ("Eggs", False),
    ]
    snackbar = page.locator("#snackbar")
    expect(snackbar).to_contain_text("Restored the version of Nov 19, 9:00 AM")
    screenshot(page, "history-restored")
    snackbar.get_by_role("button", name="Undo").click()
    expect(editor.locator(".nf-title")).to_have_value("Shopping list")
    expect(page.locator(".card", has_text="Apples")).to_have_count(1)
    note = api.get(shopping["id"])
    assert (note["title"], note["color"], note["images"]) == ("Shopping list", "blue", [])
    expect(snackbar).to_contain_text("Restore undone")
    page.keyboard.press("Escape")  # the snackbar outlives the editor it was shown over
    expect(page.locator("dialog#editor")).to_be_hidden()
    expect(snackbar).to_be_visible()
    # the restore and its undo are versions too: the list grew by two, newest first
    page.locator(".card", has_text="Shopping list").click()
    editor.get_by_role("button", name="More").click()
    page.get_by_role("menuitem", name="Version history").click()
    expect(dialog.locator(".vh-version")).to_have_count(5)


@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_the_history(page, shopping, size):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    page.reload()
    page.wait_for_selector("body.ready")
    dialog = open_history(page, "Shopping list")
    screenshot(page, "history-current")
    dialog.locator(".vh-version").nth(2).click()
    expect(dialog.locator(".vh-item")).to_have_count(4)
    restore = dialog.get_by_role("button", name="Restore this version")
    expect(restore).to_be_in_viewport()  # reachable on a phone without scrolling the page
    screenshot(page, "history-old-checklist")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "history-old-checklist-dark")


def test_a_version_saved_by_a_synced_device_names_that_device(tab, tmp_path, clock):
    """Server mode: a save through the API token sync gives a device ("Kaap on laptop")."""
    settings = {"CONFIG": "testing", "ACCOUNTS": True, "OPEN_SIGNUP": True, "CLOCK": clock}
    app = create_app({**settings, "DATA_DIR": str(tmp_path), **LIVE})
    with serving(app) as url:
        person = app.test_client()
        person.environ_base["HTTP_X_CSRFTOKEN"] = person.get("/api/csrf").get_json()["csrf_token"]
        login = {"username": "ana", "password": "correct horse battery"}
        assert person.post("/api/auth/register", json=login).status_code == 201
        person.post("/api/auth/login", json=login)
        person.environ_base["HTTP_X_CSRFTOKEN"] = person.get("/api/csrf").get_json()["csrf_token"]
        clock.now = SUNDAY
        note = person.post("/api/notes", json={"title": "Packing"}).get_json()
        token = person.post("/api/account/tokens", json={"name": "Kaap on laptop"}).get_json()
        clock.now = TODAY
        bearer = {"Authorization": f"Bearer {token['token']}"}
        response = person.patch(
            f"/api/notes/{note['id']}", json={"title": "Packing list"}, headers=bearer
        )
        assert response.status_code == 200, response.get_json()
        clock.now = NOW
        tab.clock.set_fixed_time(NOW)
        tab.goto(url + "/login")
        tab.get_by_label("User name").fill("ana")
        tab.get_by_label("Password").fill("correct horse battery")
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_selector("body.ready")
        dialog = open_history(tab, "Packing list")
        rows = dialog.locator(".vh-version")
        expect(rows.first.locator(".vh-device")).to_have_text("on laptop")
        expect(rows.nth(1).locator(".vh-device")).to_have_count(0)  # the page's own save
