import pytest

from tests.conftest import error_code

AMS = "Europe/Amsterdam"


def test_note_without_reminder_says_null(make_note):
    assert make_note()["reminder"] is None


def test_reminder_set_with_at_and_zone_is_stored_in_utc(make_note):
    note = make_note(reminder={"at": "2026-01-06T09:00", "zone": AMS, "repeat": "weekly"})
    assert note["reminder"] == {
        "at": "2026-01-06T08:00:00.000000Z", "zone": AMS, "repeat": "weekly", "done": False,
        "local": "2026-01-06T09:00",
    }  # fmt: skip


def test_reminder_at_with_offset_is_that_instant(make_note):
    note = make_note(reminder={"at": "2026-01-06T08:00:00Z", "zone": "America/New_York"})
    assert note["reminder"]["at"] == "2026-01-06T08:00:00.000000Z"
    assert note["reminder"]["local"] == "2026-01-06T03:00"


def test_preset_tomorrow_is_8_local(make_note):
    # The clock: Monday 2026-01-05 09:00 UTC, 10:00 in Amsterdam.
    note = make_note(reminder={"preset": "tomorrow", "zone": AMS})
    assert note["reminder"]["local"] == "2026-01-06T08:00"


def test_patch_changes_and_removes_the_reminder(client, make_note):
    note = make_note()
    url = f"/api/notes/{note['id']}"
    got = client.patch(url, json={"reminder": {"preset": "next_week", "zone": AMS}}).get_json()
    assert got["reminder"]["local"] == "2026-01-12T08:00"
    assert client.patch(url, json={"reminder": None}).get_json()["reminder"] is None


def test_resending_a_past_reminder_unchanged_is_accepted(client, clock, make_note):
    note = make_note(reminder={"at": "2026-01-05T12:00", "zone": AMS})
    clock.advance(days=1)
    body = {"title": "edited", "reminder": note["reminder"]}
    response = client.patch(f"/api/notes/{note['id']}", json=body)
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    "reminder, field",
    [
        ({"at": "2026-01-06T09:00", "zone": "Mars/Olympus"}, "reminder.zone"),
        ({"at": "2026-01-06T09:00", "zone": "../../etc/passwd"}, "reminder.zone"),
        ({"at": "2026-01-06T09:00"}, "reminder.zone"),
        ({"at": "2026-01-06T09:00", "zone": AMS, "repeat": "hourly"}, "reminder.repeat"),
        ({"at": "2026-01-06T09:00", "zone": AMS, "repeat": "FREQ=WEEKLY"}, "reminder.repeat"),
        ({"at": "tomorrow", "zone": AMS}, "reminder.at"),
        ({"at": "2025-12-01T09:00", "zone": AMS}, "reminder.at"),
        ({"preset": "someday", "zone": AMS}, "reminder.preset"),
        ({"zone": AMS}, "reminder"),
        ({"at": "2026-01-06T09:00", "preset": "tomorrow", "zone": AMS}, "reminder"),
        ({"at": "2026-01-06T09:00", "zone": AMS, "done": "yes"}, "reminder.done"),
        ({"at": "2026-01-06T09:00", "zone": AMS, "when": 1}, "reminder"),
        ("tomorrow", "reminder"),
        ({"at": "9999-12-31T23:59", "zone": "America/Los_Angeles"}, "reminder.at"),
        ({"at": "3000-01-01T00:00Z", "zone": AMS, "repeat": "yearly"}, "reminder.at"),
    ],
)
def test_bad_reminder_is_a_readable_400(client, reminder, field):
    response = client.post("/api/notes", json={"title": "x", "reminder": reminder})
    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert field in response.get_json()["error"]["fields"]


def test_repeating_reminder_set_in_the_past_starts_at_its_next_time(make_note):
    note = make_note(reminder={"at": "2025-12-29T09:00", "zone": AMS, "repeat": "weekly"})
    assert note["reminder"]["local"] == "2026-01-12T09:00"


def test_done_on_one_off_marks_it_done(client, make_note):
    note = make_note(reminder={"at": "2026-01-06T09:00", "zone": AMS})
    got = client.post(f"/api/notes/{note['id']}/reminder/done").get_json()
    assert got["reminder"]["done"] is True and got["version"] == 2


def test_done_on_repeating_moves_to_next_occurrence(client, make_note):
    note = make_note(reminder={"at": "2026-01-06T09:00", "zone": AMS, "repeat": "daily"})
    got = client.post(f"/api/notes/{note['id']}/reminder/done").get_json()
    assert got["reminder"]["done"] is False
    assert got["reminder"]["local"] == "2026-01-07T09:00"


