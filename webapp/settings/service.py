"""Reading and changing a person's settings, as plain functions over a session."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import ValidationError
from webapp.settings.models import Setting

# Every setting with its allowed values; the first is the default.
CHOICES: dict[str, tuple[str, ...]] = {
    "theme": ("system", "light", "dark"),  # "system" follows the system's light or dark
    "layout": ("grid", "list"),
    # The notes' order: the person's own (drag cards, as Keep) or by last edit, newest first.
    "order": ("own", "edited"),
    # The desktop: closing the window leaves Kaap running (a tray icon) for reminders.
    "keep_running": ("off", "on"),
}
DEFAULTS = {name: values[0] for name, values in CHOICES.items()}


def get_settings(session: Session, owner_id: int) -> dict[str, str]:
    """Every setting of the owner, defaults filled in."""
    stored = session.execute(
        select(Setting.name, Setting.value).where(Setting.owner_id == owner_id)
    ).all()
    values = dict(DEFAULTS)
    for name, value in stored:
        if value in CHOICES.get(name, ()):  # a value an older or newer Kaap wrote: ignored
            values[name] = value
    return values


def check_settings(changes: Mapping[str, object]) -> None:
    """Refuse unknown names and values outside each setting's choices (400, per field)."""
    problems = {}
    for name, value in changes.items():
        if name not in CHOICES:
            problems[name] = "unknown setting"
        elif value not in CHOICES[name]:
            problems[name] = f"one of {', '.join(CHOICES[name])}"
    if problems:
        raise ValidationError("Some settings are not valid.", fields=problems)


def update_settings(
    session: Session, owner_id: int, changes: Mapping[str, str], now: datetime
) -> dict[str, str]:
    """Change the settings named in ``changes``; the others stay. Returns all of them."""
    check_settings(changes)
    for name, value in changes.items():
        row = session.get(Setting, (owner_id, name))
        if row is None:
            session.add(Setting(owner_id=owner_id, name=name, value=value, updated_at=now))
        elif row.value != value:
            row.value, row.updated_at = value, now
    session.commit()
    return get_settings(session, owner_id)
