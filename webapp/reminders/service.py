"""Reminders, as Keep has them: a time on a note, in the person's zone, maybe repeating.

A reminder is stored as its next occurrence in UTC (``Note.reminder_at``), the person's IANA
zone and a repeat rule (RFC 5545, one of ``RULES``). The wall-clock time is what repeats:
"Tomorrow 9:00, weekly" in Europe/Amsterdam stays 9:00 there across DST, because the rule is
walked in local time (``dateutil.rrule`` on naive wall-clock times) and only then turned
back into UTC. An occurrence is the rule's start for the next one: for these rules (a
frequency, nothing else) that gives the same series as the first start would.

What dateutil does with dates a month or year lacks (RFC 5545 says: skip them): monthly on
the 31st fires only in months with a 31st; yearly on Feb 29 only in leap years.

Writes of the reminder itself go through ``webapp.notes.service.write_note`` (a change of
the note, synced); recording a notification (``mark_notified``) is not a change of the note:
each device notifies once of each occurrence, as each of Keep's does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from webapp import events
from webapp.errors import ValidationError
from webapp.notes.models import Note
from webapp.timeutil import isoformat

# The repeats offered, as the API names them and as RFC 5545 rules (what is stored).
RULES = {
    "daily": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY",
    "monthly": "FREQ=MONTHLY",
    "yearly": "FREQ=YEARLY",
}
REPEATS = {rule: name for name, rule in RULES.items()}
PRESETS = ("later_today", "tomorrow", "next_week")
# Keep's times of day: morning, afternoon, evening, night.
MORNING = 8
LATER_TODAY_HOURS = (8, 13, 18, 20)
# "Later today" is the first of those at least this far ahead (at 12:10, 18:00, not 13:00).
LATER_TODAY_LEAD = timedelta(hours=1)
# A new one-off reminder this far in the past is refused (a picker's minute is not "past").
PAST_GRACE = timedelta(minutes=1)
ZONE_MAX = 64
DUE_MAX = 100
YEAR_MAX = 3000


def zone_of(name: Any, field: str = "reminder.zone") -> ZoneInfo:
    """The IANA zone of this name, or a readable 400."""
    if not isinstance(name, str) or not 1 <= len(name) <= ZONE_MAX:
        raise _invalid(field, "an IANA time zone such as Europe/Amsterdam")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _invalid(field, f"unknown time zone {name!r} (an IANA name such as "
                              "Europe/Amsterdam)") from None  # fmt: skip


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(f"Invalid reminder: {message}.", fields={field: message})


def _at_local(day, hour: int, zone: ZoneInfo) -> datetime:
    """``hour``:00 on ``day`` in ``zone``, in UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)


