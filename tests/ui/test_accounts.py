"""Accounts in the browser (server mode): sign up, log in and out, settings' Account card, and
a session that ends while the page is open. With accounts off none of it shows."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import SCREENSHOTS, accounts_app, screenshot, serving

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"
_numbers = itertools.count(1)


def api_client(app):
    client = app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get("/api/csrf").get_json()["csrf_token"]
    return client


def sign_up(app, username: str, password: str = PASSWORD) -> None:
    response = api_client(app).post(
        "/api/auth/register", json={"username": username, "password": password}
    )
    assert response.status_code == 201, response.get_json()


def api_login(app, username: str, password: str) -> int:
    response = api_client(app).post(
        "/api/auth/login", json={"username": username, "password": password}
    )
    return response.status_code


def end_sessions(app, username: str) -> None:
    """Change the password elsewhere: every session of ``username`` ends."""
    other = api_client(app)
    other.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    other.environ_base["HTTP_X_CSRFTOKEN"] = other.get("/api/csrf").get_json()["csrf_token"]
    response = other.put(
        "/api/account/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204


@pytest.fixture(scope="module")
def site(accounts_server):
    """Server mode with its admin (the first account); people signing up later are not."""
    app, url = accounts_server
    sign_up(app, "admin")
    return app, url


@pytest.fixture
def person(site) -> str:
    name = f"person{next(_numbers)}"
    sign_up(site[0], name)
    return name


def log_in(page, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(url + "/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(url + "/")
    page.wait_for_selector("body.ready")


def open_account_settings(page, url: str) -> None:
    page.click("#account-button")
    page.locator("#account-menu").get_by_role("link", name="Settings").click()
    page.wait_for_url(url + "/settings#account")
    page.wait_for_selector("body.ready")


def card_screenshot(page, name: str) -> None:
    """The whole Account card, however tall, in test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.locator("#account").screenshot(path=SCREENSHOTS / f"{name}-card-{width}.png")


def in_dark(page, name: str) -> None:
    """A screenshot with the system in dark mode (no theme chosen: Kaap follows it)."""
    page.emulate_media(color_scheme="dark")
    screenshot(page, f"{name}-dark")
    page.emulate_media(color_scheme="light")


def test_the_first_person_sets_up_kaap_on_the_register_page_and_lands_on_notes(tab, tmp_path):
    with serving(accounts_app(tmp_path)) as url:
        tab.goto(url + "/")
        tab.wait_for_url(url + "/register")
        expect(tab.get_by_role("heading", name="Set up Kaap")).to_be_visible()
        screenshot(tab, "account-register")
        in_dark(tab, "account-register")
        tab.set_viewport_size({"width": 390, "height": 844})
        screenshot(tab, "account-register")
        tab.set_viewport_size({"width": 1280, "height": 800})

        tab.get_by_label("User name").fill("Ada")
        tab.get_by_label("Password", exact=True).fill(PASSWORD)
        tab.get_by_label("Password again").fill(PASSWORD + "x")
        tab.get_by_role("button", name="Create account").click()
        assert tab.url == url + "/register"  # the browser holds a form whose passwords differ
        tab.get_by_label("Password again").fill(PASSWORD)
        tab.get_by_role("button", name="Create account").click()
        tab.wait_for_url(url + "/")
        tab.wait_for_selector("body.ready")
        expect(tab.locator("#empty")).to_be_visible()
        expect(tab.locator("#account-button")).to_have_text("A")

        tab.click("#account-button")
        menu = tab.locator("#account-menu")
        expect(menu).to_be_visible()
        expect(menu).to_contain_text("ada")
        expect(menu).to_contain_text("Admin")
        screenshot(tab, "account-menu")
        in_dark(tab, "account-menu")
        tab.keyboard.press("Escape")
        expect(menu).to_be_hidden()


def test_log_out_then_a_wrong_password_is_explained_then_log_in(tab, site, person):
    _, url = site
    log_in(tab, url, person)
    tab.click("#account-button")
    tab.get_by_role("button", name="Log out").click()
    tab.wait_for_url(url + "/login")
    tab.goto(url + "/")
    tab.wait_for_url(url + "/login?next=/")  # the session is gone on the server too

    tab.get_by_label("User name").fill(person)
    tab.get_by_label("Password").fill("not my password")
    tab.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("alert")).to_contain_text("Wrong user name or password.")
    expect(tab.get_by_label("Password")).to_be_focused()
    expect(tab.get_by_label("User name")).to_have_value(person)
    screenshot(tab, "account-login-error")
    in_dark(tab, "account-login-error")
    tab.set_viewport_size({"width": 390, "height": 844})
    screenshot(tab, "account-login-error")

    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(url + "/")
    tab.wait_for_selector("body.ready")
    tab.click("#account-button")
    expect(tab.locator("#account-menu")).to_contain_text(person)
    expect(tab.locator("#account-menu")).not_to_contain_text("Admin")
    screenshot(tab, "account-menu")


