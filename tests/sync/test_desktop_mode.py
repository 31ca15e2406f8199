"""With accounts off (the desktop app) there is no one to sync to."""

from tests.conftest import error_code


def test_a_desktop_is_not_a_sync_server(client):
    body = {"username": "local", "password": "x", "device": "pc"}
    response = client.post("/api/sync/devices", json=body)
    assert response.status_code == 404 and error_code(response) == "not_a_sync_server"
    assert "not a sync server" in response.get_json()["error"]["message"]
