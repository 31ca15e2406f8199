"""Fonts: a Korean title renders in the vendored Korean face at the title's (medium) weight."""

from playwright.sync_api import expect

from tests.ui.conftest import screenshot


def walk(node):
    yield node
    for child in node.get("children", []) + node.get("shadowRoots", []):
        yield from walk(child)


def rendered_fonts(page, selector):
    """The fonts Chromium drew the element's text with (DevTools' "Rendered Fonts"), by name."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        # pierce: a textarea's text is in its user-agent shadow root
        root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        found = cdp.send("DOM.querySelector", {"nodeId": root["nodeId"], "selector": selector})
        element = next(node for node in walk(root) if node["nodeId"] == found["nodeId"])
        # the value's box, not the (hidden) placeholder's
        shown = [
            node
            for shadow in element.get("shadowRoots", [])
            for node in shadow["children"]
            if "pseudo" not in node.get("attributes", [])
        ]
        node = (shown or [element])[0]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        return {font["postScriptName"]: font["glyphCount"] for font in fonts}
    finally:
        cdp.detach()


def test_a_korean_title_renders_in_the_vendored_korean_face_at_medium_weight(page, api):
    korean = api.note(title="장보기 목록", body="우유, 빵")
    latin = api.note(title="Shopping list", body="milk, bread")
    page.reload()
    title = page.locator(f'.card[data-id="{korean["id"]}"] .card-title')
    expect(title).to_have_css("font-weight", "500")
    page.evaluate("document.fonts.ready.then(() => true)")
    # the 5 Hangul syllables in Noto Sans KR Medium (vendored), the space in Roboto Medium
    assert rendered_fonts(page, f'.card[data-id="{korean["id"]}"] .card-title') == {
        "NotoSansKRThin-Medium": 5,
        "Roboto-Medium": 1,
    }
    assert rendered_fonts(page, f'.card[data-id="{latin["id"]}"] .card-title') == {
        "Roboto-Medium": len("Shopping list")
    }
    screenshot(page, "korean-and-latin-titles")
    title.click()
    expect(page.locator("dialog#editor .nf-title")).to_have_value("장보기 목록")
    page.evaluate("document.fonts.ready.then(() => true)")
    assert rendered_fonts(page, "dialog#editor .nf-title") == {
        "NotoSansKRThin-Medium": 5,
        "Roboto-Medium": 1,
    }
    screenshot(page, "korean-title-in-the-editor")
