"""The server for the multi-process tests: ``python -m tests.sync.multi.server_process ARGS``
is ``python -m webapp.serve ARGS`` with the app's clock read from
``<KAAP_DATA_DIR>/clock-offset`` (as the desktops'), so a scenario can let a month pass for
the server too (its tombstones age, its trash purges)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import webapp
from tests.sync.multi.desktop_process import OffsetClock, die_with_parent
from webapp import serve


def main(argv: list[str]) -> int:
    die_with_parent()
    build = webapp.create_app
    clock = OffsetClock(Path(os.environ["KAAP_DATA_DIR"]))

    def create_app(config=None):
        return build({**(config or {}), "CLOCK": clock})

    webapp.create_app = create_app  # what webapp.serve.main imports when it runs
    return serve.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
