"""The desktop's scheduler over the real reminders (``webapp.reminders.service``), set through
the API, with the app's clock (Monday 2026-01-05 09:00 UTC) and a fake notifier."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.desktop.test_reminders_notify import FakeNotifier, wait_for
from webapp.reminders.notify import Scheduler

AMS = "Europe/Amsterdam"


def scheduler(app, notifier, opened=None):
    return Scheduler(app, notifier, (opened if opened is not None else []).append)


def run(coro):
    return asyncio.run(coro)


def move_to(clock, *args):
    clock.current = datetime(*args, tzinfo=UTC)


def test_tomorrow_9_weekly_notifies_at_9_and_again_a_week_later(app, clock, make_note):
    """The issue's "done when": "Tomorrow 9:00, weekly", shown at 9:00 with Kaap open."""
    make_note(title="Bins out", body="green bin\nand the paper", reminder={
        "at": "2026-01-06T09:00", "zone": AMS, "repeat": "weekly"})  # fmt: skip
    notifier = FakeNotifier()
    s = scheduler(app, notifier)
    move_to(clock, 2026, 1, 6, 7, 59)  # 8:59 in Amsterdam
    assert run(s.check()) == 0
    move_to(clock, 2026, 1, 6, 8, 0, 1)
    assert run(s.check()) == 1
    assert notifier.shown == [("Bins out", "Tue 6 Jan, 9:00\ngreen bin")]
    assert run(s.check()) == 0
    move_to(clock, 2026, 1, 13, 8, 0, 1)
    assert run(s.check()) == 1
    assert notifier.shown[-1] == ("Bins out", "Tue 13 Jan, 9:00\ngreen bin")


def test_weekly_9_stays_9_across_the_start_of_summer_time(app, clock, make_note):
    make_note(title="Standup", reminder={"at": "2026-03-23T09:00", "zone": AMS, "repeat": "weekly"})
    notifier = FakeNotifier()
    s = scheduler(app, notifier)
    move_to(clock, 2026, 3, 23, 8, 0, 1)  # 9:00 CET
    assert run(s.check()) == 1
    move_to(clock, 2026, 3, 30, 6, 59)  # 8:59 CEST: an hour earlier in UTC, not yet
    assert run(s.check()) == 0
    move_to(clock, 2026, 3, 30, 7, 0, 1)  # 9:00 CEST
    assert run(s.check()) == 1
    assert notifier.shown[-1][1] == "Mon 30 Mar, 9:00"


def test_a_reminder_marked_done_never_notifies(app, clock, client, make_note):
    note = make_note(title="Done", reminder={"at": "2026-01-05T10:30", "zone": AMS})
    assert client.post(f"/api/notes/{note['id']}/reminder/done").status_code == 200
    notifier = FakeNotifier()
    s = scheduler(app, notifier)
    move_to(clock, 2026, 1, 5, 12, 0)
    assert run(s.check_missed()) == 0
    assert run(s.check()) == 0
    assert notifier.shown == []


def test_reminders_missed_while_closed_show_as_one_at_start(app, clock, client, make_note):
    make_note(title="a", reminder={"at": "2026-01-05T11:00", "zone": AMS})
    weekly = make_note(
        title="b", reminder={"at": "2026-01-05T12:00", "zone": AMS, "repeat": "weekly"}
    )
    make_note(title="later", reminder={"at": "2026-01-06T12:00", "zone": AMS})
    notifier = FakeNotifier()
    move_to(clock, 2026, 1, 5, 14, 0)  # Kaap starts again at 15:00 in Amsterdam
    s = scheduler(app, notifier)
    assert run(s.check_missed()) == 2
    assert notifier.shown == [("2 missed reminders", notifier.shown[0][1])]
    assert run(s.check()) == 0  # each recorded: not shown again one by one
    moved = client.get(f"/api/notes/{weekly['id']}").get_json()["reminder"]
    assert moved["local"] == "2026-01-12T12:00"  # the weekly one moved on


def test_a_reminder_set_while_running_is_shown_without_waiting_for_the_minute(
    app, clock, client, make_note
):
    notifier = FakeNotifier()
    note = make_note(title="Now")
    s = scheduler(app, notifier)
    asked, due = [], s.source.due
    s.source.due = lambda *args: asked.append(1) or due(*args)
    s.start()
    try:
        wait_for(lambda: asked)  # the first look is over: the next is at the minute's turn
        # 10:00 in Amsterdam is the clock's 9:00 UTC: due at once; the write wakes the thread.
        body = {"reminder": {"at": "2026-01-05T10:00", "zone": AMS}}
        assert client.patch(f"/api/notes/{note['id']}", json=body).status_code == 200
        wait_for(lambda: [title for title, _ in notifier.shown] == ["Now"])
    finally:
        assert s.stop(5)
