"""Reminders that reach the desktop: one scheduler thread per app shows each due reminder as
a notification while Kaap runs, and those missed while it was closed as one at start.

The thread runs an asyncio loop, because desktop-notifier is asyncio-based and hears clicks
(D-Bus signals) only while a loop runs. It wakes at every whole minute, when reminders fall
due (they are set to the minute, so 9:00 is shown at 9:00:00.5 at the latest, at the cost
of one small query a minute), and at once when a note changes (the event broker's listener):
a reminder set for a time already past is shown without waiting. A sleep until the next due
time alone would need a "next reminder" query and a re-arm on every change; the minute tick
is simpler and as exact, given minute-precision reminders.

What is due comes from ``webapp.reminders.service`` (``due``, ``missed``, ``mark_notified``),
through ``ServiceSource``; how it is shown through a ``Notifier`` (``DesktopNotifier`` here,
a fake in the tests). Time is the app's clock (``webapp.timeutil.now``), so tests move it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from flask import Flask

log = logging.getLogger("kaap.reminders")

EXTENSION = "kaap.reminder_scheduler"
STATE_FILE = "reminders.json"  # in DATA_DIR: when the scheduler last looked (for "missed")
FIRST_LOOK_BACK = timedelta(days=30)  # the first start ever: missed ones this recent count
TITLE_WORDS = 8  # an untitled note's notification is titled by its first words
BODY_CHARS = 200


@dataclass(frozen=True)
class Due:
    """One reminder to show: its note, when it fell due (aware), and what ``service`` gave."""

    note_id: int
    title: str
    body: str
    at: datetime
    zone: str | None = None
    item: object = None  # the service's own object, handed back to ``mark_notified``


class Notifier(Protocol):
    """Shows one notification; ``on_click`` is called (in the scheduler's thread) when the
    person clicks it. Returns whether the notification reached the system."""

    async def show(self, title: str, body: str, on_click: Callable[[], None]) -> bool: ...

    async def close(self) -> None: ...


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def notification_text(due: Due) -> tuple[str, str]:
    """Title (the note's title, or its first words) and body (the time, the first line)."""
    first = _first_line(due.body)
    title = due.title.strip() or " ".join(first.split()[:TITLE_WORDS]) or "Reminder"
    when = due.at
    if due.zone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            when = when.astimezone(ZoneInfo(due.zone))
    body = when.strftime("%a %d %b, %H:%M").replace(" 0", " ")
    if first and first != title:
        body += "\n" + first[:BODY_CHARS]
    return title, body


def summary_text(count: int) -> tuple[str, str]:
    """The one notification for the reminders missed while Kaap was closed."""
    noun = "reminder" if count == 1 else "reminders"
    return f"{count} missed {noun}", "They fell due while Kaap was closed. Click to see them."


class ServiceSource:
    """``webapp.reminders.service`` as the scheduler needs it: plain ``Due`` values."""

    def _service(self):
        from webapp.reminders import service

        return service

    def due(self, session, owner_id: int, now: datetime) -> list[Due]:
        return [self._due(item) for item in self._service().due(session, owner_id, now)]

    def missed(self, session, owner_id: int, since: datetime, now: datetime) -> list[Due]:
        service = self._service()
        return [self._due(item) for item in service.missed(session, owner_id, since, now)]

    def notified(self, session, owner_id: int, due: Due, now: datetime) -> None:
        self._service().mark_notified(session, owner_id, due.note_id, due.at, now)

    @staticmethod
    def _due(item) -> Due:
        # service.DueReminder: the note's id, title, first line (or checklist item), the
        # occurrence due (aware UTC) and the person's zone.
        return Due(item.note_id, item.title or "", item.text or "", item.at, item.zone, item)


class Scheduler:
    """The app's reminder thread: ``start``, ``wake`` (something changed), ``stop``.

    ``open_note(note_id)`` is what a click does (``None``: the Reminders view). ``check`` and
    ``check_missed`` are one pass each, for the thread and for the tests.
    """

    def __init__(
        self,
        app: Flask,
        notifier: Notifier,
        open_note: Callable[[int | None], None],
        source=None,
        on_missed: Callable[[int], None] | None = None,
    ):
        app = getattr(app, "_get_current_object", lambda: app)()
        self.app = app
        self.notifier = notifier
        self.open_note = open_note
        self.source = source or ServiceSource()
        self.on_missed = on_missed  # the window's snackbar: "2 missed reminders"
        self.state_path = Path(app.config["DATA_DIR"]) / STATE_FILE
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kaap-reminders", daemon=True)

    # --- what other threads call ----------------------------------------------------------

    def start(self) -> None:
        broker = self.app.extensions.get("kaap.events")
        if broker is not None:
            broker.add_listener(self._heard)
        self._thread.start()
        self._ready.wait(5)

    def wake(self) -> None:
        """Look again now (a note's reminder may have changed)."""
        loop, wakeup = self._loop, self._wakeup
        if loop is not None and wakeup is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: stopping
                loop.call_soon_threadsafe(wakeup.set)

    def stop(self, timeout: float = 10) -> bool:
        """End the thread (after the notification being shown, if any); False if it runs on."""
        self._stopping.set()
        self.wake()
        broker = self.app.extensions.get("kaap.events")
        if broker is not None:
            broker.remove_listener(self._heard)
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _heard(self, *args, **kwargs) -> None:
        self.wake()

    # --- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:
            log.exception("the reminder scheduler stopped")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._ready.set()
        try:
            await self.check_missed()
        except Exception:
            log.exception("could not show the missed reminders")
        while not self._stopping.is_set():
            try:
                await self.check()
            except Exception:  # a locked database, say: the next tick tries again
                log.exception("could not show the due reminders")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), _until_next_minute())
            self._wakeup.clear()
        close = getattr(self.notifier, "close", None)
        if close is not None:
            await close()

    # --- one pass -------------------------------------------------------------------------

    def _owner_id(self) -> int:
        from webapp.accounts.service import ensure_local_user
        from webapp.extensions import db

        cached = self.app.extensions.get("kaap.local_user_id")
        if cached is None:
            cached = ensure_local_user(db.session).id
            self.app.extensions["kaap.local_user_id"] = cached
        return cached

    async def check(self) -> int:
        """Show every reminder due now and not yet shown, then record it; how many shown."""
        from webapp.extensions import db
        from webapp.timeutil import now

        with self.app.app_context():
            at = now()
            owner = self._owner_id()
            items = self.source.due(db.session, owner, at)
            db.session.rollback()  # no read transaction held while notifications show
        shown = 0
        for due in items:
            if self._stopping.is_set():
                break
            title, body = notification_text(due)
            if await self._show(title, body, due.note_id):
                shown += 1
            # Recorded even when no daemon took it: a failing system must not make Kaap
            # retry the same reminder every minute (the failure is logged).
            with self.app.app_context():
                self.source.notified(db.session, owner, due, now())
        self._save_checked(at)
        return shown

    async def check_missed(self) -> int:
        """At start: the reminders that fell due while Kaap was closed, as one notification
        ("2 missed reminders"; a single one as itself), each then recorded; how many."""
        from webapp.extensions import db
        from webapp.timeutil import now

        with self.app.app_context():
            at = now()
            since = self._last_checked() or at - FIRST_LOOK_BACK
            owner = self._owner_id()
            items = self.source.missed(db.session, owner, since, at)
            db.session.rollback()
        if len(items) == 1:
            title, body = notification_text(items[0])
            await self._show(title, body, items[0].note_id)
        elif items:
            title, body = summary_text(len(items))
            await self._show(title, body, None)
        if items:
            with self.app.app_context():
                for due in items:
                    self.source.notified(db.session, owner, due, now())
        self._save_checked(at)
        if items and self.on_missed is not None:
            try:
                self.on_missed(len(items))
            except Exception:
                log.warning("could not tell the window of the missed reminders", exc_info=True)
        return len(items)

    async def _show(self, title: str, body: str, note_id: int | None) -> bool:
        def clicked() -> None:
            # The window's calls wait for the GUI thread: not on the loop's thread.
            threading.Thread(
                target=self._open, args=(note_id,), name="kaap-reminder-click", daemon=True
            ).start()

        try:
            return bool(await self.notifier.show(title, body, clicked))
        except Exception:
            log.warning("could not show a reminder (%s)", title, exc_info=True)
            return False

    def _open(self, note_id: int | None) -> None:
        try:
            self.open_note(note_id)
        except Exception:
            log.warning("could not open the reminder's note %s", note_id, exc_info=True)

    # --- when we last looked --------------------------------------------------------------

    def _last_checked(self) -> datetime | None:
        try:
            text = json.loads(self.state_path.read_text())["checked_at"]
            return datetime.fromisoformat(text)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _save_checked(self, at: datetime) -> None:
        try:
            tmp = self.state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"checked_at": at.isoformat()}))
            tmp.replace(self.state_path)
        except OSError:  # a full disk: at worst, missed ones are counted again next start
            log.warning("could not write %s", self.state_path, exc_info=True)


