"""Position keys: one strictly between any two, in the order strings sort, never renumbering."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.notes import keys as order

# A list built by random insertions: every key order.between ever made.
insertions = st.lists(st.tuples(st.integers(0, 10**6), st.booleans()), max_size=60)


def build(steps) -> list[str]:
    keys: list[str] = []
    for where, _ in steps:
        i = where % (len(keys) + 1)
        low = keys[i - 1] if i > 0 else None
        high = keys[i] if i < len(keys) else None
        keys.insert(i, order.between(low, high))
    return keys


@given(insertions)
def test_keys_inserted_anywhere_stay_sorted_distinct_and_valid(steps):
    keys = build(steps)
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert all(order.is_valid(key) for key in keys)


@given(insertions, st.data())
def test_a_key_between_two_keys_is_strictly_between(steps, data):
    keys = build(steps) or [order.FIRST]
    low = data.draw(st.sampled_from([None, *keys]))
    high = data.draw(st.sampled_from([None, *[k for k in keys if low is None or k > low]]))
    key = order.between(low, high)
    assert order.is_valid(key)
    assert (low is None or low < key) and (high is None or key < high)


@settings(max_examples=20)
@given(st.integers(1, 3000))
def test_keys_at_either_end_stay_short(count):
    top = order.ascending(count)
    assert top == sorted(top) and len(set(top)) == count
    assert max(map(len, top)) <= 4  # 3,000 new notes on top, each a key above the last
    bottom = [order.FIRST]
    for _ in range(count):
        bottom.append(order.between(None, bottom[-1]))
    assert max(map(len, bottom)) <= 4


def test_dropping_again_and_again_between_the_same_two_grows_slowly():
    low, high = "a0", "a1"
    for _ in range(600):
        high = order.between(low, high)
    assert len(high) <= 2 + 600 // 5


def test_keys_sort_in_the_order_c_collation_gives_uppercase_before_lowercase():
    assert order.between(None, "a0") == "Zz" < "a0"


@pytest.mark.parametrize("key", ["", "a", "a00", "a1 ", "é0", "A" + "0" * 26, 5, None, "b0"])
def test_invalid_keys_are_refused(key):
    assert not order.is_valid(key)
    with pytest.raises(ValueError):
        order.between(key if isinstance(key, str) and key else "a00", None)


def test_keys_out_of_order_are_refused():
    with pytest.raises(ValueError):
        order.between("a1", "a0")
    with pytest.raises(ValueError):
        order.between("a1", "a1")
