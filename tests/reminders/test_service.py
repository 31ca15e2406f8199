from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from webapp.extensions import db
from webapp.reminders import service as reminders
from webapp.reminders.service import Reminder

AMS = ZoneInfo("Europe/Amsterdam")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(at: datetime, zone: str = "Europe/Amsterdam") -> str:
    return reminders.local_text(at, zone)


@pytest.mark.parametrize(
    "now, expected",
    [
        (utc(2026, 1, 5, 5, 0), "2026-01-05T08:00"),  # 6:00 local: 8:00 is 2 hours ahead
        (utc(2026, 1, 5, 6, 30), "2026-01-05T13:00"),  # 7:30: 8:00 is not an hour ahead
        (utc(2026, 1, 5, 11, 0), "2026-01-05T13:00"),  # noon
        (utc(2026, 1, 5, 16, 0), "2026-01-05T18:00"),
        (utc(2026, 1, 5, 17, 30), "2026-01-05T20:00"),
    ],
)
def test_later_today_is_the_next_time_of_day_an_hour_ahead(now, expected):
    assert local(reminders.preset("later_today", AMS, now)) == expected


def test_later_today_is_not_offered_late_in_the_evening():
    assert reminders.preset("later_today", AMS, utc(2026, 1, 5, 18, 30)) is None


def test_tomorrow_is_8_local_in_the_persons_zone():
    # 23:30 UTC Monday is already Tuesday 8:30 in Tokyo: tomorrow is Wednesday.
    at = reminders.preset("tomorrow", ZoneInfo("Asia/Tokyo"), utc(2026, 1, 5, 23, 30))
    assert at == utc(2026, 1, 6, 23, 0)


@pytest.mark.parametrize(
    "now, expected",
    [
        (utc(2026, 1, 7, 12), "2026-01-12T08:00"),  # a Wednesday: the coming Monday
        (utc(2026, 1, 5, 6), "2026-01-12T08:00"),  # a Monday morning: the next Monday
        (utc(2026, 1, 11, 22, 30), "2026-01-12T08:00"),  # Sunday 23:30 local
    ],
)
def test_next_week_is_monday_8_local(now, expected):
    assert local(reminders.preset("next_week", AMS, now)) == expected


def test_weekly_9_amsterdam_stays_9_local_across_the_end_of_summer_time():
    # Sunday 2026-10-25 is the last Sunday of October: 9:00 is 07:00 UTC before, 08:00 after.
    start = Reminder(utc(2026, 10, 20, 7, 0), "Europe/Amsterdam", "FREQ=WEEKLY")
    following = reminders.next_after(start, start.at)
    assert following == utc(2026, 10, 27, 8, 0)
    assert local(following) == "2026-10-27T09:00"


def test_daily_9_amsterdam_stays_9_local_across_the_start_of_summer_time():
    start = Reminder(utc(2026, 3, 28, 8, 0), "Europe/Amsterdam", "FREQ=DAILY")
    assert reminders.next_after(start, start.at) == utc(2026, 3, 29, 7, 0)


def test_monthly_on_the_31st_skips_months_without_one():
    # dateutil follows RFC 5545: an occurrence on a date the month lacks is skipped.
    start = Reminder(utc(2026, 1, 31, 8, 0), "Europe/Amsterdam", "FREQ=MONTHLY")
    following = reminders.next_after(start, start.at)
    assert local(following) == "2026-03-31T09:00"
    assert local(reminders.next_after(Reminder(following, start.zone, start.repeat),
                                      following)) == "2026-05-31T09:00"  # fmt: skip


def test_yearly_on_feb_29_comes_in_leap_years_only():
    start = Reminder(utc(2028, 2, 29, 8, 0), "Europe/Amsterdam", "FREQ=YEARLY")
    assert local(reminders.next_after(start, start.at)) == "2032-02-29T09:00"


def test_next_after_a_long_pause_is_after_the_given_time():
    start = Reminder(utc(2026, 1, 5, 8, 0), "Europe/Amsterdam", "FREQ=DAILY")
    assert local(reminders.next_after(start, utc(2026, 2, 1, 12, 0))) == "2026-02-02T09:00"


def test_one_off_has_no_next_occurrence():
    assert reminders.next_after(Reminder(utc(2026, 1, 5, 8), "UTC"), utc(2026, 1, 1)) is None


def test_done_on_repeating_moves_on_and_one_off_is_done():
    weekly = Reminder(utc(2026, 1, 5, 8, 0), "Europe/Amsterdam", "FREQ=WEEKLY")
    assert reminders.done(weekly, utc(2026, 1, 5, 9)) == Reminder(
        utc(2026, 1, 12, 8, 0), "Europe/Amsterdam", "FREQ=WEEKLY", False
    )
    once = Reminder(utc(2026, 1, 5, 8, 0), "UTC")
    assert reminders.done(once, utc(2026, 1, 5, 9)).done is True


# Due, missed, notified (the clock: Monday 2026-01-05 09:00 UTC) -----------------------------


@pytest.fixture
def owner(app):
    with app.app_context():
        from webapp.accounts.service import ensure_local_user

        owner_id = ensure_local_user(db.session).id
        db.session.commit()
    return owner_id


def reminder_at(text: str, repeat: str | None = None) -> dict:
    return {"at": text, "zone": "UTC", "repeat": repeat}


