"""What a request may carry: text every database stores, and JSON nested not too deep.

PostgreSQL refuses NUL (U+0000) in text, and SQLite's driver lone surrogates: either inside a
query was a 500 on one database and not the other. So NUL is refused (400) wherever a request
carries text (the path, query arguments, form fields, JSON bodies), on every database alike.
A JSON body nested thousands deep made the parser (and any walk over it) hit Python's
recursion limit; no Kaap body needs more than ``MAX_DEPTH`` levels.
"""

from __future__ import annotations

import json
import math

from flask import request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from webapp.unicode import check_unicode

NUL = "\x00"
# A note is 3 levels deep ({"items": [{"text": ...}]}), a draft holds a note's fields.
MAX_DEPTH = 32
_NUL_MESSAGE = "The request holds a NUL character (U+0000), which is not text Kaap stores."


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise ValueError(f"{text} is not a finite number")
    return value


# JSON has no NaN or Infinity, though Python's parser takes them; one kept in a draft made
# every later answer with it unreadable to the page's JSON.parse.
STRICT = {"parse_constant": _no_constant, "parse_float": _finite}


class KaapJSONProvider(DefaultJSONProvider):
    """Flask's JSON, parsing request bodies as JSON is written (``STRICT``)."""

    def loads(self, s, **kwargs):
        return json.loads(s, **{**STRICT, **kwargs})


def loads(raw: str | bytes):
    """``json.loads`` as for request bodies (``STRICT``), whose too-deep input is a 400 (it
    raises RecursionError otherwise)."""
    try:
        data = json.loads(raw, **STRICT)
    except RecursionError:
        raise BadRequest(f"The JSON is nested more than {MAX_DEPTH} levels deep.") from None
    check_json(data, raw)
    return data


def check_json(data, raw: bytes | str) -> None:
    """Refuse parsed JSON with a lone surrogate, a NUL or more than ``MAX_DEPTH`` levels."""
    check_unicode(data, raw)
    is_bytes = isinstance(raw, bytes)
    # JSON writes a NUL only as the escape \u0000, and nests only as deep as it has brackets:
    # each walk runs only for a body that could hold what it looks for.
    if (b"\\u0000" if is_bytes else "\\u0000") in raw and _has_nul(data):
        raise BadRequest(_NUL_MESSAGE)
    brackets = raw.count(b"[" if is_bytes else "[") + raw.count(b"{" if is_bytes else "{")
    if brackets > MAX_DEPTH and _too_deep(data):
        raise BadRequest(f"The JSON is nested more than {MAX_DEPTH} levels deep.")


def _has_nul(value) -> bool:
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return True
        elif isinstance(value, dict):
            if any(NUL in key for key in value):
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _too_deep(value) -> bool:
    """Whether ``value`` nests deeper than ``MAX_DEPTH``: level by level, containers only
    (parsed JSON holds exact dicts and lists), 0.5 ms for a checklist of 1,000 items."""
    level = [value]
    for _ in range(MAX_DEPTH):
        deeper = []
        for container in level:
            for child in container.values() if type(container) is dict else container:
                if type(child) is dict or type(child) is list:
                    deeper.append(child)
        if not deeper:
            return False
        level = deeper
    return True


def check_request_text() -> None:
    """Before each request: no NUL in the path or a query argument (400)."""
    if NUL in request.path:
        raise BadRequest(_NUL_MESSAGE)
    raw = request.query_string
    if b"%00" in raw or b"\x00" in raw:  # cheap first: most query strings hold neither
        for key, value in request.args.items(multi=True):
            if NUL in key or NUL in value:
                raise BadRequest(_NUL_MESSAGE)


def check_form(form, files) -> None:
    """No NUL in a form field's name or value, or an uploaded file's name (400)."""
    for key, value in form.items(multi=True):
        if NUL in key or NUL in value:
            raise BadRequest(_NUL_MESSAGE)
    for key, upload in files.items(multi=True):
        if NUL in key or NUL in (upload.filename or ""):
            raise BadRequest(_NUL_MESSAGE)
