"""Properties of the three-way merge, on notes made of few words so that edits overlap."""

from collections import Counter

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from webapp.sync.merge import merge_note, merge_text

WORDS = ("milk", "eggs", "jam")
LINE = st.lists(st.sampled_from(WORDS), max_size=2).map(" ".join)
TEXT = st.lists(LINE, max_size=4).map("\n".join)
ITEM_IDS = ("i1", "i2", "i3", "i4")
LABELS = ("l1", "l2", "l3", "l4")
IMAGES = tuple(digit * 64 for digit in "1234")
TIMES = (None, "2026-11-25T10:00:00.000000Z", "2026-11-25T11:00:00.000000Z")
FLAGS = ("color", "pinned", "archived", "trashed")
CONTENT = ("title", "body", "kind", "color", "pinned", "archived", "trashed", "items", "label_uids", "images")  # fmt: skip
FAST = settings(max_examples=100, deadline=None)


@st.composite
def edited_text(draw, base):
    """``base`` with a few lines replaced, inserted or removed, or a new text."""
    lines = base.split("\n") if base else []
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(lines)))
        change = draw(st.sampled_from(("replace", "insert", "remove")))
        if change == "insert" or not lines or at == len(lines):
            lines.insert(at, draw(LINE))
        elif change == "replace":
            lines[at] = draw(LINE)
        else:
            del lines[at]
    return draw(st.one_of(st.just("\n".join(lines)), TEXT))


@st.composite
def note(draw):
    ids = draw(st.lists(st.sampled_from(ITEM_IDS), unique=True, max_size=3))
    return {
        "title": draw(LINE), "body": draw(TEXT), "kind": draw(st.sampled_from(("text", "checklist"))),
        "color": draw(st.sampled_from(("default", "red", "blue"))), "pinned": draw(st.booleans()),
        "archived": draw(st.booleans()), "trashed": draw(st.booleans()),
        "items": [{"id": i, "text": draw(LINE), "checked": draw(st.booleans())} for i in ids],
        "label_uids": draw(st.lists(st.sampled_from(LABELS), unique=True, max_size=3)),
        "images": draw(st.lists(st.sampled_from(IMAGES), unique=True, max_size=3)),
        "field_times": {field: draw(st.sampled_from(TIMES)) for field in FLAGS},
    }  # fmt: skip


@st.composite
def edited(draw, base):
    """A side's note: ``base`` with some of its fields changed."""
    side = dict(base, field_times=dict(base["field_times"]))
    for field in ("title", "body"):
        if draw(st.booleans()):
            side[field] = draw(edited_text(base[field]))
    if draw(st.booleans()):
        items = [
            {**item, "text": draw(edited_text(item["text"])), "checked": draw(st.booleans())}
            for item in base["items"]
            if draw(st.booleans())
        ]
        free = [i for i in ITEM_IDS if i not in {item["id"] for item in base["items"]}]
        for item_id in draw(st.lists(st.sampled_from(free), unique=True)) if free else []:
            items.append({"id": item_id, "text": draw(LINE), "checked": draw(st.booleans())})
        side["items"] = draw(st.permutations(items))
    for field, values in (("label_uids", LABELS), ("images", IMAGES)):
        if draw(st.booleans()):
            side[field] = draw(st.lists(st.sampled_from(values), unique=True, max_size=4))
    for field in ("kind", *FLAGS):
        if draw(st.booleans()):
            side[field] = draw(note())[field]
            side["field_times"][field] = draw(st.sampled_from(TIMES))
    return side


@st.composite
def three(draw):
    base = draw(note())
    return base, draw(edited(base)), draw(edited(base))


def content(state):
    return {field: state[field] for field in CONTENT}


def merge(base, local, remote):
    return merge_note(base, local, remote, device="laptop")


@FAST
@given(three())
def test_an_unchanged_side_gives_the_others_note(notes):
    base, local, remote = notes
    for merged, changed in ((merge(base, base, remote), remote), (merge(base, local, base), local)):
        assert content(merged.note) == content(changed) and merged.conflict_copy is None


@FAST
@given(three())
def test_the_same_note_on_both_sides_is_that_note_with_no_copy(notes):
    base, same, _ = notes
    merged = merge(base, same, same)
    assert content(merged.note) == content(same) and merged.conflict_copy is None


def words(*texts):
    return Counter(word for text in texts for word in text.split())


def item_words(state):
    return words(*(item["text"] for item in state["items"]))


def assert_kept(merged_words, side_words, base_words):
    """Every word a side added (more of it than in the base) is in the merged text."""
    for word, count in side_words.items():
        assert merged_words[word] >= count - base_words[word], word


