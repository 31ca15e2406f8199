import pytest

from tests.conftest import error_code


def test_settings_start_at_their_defaults(client):
    assert client.get("/api/settings").get_json() == {
        "theme": "system",
        "layout": "grid",
        "order": "own",  # as Keep: the order the person gives the notes
        "keep_running": "off",  # closing the desktop's window quits, as before
    }


def test_a_change_keeps_the_other_settings(client):
    assert client.patch("/api/settings", json={"theme": "dark"}).get_json() == {
        "theme": "dark",
        "layout": "grid",
        "order": "own",
        "keep_running": "off",
    }
    client.patch("/api/settings", json={"layout": "list"})
    client.patch("/api/settings", json={})
    assert client.get("/api/settings").get_json() == {
        "theme": "dark",
        "layout": "list",
        "order": "own",
        "keep_running": "off",
    }


@pytest.mark.parametrize(
    "body",
    [{"theme": "purple"}, {"layout": "grid", "font": "big"}, {"theme": 1}, {"layout": None}, []],
)
def test_an_unknown_setting_or_value_is_refused_and_nothing_changes(client, body):
    client.patch("/api/settings", json={"theme": "light"})
    response = client.patch("/api/settings", json=body)
    assert response.status_code == 400
    error_code(response)
    assert client.get("/api/settings").get_json()["theme"] == "light"


def test_the_page_is_drawn_with_the_stored_settings(client):
    client.patch("/api/settings", json={"theme": "dark", "layout": "list"})
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en" data-theme="dark">' in page
    assert 'class="list-view"' in page
