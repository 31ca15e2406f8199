"""Reminders in the page as Keep shows them: the bell and its presets, Pick date & time with a
repeat, the chip (change, remove, done), the Reminders view, and a browser notification when
one falls due. The page and the server run in Europe/Amsterdam on a clock set by the test."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import Clock
from tests.ui.conftest import SIZES, eventually, screenshot

ZONE = "Europe/Amsterdam"
# Tuesday 24 November 2026, 11:00 in Amsterdam: Later today is 13:00, Next week Monday the 30th.
# In the past of the real clock: the notes listing leaves out notes written in its future.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

# Every Notification the page makes is recorded (the real one is still made): the test's view
# of what the person would see. Playwright injects this before the page's own scripts.
RECORD_NOTIFICATIONS = """
(() => {
  if (typeof Notification !== "function") return;
  const Real = Notification;
  window.__notifications = [];
  window.__asked = 0;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title, body: options?.body, tag: options?.tag, n: this });
    }
  }
  Recorded.requestPermission = (...args) => { window.__asked += 1; return Real.requestPermission(...args); };
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  window.Notification = Recorded;
})();
"""


@pytest.fixture
def context(browser):
    """A browser in Amsterdam's zone, recording its notifications."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id=ZONE
    )
    context.set_default_timeout(5000)
    context.add_init_script(RECORD_NOTIFICATIONS)
    yield context
    context.close()


@pytest.fixture
def server_clock(server):
    """The served app's clock (presets, "has it passed") at NOW; the real one back after."""
    app = server[0]
    real = app.extensions["kaap.clock"]
    clock = Clock(NOW)
    app.extensions["kaap.clock"] = clock
    yield clock
    app.extensions["kaap.clock"] = real


@pytest.fixture
def at_now(tab, base_url, api, server_clock):
    """The page at /, its clock and the server's both at NOW."""
    tab.clock.set_fixed_time(NOW)
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    return tab


def card(page, text):
    return page.locator(".card", has_text=text)


def picker(page):
    return page.locator(".remind-picker")


def remind(api, title, local, repeat=None, **fields):
    return api.note(title=title, reminder={"at": local, "zone": ZONE, "repeat": repeat}, **fields)


def test_card_bell_offers_keeps_presets_with_their_times(at_now, api):
    note = api.note(title="Call the dentist")
    page = at_now
    page.reload()
    card(page, "Call the dentist").hover()
    card(page, "Call the dentist").get_by_label("Remind me").click()
    expect(picker(page)).to_have_attribute("data-presets", "server")
    options = picker(page).locator(".remind-option:visible")
    expect(options.nth(0)).to_have_text("Later today1:00 PM")
    expect(options.nth(1)).to_have_text("Tomorrow8:00 AM")
    expect(options.nth(2)).to_have_text("Next weekMon, 8:00 AM")
    expect(options.nth(3)).to_have_text("schedulePick date & time")
    screenshot(page, "reminders-bell-presets")
    assert page.evaluate("window.__asked") == 0
    picker(page).get_by_role("button", name="Tomorrow").click()
    # setting the first reminder is the click that asks to notify; once only
    eventually(lambda: page.evaluate("window.__asked") == 1)
    chip = card(page, "Call the dentist").locator(".reminder-chip")
    expect(chip).to_contain_text("Tomorrow, 8:00 AM")
    reminder = api.get(note["id"])["reminder"]
    assert (reminder["local"], reminder["zone"], reminder["repeat"]) == (
        "2026-11-25T08:00",
        ZONE,
        None,
    )
    screenshot(page, "reminders-card-chip")


def test_later_today_is_not_offered_late_in_the_evening(at_now, api, server_clock):
    server_clock.current = NOW.replace(hour=20)  # 21:00 in Amsterdam
    at_now.clock.set_fixed_time(NOW.replace(hour=20))
    api.note(title="Late")
    at_now.reload()
    card(at_now, "Late").hover()
    card(at_now, "Late").get_by_label("Remind me").click()
    expect(picker(at_now)).to_have_attribute("data-presets", "server")
    expect(picker(at_now).locator('[data-preset="later_today"]')).to_be_hidden()
    expect(picker(at_now).locator('[data-preset="tomorrow"]')).to_be_visible()


