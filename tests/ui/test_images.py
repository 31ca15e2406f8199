"""Images: added from the composer and the editor, shown on cards, removed."""

import io

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import eventually, screenshot


@pytest.fixture
def png(tmp_path):
    from PIL import Image

    path = tmp_path / "sunset.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (251, 140, 0)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_the_composer_saves_a_note_with_its_image(page, api, png):
    page.get_by_role("button", name="Take a note…").click()
    page.locator("#composer .image-input").set_input_files(png)
    expect(page.locator("#composer .nf-images img")).to_have_count(1)
    page.locator("#composer .nf-title").fill("Sunset")
    page.keyboard.press("Escape")
    card = page.locator(".card", has_text="Sunset")
    expect(card.locator("img")).to_have_count(1)
    [note] = eventually(lambda: [n for n in api.notes() if n["images"]])
    expect(card.locator("img")).to_have_attribute("src", note["images"][0]["thumb_url"])
    assert card.locator("img").evaluate("img => img.naturalWidth") == 320


def test_images_are_added_and_removed_in_the_editor_while_text_autosaves(page, api, png):
    note = api.note(title="Trip")
    page.reload()
    page.locator(".card", has_text="Trip").click()
    editor = page.locator("dialog#editor")
    editor.locator(".nf-body").fill("first day")
    editor.locator(".image-input").set_input_files(png)
    expect(editor.locator(".nf-images img")).to_have_count(1)
    expect(page.locator(".card", has_text="Trip").locator("img")).to_have_count(1)
    editor.locator(".nf-body").fill("first day, then the beach")  # no 412 after the upload
    screenshot(page, "editor-image")
    page.keyboard.press("Escape")
    eventually(lambda: api.get(note["id"])["body"] == "first day, then the beach")
    assert len(api.get(note["id"])["images"]) == 1
    page.locator(".card", has_text="Trip").click()
    editor.locator(".image").hover()
    editor.get_by_label("Remove image").click()
    expect(editor.locator(".nf-images img")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.locator(".card", has_text="Trip").locator("img")).to_have_count(0)
    assert api.get(note["id"])["images"] == []