def preset(name: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The time a preset names, in UTC, computed in the person's zone; None for "later today"
    when no time is left today.

    later_today: the first of 8:00, 13:00, 18:00, 20:00 at least an hour ahead (Keep's times
    of day); tomorrow: 8:00 tomorrow; next_week: Monday 8:00 of next week (on a Monday, in 7
    days).
    """
    local = now.astimezone(zone)
    today = local.date()
    if name == "later_today":
        for hour in LATER_TODAY_HOURS:
            at = _at_local(today, hour, zone)
            if at >= now + LATER_TODAY_LEAD:
                return at
        return None
    if name == "tomorrow":
        return _at_local(today + timedelta(days=1), MORNING, zone)
    if name == "next_week":
        return _at_local(today + timedelta(days=7 - today.weekday()), MORNING, zone)
    raise _invalid("reminder.preset", f"one of {', '.join(PRESETS)}")


def presets(zone: ZoneInfo, now: datetime) -> dict[str, datetime | None]:
    """Every preset's time for the picker (None: not available now)."""
    return {name: preset(name, zone, now) for name in PRESETS}


@dataclass(frozen=True)
class Reminder:
    """A reminder's values: its occurrence (aware UTC), zone name, rule (None: once), done."""

    at: datetime
    zone: str
    repeat: str | None = None
    done: bool = False


def next_after(reminder: Reminder, when: datetime) -> datetime | None:
    """The first occurrence of a repeating reminder after ``when`` (UTC), walked in its
    zone's wall-clock time; None for one that does not repeat."""
    if reminder.repeat is None:
        return None
    # Imported here: dateutil costs ~10 ms at import, and the app starts without it.
    from dateutil.rrule import rrulestr

    zone = ZoneInfo(reminder.zone)
    start = reminder.at.astimezone(zone).replace(tzinfo=None)
    rule = rrulestr(reminder.repeat, dtstart=start)
    after = when.astimezone(zone).replace(tzinfo=None)
    found = rule.after(after)
    while found is not None:
        at = found.replace(tzinfo=zone).astimezone(UTC)
        # A wall-clock time repeated at a DST change (fold) maps into the past of ``when``.
        if at > when:
            return at
        found = rule.after(found)
    return None


def local_text(at: datetime, zone: str) -> str:
    """The wall-clock time in the zone, to the minute: ``2026-12-02T09:00``."""
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def done(reminder: Reminder, now: datetime) -> Reminder:
    """Marked done: a one-off is done; a repeating one moves to its next occurrence."""
    if reminder.repeat is None:
        return Reminder(reminder.at, reminder.zone, None, True)
    return Reminder(_upcoming(reminder, now), reminder.zone, reminder.repeat, False)


def _upcoming(reminder: Reminder, now: datetime) -> datetime:
    """The next occurrence after both the reminder's own and ``now``."""
    return next_after(reminder, max(reminder.at, now)) or reminder.at


# Input ------------------------------------------------------------------------------------

_KEYS = {"at", "zone", "repeat", "done", "preset", "local"}


def parse_time(raw: Any, zone: ZoneInfo, field: str = "reminder.at") -> datetime:
    """ISO 8601: with an offset an instant; without one, a wall-clock time in ``zone``."""
    try:
        when = datetime.fromisoformat(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    except ValueError:
        when = None
    if when is None:
        raise _invalid(field, "an ISO 8601 time such as 2026-12-02T09:00 or "
                              "2026-12-02T08:00:00Z")  # fmt: skip
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    try:
        when = when.astimezone(UTC)
    except (OverflowError, ValueError):
        when = None
    # Far enough for anyone; a rule walked near year 9999 would overflow the calendar.
    if when is None or when.year >= YEAR_MAX:
        raise _invalid(field, f"a time before the year {YEAR_MAX}")
    return when


def parse(
    raw: Any, now: datetime, current: Reminder | None = None, *, strict: bool = True
) -> Reminder | None:
    """A reminder as the API or sync sends it, checked: None (none), ``{"at", "zone"}`` or
    ``{"preset", "zone"}``, with ``repeat`` (daily, weekly, monthly, yearly or null) and
    ``done``; or a readable 400.

    ``strict`` (the API): a one-off time that is not ``current``'s and is in the past is
    refused; a repeating one set in the past starts at its first occurrence from now; done on
    a repeating one moves it on (as ``done``). Sync and imports take a reminder as it is.
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _invalid("reminder", "an object {at, zone, repeat, done} or null")
    unknown = set(raw) - _KEYS
    if unknown:
        raise _invalid("reminder", f"unknown field(s): {', '.join(sorted(unknown))}")
    zone = zone_of(raw.get("zone"))
    repeat = raw.get("repeat")
    if repeat is not None and repeat not in RULES:
        raise _invalid("reminder.repeat", f"null or one of {', '.join(RULES)}")
    rule = None if repeat is None else RULES[repeat]
    is_done = raw.get("done", False)
    if not isinstance(is_done, bool):
        raise _invalid("reminder.done", "true or false")
    if ("at" in raw) == ("preset" in raw):
        raise _invalid("reminder", "give at (a time) or preset, not both")
    if "preset" in raw:
        if raw["preset"] not in PRESETS:
            raise _invalid("reminder.preset", f"one of {', '.join(PRESETS)}")
        at = preset(raw["preset"], zone, now)
        if at is None:
            raise _invalid("reminder.preset", "no time is left today for later_today: "
                                              "choose tomorrow")  # fmt: skip
    else:
        at = parse_time(raw["at"], zone)
    reminder = Reminder(at, zone.key, rule, is_done and rule is None)
    if not strict:
        return reminder
    # A time sent back unchanged (the note's own, passed since) is not a new choice.
    if at < now - PAST_GRACE and (current is None or current.at != at):
        if rule is None and not is_done:
            raise _invalid("reminder.at", "that time has passed: choose a later one")
        if rule is not None:
            reminder = Reminder(_upcoming(reminder, now), zone.key, rule, False)
    if is_done and rule is not None:
        reminder = done(reminder, now)
    return reminder


def to_json(reminder: Reminder | None) -> dict | None:
    """The reminder as the API and sync give it."""
    if reminder is None:
        return None
    return {
        "at": isoformat(reminder.at),
        "zone": reminder.zone,
        "repeat": REPEATS.get(reminder.repeat) if reminder.repeat else None,
        "done": reminder.done,
        "local": local_text(reminder.at, reminder.zone),
    }


def of_row(at, zone: str | None, repeat: str | None, done_: bool) -> Reminder | None:
    """A reminder of a row's columns (``at`` a datetime or the API's text), or None."""
    if at is None or zone is None:
        return None
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return Reminder(at.astimezone(UTC), zone, repeat, bool(done_))


# Due and notified -------------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    """A reminder that fell due and was not notified: what a notification shows and names
    back to ``mark_notified``."""

    note_id: int
    note_uid: str
    title: str
    text: str  # the body's first line, or the first checklist item's text
    at: datetime  # the occurrence due, aware UTC
    zone: str
    repeat: str | None  # "daily", "weekly", "monthly", "yearly" or None
    local: str  # the occurrence's wall-clock time: 2026-12-02T09:00


def _pending(owner_id: int, now: datetime):
    """The owner's reminders at or before ``now``, not done, not notified, outside the trash."""
    return (
        select(
            Note.id,
            Note.uid,
            Note.title,
            Note.body,
            Note.kind,
            Note.reminder_at,
            Note.reminder_zone,
            Note.reminder_repeat,
        )
        .where(
            Note.owner_id == owner_id,
            Note.reminder_done.is_(False),
            Note.reminder_at.is_not(None),
            Note.reminder_at <= now,
            Note.trashed_at.is_(None),
            or_(Note.reminder_notified_at.is_(None), Note.reminder_notified_at < Note.reminder_at),
        )
        .order_by(Note.reminder_at, Note.id)
        .limit(DUE_MAX)
    )


def _due_rows(session: Session, statement) -> list[DueReminder]:
    rows = session.execute(statement).all()
    first_items = {}
    checklists = [row.id for row in rows if row.kind == "checklist"]
    if checklists:
        from webapp.notes.models import ChecklistItem

        for note_id, text in session.execute(
            select(ChecklistItem.note_id, ChecklistItem.text)
            .where(ChecklistItem.note_id.in_(checklists))
            .order_by(ChecklistItem.note_id, ChecklistItem.position.desc())
        ):
            first_items[note_id] = text  # the last one written is the first in position
    return [
        DueReminder(
            row.id,
            row.uid,
            row.title,
            (first_items.get(row.id) if row.kind == "checklist" else row.body.split("\n", 1)[0])
            or "",
            row.reminder_at,
            row.reminder_zone,
            REPEATS.get(row.reminder_repeat),
            local_text(row.reminder_at, row.reminder_zone),
        )
        for row in rows
    ]


def due(session: Session, owner_id: int, now: datetime) -> list[DueReminder]:
    """The owner's reminders due at ``now`` and not yet notified, the oldest first (at most
    ``DUE_MAX``): not done, not in the trash (archived notes remind, as in Keep).

    Signature: ``due(session, owner_id: int, now: datetime) -> list[DueReminder]``. Each is
    notified once: call ``mark_notified(session, owner_id, r.note_id, r.at, now)`` after.
    """
    return _due_rows(session, _pending(owner_id, now))


def missed(
    session: Session, owner_id: int, since: datetime | None, now: datetime
) -> list[DueReminder]:
    """The reminders that fell due while nothing watched: due and not notified, with their
    occurrence at or after ``since`` (None: any time) and before ``now``; the oldest first.

    Signature: ``missed(session, owner_id: int, since: datetime | None, now: datetime) ->
    list[DueReminder]`` (the desktop's "2 missed reminders" at start; ``mark_notified``
    each after, as for ``due``).
    """
    statement = _pending(owner_id, now).where(Note.reminder_at < now)
    if since is not None:
        statement = statement.where(Note.reminder_at >= since)
    return _due_rows(session, statement)


def notified_at(raw: Any, now: datetime) -> datetime:
    """The occurrence a page says it showed, as a time no later than now (a page cannot
    skip a reminder that is not due yet), or a 400."""
    when = None
    if isinstance(raw, str):
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None or when.tzinfo is None:
        raise ValidationError(
            "`at` is the reminder's time as the API gives it (ISO 8601 with Z).",
            fields={"at": "an ISO 8601 time with its zone"},
        )
    if when > now:
        raise ValidationError(
            "That reminder is not due yet.", fields={"at": "not due yet"}, code="not_due"
        )
    return when


def mark_notified(
    session: Session, owner_id: int, note_id: int, at: datetime, now: datetime
) -> datetime | None:
    """Record that the occurrence ``at`` of the note's reminder was notified, committed; a
    repeating one moves on to its next occurrence after ``now``. Returns the reminder's next
    time (None: a one-off, now notified; or the reminder changed since: nothing done).

    Signature: ``mark_notified(session, owner_id: int, note_id: int, at: datetime, now:
    datetime) -> datetime | None``. Not a change of the note (no version, not synced): each
    device notifies once of each occurrence, and walks a repeating one on by the same rule.
    """
    row = session.execute(
        select(Note.reminder_at, Note.reminder_zone, Note.reminder_repeat, Note.reminder_done)
        .where(Note.id == note_id, Note.owner_id == owner_id)
    ).first()  # fmt: skip
    reminder = None if row is None else of_row(*row)
    if reminder is None or reminder.at != at.astimezone(UTC):
        session.commit()
        return None  # changed (or removed) since it was found due: the new one stands
    values: dict[str, Any] = {"reminder_notified_at": reminder.at}
    following = next_after(reminder, max(reminder.at, now))
    if following is not None:
        values["reminder_at"] = following
    session.execute(
        update(Note).where(Note.id == note_id, Note.owner_id == owner_id).values(values)
    )
    # Open pages fetch the note again (no version: it is not a new one) and see it moved on.
    events.changed(session, owner_id, [note_id], "reminded")
    session.commit()
    return following