def test_editor_bell_pick_date_and_time_with_a_weekly_repeat(at_now, api):
    note = api.note(title="Standup", body="Notes for the standup")
    page = at_now
    page.reload()
    card(page, "Standup").click()
    editor = page.locator("dialog#editor")
    editor.get_by_label("Remind me").click()
    picker(page).get_by_role("button", name="Pick date & time").click()
    picker(page).get_by_label("Date").fill("2026-12-10")
    picker(page).get_by_label("Time").fill("09:30")
    picker(page).get_by_label("Repeat").select_option(label="Weekly")
    screenshot(page, "reminders-pick-date-time")
    picker(page).get_by_role("button", name="Save").click()
    chip = editor.locator(".reminder-chip")
    expect(chip).to_contain_text("Dec 10, 9:30 AM")
    expect(chip.locator(".reminder-chip-icon")).to_have_text("repeat")
    reminder = api.get(note["id"])["reminder"]
    assert (reminder["local"], reminder["repeat"], reminder["zone"]) == (
        "2026-12-10T09:30",
        "weekly",
        ZONE,
    )
    screenshot(page, "reminders-editor-chip")
    # the reminder's own save raised the version: typing afterwards saves without a clash
    editor.get_by_label("Title").press("End")
    editor.get_by_label("Title").type(" notes")
    editor.get_by_role("button", name="Close").click()
    eventually(lambda: api.get(note["id"])["title"] == "Standup notes")
    assert api.get(note["id"])["reminder"]["repeat"] == "weekly"
    expect(page.locator(".conflict:visible")).to_have_count(0)
    expect(card(page, "Standup notes").locator(".reminder-chip")).to_contain_text("Dec 10, 9:30 AM")


def test_a_time_that_has_passed_is_refused_in_words(at_now, api):
    api.note(title="Yesterday's")
    page = at_now
    page.reload()
    card(page, "Yesterday's").hover()
    card(page, "Yesterday's").get_by_label("Remind me").click()
    picker(page).get_by_role("button", name="Pick date & time").click()
    picker(page).get_by_label("Date").fill("2026-11-23")
    picker(page).get_by_label("Time").fill("09:00")
    picker(page).get_by_role("button", name="Save").click()
    expect(page.locator("#snackbar")).to_contain_text("that time has passed")
    expect(card(page, "Yesterday's").locator(".reminder-chip")).to_have_count(0)


def test_chip_click_changes_the_reminder_and_its_x_removes_it(at_now, api):
    note = remind(api, "Pay rent", "2026-11-25T08:00")
    page = at_now
    page.reload()
    chip = card(page, "Pay rent").locator(".reminder-chip")
    expect(chip).to_contain_text("Tomorrow, 8:00 AM")
    chip.get_by_role("button", name="Change reminder").click()
    picker(page).get_by_role("button", name="Next week").click()
    expect(chip).to_contain_text("Nov 30, 8:00 AM")
    assert api.get(note["id"])["reminder"]["local"] == "2026-11-30T08:00"
    assert page.evaluate("window.__asked") == 1  # asked the first time, not again
    chip.hover()
    chip.get_by_role("button", name="Remove reminder").click()
    expect(card(page, "Pay rent").locator(".reminder-chip")).to_have_count(0)
    expect(page.locator("#snackbar")).to_contain_text("Reminder deleted")
    assert api.get(note["id"])["reminder"] is None
    page.locator("#snackbar").get_by_role("button", name="Undo").click()
    expect(card(page, "Pay rent").locator(".reminder-chip")).to_contain_text("Nov 30, 8:00 AM")
    assert api.get(note["id"])["reminder"]["local"] == "2026-11-30T08:00"


def test_done_from_the_chip_and_from_the_card_menu(at_now, api):
    once = remind(api, "Buy stamps", "2026-11-25T08:00")
    weekly = remind(api, "Water the plants", "2026-11-25T08:00", repeat="weekly")
    page = at_now
    page.reload()
    chip = card(page, "Buy stamps").locator(".reminder-chip")
    chip.get_by_role("button", name="Change reminder").click()
    picker(page).get_by_role("button", name="Mark as done").click()
    expect(chip).to_have_attribute("data-state", "done")
    assert api.get(once["id"])["reminder"]["done"] is True
    # a repeating one moves on to its next time, as the server says
    card(page, "Water the plants").hover()
    card(page, "Water the plants").get_by_label("More").click()
    page.locator(".menu").get_by_role("menuitem", name="Mark reminder done").click()
    expect(card(page, "Water the plants").locator(".reminder-chip")).to_contain_text(
        "Dec 2, 8:00 AM"
    )
    assert api.get(weekly["id"])["reminder"]["done"] is False
    screenshot(page, "reminders-done-chip")


