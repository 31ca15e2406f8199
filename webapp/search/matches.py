"""Where a note's text matches the query, as field names and character offsets (not HTML)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def note_fields(note) -> Iterator[tuple[str, str]]:
    """The searched fields of a note, named as the API names them."""
    yield "title", note.title or ""
    yield "body", note.body or ""
    for i, item in enumerate(note.items):
        yield f"items.{i}", item.text
    for i, label in enumerate(note.labels):
        yield f"labels.{i}", label.name


def _folded(text: str) -> tuple[str, list[int]]:
    # Case folding can lengthen a character (ß -> ss): map each folded one to its source.
    """``text`` case-folded, and for each folded character the index it came from."""
    chars, origin = [], []
    for i, ch in enumerate(text):
        folded = ch.casefold()
        chars.append(folded)
        origin.extend([i] * len(folded))
    return "".join(chars), origin


def find(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Non-overlapping ``(start, end)`` spans of ``text`` (code point offsets) matching any term."""
    return _spans(text, text.casefold(), terms)


def _spans(text: str, folded: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    terms = [term for term in terms if term in folded]
    if not terms:
        return []
    origin = None  # every character folded to one: offsets carry over
    if len(folded) != len(text):
        folded, origin = _folded(text)
    elif len(terms) == 1:  # the usual case, in one pass: spans come sorted and apart
        term, spans = terms[0], []
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            if spans and spans[-1][1] == start:  # touching: one span, as merged below
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
            start = folded.find(term, end)
        return spans
    spans = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            spans.append((start, end) if origin is None else (origin[start], origin[end - 1] + 1))
            start = folded.find(term, end)
    if len(spans) == 1:
        return spans
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def matches(note, terms: list[str]) -> list[dict]:
    """Every match of the terms in the note: ``{"field", "start", "end"}``."""
    if not terms:
        return []
    out = []
    for name, text in note_fields(note):
        folded = text.casefold()
        # Most fields of a page hold no term: test before calling into the span search.
        for term in terms:
            if term in folded:
                out += [
                    {"field": name, "start": start, "end": end}
                    for start, end in _spans(text, folded, terms)
                ]
                break
    return out
