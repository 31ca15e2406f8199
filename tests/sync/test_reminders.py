"""The reminder in sync: in the feed with its change time, pushed like color, merged by the
later change."""

from tests.sync.test_changes import feed
from tests.sync.test_merge import EARLY, LATE, merge, note
from tests.sync.test_push import change, push

AMS = "Europe/Amsterdam"
MONDAY = {"at": "2030-01-07T08:00:00.000000Z", "zone": AMS, "repeat": "weekly", "done": False}
TUESDAY = {"at": "2030-01-08T08:00:00.000000Z", "zone": AMS, "repeat": None, "done": False}


def test_the_feed_gives_the_reminder_and_its_change_time(client, make_note):
    make_note(reminder={"at": "2030-01-07T09:00", "zone": AMS, "repeat": "weekly"})
    (got,) = feed(client)["changes"]
    assert got["reminder"] == MONDAY | {"local": "2030-01-07T09:00"}
    assert got["field_times"]["reminder"] == got["created_at"]


def test_a_pushed_reminder_keeps_the_devices_change_time(client):
    new = change(reminder=MONDAY, field_times={"reminder": "2026-01-05T08:00:00Z"})
    push(client, new)
    times = {"reminder": "2026-01-05T08:30:00Z"}
    (result,) = push(client, change(uid=new["uid"], base=1, reminder=TUESDAY,
                                    field_times=times))["results"]  # fmt: skip
    assert result["status"] == "applied"
    (got,) = feed(client)["changes"]
    assert got["reminder"]["local"] == "2030-01-08T09:00"
    assert got["field_times"]["reminder"] == "2026-01-05T08:30:00.000000Z"


def test_a_pushed_past_reminder_is_taken_as_it_is(client):
    past = TUESDAY | {"at": "2020-01-01T08:00:00Z"}
    (result,) = push(client, change(reminder=past))["results"]
    assert result["status"] == "applied"


def test_a_pushed_bad_reminder_is_refused_with_its_field(client):
    (result,) = push(client, change(reminder=MONDAY | {"zone": "Mars/Olympus"}))["results"]
    assert result["status"] == "invalid"
    assert "reminder.zone" in result["error"]["fields"]


def test_merge_the_later_reminder_change_wins():
    base = note(reminder=None)
    local = note(reminder=MONDAY, field_times={"reminder": LATE})
    remote = note(reminder=TUESDAY, field_times={"reminder": EARLY})
    merged = merge(base, local, remote).note
    assert merged["reminder"] == MONDAY and merged["field_times"]["reminder"] == LATE
    assert merge(base, remote, local).note["reminder"] == MONDAY


def test_merge_a_reminder_changed_on_one_side_only_is_kept():
    base = note(reminder=MONDAY)
    removed = note(reminder=None, field_times={"reminder": EARLY})
    assert merge(base, removed, note(reminder=MONDAY)).note["reminder"] is None
    assert merge(base, note(reminder=MONDAY), note(reminder=TUESDAY)).note["reminder"] == TUESDAY


def test_merge_a_base_from_before_reminders_counts_as_none():
    base = note()  # a base kept before the field existed
    merged = merge(base, note(reminder=MONDAY), note())
    assert merged.note["reminder"] == MONDAY


def test_a_conflict_copy_has_no_reminder():
    base = note(title="x", reminder=MONDAY)
    merged = merge(base, note(title="mine", reminder=MONDAY), note(title="theirs", reminder=MONDAY))
    assert merged.conflict_copy is not None and merged.conflict_copy["reminder"] is None
    assert merged.note["reminder"] == MONDAY
