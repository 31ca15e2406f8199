"""Lone surrogates: JSON can carry them (``"\\ud800"``, half of an emoji cut in two), but they
are not Unicode text, and SQLite's driver cannot store them."""

from __future__ import annotations

import re

from werkzeug.exceptions import BadRequest

_SURROGATE = re.compile(r"[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def check_unicode(data, raw: bytes | str) -> None:
    """Refuse a request whose parsed JSON holds a lone surrogate (400). Only an escape makes
    one, so the walk runs only when the raw body has such an escape."""
    escape = b"\\u" if isinstance(raw, bytes) else "\\u"
    if escape in raw and _has_surrogate(data):
        raise BadRequest("The request holds text that is not valid Unicode (a lone surrogate).")


def _has_surrogate(value) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False
