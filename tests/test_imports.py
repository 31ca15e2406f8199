"""Every module of the app imports on its own: no import cycle waits for another module to be
imported first (a cycle dodged only by the order ``create_app`` happens to import in)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import webapp

ROOT = Path(__file__).resolve().parent.parent
# Each module in a child of one interpreter that imported only the third-party libraries (a
# module of the app imported before would hide the cycle): fork keeps the check to seconds.
SCRIPT = """
import os, sys, traceback
import flask, flask_restx, flask_sqlalchemy, flask_wtf, sqlalchemy  # noqa: F401
failed = []
for module in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(module)
        except BaseException:
            traceback.print_exc(limit=-3)
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1] != 0:
        failed.append(module)
print("modules that do not import on their own:", failed)
sys.exit(1 if failed else 0)
"""


def app_modules() -> list[str]:
    found = ["webapp"]
    for info in pkgutil.walk_packages(webapp.__path__, "webapp."):
        if ".migrations.versions." not in info.name and not info.name.endswith(".migrations.env"):
            found.append(info.name)
    return found


def test_every_module_of_the_app_imports_on_its_own():
    modules = app_modules()
    assert "webapp.notes.models" in modules and "webapp.search.index" in modules
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *modules], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
