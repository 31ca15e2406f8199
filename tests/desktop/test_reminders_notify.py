"""The desktop's reminder scheduler, with the app's clock, a fake notifier and a fake source
(what ``webapp.reminders.service`` answers), no window."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from webapp.reminders.notify import Due, Scheduler, notification_text, summary_text


class FakeNotifier:
    def __init__(self, works: bool = True):
        self.shown: list[tuple[str, str]] = []
        self.clicks: list = []
        self.works = works

    async def show(self, title, body, on_click):
        self.shown.append((title, body))
        self.clicks.append(on_click)
        return self.works


@dataclass
class Reminder:
    note_id: int
    at: datetime
    title: str = ""
    body: str = ""
    repeat: timedelta | None = None
    done: bool = False
    notified: bool = False


class FakeSource:
    """Due and missed as the service defines them: due now, not done, not yet notified."""

    def __init__(self, *reminders: Reminder):
        self.reminders = list(reminders)
        self.asked: list[datetime] = []

    def _as_due(self, r):
        return Due(r.note_id, r.title, r.body, r.at, "Europe/Amsterdam", r)

    def due(self, session, owner_id, now):
        self.asked.append(now)
        return [
            self._as_due(r) for r in self.reminders if r.at <= now and not r.done and not r.notified
        ]

    def missed(self, session, owner_id, since, now):
        return [
            self._as_due(r)
            for r in self.reminders
            if since < r.at <= now and not r.done and not r.notified
        ]

    def notified(self, session, owner_id, due, now):
        r = due.item
        if r.repeat:
            while r.at <= now:
                r.at += r.repeat
        else:
            r.notified = True


@pytest.fixture
def opened():
    return []


def scheduler(app, source, notifier=None, opened=None):
    return Scheduler(
        app, notifier or FakeNotifier(), (opened if opened is not None else []).append, source
    )


def run(coro):
    return asyncio.run(coro)


def at(clock, **kwargs):
    return clock.current + timedelta(**kwargs)


def test_a_reminder_due_now_is_shown_once(app, clock):
    notifier = FakeNotifier()
    source = FakeSource(Reminder(1, at(clock, minutes=-1), "Call Ann", "about the boat"))
    s = scheduler(app, source, notifier)
    assert run(s.check()) == 1
    assert run(s.check()) == 0
    assert [title for title, _ in notifier.shown] == ["Call Ann"]


def test_a_reminder_not_yet_due_waits_for_the_clock(app, clock):
    notifier = FakeNotifier()
    s = scheduler(app, FakeSource(Reminder(1, at(clock, minutes=30), "Later")), notifier)
    assert run(s.check()) == 0
    clock.advance(minutes=31)
    assert run(s.check()) == 1


def test_a_repeating_reminder_moves_on_and_shows_again(app, clock):
    notifier = FakeNotifier()
    weekly = Reminder(1, at(clock, seconds=-1), "Bins", repeat=timedelta(days=7))
    s = scheduler(app, FakeSource(weekly), notifier)
    assert run(s.check()) == 1
    assert weekly.at > clock.current
    clock.advance(days=6)
    assert run(s.check()) == 0
    clock.advance(days=1, minutes=1)
    assert run(s.check()) == 1
    assert len(notifier.shown) == 2


def test_a_done_reminder_never_notifies(app, clock):
    notifier = FakeNotifier()
    s = scheduler(app, FakeSource(Reminder(1, at(clock, hours=-1), done=True)), notifier)
    assert run(s.check_missed()) == 0
    assert run(s.check()) == 0
    assert notifier.shown == []


def test_missed_reminders_show_at_start_as_one_summary(app, clock, opened):
    notifier = FakeNotifier()
    source = FakeSource(
        Reminder(1, at(clock, hours=-5), "One"),
        Reminder(2, at(clock, hours=-2), "Two"),
        Reminder(3, at(clock, hours=2), "Later"),
    )
    s = scheduler(app, source, notifier, opened)
    assert run(s.check_missed()) == 2
    assert notifier.shown == [summary_text(2)]
    assert notifier.shown[0][0] == "2 missed reminders"
    assert run(s.check()) == 0  # each recorded as notified: not shown again one by one
    notifier.clicks[0]()
    wait_for(lambda: opened == [None])  # the Reminders view, not a note


def test_one_missed_reminder_shows_as_itself(app, clock, opened):
    notifier = FakeNotifier()
    s = scheduler(app, FakeSource(Reminder(4, at(clock, hours=-1), "Dentist")), notifier, opened)
    assert run(s.check_missed()) == 1
    assert notifier.shown[0][0] == "Dentist"
    notifier.clicks[0]()
    wait_for(lambda: opened == [4])


def test_missed_counts_only_since_the_last_run(app, clock):
    notifier = FakeNotifier()
    source = FakeSource(Reminder(1, at(clock, minutes=-10), "Old", notified=True))
    s = scheduler(app, source, notifier)
    run(s.check())  # this run looked at 9:00
    source.reminders.append(Reminder(2, at(clock, minutes=-20), "Before the last run"))
    source.reminders.append(Reminder(3, at(clock, minutes=30), "While closed"))
    clock.advance(hours=1)
    restarted = scheduler(app, source, notifier)
    assert run(restarted.check_missed()) == 1
    assert notifier.shown[-1][0] == "While closed"


def test_clicking_a_notification_opens_its_note(app, clock, opened):
    notifier = FakeNotifier()
    s = scheduler(app, FakeSource(Reminder(7, at(clock, seconds=-1), "Open me")), notifier, opened)
    run(s.check())
    notifier.clicks[0]()
    wait_for(lambda: opened == [7])


def test_a_notifier_that_fails_is_logged_not_raised_and_not_retried(app, clock, caplog):
    class Broken:
        calls = 0

        async def show(self, title, body, on_click):
            Broken.calls += 1
            raise OSError("org.freedesktop.Notifications was not provided by any .service")

    s = scheduler(app, FakeSource(Reminder(1, at(clock, seconds=-1), "X")), Broken())
    assert run(s.check()) == 0
    assert run(s.check()) == 0
    assert Broken.calls == 1
    assert "could not show a reminder" in caplog.text


def test_the_notification_says_title_time_and_first_line():
    due = Due(
        1, "", "Buy milk and bread and eggs and more things\nsecond", _utc(8), "Europe/Amsterdam"
    )
    title, body = notification_text(due)
    assert title == "Buy milk and bread and eggs and more"
    assert body.startswith("Mon 5 Jan, 9:00")  # 8:00 UTC is 9:00 in Amsterdam in winter
    assert "Buy milk and bread" in body


def test_the_time_shown_follows_summer_time():
    summer = Due(1, "T", "", datetime(2026, 7, 6, 7, 0, tzinfo=UTC), "Europe/Amsterdam")
    assert notification_text(summer)[1].startswith("Mon 6 Jul, 9:00")


def _utc(hour):
    return datetime(2026, 1, 5, hour, 0, tzinfo=UTC)


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.01)
    raise AssertionError("not in time")


# --- the thread ---------------------------------------------------------------------------


def test_the_thread_shows_missed_then_due_and_stop_ends_it(app, clock):
    notifier = FakeNotifier()
    source = FakeSource(Reminder(1, at(clock, hours=-1), "Missed"))
    s = scheduler(app, source, notifier)
    s.start()
    try:
        wait_for(lambda: len(notifier.shown) == 1)
    finally:
        assert s.stop(5)
    assert not s.alive


def test_a_changed_reminder_rearms_the_thread_at_once(app, clock, make_note):
    notifier = FakeNotifier()
    source = FakeSource()
    s = scheduler(app, source, notifier)
    s.start()
    try:
        wait_for(lambda: len(source.asked) >= 1)
        source.reminders.append(Reminder(1, at(clock, seconds=-1), "Just set"))
        make_note(title="any write")  # the event broker hears it: the thread looks again
        wait_for(lambda: [t for t, _ in notifier.shown] == ["Just set"])
    finally:
        assert s.stop(5)


def test_the_window_is_told_how_many_were_missed(app, clock):
    told = []
    source = FakeSource(Reminder(1, at(clock, hours=-2)), Reminder(2, at(clock, hours=-1)))
    s = Scheduler(app, FakeNotifier(), [].append, source, on_missed=told.append)
    run(s.check_missed())
    assert told == [2]
