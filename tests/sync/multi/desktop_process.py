"""A desktop Kaap for the multi-process tests: ``python -m tests.sync.multi.desktop_process
serve PORT_FILE`` serves one single-user data directory (``KAAP_DATA_DIR``) on 127.0.0.1 on a
port the OS picks (written to PORT_FILE); ``... cli ARGS`` runs ``flask ARGS`` (``sync now``)
on the same data directory.

Both read the app's clock from ``<data dir>/clock-offset`` (seconds, may be negative) at every
reading, so a test moves one desktop's time ("a month offline") while it runs, and its syncs
run at the same time as its edits.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

OFFSET_FILE = "clock-offset"


class OffsetClock:
    """``utcnow`` plus the offset the file holds (0 when there is none)."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / OFFSET_FILE

    def __call__(self):
        from webapp.timeutil import utcnow

        try:
            seconds = float(self.path.read_text(encoding="utf-8") or 0)
        except (OSError, ValueError):
            seconds = 0.0
        return utcnow() + timedelta(seconds=seconds)


def build_app():
    """The desktop's app, as ``desktop/`` builds it, with the test's clock and no keyring."""
    from webapp import create_app

    data_dir = Path(os.environ["KAAP_DATA_DIR"])
    return create_app(
        {
            "CONFIG": "desktop",
            "DATA_DIR": str(data_dir),
            "CLOCK": OffsetClock(data_dir),
            # The test's HTTP client carries this token as the window's cookie.
            "LAUNCH_TOKEN": os.environ["KAAP_TEST_LAUNCH_TOKEN"],
            "SYNC_KEYRING": False,
        }
    )


def add_cli_route(app) -> None:
    """``POST /_test/flask`` with ``{"args": ["sync", "now"]}``: a ``flask`` command run
    inside this process (as the window's worker runs the engine), answering its exit code
    and output. A new Python process per sync costs 1-2 s on the loaded test machine, and
    the suite syncs hundreds of times."""
    from flask import jsonify, request

    def run_command():
        args = request.get_json()["args"]
        result = app.test_cli_runner().invoke(args=args)
        stderr = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            import traceback

            stderr += "".join(traceback.format_exception(result.exception))
        return jsonify(returncode=result.exit_code, stdout=result.stdout, stderr=stderr)

    app.add_url_rule("/_test/flask", "test_flask", run_command, methods=["POST"])


def serve(port_file: Path) -> int:
    from waitress import create_server

    app = build_app()
    add_cli_route(app)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="Kaap")
    part = port_file.with_suffix(".part")
    part.write_text(str(server.effective_port), encoding="utf-8")
    part.replace(port_file)  # the test sees the whole number or nothing
    server.run()
    return 0


def cli(args: list[str]) -> int:
    from flask.cli import FlaskGroup

    group = FlaskGroup(create_app=build_app, add_default_commands=False, load_dotenv=False)
    return group.main(args, prog_name="flask", standalone_mode=True)


def die_with_parent() -> None:
    """Linux: SIGKILL this process when the test run that started it dies (killed itself,
    it could not stop its children by pid): no orphan outlives a crashed run."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str]) -> int:
    die_with_parent()
    if argv[:1] == ["serve"] and len(argv) == 2:
        return serve(Path(argv[1]))
    if argv[:1] == ["cli"]:
        return cli(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
