"""A second launch in a real window (under Xvfb): its first page is the cached shell, drawn
before the app is built, and then the page works live; a damaged database still ends in
the page that names the backup."""

from __future__ import annotations

import json
import os
import re
import sqlite3

import pytest

from tests.desktop.drivers import LIVE_TITLE


def finished(kaap, expected: int = 0) -> tuple[str, str]:
    code, out, err = kaap.finish(timeout=120)
    assert code == expected, f"{out}\n{err}\n{kaap.log}"
    return out, err


def first_launch(launch, gui_env, gui):
    one = launch("--self-test", "--gui", gui, env=gui_env)
    finished(one)
    assert list((one.data_dir / "cache").glob("shell-*.html")), one.log
    return one


def before_the_build(log: str) -> dict:
    return json.loads(re.search(r"before the build: (.*)", log).group(1))


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_a_second_launch_shows_the_cached_shell_first_then_works_live(launch, gui_env, gui):
    one = first_launch(launch, gui_env, gui)
    two = launch("--gui", gui, env=gui_env, data_dir=one.data_dir, driver="cached_then_live")
    finished(two)
    log = two.log
    # The window had its page, with no CSRF token and no notes yet, when the build began.
    assert before_the_build(log) == {"title": "Kaap", "path": "/", "csrf": "", "ready": False}
    assert "(the cached shell)" in log
    # Started by the page's load or its first API call (sent before the load event).
    started = re.search(r"app build started \((.*?)\)", log).group(1)
    assert started == "page loaded" or started.startswith("/api/"), started
    assert log.index("app build started") < log.index("app built")
    with sqlite3.connect(one.data_dir / "kaap.sqlite3") as conn:
        titles = [row[0] for row in conn.execute("SELECT title FROM notes")]
    assert LIVE_TITLE in titles


def test_a_damaged_database_behind_a_cached_shell_ends_in_the_page_naming_the_backup(
    launch, gui_env
):
    one = first_launch(launch, gui_env, "gtk")
    from webapp import create_app
    from webapp.backups.live import create
    from webapp.extensions import db

    app = create_app({"CONFIG": "desktop", "DATA_DIR": str(one.data_dir)})
    with app.app_context():
        backup = create(app, "manual").name
        db.engine.dispose()
    (one.data_dir / "kaap.sqlite3").write_bytes(os.urandom(4096))
    for suffix in ("-wal", "-shm"):
        (one.data_dir / f"kaap.sqlite3{suffix}").unlink(missing_ok=True)

    two = launch("--gui", "gtk", env=gui_env, data_dir=one.data_dir, driver="damaged_page")
    _, err = finished(two, expected=2)
    assert f"--restore-backup {backup}" in err
    assert before_the_build(two.log)["title"] == "Kaap"  # the cached shell came first
    said = re.search(r"the window says: (.*)", two.log).group(1)
    assert "damaged" in said and backup in said
