"""The option "Keep Kaap running for reminders when the window is closed"."""

import pytest

from webapp.dialogs import EXTENSION as DIALOGS


def test_keep_running_is_off_by_default_and_can_be_turned_on(client):
    assert client.get("/api/settings").get_json()["keep_running"] == "off"
    assert (
        client.patch("/api/settings", json={"keep_running": "on"}).get_json()["keep_running"]
        == "on"
    )


@pytest.mark.parametrize("value", ["yes", True, None])
def test_keep_running_takes_only_on_or_off(client, value):
    assert client.patch("/api/settings", json={"keep_running": value}).status_code == 400


def test_the_option_is_offered_on_the_desktop_only(client, app):
    assert b'id="keep-running"' not in client.get("/settings").data
    app.extensions[DIALOGS] = type("WindowDialogs", (), {"native": True})()  # as the shell
    assert b'id="keep-running"' in client.get("/settings").data
