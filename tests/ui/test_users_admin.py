"""The Users card in the browser (server mode): an admin lists, adds and deletes users; nobody
else sees the card."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import SCREENSHOTS, screenshot
from tests.ui.test_accounts import PASSWORD, api_client, api_login, in_dark, log_in, sign_up


@pytest.fixture(scope="module")
def site(accounts_server):
    """Server mode with its admin (the first account)."""
    app, url = accounts_server
    sign_up(app, "admin")
    return app, url


def logged_in(app, username: str, password: str = PASSWORD):
    client = api_client(app)
    assert (
        client.post(
            "/api/auth/login", json={"username": username, "password": password}
        ).status_code
        == 200
    )
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    return client


def open_users(page, url: str) -> None:
    page.goto(url + "/settings#users")
    page.wait_for_selector("body.ready")


def add_user(page, name: str, password: str = PASSWORD, admin: bool = False) -> None:
    form = page.locator("#add-user-form")
    form.get_by_label("User name").fill(name)
    form.get_by_label("Initial password").fill(password)
    form.get_by_label("Admin").set_checked(admin)
    form.get_by_role("button", name="Add user").click()


def users_card_screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.locator("#users").screenshot(path=SCREENSHOTS / f"{name}-card-{width}.png")


def test_an_admin_adds_a_user_who_can_log_in_and_sees_no_users_card(tab, site):
    app, url = site
    log_in(tab, url, "admin")
    open_users(tab, url)
    me = tab.locator("#users-body tr", has_text="admin")
    expect(me).to_contain_text("Admin")
    expect(me).to_contain_text("You")
    expect(me.get_by_role("button")).to_have_count(0)  # yourself: through the Account card

    message = tab.locator("#add-user-message")
    tab.get_by_role("button", name="Add user").click()
    expect(message).to_have_text("Give the user a name.")
    add_user(tab, "bea", "password123")
    expect(message).to_contain_text("too common")
    expect(tab.get_by_label("Initial password")).to_have_attribute("aria-invalid", "true")
    add_user(tab, "Admin")
    expect(message).to_have_text("That user name is taken.")
    expect(tab.get_by_label("User name")).to_have_attribute("aria-invalid", "true")
    screenshot(tab, "users-add-error")

    add_user(tab, "bea")
    expect(message).to_have_text("Added “bea”. They can log in now.")
    row = tab.locator("#users-body tr", has_text="bea")
    expect(row).not_to_contain_text("Admin")
    expect(row.get_by_role("button", name="Delete bea")).to_be_visible()
    expect(tab.get_by_label("User name")).to_have_value("")
    tab.locator("#users").scroll_into_view_if_needed()
    screenshot(tab, "users-settings")
    in_dark(tab, "users-settings")
    users_card_screenshot(tab, "users-settings")
    tab.emulate_media(color_scheme="dark")
    users_card_screenshot(tab, "users-settings-dark")
    tab.emulate_media(color_scheme="light")

    tab.click("#account-button")
    tab.get_by_role("button", name="Log out").click()
    tab.wait_for_url(url + "/login")
    log_in(tab, url, "bea")
    tab.goto(url + "/settings")
    tab.wait_for_selector("body.ready")
    expect(tab.locator("#account")).to_be_visible()
    expect(tab.locator("#users")).to_have_count(0)
    assert logged_in(app, "bea").get("/api/users").status_code == 404


def test_an_admin_can_add_another_admin(tab, site):
    app, url = site
    log_in(tab, url, "admin")
    open_users(tab, url)
    add_user(tab, "cora", admin=True)
    expect(tab.locator("#add-user-message")).to_have_text(
        "Added “cora” as an admin. They can log in now."
    )
    expect(tab.locator("#users-body tr", has_text="cora")).to_contain_text("Admin")
    assert logged_in(app, "cora").get("/api/users").status_code == 200


def test_deleting_a_user_asks_first_then_everything_of_theirs_goes(tab, site):
    app, url = site
    admin = logged_in(app, "admin")
    created = admin.post("/api/users", json={"username": "dan", "password": PASSWORD})
    assert created.status_code == 201
    dan = logged_in(app, "dan")
    assert dan.post("/api/notes", json={"title": "Dan's"}).status_code == 201

    log_in(tab, url, "admin")
    open_users(tab, url)
    row = tab.locator("#users-body tr", has_text="dan")
    dialog = tab.locator("#delete-user-dialog")
    row.get_by_role("button", name="Delete dan").click()
    expect(dialog.get_by_role("heading")).to_have_text("Delete dan?")
    expect(dialog).to_contain_text("every note, label, image and API token")
    screenshot(tab, "users-delete-dialog")
    in_dark(tab, "users-delete-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(row).to_be_visible()

    row.get_by_role("button", name="Delete dan").click()
    dialog.get_by_role("button", name="Delete user").click()
    expect(tab.locator("#users-message")).to_have_text("Deleted “dan” and everything of theirs.")
    expect(row).to_have_count(0)
    assert api_login(app, "dan", PASSWORD) == 401
    assert dan.get("/api/notes").status_code == 401  # the session went with the account
    assert "dan" not in [user["username"] for user in admin.get("/api/users").get_json()]


def test_settings_shows_import_and_export_first_then_the_account_and_users(tab, site):
    _, url = site
    log_in(tab, url, "admin")
    tab.goto(url + "/settings")
    tab.wait_for_selector("body.ready")
    titles = [t.strip() for t in tab.locator("main.settings h2").all_inner_texts()]
    order = [next(i for i, t in enumerate(titles) if name in t) for name in
             ("Import", "Export", "Account", "Users")]  # fmt: skip
    assert order == sorted(order), titles
    tab.screenshot(path=SCREENSHOTS / "settings-server-order-full-1280.png", full_page=True)
