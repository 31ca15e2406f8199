"""Text an import takes in as well as it can, rather than refuse: lone surrogates (half of an
emoji, which SQLite cannot store) and NUL (which PostgreSQL cannot store) become U+FFFD."""

from __future__ import annotations

import re

from webapp.unicode import REPLACEMENT

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BAD = re.compile(r"[\ud800-\udfff\x00]")


class Cleaner:
    """Replaces the characters no database stores, counting them for the warnings."""

    def __init__(self) -> None:
        self.surrogates = 0
        self.nuls = 0

    def text(self, value: str) -> str:
        if not _BAD.search(value):
            return value
        self.nuls += value.count("\0")
        value, count = _SURROGATE.subn(REPLACEMENT, value)
        self.surrogates += count
        return value.replace("\0", REPLACEMENT)

    def tree(self, value):
        """``value`` (parsed JSON) cleaned in place, without recursion: depth costs no stack."""
        if isinstance(value, str):
            return self.text(value)
        stack = [value]
        while stack:
            node = stack.pop()
            pairs = enumerate(node) if isinstance(node, list) else list(node.items())
            for key, item in pairs:
                if isinstance(item, str):
                    node[key] = self.text(item)
                elif isinstance(item, list | dict):
                    stack.append(item)
                if isinstance(key, str) and _BAD.search(key):
                    node[self.text(key)] = node.pop(key)
        return value

    def warnings(self) -> list[str]:
        out = []
        if self.surrogates:
            many = self.surrogates > 1
            out.append(
                f"{self.surrogates} character{'s' if many else ''} {'were' if many else 'was'} "
                "not valid Unicode (half of an emoji, say) and became \ufffd"
            )
        if self.nuls:
            many = self.nuls > 1
            out.append(
                f"{self.nuls} NUL character{'s' if many else ''} (U+0000, which a database "
                f"cannot store) became \ufffd"
            )
        return out


def clean(value) -> tuple[object, list[str]]:
    """``value`` cleaned (in place for lists and dicts), and the warnings to report."""
    cleaner = Cleaner()
    return cleaner.tree(value), cleaner.warnings()
