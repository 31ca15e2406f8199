"""Position keys for a note's own place in the list, and nothing else (0011 uses them).

Keys are fractional indexes (the scheme of rocicorp's ``fractional-indexing``, used by Figma
and Linear): strings over the 62 ASCII digits and letters that sort as their code points do,
so that a key strictly between any two keys always exists and no other note is renumbered.
A key is an integer part (its first character says how many digits follow: ``a``-``z`` 0 to
25 digits above zero, ``Z``-``A`` below) and an optional fraction without trailing zeros.
Appending or prepending steps the integer part (the key grows by a character per 62^n notes);
dropping repeatedly between the same two notes grows the fraction by about a character per
six drops.

The list shows the greatest key first (``position DESC``, as ``updated_at DESC`` before), so
a new note, placed first, takes a key above every other of its section.
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
FIRST = "a0"  # the key of the first note of an empty list
_SMALLEST_INTEGER = "A" + "0" * 26


def _integer_length(head: str) -> int:
    if "a" <= head <= "z":
        return ord(head) - ord("a") + 2
    if "A" <= head <= "Z":
        return ord("Z") - ord(head) + 2
    raise ValueError(f"invalid key head {head!r}")


def _integer_part(key: str) -> str:
    length = _integer_length(key[0])
    if length > len(key):
        raise ValueError(f"invalid key {key!r}")
    return key[:length]


def is_valid(key: object) -> bool:
    """Whether ``key`` is a key this module could have made (imports check theirs)."""
    if not isinstance(key, str) or not key or key == _SMALLEST_INTEGER:
        return False
    if any(char not in DIGITS for char in key):
        return False
    try:
        integer = _integer_part(key)
    except ValueError:
        return False
    return not key[len(integer) :].endswith("0")


def _check(key: str) -> None:
    if not is_valid(key):
        raise ValueError(f"invalid key {key!r}")


def _midpoint(a: str, b: str | None) -> str:
    """A fraction strictly between fractions ``a`` and ``b`` (None: 1)."""
    if b is not None and a >= b:
        raise ValueError(f"{a!r} is not below {b!r}")
    if b:
        # The common prefix (``a`` padded with zeros) stays; the rest is split.
        n = 0
        while (a[n] if n < len(a) else "0") == b[n]:
            n += 1
        if n:
            return b[:n] + _midpoint(a[n:], b[n:])
    low = DIGITS.index(a[0]) if a else 0
    high = DIGITS.index(b[0]) if b is not None else len(DIGITS)
    if high - low > 1:
        return DIGITS[(low + high + 1) // 2]
    if b and len(b) > 1:
        return b[0]
    return DIGITS[low] + _midpoint(a[1:], None)


def _increment(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        d = DIGITS.index(digits[i]) + 1
        if d < len(DIGITS):
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = "0"
    if head == "Z":
        return "a0"
    if head == "z":
        return None
    head = chr(ord(head) + 1)
    if head > "a":
        digits.append("0")
    else:
        digits.pop()
    return head + "".join(digits)


def _decrement(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        d = DIGITS.index(digits[i]) - 1
        if d >= 0:
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = DIGITS[-1]
    if head == "a":
        return "Z" + DIGITS[-1]
    if head == "A":
        return None
    head = chr(ord(head) - 1)
    if head < "Z":
        digits.append(DIGITS[-1])
    else:
        digits.pop()
    return head + "".join(digits)


def between(low: str | None, high: str | None) -> str:
    """A key strictly between ``low`` and ``high``; None is the open end on that side."""
    if low is not None:
        _check(low)
    if high is not None:
        _check(high)
    if low is not None and high is not None and low >= high:
        raise ValueError(f"{low!r} is not below {high!r}")
    if low is None:
        if high is None:
            return FIRST
        integer = _integer_part(high)
        if integer == _SMALLEST_INTEGER:
            return integer + _midpoint("", high[len(integer) :])
        if integer < high:
            return integer
        lower = _decrement(integer)
        if lower is None:
            raise ValueError("no key below this one")
        return lower
    integer = _integer_part(low)
    fraction = low[len(integer) :]
    if high is None:
        higher = _increment(integer)
        return integer + _midpoint(fraction, None) if higher is None else higher
    if integer == _integer_part(high):
        return integer + _midpoint(fraction, high[len(integer) :])
    higher = _increment(integer)
    if higher is not None and higher < high:
        return higher
    return integer + _midpoint(fraction, None)


def ascending(count: int, low: str | None = None) -> list[str]:
    """``count`` increasing keys above ``low`` (what a migration or an import hands out)."""
    keys = []
    for _ in range(count):
        low = between(low, None)
        keys.append(low)
    return keys
