from tests.ui.conftest import screenshot


def test_empty_page(page):
    assert page.get_by_text("Notes you add appear here").is_visible()
    screenshot(page, "empty")