@FAST
@given(st.one_of(three(), three().map(lambda notes: (None, *notes[1:]))))
def test_no_word_is_lost(notes):
    base, local, remote = notes
    merged = merge(base, local, remote)
    note, copy = merged.note, merged.conflict_copy
    for field in ("title", "body"):
        if copy is not None:
            assert note[field] == remote[field]
            assert not words(local[field]) - words(copy[field])
            continue
        before = words(base[field]) if base is not None else Counter()
        for side in (local, remote):
            assert_kept(words(note[field]), words(side[field]), before)
    before = item_words(base) if base is not None else Counter()
    for side in (local, remote):
        assert_kept(item_words(note), item_words(side), before)


@FAST
@given(st.one_of(three(), three().map(lambda notes: (None, *notes[1:]))))
def test_labels_and_images_added_and_not_removed_stay(notes):
    base, local, remote = notes
    merged = merge(base, local, remote).note
    for field in ("label_uids", "images"):
        was = set(base[field]) if base is not None else set()
        here, there = set(local[field]), set(remote[field])
        assert set(merged[field]) == (here & there) | (here - was) | (there - was)
        assert len(merged[field]) == len(set(merged[field]))


@FAST
@given(st.one_of(three(), three().map(lambda notes: (None, *notes[1:]))))
def test_item_ids_stay_unique(notes):
    merged = merge(*notes)
    ids = [item["id"] for item in merged.note["items"]]
    copy_ids = [item["id"] for item in (merged.conflict_copy or {}).get("items", [])]
    assert len(set(ids)) == len(ids) and len(set(copy_ids)) == len(copy_ids)
    assert not set(ids) & set(copy_ids)


@st.composite
def disjoint_edits(draw):
    """A base of distinct lines and two sides editing different lines of it (new lines of their
    own), with insertions only between untouched lines; and the text both edits make."""
    size = draw(st.integers(1, 8))
    base = [f"line {i}" for i in range(size)]
    owners = draw(
        st.lists(st.sampled_from((None, "local", "remote")), min_size=size, max_size=size)
    )
    texts = {"local": [], "remote": []}
    merged = []
    for at in range(size + 1):
        quiet = all(owners[i] is None for i in (at - 1, at) if 0 <= i < size)
        inserting = draw(st.sampled_from(((), ("remote",), ("local",), ("remote", "local"))))
        for side in inserting if quiet else ():
            line = f"{side} added at {at}"
            texts[side].append(line)
            merged.append(line)
        if at == size:
            break
        new = [f"{owners[at]} wrote {i} at {at}" for i in range(draw(st.integers(0, 2)))]
        for side in texts:
            texts[side] += new if owners[at] == side else [base[at]]
        merged += new if owners[at] else [base[at]]
    return "\n".join(base), "\n".join(texts["local"]), "\n".join(texts["remote"]), "\n".join(merged)


@FAST
@given(disjoint_edits())
def test_edits_of_different_lines_are_all_applied_exactly(case):
    base, local, remote, merged = case
    assert merge_text(base, local, remote) == merged


@FAST
@given(TEXT, TEXT, TEXT)
def test_a_text_merge_keeps_every_added_word_or_reports_the_conflict(base, local, remote):
    merged = merge_text(base, local, remote)
    if merged is not None:
        for side in (local, remote):
            assert_kept(words(merged), words(side), words(base))


@st.composite
def shared_insertion(draw):
    """A base of different lines; one side inserts a line (maybe one like its neighbour), the
    other inserts the same line at the same place and edits another line or adds one, with a
    line of its own (else which line is which is anybody's guess: dmp may align them either
    way)."""
    # Not one empty line: that text is "", which has no lines.
    base = draw(st.lists(LINE, min_size=1, max_size=5, unique=True).filter(lambda b: b != [""]))
    gap, line = draw(st.integers(0, len(base))), draw(LINE)
    one = [*base[:gap], line, *base[gap:]]
    other, new = list(one), draw(LINE.filter(lambda new: new != line and new not in base))
    at = draw(st.integers(0, len(base)))
    spot = at if at < gap else at + 1  # the place of base line ``at`` in ``other``
    change = draw(st.sampled_from(("insert", "replace", "remove")))
    if change == "insert" or at == len(base):
        other.insert(spot, new)
    else:
        assume(base[at] not in (line, new))
        other[spot : spot + 1] = [new] if change == "replace" else []
    return "\n".join(base), "\n".join(one), "\n".join(other)


@FAST
@given(shared_insertion())
def test_a_line_both_sides_inserted_is_kept_once(case):
    base, one, other = case
    assert merge_text(base, one, other) in (None, other)
    assert merge_text(base, other, one) in (None, other)