def test_due_lists_reminders_due_and_not_notified_oldest_first(app, make_note, owner):
    late = make_note(
        title="late", body="first line\nsecond", reminder=reminder_at("2026-01-05T10:00")
    )
    soon = make_note(title="soon", reminder=reminder_at("2026-01-05T09:30"))
    make_note(title="later", reminder=reminder_at("2026-01-05T12:00"))
    with app.app_context():
        found = reminders.due(db.session, owner, utc(2026, 1, 5, 10, 0))
    assert [(r.note_id, r.title) for r in found] == [(soon["id"], "soon"), (late["id"], "late")]
    assert found[1].text == "first line" and found[1].local == "2026-01-05T10:00"
    assert found[1].at == utc(2026, 1, 5, 10, 0) and found[1].note_uid


def test_a_notified_one_off_is_not_due_again(app, make_note, owner):
    note = make_note(reminder=reminder_at("2026-01-05T09:30"))
    now = utc(2026, 1, 5, 10)
    with app.app_context():
        (found,) = reminders.due(db.session, owner, now)
        assert reminders.mark_notified(db.session, owner, note["id"], found.at, now) is None
        assert reminders.due(db.session, owner, now) == []


def test_a_notified_repeating_one_moves_to_its_next_time(app, client, make_note, owner):
    note = make_note(reminder=reminder_at("2026-01-05T09:30", "daily"))
    now = utc(2026, 1, 5, 10)
    with app.app_context():
        (found,) = reminders.due(db.session, owner, now)
        following = reminders.mark_notified(db.session, owner, note["id"], found.at, now)
        assert following == utc(2026, 1, 6, 9, 30)
        assert reminders.due(db.session, owner, now) == []
        assert [r.at for r in reminders.due(db.session, owner, following)] == [following]
    # Not an edit: the note keeps its version.
    assert client.get(f"/api/notes/{note['id']}").get_json()["version"] == 1


def test_a_reminder_changed_after_it_was_found_due_is_not_marked(app, client, make_note, owner):
    note = make_note(reminder=reminder_at("2026-01-05T09:30"))
    with app.app_context():
        (found,) = reminders.due(db.session, owner, utc(2026, 1, 5, 10))
    client.patch(f"/api/notes/{note['id']}", json={"reminder": reminder_at("2026-01-05T11:00")})
    with app.app_context():
        assert (
            reminders.mark_notified(db.session, owner, note["id"], found.at, utc(2026, 1, 5, 10))
            is None
        )
        assert [r.title for r in reminders.due(db.session, owner, utc(2026, 1, 5, 11))] == [
            "A note"
        ]


def test_a_changed_reminder_notifies_again(app, client, make_note, owner):
    note = make_note(reminder=reminder_at("2026-01-05T09:30"))
    now = utc(2026, 1, 5, 10)
    with app.app_context():
        reminders.mark_notified(db.session, owner, note["id"], utc(2026, 1, 5, 9, 30), now)
    client.patch(f"/api/notes/{note['id']}", json={"reminder": reminder_at("2026-01-05T09:45")})
    with app.app_context():
        assert len(reminders.due(db.session, owner, now)) == 1


def test_done_trashed_and_other_owners_reminders_are_not_due(app, client, make_note, owner):
    done = make_note(reminder=reminder_at("2026-01-05T09:30"))
    client.post(f"/api/notes/{done['id']}/reminder/done")
    trashed = make_note(reminder=reminder_at("2026-01-05T09:30"))
    client.post(f"/api/notes/{trashed['id']}/trash")
    with app.app_context():
        assert reminders.due(db.session, owner, utc(2026, 1, 5, 10)) == []
        assert reminders.due(db.session, owner + 1, utc(2026, 1, 5, 10)) == []


def test_missed_counts_what_fell_due_since(app, make_note, owner):
    make_note(title="long ago", reminder=reminder_at("2026-01-05T09:10"))
    make_note(title="a", reminder=reminder_at("2026-01-05T09:30"))
    make_note(title="b", reminder=reminder_at("2026-01-05T09:40", "weekly"))
    make_note(title="not yet", reminder=reminder_at("2026-01-05T12:00"))
    with app.app_context():
        found = reminders.missed(db.session, owner, utc(2026, 1, 5, 9, 20), utc(2026, 1, 5, 10))
        assert [r.title for r in found] == ["a", "b"] and found[1].repeat == "weekly"
        every = reminders.missed(db.session, owner, None, utc(2026, 1, 5, 10))
        assert [r.title for r in every] == ["long ago", "a", "b"]


def test_tomorrow_9_weekly_notified_across_the_dst_change_fires_at_9_local(app, make_note, owner):
    note = make_note(reminder={"at": "2026-10-20T09:00", "zone": "Europe/Amsterdam",
                               "repeat": "weekly"})  # fmt: skip
    with app.app_context():
        (first,) = reminders.due(db.session, owner, utc(2026, 10, 20, 7, 0))
        assert first.at == utc(2026, 10, 20, 7, 0)  # 9:00 summer time
        reminders.mark_notified(db.session, owner, note["id"], first.at, utc(2026, 10, 20, 7))
        assert reminders.due(db.session, owner, utc(2026, 10, 27, 7, 59)) == []
        (second,) = reminders.due(db.session, owner, utc(2026, 10, 27, 8, 0))
        assert (second.at, second.local) == (utc(2026, 10, 27, 8, 0), "2026-10-27T09:00")