def _until_next_minute() -> float:
    return 60.5 - time.time() % 60


class DesktopNotifier:
    """The system's notifications through desktop-notifier (D-Bus on Linux, the
    notification centre on macOS and Windows); imported at the first notification."""

    def __init__(self, icon: Path | None = None):
        self.icon = icon
        self._notifier = None

    async def show(self, title: str, body: str, on_click: Callable[[], None]) -> bool:
        from desktop_notifier import DesktopNotifier as Backend
        from desktop_notifier import Icon

        if self._notifier is None:
            icon = Icon(path=self.icon) if self.icon and self.icon.exists() else None
            self._notifier = Backend(app_name="Kaap", app_icon=icon)
        sent = []
        # desktop-notifier logs a failure (no notification daemon) and returns: on_dispatched
        # is only called when the system took the notification.
        await self._notifier.send(
            title=title,
            message=body,
            on_clicked=on_click,
            on_dispatched=lambda: sent.append(True),
        )
        if not sent:
            log.warning("no notification daemon took the reminder %r", title)
        return bool(sent)

    async def close(self) -> None:
        """Hang up on the session bus (desktop-notifier has no call for it)."""
        bus = getattr(getattr(self._notifier, "_backend", None), "bus", None)
        if bus is not None:
            bus.disconnect()
            with contextlib.suppress(Exception):
                await bus.wait_for_disconnect()
        self._notifier = None


def start(
    app: Flask,
    open_note: Callable[[int | None], None],
    notifier: Notifier | None = None,
    on_missed: Callable[[int], None] | None = None,
) -> Scheduler:
    """Start the app's scheduler (once), with the system's notifications by default."""
    scheduler = app.extensions.get(EXTENSION)
    if scheduler is None or not scheduler.alive:
        scheduler = Scheduler(app, notifier or DesktopNotifier(), open_note, on_missed=on_missed)
        app.extensions[EXTENSION] = scheduler
        scheduler.start()
    return scheduler


def stop(app: Flask, timeout: float = 10) -> bool:
    scheduler = app.extensions.pop(EXTENSION, None)
    return scheduler.stop(timeout) if scheduler is not None else True
