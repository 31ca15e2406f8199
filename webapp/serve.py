"""Serve the web app on waitress: ``python -m webapp.serve [--host H] [--port P]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webapp.serve", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)

    from webapp import ConfigError, create_app
    from webapp.hosting import waitress_options
    from webapp.wakepipe import serve

    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        # The listen address: trusted as a Host by default, and checked (webapp/hosting).
        app = create_app({"LISTEN_HOST": args.host})
    except ConfigError as exc:
        print(f"kaap: {exc}", file=sys.stderr)
        return 2
    if app.config["REQUIRE_LAUNCH_TOKEN"]:
        # Only the desktop window holds the launch token: every request here would get 401.
        print(
            "kaap: KAAP_CONFIG=desktop answers only the desktop's own window; start it with "
            "`python -m desktop`, or serve with KAAP_CONFIG=production.",
            file=sys.stderr,
        )
        return 2
    print(f"Kaap is running at http://{args.host}:{args.port}/ (data in {app.config['DATA_DIR']})")
    print("Press Ctrl+C to stop.", flush=True)
    options = waitress_options(app)
    # Each open event stream (GET /api/events) holds a thread: they get their own, so the
    # --threads stay free for requests however many streams are open.
    threads = args.threads + int(app.config["EVENTS_MAX_STREAMS"])
    try:
        serve(app, host=args.host, port=args.port, threads=threads, ident="Kaap", **options)
    finally:
        from webapp import events

        events.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
