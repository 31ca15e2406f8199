"""What a start-up does to the database before the app answers: ``prepare(app)``."""

from __future__ import annotations

from flask import Flask

from webapp import maintenance
from webapp.backups import live as backups


def prepare(app: Flask) -> None:
    """With ``AUTO_MIGRATE`` (every mode but some tests): check the SQLite file (a damaged one
    raises ``CorruptDatabaseError``), back it up and migrate it if a migration is due, take
    the daily backup, then the housekeeping (the local user, the trash purge, the image sweep).

    With ``DEFER_HOUSEKEEPING`` (the desktop) the full check, the daily backup and the purge
    wait for ``maintenance.after_start``, once the window shows.
    """
    if not app.config["AUTO_MIGRATE"]:
        return
    with app.app_context():
        if backups.database_is_sound(app):
            backups.migrate(app)
            backups.on_start(app)
            maintenance.on_start(app)
