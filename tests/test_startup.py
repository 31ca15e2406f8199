"""Start-up does only what the first page needs (see bench/startup.py and bench/RESULTS.md)."""

import ast
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from webapp.db.migrate import MIGRATIONS_DIR, head_revision, script_revisions

ROOT = Path(__file__).parents[1]


def test_revisions_read_from_the_scripts_agree_with_alembic():
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert head_revision() == script.get_current_head()
    assert script_revisions() == {
        rev.revision: rev.down_revision for rev in script.walk_revisions()
    }


def python(code: str) -> str:
    """What a fresh interpreter prints running ``code`` from the project's root."""
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return run.stdout


def loaded_after_start(data_dir, config: str, packages: set[str]) -> list[str]:
    """Which of ``packages`` a fresh process has imported once ``create_app`` returns."""
    code = (
        "import sys; from webapp import create_app; "
        f"create_app({{'CONFIG': {config!r}, 'DATA_DIR': {str(data_dir)!r}}}); "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {packages!r}))"
    )
    return ast.literal_eval(python(code))


def test_starting_on_a_current_database_imports_no_alembic(data_dir):
    assert loaded_after_start(data_dir, "testing", {"alembic", "flask_migrate"}) == []


def test_the_desktop_imports_no_server_accounts_and_no_pillow(data_dir):
    """Accounts are off on the desktop, and Pillow waits for the first image."""
    server_only = {"flask_login", "flask_limiter", "limits", "redis", "PIL"}
    assert loaded_after_start(data_dir, "desktop", server_only) == []


def test_the_desktop_loads_no_sync_client_until_it_connects(data_dir):
    """httpx and keyring (webapp/sync/device) wait for the first connect or check."""
    assert loaded_after_start(data_dir, "desktop", {"httpx", "keyring", "certifi"}) == []


def test_documentation_merges_share_models_and_copy_the_rest():
    from flask_restx import Model, fields, namespace

    from webapp.api import merge_docs

    model = Model("Thing", {"name": fields.String(required=True)})
    first = {"responses": {"200": ("OK", model, {})}, "params": {"id": {"in": "path"}}}
    second = {"responses": {"404": ("Missing", model, {})}, "expect": [model]}
    merged = merge_docs(first, second)
    assert merged == {
        "responses": {"200": ("OK", model, {}), "404": ("Missing", model, {})},
        "params": {"id": {"in": "path"}},
        "expect": [model],
    }
    assert merged["responses"]["200"][1] is model and merged["expect"][0] is model
    assert merged["params"]["id"] is not first["params"]["id"]
    assert namespace.merge is merge_docs  # what flask-restx's decorators call


def test_importing_a_module_of_the_app_does_not_load_the_app():
    """The desktop imports webapp.dialogs on its main thread while another builds the app."""
    code = (
        "import sys, webapp.dialogs; "
        "print(sorted({'flask_sqlalchemy', 'flask_restx', 'sqlalchemy'} & set(sys.modules)))"
    )
    assert ast.literal_eval(python(code)) == []


def test_every_namespace_is_declared_with_the_cheap_documentation_merge(data_dir):
    """flask-restx's own merge deep-copies every model: 0.06-0.1 s of start-up."""
    code = (
        "import flask_restx.namespace as ns; real, calls = ns.merge, []; "
        "ns.merge = lambda *a: calls.append(1) or real(*a); "
        "from webapp import create_app; "
        f"create_app({{'CONFIG': 'desktop', 'DATA_DIR': {str(data_dir)!r}}}); print(len(calls))"
    )
    assert python(code).strip() == "0"


def test_the_desktop_loads_no_notifier_or_tray_until_the_first_page(data_dir):
    """desktop-notifier, its D-Bus library and pystray wait for the reminder scheduler and
    the tray, which start after the first page (desktop/shell.py's after_start)."""
    late = {"desktop_notifier", "dbus_fast", "pystray", "Xlib"}
    assert loaded_after_start(data_dir, "desktop", late) == []
    code = (
        "import sys, desktop.shell, desktop.main; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {late!r}))"
    )
    assert ast.literal_eval(python(code)) == []
    assert "'webapp.reminders.notify'" not in python(
        "import sys, desktop.shell; from webapp import create_app; "
        f"create_app({{'CONFIG': 'desktop', 'DATA_DIR': {str(data_dir)!r}}}); print(list(sys.modules))"
    )


def test_the_thin_path_serves_the_cached_shell_and_static_files_without_flask(tmp_path):
    """desktop/thin.py answers the first page while the app is built: none of the app's
    libraries may load for it, or the first paint waits for their imports after all."""
    code = f"""
import sys
from pathlib import Path
from desktop.thin import ShellCache, ThinApp

class Building:
    done = False
    def __call__(self, environ, start_response):
        raise AssertionError("passed on: " + environ["PATH_INFO"])

data_dir = Path({str(tmp_path)!r})
ShellCache(data_dir).write(b"<html><!--kaap-snapshot--></html>")
thin = ThinApp(Building(), "tok", data_dir)
statuses = []
for path in ("/", "/static/js/app.js", "/static/css/keep.css"):
    environ = {{"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
               "HTTP_HOST": "127.0.0.1:5000", "HTTP_COOKIE": "kaap_launch=tok"}}
    b"".join(thin(environ, lambda status, headers: statuses.append(status)))
heavy = {{"flask", "werkzeug", "jinja2", "sqlalchemy", "flask_sqlalchemy", "flask_restx"}}
print([statuses, sorted({{m.split(".")[0] for m in sys.modules}} & heavy)])
"""
    assert ast.literal_eval(python(code)) == [["200 OK"] * 3, []]
