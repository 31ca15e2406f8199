"""How a version differs from the note as it is now, for the page to highlight (difflib)."""

from __future__ import annotations

import difflib
import re
from typing import Any

# Words, spaces and signs apart, so a highlight covers just the changed word; long texts by
# lines. difflib's junk heuristic stays on here: it keeps a long text's compare quick.
_FINE = re.compile(r"\s+|\w+|[^\w\s]")
_FINE_UP_TO = 20_000


def _tokens(text: str) -> list[str]:
    return _FINE.findall(text) if len(text) <= _FINE_UP_TO else text.splitlines(keepends=True)


def segments(current: str, version: str) -> list[dict[str, str]]:
    """The version's text against the current one: ``{"op", "text"}`` runs, in reading order."""
    old, new = _tokens(current), _tokens(version)
    result: list[dict[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            _add(result, "delete", "".join(old[i1:i2]))
        if tag in ("insert", "replace"):
            _add(result, "insert", "".join(new[j1:j2]))
        if tag == "equal":
            _add(result, "equal", "".join(new[j1:j2]))
    return result


def _add(result: list[dict[str, str]], op: str, text: str) -> None:
    if result and result[-1]["op"] == op:
        result[-1]["text"] += text
    elif text:
        result.append({"op": op, "text": text})


def item_changes(current: list, version: list) -> list[dict[str, Any]]:
    """Checklist items, matched by text and checkmark: each ``{"op", "text", "checked"}``."""
    keys = lambda items: [(text, checked) for text, checked, _ in items]  # noqa: E731
    old, new = keys(current), keys(version)
    result = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if tag in ("delete", "replace"):
            result += [{"op": "delete", "text": t, "checked": c} for t, c in old[i1:i2]]
        if tag in ("insert", "replace"):
            result += [{"op": "insert", "text": t, "checked": c} for t, c in new[j1:j2]]
        if tag == "equal":
            result += [{"op": "equal", "text": t, "checked": c} for t, c in new[j1:j2]]
    return result


def changes(current: dict, version: dict) -> dict[str, Any]:
    """What the page highlights: text runs for title and body, items, and the other fields
    that differ (``changed``: names among kind, color, labels, images)."""
    return {
        "title": segments(current["title"], version["title"]),
        "body": segments(current["body"], version["body"]),
        "items": item_changes(current["items"], version["items"]),
        "changed": [
            name
            for name in ("title", "body", "kind", "color", "items", "labels", "images")
            if current[name] != version[name]
        ],
    }
