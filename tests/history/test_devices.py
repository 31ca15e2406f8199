"""Which device made a version: the API token's "Kaap on <device>", none for the page."""

from __future__ import annotations

from tests.accounts.conftest import app_settings, sign_up  # noqa: F401 -- fixtures
from tests.accounts.world import created, token_client


def test_a_save_through_a_device_token_names_the_device(app, sign_up, clock):  # noqa: F811
    page = sign_up("ann")
    secret = created(page.post("/api/account/tokens", json={"name": "Kaap on laptop"}))["token"]
    device = token_client(app, secret)
    note = created(page.post("/api/notes", json={"title": "from the page"}))
    # Within the coalescing window, but another device's save: a version of its own.
    assert device.patch(f"/api/notes/{note['id']}", json={"title": "t2"}).status_code == 200
    listed = page.get(f"/api/notes/{note['id']}/versions").get_json()["versions"]
    assert [(v["number"], v["device"]) for v in listed] == [(2, "laptop"), (1, None)]
