"""The query language: words narrow (all must match), "a phrase" matches as typed, -word excludes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A term: optional minus, then a double-quoted phrase (closing quote optional) or a word.
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')


@dataclass(frozen=True)
class Query:
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)


def parse(text: str | None) -> Query:
    """Split a search box's text into case-folded terms to include and to exclude.

    An empty phrase is ignored; a lone ``-`` is searched for; ``e-mail`` is one word.
    """
    query = Query()
    for match in _TERM.finditer(text or ""):
        minus, phrase, word = match.groups()
        term = (phrase if phrase is not None else word).casefold()
        if not term.strip():
            continue
        (query.exclude if minus else query.include).append(term)
    return query