def test_the_login_page_light_and_dark(tab, site):
    _, url = site
    tab.goto(url + "/login")
    expect(tab.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(tab, "account-login")
    in_dark(tab, "account-login")


def test_a_new_api_token_is_shown_once_then_listed_and_revocable(tab, site, person):
    app, url = site
    log_in(tab, url, person)
    open_account_settings(tab, url)
    expect(tab.locator("#tokens-empty")).to_be_visible()

    tab.get_by_role("button", name="Create token").click()
    expect(tab.locator("#token-message")).to_contain_text("Give the token a name")
    tab.get_by_label("Token name").fill("backup script")
    tab.get_by_role("button", name="Create token").click()
    secret_box = tab.locator("#token-secret")
    expect(secret_box).to_be_visible()
    expect(secret_box).to_contain_text("you will not see it again")
    secret = tab.locator("#token-secret-value").input_value()
    assert secret.startswith("kaap_") and len(secret) > 40
    assert tab.locator("#token-secret-value").get_attribute("readonly") is not None
    row = tab.locator("#tokens-body tr", has_text="backup script")
    expect(row).to_contain_text(secret[:12] + "…")
    expect(row).to_contain_text("Never")
    screenshot(tab, "account-settings")
    in_dark(tab, "account-settings")
    card_screenshot(tab, "account-settings")
    tab.emulate_media(color_scheme="dark")
    card_screenshot(tab, "account-settings-dark")
    tab.emulate_media(color_scheme="light")

    bearer = {"Authorization": f"Bearer {secret}"}
    me = app.test_client().get("/api/auth/me", headers=bearer)
    assert (me.status_code, me.get_json()["username"]) == (200, person)

    tab.get_by_role("button", name="Done").click()
    expect(secret_box).to_be_hidden()
    assert tab.locator("#token-secret-value").input_value() == ""
    tab.reload()
    tab.wait_for_selector("body.ready")
    assert secret not in tab.content()
    expect(row).to_contain_text("backup script")

    row.get_by_role("button", name="Revoke backup script").click()
    expect(tab.locator("#revoke-dialog")).to_contain_text("backup script")
    tab.click("#revoke-confirm")
    expect(tab.locator("#tokens-empty")).to_be_visible()
    expect(tab.locator("#token-message")).to_have_text("Revoked “backup script”.")
    assert app.test_client().get("/api/auth/me", headers=bearer).status_code == 401


def test_only_an_admin_offers_the_admin_scope_and_only_the_scoped_token_administers(
    tab, site, person
):
    app, url = site
    log_in(tab, url, person)
    open_account_settings(tab, url)
    expect(tab.locator("#token-name")).to_be_visible()
    assert tab.locator("#token-admin").count() == 0  # not an admin: nothing to grant
    tab.click("#account-button")
    tab.get_by_role("button", name="Log out").click()
    tab.wait_for_url(url + "/login")

    log_in(tab, url, "admin")
    open_account_settings(tab, url)
    secrets = {}
    for name, scoped in (("ops script", True), ("cron script", False)):
        tab.get_by_label("Token name").fill(name)
        if scoped:
            tab.get_by_label("Admin scope: may manage users and backups").check()
        tab.get_by_role("button", name="Create token").click()
        expect(tab.locator("#token-secret")).to_be_visible()
        secrets[name] = tab.locator("#token-secret-value").input_value()
        tab.get_by_role("button", name="Done").click()
        assert not tab.get_by_label("Admin scope: may manage users and backups").is_checked()
    expect(tab.locator("#tokens-body tr", has_text="ops script")).to_contain_text("Admin scope")
    expect(tab.locator("#tokens-body tr", has_text="cron script")).not_to_contain_text("Admin")
    card_screenshot(tab, "account-settings-admin-token")
    for name, status in (("ops script", 200), ("cron script", 403)):
        bearer = {"Authorization": f"Bearer {secrets[name]}"}
        assert app.test_client().get("/api/users", headers=bearer).status_code == status, name


def test_changing_the_password_explains_mistakes_and_keeps_this_page_working(tab, site, person):
    app, url = site
    log_in(tab, url, person)
    open_account_settings(tab, url)
    message = tab.locator("#password-message")

    def change(current, new, again=None):
        tab.get_by_label("Current password").fill(current)
        tab.get_by_label("New password", exact=True).fill(new)
        tab.get_by_label("New password again").fill(new if again is None else again)
        tab.get_by_role("button", name="Change password").click()

    change("wrong password", NEW_PASSWORD)
    expect(message).to_have_text("The current password is wrong.")
    expect(tab.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    change(PASSWORD, NEW_PASSWORD, again="something else")
    expect(message).to_have_text("The two new passwords differ.")
    change(PASSWORD, "password123")
    expect(message).to_contain_text("too common")
    change(PASSWORD, NEW_PASSWORD)
    expect(message).to_have_text("Password changed. Every other device has been logged out.")
    expect(tab.get_by_label("Current password")).to_have_value("")

    # the page's session is the new one, with a new CSRF token: writes still work
    tab.get_by_label("Token name").fill("after the change")
    tab.get_by_role("button", name="Create token").click()
    expect(tab.locator("#token-secret")).to_be_visible()
    assert api_login(app, person, PASSWORD) == 401
    assert api_login(app, person, NEW_PASSWORD) == 200


def test_deleting_the_account_asks_for_the_password_then_lands_on_login(tab, site, person):
    app, url = site
    log_in(tab, url, person)
    open_account_settings(tab, url)
    tab.get_by_role("button", name="Delete account…").click()
    dialog = tab.locator("#delete-dialog")
    expect(dialog).to_contain_text("every note, label, image and API token")
    dialog.get_by_label("Enter your password to confirm").fill("not my password")
    dialog.get_by_role("button", name="Delete account").click()
    expect(tab.locator("#delete-message")).to_have_text("The password is wrong.")
    screenshot(tab, "account-delete-dialog")
    dialog.get_by_label("Enter your password to confirm").fill(PASSWORD)
    dialog.get_by_role("button", name="Delete account").click()
    tab.wait_for_url(url + "/login")
    assert api_login(app, person, PASSWORD) == 401


def test_a_session_that_ends_while_the_page_is_open_goes_to_login_and_back(tab, site, person):
    app, url = site
    log_in(tab, url, person)
    end_sessions(app, person)  # the password changed on another device: this tab's ends too
    tab.click("a[href='#archive']")
    tab.wait_for_url(url + "/login?next=%2F%23archive")
    tab.get_by_label("User name").fill(person)
    tab.get_by_label("Password").fill(NEW_PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(url + "/#archive")
    tab.wait_for_selector("body.ready")


@pytest.mark.parametrize(("who", "sees_backups"), [("admin", True), ("person", False)])
def test_only_an_admin_sees_the_backups_card(tab, site, person, who, sees_backups):
    _, url = site
    log_in(tab, url, "admin" if who == "admin" else person)
    tab.goto(url + "/settings")
    tab.wait_for_selector("body.ready")
    expect(tab.locator("#account")).to_be_visible()
    assert tab.locator("#backups-title").count() == int(sees_backups)


def test_with_accounts_off_there_is_no_login_and_no_account_things(page, base_url):
    expect(page.locator("#account-button")).to_have_count(0)
    page.goto(base_url + "/settings")
    page.wait_for_selector("body.ready")
    expect(page.locator("#account")).to_have_count(0)
    expect(page.locator("#backups-title")).to_be_visible()
    assert page.goto(base_url + "/login").status == 404


def test_the_account_card_on_a_phone(tab, site, person):
    _, url = site
    tab.set_viewport_size({"width": 390, "height": 844})
    log_in(tab, url, person)
    tab.click("#account-button")
    expect(tab.locator("#account-menu")).to_be_visible()
    screenshot(tab, "account-menu")
    tab.goto(url + "/settings")
    tab.wait_for_selector("body.ready")
    tab.get_by_label("Token name").fill("phone")
    tab.get_by_role("button", name="Create token").click()
    expect(tab.locator("#token-secret")).to_be_visible()
    screenshot(tab, "account-settings")
    assert re.match(r"^kaap_", tab.locator("#token-secret-value").input_value())


def test_an_unsaved_draft_stays_with_its_author_not_the_next_person(tab, site, person):
    app, url = site
    log_in(tab, url, person)
    tab.click("#composer-open")
    tab.keyboard.type("Half a thought")
    end_sessions(app, person)
    tab.keyboard.press("Escape")  # the save meets a 401: off to log in, the draft kept
    tab.wait_for_url(re.compile(r".*/login\?next="))

    somebody = f"person{next(_numbers)}"
    sign_up(app, somebody)
    log_in(tab, url, somebody)
    expect(tab.locator("#composer-form")).to_be_hidden()  # no draft to bring back
    tab.click("#account-button")
    tab.get_by_role("button", name="Log out").click()
    tab.wait_for_url(url + "/login")

    log_in(tab, url, person, NEW_PASSWORD)
    note = tab.locator("#composer-form").get_by_role("textbox", name="Note")
    expect(note).to_have_value("Half a thought")
