import json

from tests.ui.conftest import screenshot


def test_empty_page(page):
    assert page.get_by_text("Notes you add appear here").is_visible()
    screenshot(page, "empty")


def test_the_browser_reads_the_manifest_and_its_icons(page, base_url):
    session = page.context.new_cdp_session(page)
    manifest = session.send("Page.getAppManifest")
    assert manifest["url"] == base_url + "/manifest.webmanifest"
    assert manifest["errors"] == []
    assert json.loads(manifest["data"])["name"] == "Kaap"
    icon = page.evaluate("fetch(document.querySelector('link[rel=icon]').href).then(r => r.status)")
    assert icon == 200
