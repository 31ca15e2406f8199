"""The page at ``/``: the Keep-class interface, drawn in the browser from the REST API."""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    render_template,
    send_from_directory,
    url_for,
)
from jinja2 import FileSystemBytecodeCache

from webapp.accounts.auth import current_owner_id
from webapp.dialogs import dialogs
from webapp.extensions import db
from webapp.settings.service import get_settings

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__, template_folder="templates")


def _account():
    """The logged-in user in server mode (accounts on), else None: the desktop shows no
    account things. Rendered into the page, so its scripts need no request to know."""
    if not current_app.config["ACCOUNTS"]:
        return None
    from flask_login import current_user  # server mode's package: the desktop never loads it

    return current_user if current_user.is_authenticated else None


def _settings() -> dict[str, str]:
    """The person's theme and layout, drawn into the page so it never flashes the wrong ones."""
    return get_settings(db.session, current_owner_id())


@bp.get("/")
def index():
    """The app shell; the ES modules in ``static/js`` fetch and draw the notes."""
    # desktop: the window, whose shell notifies of reminders; a browser's page does it itself
    return render_template(
        "pages/index.html", account=_account(), settings=_settings(), desktop=dialogs().native
    )


@bp.get("/settings")
def settings():
    """Import from Google Keep, export, backups; your account in server mode."""
    return render_template(
        "pages/settings.html",
        native_export=dialogs().native,
        desktop=dialogs().native,  # the window (its shell): the keep-running option
        account=_account(),
        settings=_settings(),
    )


@bp.get("/favicon.ico")
def favicon():
    """The icon browsers ask for at the root, whatever the page links."""
    return send_from_directory(Path(current_app.static_folder) / "icons", "favicon.ico")


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: the page installs as an app (offline support is a later step)."""
    icons = [
        {
            "src": url_for("static", filename=f"icons/kaap-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
        }
        for size in (192, 512)
    ]
    response = jsonify(
        name="Kaap",
        short_name="Kaap",
        description="Notes, Google Keep style, offline.",
        start_url=url_for("pages.index"),
        scope=url_for("pages.index"),
        display="standalone",
        background_color="#ffffff",
        theme_color="#fbbc04",
        icons=icons,
    )
    response.mimetype = "application/manifest+json"
    return response


# The login page links both, and browsers fetch them without asking anyone to log in first.
favicon.kaap_public = True
manifest.kaap_public = True


# ``import ... from "./x.js"`` and ``export ... from "./x.js"``: the static imports of a module.
_STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^"'`;]*?["']\./([\w.-]+\.js)["']""", re.M)


@cache
def module_preloads(script: str, folder: str) -> tuple[str, ...]:
    """Every module that ``script`` (in ``folder``) imports, directly or not, in the order
    found. The page lists them as ``modulepreload`` links, so the web view fetches them all
    at once instead of one level of imports after another. Read once per process: a module
    missing from the list is only fetched later, never left out."""
    found: dict[str, None] = {}
    todo = [script]
    while todo:
        try:
            text = (Path(folder) / todo.pop()).read_text(encoding="utf-8")
        except OSError:
            continue
        for name in _STATIC_IMPORT.findall(text):
            if name != script and name not in found:
                found[name] = None
                todo.append(name)
    return tuple(found)


class TemplateCache(FileSystemBytecodeCache):
    """Compiled templates on disk, one entry per template name: Jinja's own key also holds the
    file's path, which in the one-file executable is a new temporary folder at every launch.
    Jinja recompiles an entry whose source changed (it keeps a checksum) and writes by rename.
    """

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(name)

    def dump_bytecode(self, bucket) -> None:
        # A cache is a nicety: on a full disk the page is rendered all the same.
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            log.warning("could not keep the compiled template %s: %s", bucket.key, exc)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    def preloads(script: str) -> tuple[str, ...]:
        return module_preloads(script, str(Path(app.static_folder) / "js"))

    app.add_template_global(preloads, "module_preloads")
    if app.config["TEMPLATE_CACHE"]:
        folder = Path(app.config["DATA_DIR"]) / "cache" / "templates"
        folder.mkdir(parents=True, exist_ok=True)
        app.jinja_env.bytecode_cache = TemplateCache(str(folder))
