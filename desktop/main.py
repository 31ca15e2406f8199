"""Kaap on the desktop: ``python -m desktop [--data-dir DIR] [--debug] [--gui gtk|qt] [--new-note]``.

The options, then ``Shell(options).run()`` (``desktop/shell.py``): the local server and the
window. ``--restore-backup`` needs no window and is done here.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from desktop.shell import Shell, make_data_dir


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="Kaap", description="Kaap, offline notes.")
    parser.add_argument("--data-dir", type=Path, help="where notes live (default: per user)")
    parser.add_argument("--debug", action="store_true", help="verbose log, also on stderr")
    parser.add_argument("--gui", choices=("gtk", "qt"), help="Linux: force a window toolkit")
    parser.add_argument(
        "--new-note",
        action="store_true",
        help="open the composer for a new note: in the running Kaap's window, or start with it "
        "(what the menu entry's New note action and a shortcut key run)",
    )
    parser.add_argument(
        "--restore-backup",
        metavar="NAME",
        help="put backup NAME (from <data dir>/backups) in place of the notes, then exit; "
        "the current database is kept as a backup (or aside, if damaged)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window, create a note through it, check it, close; exit 0 if all worked",
    )
    # The tray icon's own process (desktop/tray.py), started by a running Kaap.
    parser.add_argument("--tray-for", type=int, metavar="PID", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    # A windowed executable (Windows, macOS) has no stdout or stderr: give prints somewhere.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)
    if os.name == "posix":
        os.umask(0o077)  # the notes, log and web view profile are the user's alone (0600, 0700)
    options = parse_args(argv)
    if options.restore_backup:
        return restore_backup(options)
    if options.tray_for:
        from desktop.shell import data_dir_path
        from desktop.tray import run

        return run(data_dir_path(options), options.tray_for)
    driver = None
    if options.self_test:
        from desktop.selftest import self_test

        driver = self_test
    return Shell(options, driver).run()


def restore_backup(options: argparse.Namespace) -> int:
    """``Kaap --restore-backup NAME``: what a damaged database's message offers; no window."""
    from webapp import create_app
    from webapp.backups.live import restore
    from webapp.errors import KaapError

    data_dir = make_data_dir(options)
    settings = {"CONFIG": "desktop", "DATA_DIR": str(data_dir), "START_ON_DAMAGED": True}
    app = create_app(settings)
    try:
        with app.app_context():
            backup, previous = restore(app, options.restore_backup)
    except KaapError as exc:
        print(f"kaap: {exc.message}", file=sys.stderr)
        return 2
    finally:
        from webapp.extensions import db

        with app.app_context():
            db.engine.dispose()
    print(f"Restored the notes from {backup.name}; the previous database is {previous}.")
    return 0