def test_past_due_chip_is_struck_through(at_now, api, server_clock):
    remind(api, "Missed it", "2026-11-24T11:30")
    server_clock.advance(hours=1)
    at_now.clock.set_fixed_time(NOW + timedelta(hours=1))
    at_now.reload()
    chip = card(at_now, "Missed it").locator(".reminder-chip")
    expect(chip).to_have_attribute("data-state", "past")
    assert "line-through" in chip.locator(".reminder-chip-text").evaluate(
        "el => getComputedStyle(el).textDecorationLine"
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_reminders_view_lists_upcoming_soonest_first_and_done_apart(at_now, api, size):
    page = at_now
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    remind(api, "Third", "2026-12-06T09:00")
    remind(api, "First", "2026-11-24T18:00", pinned=True)
    remind(api, "Second", "2026-11-26T07:30", repeat="daily")
    api.note(title="No reminder")
    done = remind(api, "Done already", "2026-11-25T08:00")
    api.client.post(f"/api/notes/{done['id']}/reminder/done")
    page.reload()
    if size == "phone":
        page.locator("#menu-toggle").click()
    nav = page.locator("#sidebar .nav-item")
    expect(nav.nth(1)).to_have_text("notifications_noneReminders")  # second, as in Keep
    nav.nth(1).click()
    titles = page.locator("#grid-others .card .card-title")
    expect(titles).to_have_text(["First", "Second", "Third"])
    expect(page.locator("#grid-pinned .card")).to_have_count(0)
    screenshot(page, f"reminders-view-{size}")
    page.get_by_role("tab", name="Done").click()
    expect(titles).to_have_text(["Done already"])
    # a reminder set from the view's card joins it in its place
    page.get_by_role("tab", name="Upcoming").click()
    expect(titles).to_have_text(["First", "Second", "Third"])
    card(page, "Third").locator(".reminder-chip").get_by_role(
        "button", name="Change reminder"
    ).click()
    picker(page).get_by_role("button", name="Tomorrow").click()
    expect(titles).to_have_text(["First", "Third", "Second"])
    # one marked done leaves the list for Done, in its place by time
    card(page, "First").locator(".reminder-chip").get_by_role(
        "button", name="Change reminder"
    ).click()
    picker(page).get_by_role("button", name="Mark as done").click()
    expect(titles).to_have_text(["Third", "Second"])
    page.get_by_role("tab", name="Done").click()
    expect(titles).to_have_text(["First", "Done already"])


def test_a_note_made_in_the_reminders_view_gets_a_reminder_as_in_keep(at_now, api):
    page = at_now
    page.evaluate("location.hash = 'reminders'")
    page.locator("#composer-open").click()
    composer = page.locator("#composer")
    expect(composer.locator(".reminder-chip")).to_contain_text("Today, 1:00 PM")
    composer.get_by_label("Title").fill("Bring the chairs")
    composer.get_by_role("button", name="Change reminder").click()
    picker(page).get_by_role("button", name="Tomorrow").click()
    expect(composer.locator(".reminder-chip")).to_contain_text("Tomorrow, 8:00 AM")
    screenshot(page, "reminders-composer")
    composer.get_by_role("button", name="Close").click()
    expect(card(page, "Bring the chairs").locator(".reminder-chip")).to_contain_text(
        "Tomorrow, 8:00 AM"
    )
    (note,) = [n for n in api.notes() if n["title"] == "Bring the chairs"]
    assert note["reminder"]["local"] == "2026-11-25T08:00"


def test_composer_bell_in_notes_sets_the_new_notes_reminder(at_now, api):
    page = at_now
    page.locator("#composer-open").click()
    composer = page.locator("#composer")
    expect(composer.locator(".reminder-chip")).to_have_count(0)
    composer.get_by_label("Title").fill("Renew passport")
    composer.get_by_label("Remind me").click()
    picker(page).get_by_role("button", name="Next week").click()
    composer.get_by_role("button", name="Close").click()
    expect(card(page, "Renew passport").locator(".reminder-chip")).to_contain_text(
        "Nov 30, 8:00 AM"
    )
    page.locator("#composer-open").click()  # the next note starts without one
    expect(composer.locator(".reminder-chip")).to_have_count(0)


def test_a_search_from_the_reminders_view_searches_every_note(at_now, api):
    remind(api, "Milk for the party", "2026-11-25T08:00")
    api.note(title="Milk prices")
    page = at_now
    page.evaluate("location.hash = 'reminders'")
    expect(page.locator(".card")).to_have_count(1)
    page.locator("#search").fill("milk")
    expect(page.locator(".card")).to_have_count(2)
    expect(page.locator("#reminders-bar")).to_be_hidden()
    page.locator("#search").fill("")
    expect(page.locator(".card")).to_have_count(1)


def test_reminders_view_empty_state_as_keep(at_now, api):
    remind(api, "Elsewhere", "2026-11-25T08:00")
    at_now.evaluate("location.hash = 'reminders/done'")
    expect(at_now.locator("#empty")).to_contain_text("Notes whose reminders are done appear here")
    at_now.evaluate("location.hash = 'reminders'")
    expect(at_now.locator(".card")).to_have_count(1)
    card(at_now, "Elsewhere").locator(".reminder-chip").hover()
    card(at_now, "Elsewhere").get_by_role("button", name="Remove reminder").click()
    expect(at_now.locator("#empty")).to_contain_text("Notes with upcoming reminders appear here")
    screenshot(at_now, "reminders-view-empty")


# --- the Notification API --------------------------------------------------------------------


def test_permission_is_asked_from_the_reminders_view_never_on_load(tab, base_url, api, context):
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    assert tab.evaluate("window.__asked") == 0
    assert tab.evaluate("Notification.permission") == "default"
    offer = tab.locator("#notify-offer")
    expect(offer).to_be_hidden()
    tab.evaluate("location.hash = 'reminders'")
    expect(offer).to_be_visible()
    screenshot(tab, "reminders-notify-offer")
    context.grant_permissions(["notifications"])
    offer.get_by_role("button", name="Turn on").click()
    expect(offer).to_be_hidden()
    assert tab.evaluate("window.__asked") == 1
    expect(tab.locator("body")).to_have_attribute("data-notifications", "granted")


def test_a_reminder_falling_due_shows_a_notification_that_opens_its_note(
    tab, base_url, api, context
):
    context.grant_permissions(["notifications"])
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    due = datetime.now(UTC) + timedelta(seconds=3)
    note = api.note(title="Take the cake out", reminder={"at": due.isoformat(), "zone": ZONE})
    later = api.note(
        title="Not yet", reminder={"at": (due + timedelta(hours=1)).isoformat(), "zone": ZONE}
    )
    tab.reload()  # the page learns its reminders from the server at start...
    tab.wait_for_selector("body.ready")
    # ...and the timer is armed for the soonest
    eventually(lambda: tab.locator("body").get_attribute("data-next-reminder"))
    shown = eventually(
        lambda: tab.evaluate("window.__notifications.map(n => [n.title, n.tag])"), timeout=8
    )
    assert shown == [["Take the cake out", f"kaap-reminder-{note['id']}"]]
    # the next one is armed now; the person clicks the notification: the page opens its note
    assert later["id"] != note["id"]
    tab.evaluate("window.__notifications[0].n.dispatchEvent(new Event('click'))")
    expect(tab.locator("dialog#editor")).to_be_visible()
    expect(tab.locator("dialog#editor").get_by_label("Title")).to_have_value("Take the cake out")
    assert tab.url.endswith(f"#note/{note['id']}")


def test_a_repeating_reminder_shown_in_the_browser_moves_on_to_its_next_time(
    tab, base_url, api, context
):
    context.grant_permissions(["notifications"])
    due = datetime.now(UTC) + timedelta(seconds=3)
    note = api.note(
        title="Water the plants", reminder={"at": due.isoformat(), "zone": ZONE, "repeat": "daily"}
    )
    tab.goto(base_url + "/")
    tab.wait_for_selector("body.ready")
    eventually(lambda: tab.evaluate("window.__notifications.length") == 1 or None, timeout=8)
    # The page told the server: tomorrow's is the next one, not today's again.
    moved = eventually(
        lambda: (at := api.get(note["id"])["reminder"]["at"]) != note["reminder"]["at"] and at,
        timeout=8,
    )
    assert datetime.fromisoformat(moved.replace("Z", "+00:00")) - due < timedelta(days=1, seconds=1)
    assert datetime.fromisoformat(moved.replace("Z", "+00:00")) > due + timedelta(hours=23)


def test_a_reminder_set_in_the_open_page_rearms_the_timer(tab, base_url, api, context, server):
    context.grant_permissions(["notifications"])
    note = api.note(title="Soon")
    tab.goto(base_url + f"/#note/{note['id']}")
    tab.wait_for_selector("body.ready")
    due = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    # what the page hears of its own write arms the timer (no reload)
    tab.evaluate(
        """async ([id, at]) => {
          const api = await import("/static/js/api.js");
          const store = await import("/static/js/store.js");
          store.noteChanged(await api.api.updateNote(id, { reminder: { at, zone: "Europe/Amsterdam" } }));
        }""",
        [note["id"], due],
    )
    shown = eventually(lambda: tab.evaluate("window.__notifications.map(n => n.title)"), timeout=8)
    assert shown == ["Soon"]


def test_the_desktop_window_leaves_notifications_to_the_shell(tab, base_url, api, context, server):
    class NativeDialogs:
        native = True

        def ask_save_path(self, suggested_name, file_types=()):
            return None

    app = server[0]
    before = app.extensions["kaap.dialogs"]
    app.extensions["kaap.dialogs"] = NativeDialogs()
    try:
        context.grant_permissions(["notifications"])
        due = datetime.now(UTC) + timedelta(seconds=2)
        api.note(title="Desktop's to tell", reminder={"at": due.isoformat(), "zone": ZONE})
        tab.goto(base_url + "/#reminders")
        tab.wait_for_selector("body.ready")
        expect(tab.locator("body")).to_have_attribute("data-desktop", "true")
        expect(tab.locator("#notify-offer")).to_be_hidden()
        tab.wait_for_timeout(3500)
        assert tab.evaluate("window.__notifications") == []
        assert tab.locator("body").get_attribute("data-next-reminder") is None
    finally:
        app.extensions["kaap.dialogs"] = before


def test_phone_editor_bell_and_chip(at_now, api):
    page = at_now
    page.set_viewport_size(dict(zip(("width", "height"), SIZES["phone"], strict=True)))
    remind(api, "Groceries", "2026-11-25T08:00", repeat="weekly", body="Milk, eggs")
    page.reload()
    expect(card(page, "Groceries").locator(".reminder-chip")).to_contain_text("Tomorrow, 8:00 AM")
    card(page, "Groceries").hover()
    toolbar = card(page, "Groceries").locator(".card-toolbar")
    card_box, bar_box = card(page, "Groceries").bounding_box(), toolbar.bounding_box()
    assert bar_box["x"] + bar_box["width"] <= card_box["x"] + card_box["width"] + 1  # the bell fits
    screenshot(page, "reminders-phone-card")
    card(page, "Groceries").click()
    editor = page.locator("dialog#editor")
    expect(editor.locator(".reminder-chip")).to_contain_text("Tomorrow, 8:00 AM")
    editor.get_by_label("Remind me").click()
    expect(picker(page)).to_have_attribute("data-presets", "server")
    expect(picker(page).get_by_role("button", name="Mark as done")).to_be_visible()
    box = picker(page).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES["phone"][0]
    screenshot(page, "reminders-phone-picker")


def test_dark_theme_chip_and_picker(at_now, api):
    api.client.patch("/api/settings", json={"theme": "dark"})
    remind(api, "In the dark", "2026-11-24T18:00", color="blue")
    page = at_now
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card(page, "In the dark").hover()
    card(page, "In the dark").get_by_label("Remind me").click()
    expect(picker(page)).to_have_attribute("data-presets", "server")
    screenshot(page, "reminders-dark")


def test_a_repeating_reminder_notified_elsewhere_moves_on_in_the_open_page(at_now, api, server):
    note = remind(api, "Stretch", "2026-11-24T18:00", repeat="daily")
    page = at_now
    page.reload()
    chip = card(page, "Stretch").locator(".reminder-chip")
    expect(chip).to_contain_text("Today, 6:00 PM")
    app = server[0]
    with app.app_context():
        from webapp.extensions import db
        from webapp.reminders import service

        at = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
        # owner 1: the single user of accounts-off mode, as the desktop notifier would call it
        following = service.mark_notified(db.session, 1, note["id"], at, at + timedelta(minutes=1))
    assert following == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    expect(chip).to_contain_text("Tomorrow, 6:00 PM")  # told by the 'reminded' event
