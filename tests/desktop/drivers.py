"""Drivers for scenarios the self-test does not cover: ``python -m tests.desktop.drivers NAME``
followed by Kaap's own options. Each runs in the window's process, like the self-test."""

from __future__ import annotations

import sys
import time

from desktop.js import value
from desktop.main import parse_args, run
from desktop.selftest import wait_loaded

CLICK_EXTERNAL_LINK_JS = """
var link = document.createElement('a');
link.href = 'https://example.invalid/from-a-note';
link.textContent = 'a link in a note';
document.body.appendChild(link);
link.click();
0
"""


def external_link(session) -> None:
    """A link to another site goes to the system browser; the window stays on Kaap."""
    wait_loaded(session)
    origin = value(session.window, "location.origin")
    session.window.run_js(CLICK_EXTERNAL_LINK_JS)
    time.sleep(1.5)
    assert value(session.window, "location.origin") == origin, "the window left Kaap"


DRIVERS = {"external_link": external_link}


def main() -> int:
    name, *argv = sys.argv[1:]
    return run(parse_args(argv), DRIVERS[name])


if __name__ == "__main__":
    sys.exit(main())