def test_done_without_reminder_is_409(client, make_note):
    response = client.post(f"/api/notes/{make_note()['id']}/reminder/done")
    assert response.status_code == 409 and error_code(response) == "no_reminder"


def test_done_on_unknown_note_is_404(client):
    assert client.post("/api/notes/999/reminder/done").status_code == 404


def test_reminders_list_soonest_first_by_state(client, make_note):
    late = make_note(title="late", reminder={"at": "2026-02-01T09:00", "zone": AMS})
    soon = make_note(title="soon", reminder={"at": "2026-01-06T09:00", "zone": AMS})
    make_note(title="none")
    gone = make_note(title="done", reminder={"at": "2026-01-07T09:00", "zone": AMS})
    client.post(f"/api/notes/{gone['id']}/reminder/done")
    trashed = make_note(title="trashed", reminder={"at": "2026-01-06T10:00", "zone": AMS})
    client.post(f"/api/notes/{trashed['id']}/trash")

    def titles(query=""):
        return [n["title"] for n in client.get(f"/api/reminders{query}").get_json()["items"]]

    assert titles() == ["soon", "late"]
    assert titles("?state=done") == ["done"]
    assert titles("?state=all") == ["soon", "done", "late"]
    assert soon["id"] != late["id"]


def test_reminders_list_pages(client, make_note):
    for day in range(6, 11):
        make_note(title=str(day), reminder={"at": f"2026-01-{day:02}T09:00", "zone": AMS})
    first = client.get("/api/reminders?limit=2").get_json()
    second = client.get(f"/api/reminders?limit=2&cursor={first['next_cursor']}").get_json()
    third = client.get(f"/api/reminders?limit=2&cursor={second['next_cursor']}").get_json()
    pages = [[n["title"] for n in page["items"]] for page in (first, second, third)]
    assert pages == [["6", "7"], ["8", "9"], ["10"]] and third["next_cursor"] is None


@pytest.mark.parametrize("query", ["state=soon", "limit=0", "limit=x", "cursor=nope"])
def test_reminders_list_bad_query_is_400(client, query):
    assert client.get(f"/api/reminders?{query}").status_code == 400


def test_presets_in_a_zone(client):
    got = client.get("/api/reminders/presets?zone=Asia/Tokyo").get_json()
    # 18:00 in Tokyo on Monday 2026-01-05: 20:00 is the last time of day left.
    assert got == {
        "later_today": "2026-01-05T11:00:00.000000Z",
        "tomorrow": "2026-01-05T23:00:00.000000Z",
        "next_week": "2026-01-11T23:00:00.000000Z",
    }


def test_presets_unknown_zone_is_400(client):
    response = client.get("/api/reminders/presets?zone=Nowhere")
    assert response.status_code == 400 and "zone" in response.get_json()["error"]["fields"]


def test_patch_done_true_on_repeating_moves_it_on(client, make_note):
    note = make_note(reminder={"at": "2026-01-06T09:00", "zone": AMS, "repeat": "weekly"})
    body = {"reminder": note["reminder"] | {"done": True}}
    got = client.patch(f"/api/notes/{note['id']}", json=body).get_json()["reminder"]
    assert (got["local"], got["done"]) == ("2026-01-13T09:00", False)


def test_a_page_that_showed_a_repeating_reminder_moves_it_on(client, clock, make_note):
    note = make_note(reminder={"at": "2026-01-05T12:00", "zone": AMS, "repeat": "daily"})
    clock.advance(hours=3)  # 12:00 in Amsterdam has passed
    url = f"/api/notes/{note['id']}/reminder/notified"
    moved = client.post(url, json={"at": note["reminder"]["at"]})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["reminder"]["local"] == "2026-01-06T12:00"
    # Told twice (two tabs): the second names an occurrence that is gone, nothing moves.
    again = client.post(url, json={"at": note["reminder"]["at"]}).get_json()
    assert again["reminder"]["local"] == "2026-01-06T12:00"


def test_a_reminder_not_due_yet_cannot_be_told_notified(client, make_note):
    note = make_note(reminder={"at": "2026-01-06T12:00", "zone": AMS, "repeat": "daily"})
    url = f"/api/notes/{note['id']}/reminder/notified"
    response = client.post(url, json={"at": note["reminder"]["at"]})
    assert response.status_code == 400 and error_code(response) == "not_due"
    assert client.post(url, json={"at": "soon"}).status_code == 400
    assert (
        client.post(
            "/api/notes/999999/reminder/notified", json={"at": "2026-01-05T00:00:00Z"}
        ).status_code
        == 404
    )
