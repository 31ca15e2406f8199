"""Running scripts in the window under the page's CSP.

pywebview's ``evaluate_js`` wraps scripts in ``eval``, which the page's Content-Security-Policy
(``script-src 'self'``, no ``'unsafe-eval'``) refuses. ``run_js`` hands the script to the web
view as it is, which the policy does not govern, so values travel as JSON strings and promises
are awaited by polling a page variable.
"""

from __future__ import annotations

import json
import secrets
import time


def value(window, expression: str):
    """The JSON value of a JavaScript expression evaluated in the page."""
    raw = window.run_js(f"JSON.stringify({expression})")
    return None if raw in (None, "", "undefined") else json.loads(raw)


def awaited(window, promise_expression: str, timeout: float = 20, poll: float = 0.02):
    """The value a promise in the page resolves to (AssertionError if it rejects or hangs)."""
    slot = f"__kaap_{secrets.token_hex(16)}"
    window.run_js(
        f"window.{slot} = null; Promise.resolve({promise_expression})"
        f".then(v => {{ window.{slot} = {{ok: true, value: v}}; }},"
        f" e => {{ window.{slot} = {{ok: false, value: String(e)}}; }}); 0"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = value(window, f"window.{slot}")
        if result is not None:
            window.run_js(f"delete window.{slot}; 0")
            if not result["ok"]:
                raise AssertionError(f"the page's promise failed: {result['value']}")
            return result["value"]
        time.sleep(poll)
    raise AssertionError(f"no answer from the page within {timeout} s")
