"""A reminder is a note field synced by the later change, between two desktops."""

from __future__ import annotations

from datetime import timedelta

from tests.sync.device.test_engine import desktops, server  # noqa: F401 (fixtures)
from webapp.timeutil import utcnow

AMS = "Europe/Amsterdam"


def at(text: str, repeat: str | None = None) -> dict:
    return {"at": text, "zone": AMS, "repeat": repeat}


def test_a_reminder_set_on_one_desktop_and_changed_on_the_other_reaches_both(desktops):  # noqa: F811
    a, b = desktops(), desktops()
    a.create(title="Call", reminder=at("2030-01-07T09:00", "weekly"))
    a.sync(), b.sync()
    assert b.by_title("Call")["reminder"]["local"] == "2030-01-07T09:00"
    b.patch(b.by_title("Call"), reminder=at("2030-01-08T18:00"))
    b.sync(), a.sync()
    reminder = a.by_title("Call")["reminder"]
    assert (reminder["local"], reminder["repeat"]) == ("2030-01-08T18:00", None)
    b.patch(b.by_title("Call"), reminder=None)
    b.sync(), a.sync()
    assert a.by_title("Call")["reminder"] is None
    assert all(r.in_step for r in (a.sync(), b.sync()))


def test_a_reminder_changed_on_both_desktops_is_the_later_one_whoever_syncs_first(desktops):  # noqa: F811
    start = utcnow()
    times = {"a": start, "b": start}

    def ticking(name):
        def clock():
            times[name] += timedelta(microseconds=10)
            return times[name]

        return clock

    a, b = desktops(ticking("a")), desktops(ticking("b"))
    a.create(title="Dentist", reminder=at("2030-03-01T09:00"))
    a.sync(), b.sync()
    times["b"] = start + timedelta(minutes=1)
    b.patch(b.by_title("Dentist"), reminder=at("2030-03-02T09:00"))
    times["a"] = start + timedelta(minutes=2)
    a.patch(a.by_title("Dentist"), body="bring the card", reminder=at("2030-03-03T09:00"))
    b.sync(), a.sync(), b.sync()  # the earlier change pushes first; a's later one wins
    for desktop in (a, b):
        note = desktop.by_title("Dentist")
        assert (note["reminder"]["local"], note["body"]) == ("2030-03-03T09:00", "bring the card")
    times["a"] = start + timedelta(minutes=3)
    a.patch(a.by_title("Dentist"), reminder=at("2030-03-04T09:00"))
    times["b"] = start + timedelta(minutes=4)
    b.patch(b.by_title("Dentist"), reminder=at("2030-03-05T09:00", "monthly"))
    b.sync(), a.sync(), b.sync()  # the later one pushes first: the server keeps b's time
    for desktop in (a, b):
        reminder = desktop.by_title("Dentist")["reminder"]
        assert (reminder["local"], reminder["repeat"]) == ("2030-03-05T09:00", "monthly")
