"""``/api/settings``: the person's theme, layout and the notes' order."""

from __future__ import annotations

from flask_restx import Namespace, Resource, fields

from webapp.accounts.auth import current_owner_id
from webapp.api.envelope import error_model, register_models
from webapp.extensions import db
from webapp.settings import service
from webapp.timeutil import now

ns = Namespace("settings", description="Display settings, kept per person")

_FIELDS = {
    "theme": "light, dark, or system (follow the system's choice)",
    "layout": "notes as a grid of cards or as one list",
    "order": "own: the order you give the notes (drag them); edited: the latest edit first",
    "keep_running": "on: on the desktop, closing the window keeps Kaap running (a tray icon) "
    "for reminders",
}
settings_model = ns.model(
    "Settings",
    {
        name: fields.String(required=True, enum=list(values), description=_FIELDS[name])
        for name, values in service.CHOICES.items()
    },
)
settings_input = ns.model(
    "SettingsInput",
    {
        name: fields.String(enum=list(values), description=_FIELDS[name])
        for name, values in service.CHOICES.items()
    },
    strict=True,
)
register_models(ns)


@ns.route("")
@ns.response(400, "Unknown setting or value", error_model)
class Settings(Resource):
    @ns.marshal_with(settings_model)
    def get(self):
        """Every setting (defaults for those never changed)."""
        return service.get_settings(db.session, current_owner_id())

    @ns.expect(settings_input, validate=True)
    @ns.marshal_with(settings_model)
    def patch(self):
        """Change some settings; those not named stay as they are."""
        return service.update_settings(db.session, current_owner_id(), ns.payload, now())
