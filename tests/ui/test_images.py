"""Images: added from the composer and the editor, shown on cards, removed."""

import base64
import io
import re

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
    # The browser loads the thumbnail after the src is set: until then its width reads 0.
    width = "img => img.complete ? img.naturalWidth : 0"
    assert eventually(lambda: card.locator("img").evaluate(width)) == 320


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


def png_bytes(color=(251, 140, 0), size=(320, 200)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def upload(api, note_id, *colors):
    """Images into a note through the API, to set up what the page shows."""
    files = [(io.BytesIO(png_bytes(color)), f"{i}.png") for i, color in enumerate(colors)]
    response = api.client.post(
        f"/api/notes/{note_id}/images", data={"file": files}, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()


# A File list built in the page from base64 PNGs, handed to a synthetic paste or drop (the
# way a screenshot on the clipboard or files from the file manager arrive).
FILES_JS = """
  const data = new DataTransfer();
  for (const [name, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    data.items.add(new File([bytes], name, { type: name.endsWith(".png") ? "image/png" : "text/plain" }));
  }
"""
PASTE_JS = f"""(el, files) => {{ {FILES_JS}
  el.dispatchEvent(new ClipboardEvent("paste", {{ clipboardData: data, bubbles: true, cancelable: true }}));
}}"""
DRAG_JS = f"""(el, [files, types]) => {{ {FILES_JS}
  for (const type of types) {{
    el.dispatchEvent(new DragEvent(type, {{ dataTransfer: data, bubbles: true, cancelable: true }}));
  }}
}}"""


def files_arg(*colors):
    return [
        [f"shot-{i}.png", base64.b64encode(png_bytes(c)).decode()] for i, c in enumerate(colors)
    ]


ORANGE, BLUE, GREEN, PINK = (251, 140, 0), (66, 133, 244), (52, 168, 83), (233, 30, 99)


def test_a_pasted_screenshot_appears_opens_full_size_and_is_removed(page, api):
    note = api.note(title="Screens")
    page.reload()
    page.locator(".card", has_text="Screens").click()
    editor = page.locator("dialog#editor")
    editor.locator(".nf-body").fill("the bug")
    editor.locator(".nf-body").evaluate(PASTE_JS, files_arg(ORANGE))
    expect(editor.locator(".nf-images img")).to_have_count(1)
    editor.locator(".nf-body").evaluate(PASTE_JS, files_arg(BLUE))
    expect(editor.locator(".nf-images img")).to_have_count(2)
    expect(page.locator(".card", has_text="Screens").locator("img")).to_have_count(2)
    assert editor.locator(".nf-body").input_value() == "the bug"
    images = eventually(
        lambda: len(api.get(note["id"])["images"]) == 2 and api.get(note["id"])["images"]
    )

    editor.locator(".nf-images img").first.click()
    viewer = page.locator("dialog#viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".viewer-img")).to_have_attribute("src", images[0]["url"])
    expect(viewer.locator(".viewer-count")).to_have_text("1 of 2")
    page.keyboard.press("ArrowRight")
    expect(viewer.locator(".viewer-img")).to_have_attribute("src", images[1]["url"])
    expect(viewer.locator(".viewer-count")).to_have_text("2 of 2")
    screenshot(page, "image-viewer")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(editor).to_be_visible()  # Esc closed the viewer only

    editor.locator(".image").first.hover()
    editor.get_by_label("Remove image").first.click()
    expect(editor.locator(".nf-images img")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator(".card", has_text="Screens").locator("img")).to_have_count(1)
    eventually(lambda: api.get(note["id"])["body"] == "the bug")
    assert [i["id"] for i in api.get(note["id"])["images"]] == [images[1]["id"]]


def test_files_dropped_on_a_card_go_into_that_note(page, api):
    api.note(title="Elsewhere")
    target = api.note(title="Garden")
    page.reload()
    card = page.locator(".card", has_text="Garden")
    card.evaluate(DRAG_JS, [files_arg(GREEN), ["dragenter", "dragover"]])
    expect(card).to_have_class(re.compile("drop-target"))
    screenshot(page, "image-drop-target")
    held = []  # the upload waits here so its progress bar can be seen
    page.route("**/api/notes/*/images", lambda route: held.append(route))
    card.evaluate(DRAG_JS, [files_arg(GREEN, BLUE, PINK), ["drop"]])
    expect(card.locator(".upload-progress")).to_have_count(1)
    eventually(lambda: held)
    screenshot(page, "image-upload-progress")
    held[0].continue_()
    card = page.locator(".card", has_text="Garden")
    expect(card.locator(".upload-progress")).to_have_count(0)
    expect(card.locator("img")).to_have_count(3)
    expect(card).not_to_have_class(re.compile("drop-target"))
    assert len(api.get(target["id"])["images"]) == 3
    expect(page.locator(".card", has_text="Elsewhere").locator("img")).to_have_count(0)


def test_a_card_shows_its_images_as_a_mosaic(page, api):
    for title, colors in [
        ("One", [ORANGE]),
        ("Two", [BLUE, GREEN]),
        ("Four", [PINK, ORANGE, BLUE, GREEN]),
        ("Five", [GREEN, PINK, ORANGE, BLUE, PINK]),
    ]:
        upload(api, api.note(title=title, body="with pictures")["id"], *colors)
    page.reload()
    expect(page.locator(".card", has_text="Four").locator(".image")).to_have_count(4)
    expect(page.locator(".card", has_text="Five").locator(".image")).to_have_count(5)
    widths = (
        page.locator(".card", has_text="Four")
        .locator(".image")
        .evaluate_all("tiles => tiles.map((t) => Math.round(t.getBoundingClientRect().width))")
    )
    assert widths[0] > 2 * widths[1] and len(set(widths[1:])) == 1  # a large first row, then 3
    one = page.locator(".card", has_text="One")
    assert abs(one.locator("img").bounding_box()["width"] - one.bounding_box()["width"]) < 3
    five = (
        page.locator(".card", has_text="Five")
        .locator(".image")
        .evaluate_all("tiles => tiles.map((t) => Math.round(t.getBoundingClientRect().width))")
    )
    assert five[0] == five[1] > five[2]
    screenshot(page, "image-mosaic")


def test_a_drop_on_the_editor_uploads_and_a_non_image_says_so_and_keeps_the_text(
    page, api, tmp_path
):
    note = api.note(title="Receipt")
    page.reload()
    page.locator(".card", has_text="Receipt").click()
    editor = page.locator("dialog#editor")
    editor.locator(".nf-body").fill("keep this text")
    target = page.locator("#editor-card")
    target.evaluate(DRAG_JS, [files_arg(BLUE), ["dragenter", "dragover"]])
    expect(target).to_have_class(re.compile("drop-target"))
    target.evaluate(DRAG_JS, [files_arg(BLUE), ["drop"]])
    expect(editor.locator(".nf-images img")).to_have_count(1)
    expect(target).not_to_have_class(re.compile("drop-target"))
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image at all")
    editor.locator(".image-input").set_input_files(text_file)
    expect(page.locator("#snackbar")).to_contain_text("not a JPEG, PNG, GIF or WebP image")
    expect(editor.locator(".upload-progress")).to_have_count(0)
    assert editor.locator(".nf-body").input_value() == "keep this text"
    page.keyboard.press("Escape")
    eventually(lambda: api.get(note["id"])["body"] == "keep this text")
    assert len(api.get(note["id"])["images"]) == 1


def test_the_images_filter_shows_only_notes_with_images(page, api):
    upload(api, api.note(title="Beach photo", body="sand")["id"], ORANGE)
    upload(api, api.note(title="Forest photo", body="trees", color="green")["id"], GREEN)
    api.note(title="Beach plan", body="no picture")
    page.reload()
    expect(page.locator(".card")).to_have_count(3)
    page.locator("#search").click()
    chip = page.get_by_role("button", name="Images")
    chip.click()
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".card")).to_have_count(2)
    screenshot(page, "image-filter")
    page.locator("#search").fill("beach")
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("Beach photo")
    page.locator("#search").fill("")
    page.get_by_role("button", name="Only Mint").click()
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("Forest photo")
    page.keyboard.press("Escape")
    expect(page.locator(".card")).to_have_count(3)


def test_images_pasted_or_dropped_into_the_composer_are_kept_with_the_note(page, api):
    page.get_by_role("button", name="Take a note…").click()
    page.locator("#composer .nf-title").fill("Pasted")
    page.locator("#composer .nf-title").evaluate(PASTE_JS, files_arg(PINK))
    expect(page.locator("#composer .nf-images img")).to_have_count(1)
    page.locator("#composer").evaluate(DRAG_JS, [files_arg(BLUE), ["dragenter", "drop"]])
    expect(page.locator("#composer .nf-images img")).to_have_count(2)
    page.keyboard.press("Escape")
    expect(page.locator(".card", has_text="Pasted").locator("img")).to_have_count(2)


def test_a_note_of_images_alone_is_kept_and_survives_the_editor(page, api):
    page.get_by_role("button", name="Take a note…").click()
    page.locator("#composer .nf-body").evaluate(PASTE_JS, files_arg(GREEN, PINK))
    expect(page.locator("#composer .nf-images img")).to_have_count(2)
    page.keyboard.press("Escape")
    card = page.locator(".card").filter(has=page.locator("img"))
    expect(card.locator("img")).to_have_count(2)
    expect(card.locator(".card-empty")).to_have_count(0)
    [note] = api.notes()
    assert (note["title"], note["body"], len(note["images"])) == ("", "", 2)
    card.click()  # opened and closed without text: still kept, not "Empty note discarded"
    expect(page.locator("dialog#editor .nf-images img")).to_have_count(2)
    page.keyboard.press("Escape")
    expect(page.locator("dialog#editor")).to_be_hidden()
    expect(card.locator("img")).to_have_count(2)
    assert len(api.notes()) == 1
