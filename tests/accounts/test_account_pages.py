"""The pages in server mode: they say accounts are on, show who is logged in, and hide what
is not theirs (backups); logging out is a plain form."""

import re

import pytest


@pytest.fixture
def app_settings() -> dict:
    return {"ACCOUNTS": True, "OPEN_SIGNUP": True}


def test_the_page_says_accounts_are_on_and_who_is_logged_in(sign_up):
    page = sign_up("alice").get("/").get_data(as_text=True)
    assert 'data-accounts="on"' in page
    assert 'aria-label="Account: alice"' in page
    assert re.search(r'<span class="avatar avatar-\d" aria-hidden="true">A</span>', page)


def test_the_log_out_form_ends_the_session(sign_up):
    client = sign_up("alice")
    page = client.get("/").get_data(as_text=True)
    form = re.search(r'action="/logout".*?name="csrf_token" value="([^"]+)"', page, re.S)
    response = client.post("/logout", data={"csrf_token": form.group(1)})
    assert (response.status_code, response.location) == (303, "/login")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("admin", "shown"), [(True, True), (False, False)])
def test_only_an_admin_sees_the_backups_card(sign_up, admin, shown):
    first = sign_up("admin")
    client = first if admin else sign_up("bob")
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="account"' in page
    assert ('id="backups-title"' in page) is shown


@pytest.mark.parametrize(("admin", "shown"), [(True, True), (False, False)])
def test_only_an_admin_gets_the_users_card_and_its_dialog(sign_up, admin, shown):
    first = sign_up("admin")
    client = first if admin else sign_up("bob")
    page = client.get("/settings").get_data(as_text=True)
    assert ('id="users"' in page) is shown
    assert ('id="delete-user-dialog"' in page) is shown


def test_settings_puts_import_and_export_before_the_account_and_its_administration(sign_up):
    page = sign_up("alice").get("/settings").get_data(as_text=True)  # the first user: admin
    titles = ["import-title", "export-title", "account-title", "users-title"]
    assert [page.index(f'aria-labelledby="{t}"') for t in titles] == sorted(
        page.index(f'aria-labelledby="{t}"') for t in titles
    )


@pytest.mark.parametrize("path", ["/favicon.ico", "/manifest.webmanifest"])
def test_the_icon_and_manifest_need_no_login(app, path):
    with app.test_client().get(path) as response:
        assert response.status_code == 200
