"""Settings in the browser: import a Takeout with progress, export, back up and restore."""

import zipfile

from tests.transfer import takeout
from tests.ui.conftest import eventually, screenshot


def open_settings(page, base_url):
    page.click("#settings-button")
    page.wait_for_url(base_url + "/settings")
    page.wait_for_selector("body.ready")


def test_importing_a_takeout_shows_progress_then_the_summary(page, base_url, api, tmp_path):
    archive = takeout.write_zip(tmp_path / "takeout.zip")
    open_settings(page, base_url)
    screenshot(page, "settings")
    page.set_input_files("#import-file", str(archive))
    page.click("#import-start")
    summary = page.locator("#import-summary")
    summary.wait_for(state="visible", timeout=20000)
    assert "Imported 18 notes, skipped 2, failed 1." in summary.inner_text()
    assert "Broken.json" in summary.inner_text()
    assert page.locator("#import-bar").get_attribute("value") == "100"
    screenshot(page, "settings-import-done")
    assert len(api.notes()) == 16
    page.click("a[aria-label='Back to notes']")
    page.wait_for_selector("body.ready")
    assert page.get_by_text("주간회의록").count() >= 1


def test_a_file_that_is_not_an_archive_gets_a_readable_summary(page, base_url, tmp_path):
    bad = tmp_path / "notes.zip"
    bad.write_bytes(b"not a zip at all")
    open_settings(page, base_url)
    page.set_input_files("#import-file", str(bad))
    page.click("#import-start")
    page.locator("#import-summary").wait_for(state="visible", timeout=10000)
    text = page.locator("#import-summary").inner_text()
    assert "notes.zip: This file is not a zip archive or a folder." in text


def test_export_downloads_a_zip_with_everything(page, base_url, api, tmp_path):
    api.note(title="Exported <b>note</b>", body="text")
    open_settings(page, base_url)
    with page.expect_download() as download:
        page.click("#export-download")
    path = tmp_path / "export.zip"
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("kaap-export-")
    names = zipfile.ZipFile(path).namelist()
    assert "kaap.json" in names and any(n.startswith("notes/") for n in names)


def test_back_up_now_then_restore(page, base_url, api):
    note = api.note(title="Before the backup")
    open_settings(page, base_url)
    page.click("#backup-now")
    eventually(lambda: "Backed up." in page.locator("#backup-status").inner_text(), timeout=30)
    rows = page.locator("#backups-body tr")
    assert rows.count() >= 1
    api.patch(note["id"], title="After the backup")
    page.locator("#backups-body tr", has_text="Made by you").first.get_by_role(
        "button", name="Restore"
    ).click()
    screenshot(page, "settings-restore-dialog")
    page.click("#restore-confirm")
    eventually(lambda: "Restored" in page.locator("#backup-status").inner_text(), timeout=30)
    assert [n["title"] for n in api.notes()] == ["Before the backup"]


def test_settings_on_a_phone(page, base_url):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base_url + "/settings")
    page.wait_for_selector("body.ready")
    page.click("#backup-now")
    eventually(lambda: page.locator("#backups-body tr").count() >= 1)
    screenshot(page, "settings")
