"""Match offsets: the one-term fast path gives what the general merge gives."""

from hypothesis import given
from hypothesis import strategies as st

from webapp.search.matches import _folded, find

ALPHABET = "aAbBß회의 İ"


def reference(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Every term's non-overlapping occurrences, in the original text's offsets, merged."""
    folded, origin = _folded(text)
    spans = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            spans.append((origin[start], origin[end - 1] + 1))
            start = folded.find(term, end)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@given(
    st.text(ALPHABET, max_size=40),
    st.lists(st.text(ALPHABET, min_size=1, max_size=3), min_size=1, max_size=3),
)
def test_spans_equal_the_general_merge(text, raw_terms):
    terms = [term.casefold() for term in raw_terms]
    assert find(text, terms) == reference(text, terms)


def test_touching_occurrences_are_one_span():
    assert find("aaaa", ["aa"]) == [(0, 4)]
    assert find("abab-ab", ["ab"]) == [(0, 4), (5, 7)]
    assert find("Straße", ["ss"]) == [(4, 5)]
