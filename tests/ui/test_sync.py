"""The Sync card: connect this Kaap to a server, see it in the header, sign out.

The server is tests/sync/device/conftest.py's CONTRACT app (h14-S1's endpoints are not on main yet)
on a real waitress socket; the lead switches it to a real Kaap server when merging.
"""

import pytest

from tests.live import serving
from tests.sync.device.conftest import PASSWORD, ContractServer, contract_app
from tests.ui.conftest import Api, eventually, screenshot


@pytest.fixture
def remote(server):
    contract = ContractServer()
    with serving(contract_app(contract)) as port:
        contract.url = f"http://127.0.0.1:{port}"
        yield contract
    # The session's app (and data dir) is shared: leave it signed out for the next test.
    assert Api(server[0]).client.delete("/api/sync/device").status_code == 204


def open_settings(page, base_url):
    page.click("#settings-button")
    page.wait_for_url(base_url + "/settings")
    page.wait_for_selector("body.ready")


def test_connect_shows_the_connection_then_sign_out_keeps_the_notes(page, base_url, api, remote):
    api.note(title="Stays here")
    assert page.locator("#sync-state").is_hidden()  # nothing to say before a connection
    open_settings(page, base_url)
    page.locator("#sync").scroll_into_view_if_needed()
    screenshot(page, "sync-signed-out")

    page.fill("#sync-url", remote.url)
    page.fill("#sync-user", "ana")
    page.fill("#sync-password", "wrong")
    page.click("#sync-connect")
    eventually(lambda: "Wrong user name or password." in page.inner_text("#sync-message"))
    assert remote.tokens == {}

    page.fill("#sync-password", PASSWORD)
    page.click("#sync-connect")
    page.locator("#sync-signed-in").wait_for(state="visible")
    who = page.inner_text("#sync-who")
    assert f"Connected to {remote.url} as ana" in who
    assert "Not synced yet" in page.inner_text("#sync-last")
    header = page.locator("#sync-state")
    assert header.is_visible()
    assert header.locator(".sync-state-text").inner_text() == "Not synced yet"
    assert "as ana" in header.get_attribute("title")
    assert page.input_value("#sync-password") == ""
    screenshot(page, "sync-connected")

    page.click("a[aria-label='Back to notes']")
    page.wait_for_selector("body.ready")
    eventually(lambda: page.locator("#sync-state").is_visible())
    screenshot(page, "sync-header")

    open_settings(page, base_url)
    page.click("#sync-sign-out")
    dialog = page.locator("#sync-sign-out-dialog")
    assert "Every note on this computer stays here" in dialog.inner_text()
    screenshot(page, "sync-sign-out-dialog")
    page.click("#sync-sign-out-confirm")
    page.locator("#sync-signed-out").wait_for(state="visible")
    assert "notes on this computer are kept" in page.inner_text("#sync-message")
    assert page.locator("#sync-state").is_hidden()
    assert remote.tokens == {}  # revoked on the server
    assert [note["title"] for note in api.notes()] == ["Stays here"]


def test_plain_http_to_another_computer_is_marked_unsafe(page, base_url, remote):
    open_settings(page, base_url)
    page.fill("#sync-url", "http://kaap.lan:8000")
    box = page.locator("#sync-insecure-box")
    assert box.is_visible()
    assert "anyone on the network can read your notes" in box.inner_text()
    page.locator("#sync").scroll_into_view_if_needed()
    screenshot(page, "sync-insecure-warning")
    page.fill("#sync-user", "ana")
    page.fill("#sync-password", PASSWORD)
    page.click("#sync-connect")
    eventually(lambda: "not encrypted" in page.inner_text("#sync-message"))
    page.fill("#sync-url", remote.url)  # loopback http: no warning
    assert box.is_hidden()


def test_an_identity_change_shows_in_the_header(page, base_url, api, remote):
    client = api.client
    body = {"url": remote.url, "username": "ana", "password": PASSWORD}
    assert client.post("/api/sync/device", json=body).status_code == 201
    remote.server_id = "replaced"
    open_settings(page, base_url)
    page.click("#sync-check")
    eventually(lambda: "reset or replaced" in page.inner_text("#sync-error"))
    assert page.locator("#sync-state.error").is_visible()
    screenshot(page, "sync-identity-changed")
