"""What changed between two states of a note, small enough to store for every version.

A delta rebuilds the older state from the newer one: per field that differs, either the old
value (``{"v": ...}``) or ops over the newer value (``{"d": [...]}``): ``[a, b]`` copies
``new[a:b]``, anything else is inserted as is (text for a string, a list of elements for a
list). The matching is ``difflib.SequenceMatcher``'s, over words for text (lines for long
text), over elements for lists.
"""

from __future__ import annotations

import difflib
import json
import re
import zlib
from typing import Any

# Past this many characters a text is matched by lines, past this many tokens stored whole:
# SequenceMatcher can be quadratic, and a save must stay quick.
WORDS_UP_TO = 20_000
TOKENS_UP_TO = 20_000
# A word with the spaces after it: a lone space token would match everywhere, and
# SequenceMatcher (without its junk heuristic) turns quadratic on tokens that common.
_WORD = re.compile(r"\S+\s*|\s+")


def pack(value: Any) -> bytes:
    """JSON, deflated (``z`` and raw deflate, no zlib header) where that is shorter: a delta
    of a few words is shorter as it is."""
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    squeezer = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = b"z" + squeezer.compress(raw) + squeezer.flush()
    return deflated if len(deflated) < len(raw) else raw


def unpack(data: bytes) -> Any:
    data = bytes(data)
    return json.loads(zlib.decompress(data[1:], -15) if data[:1] == b"z" else data)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text) if len(text) <= WORDS_UP_TO else text.splitlines(keepends=True)


def _ops(new: list, old: list) -> list:
    """Ops rebuilding ``old`` from ``new`` (token lists), literals as ``(j1, j2)`` ranges of
    ``old``. The common head and tail are taken off first: an edit touches a few words."""
    head = 0
    while head < min(len(new), len(old)) and new[head] == old[head]:
        head += 1
    tail = 0
    while tail < min(len(new), len(old)) - head and new[-1 - tail] == old[-1 - tail]:
        tail += 1
    ops: list = [[0, head]] if head else []
    matcher = difflib.SequenceMatcher(
        None, new[head : len(new) - tail], old[head : len(old) - tail], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append([head + i1, head + i2])
        elif j2 > j1:  # replace or insert: what only the old one has
            ops.append((head + j1, head + j2))
    if tail:
        ops.append([len(new) - tail, len(new)])
    return ops


def _text_ops(new: str, old: str) -> list | None:
    new_tokens, old_tokens = _tokens(new), _tokens(old)
    if max(len(new_tokens), len(old_tokens)) > TOKENS_UP_TO:
        return None
    # Token ranges become character ranges of the newer text.
    starts = [0]
    for token in new_tokens:
        starts.append(starts[-1] + len(token))
    return [
        [starts[op[0]], starts[op[1]]] if isinstance(op, list) else "".join(old_tokens[slice(*op)])
        for op in _ops(new_tokens, old_tokens)
    ]


def _list_ops(new: list, old: list) -> list:
    # Elements are matched by their JSON (lists are not hashable); literals are the elements.
    keys = [json.dumps(element) for element in new], [json.dumps(element) for element in old]
    return [op if isinstance(op, list) else {"l": old[slice(*op)]} for op in _ops(*keys)]


def diff(new: dict, old: dict) -> dict:
    """The delta that rebuilds ``old`` from ``new`` (states with the same keys)."""
    delta = {}
    for name, old_value in old.items():
        new_value = new.get(name)
        if new_value == old_value:
            continue
        ops = None
        if isinstance(old_value, str) and isinstance(new_value, str):
            ops = _text_ops(new_value, old_value)
        elif isinstance(old_value, list) and isinstance(new_value, list):
            ops = _list_ops(new_value, old_value)
        delta[name] = {"v": old_value} if ops is None else {"d": ops}
    return delta


def apply(new: dict, delta: dict) -> dict:
    """The older state a delta made from ``new`` describes."""
    old = dict(new)
    for name, change in delta.items():
        if "v" in change:
            old[name] = change["v"]
            continue
        value = new[name]
        if isinstance(value, str):
            old[name] = "".join(value[op[0] : op[1]] if isinstance(op, list) else op
                                for op in change["d"])  # fmt: skip
        else:
            rebuilt: list = []
            for op in change["d"]:
                rebuilt += value[op[0] : op[1]] if isinstance(op, list) else op["l"]
            old[name] = rebuilt
    return old
