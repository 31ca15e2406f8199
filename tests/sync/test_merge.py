"""The device's three-way merge of one note: every edit of both sides kept, or a conflict copy."""

import pytest

from webapp.notes import service as notes
from webapp.sync.merge import merge_items, merge_note, merge_set, merge_text

EARLY, LATE = "2026-11-25T10:00:00.000000Z", "2026-11-25T11:00:00.000000Z"


def note(**fields):
    state = {
        "title": "Groceries", "body": "milk\neggs\nbread", "kind": "text", "color": "default",
        "pinned": False, "archived": False, "trashed": False, "items": [], "label_uids": [],
        "images": [], "reminder": None, "field_times": {field: EARLY for field in ("color", "pinned", "archived", "trashed")},
    }  # fmt: skip
    return state | fields


def item(item_id, text=None, checked=False):
    return {
        "id": item_id,
        "text": text if text is not None else f"item {item_id}",
        "checked": checked,
    }


def merge(base, local, remote):
    return merge_note(base, local, remote, device="laptop")


# Text ------------------------------------------------------------------------------------


def test_edits_of_different_lines_both_apply():
    assert merge_text("milk\neggs\nbread", "oat milk\neggs\nbread", "milk\neggs\nrye bread") == (
        "oat milk\neggs\nrye bread"
    )


def test_edits_of_neighbouring_lines_both_apply():
    assert merge_text("a\nb\nc", "a\nB\nc", "a\nb\nC") == "a\nB\nC"


def test_different_edits_of_the_same_line_conflict():
    assert merge_text("milk\neggs", "oat milk\neggs", "soy milk\neggs") is None


def test_an_edit_of_a_line_wins_against_its_removal():
    assert merge_text("milk\neggs\nbread", "milk\nbread", "milk\nbrown eggs\nbread") == (
        "milk\nbrown eggs\nbread"
    )
    assert merge_text("milk\neggs\nbread", "milk\nbrown eggs\nbread", "milk\nbread") == (
        "milk\nbrown eggs\nbread"
    )


def test_a_removal_of_more_lines_than_the_other_side_edited_conflicts():
    assert merge_text("a\nb\nc\nd", "a\nd", "a\nB\nc\nd") is None


def test_the_same_edit_on_both_sides_is_made_once():
    assert merge_text("milk\neggs", "milk\neggs\njam", "milk\neggs\njam") == "milk\neggs\njam"


def test_one_shared_edit_and_one_own_edit_merge():
    base = "a\nb\nc\nd"
    assert merge_text(base, "A\nb\nc\nD", "A\nb\nc\nd") == "A\nb\nc\nD"


def test_lines_both_sides_appended_are_both_kept_the_servers_first():
    assert (
        merge_text("milk", "milk\nfrom here", "milk\nfrom there") == "milk\nfrom there\nfrom here"
    )


def test_one_side_unchanged_gives_the_other():
    assert merge_text("a", "a", "b") == "b"
    assert merge_text("a", "b", "a") == "b"


def test_removals_of_different_lines_can_empty_the_text():
    assert merge_text("a\nb", "b", "a") == ""


def test_a_trailing_newline_is_kept():
    assert merge_text("a\nb\n", "A\nb\n", "a\nb\nc\n") == "A\nb\nc\n"


@pytest.mark.parametrize(
    ("local", "remote", "merged"),
    [
        ("same", "same", "same"),
        ("", "there", "there"),
        ("here", "", "here"),
        ("here", "there", None),
    ],
)
def test_without_a_base_only_equal_or_empty_texts_merge(local, remote, merged):
    assert merge_text(None, local, remote) == merged


def test_a_one_megabyte_body_merges():
    lines = [f"line {i} of a long note with some words in it" for i in range(22_000)]
    base = "\n".join(lines)
    assert len(base) > 1_000_000
    local = "\n".join(["changed at the top", *lines[1:]])
    remote = "\n".join([*lines[:-1], "changed at the end"])
    merged = merge_text(base, local, remote)
    assert merged == "\n".join(["changed at the top", *lines[1:-1], "changed at the end"])


def test_a_big_note_edited_in_many_places_on_both_sides_merges():
    lines = [f"line {i}" for i in range(20_000)]
    local, remote, merged = list(lines), list(lines), list(lines)
    for at in range(0, len(lines), 50):
        local[at] = merged[at] = f"here {at}"
        remote[at + 25] = merged[at + 25] = f"there {at}"
    text = "\n".join
    assert merge_text(text(lines), text(local), text(remote)) == text(merged)


# The note and its conflict copy ------------------------------------------------------------


def test_a_title_conflict_keeps_the_servers_title_and_body_and_copies_the_devices():
    base = note(items=[item("a")], label_uids=["l1"], images=["f" * 64], color="red", pinned=True)
    local = base | {"title": "Groceries for Sunday", "body": "milk\neggs\nbread\nbutter"}
    remote = base | {"title": "Groceries for Monday"}
    merged = merge(base, local, remote)
    assert (merged.note["title"], merged.note["body"]) == ("Groceries for Monday", base["body"])
    copy = merged.conflict_copy
    assert copy["title"] == "Groceries for Sunday (conflict on laptop)"
    assert copy["body"] == local["body"]
    assert [i["text"] for i in copy["items"]] == ["item a"]
    assert copy["items"][0]["id"] != "a"
    assert copy["label_uids"] == ["l1"] and copy["images"] == ["f" * 64] and copy["color"] == "red"
    assert not (copy["pinned"] or copy["archived"] or copy["trashed"])
    assert "uid" not in copy and "version" not in copy


def test_a_body_conflict_makes_one_copy_for_the_whole_note():
    base = note()
    local = note(title="Shopping", body="oat milk\neggs\nbread")
    remote = note(body="soy milk\neggs\nbread")
    merged = merge(base, local, remote)
    assert merged.note["title"] == "Groceries" and merged.note["body"] == remote["body"]
    assert merged.conflict_copy["title"] == "Shopping (conflict on laptop)"


def test_a_copy_of_an_untitled_note_is_named_by_its_first_words():
    base = note(title="", body="one two three four five six seven\neight")
    local = note(title="", body="one two three four five six seven\nnine")
    remote = note(title="", body="one two three four five six seven\nten")
    copy = merge(base, local, remote).conflict_copy
    assert copy["title"] == "one two three four five six (conflict on laptop)"


def test_a_copy_of_a_note_with_no_words_is_untitled():
    merged = merge(note(title="", body="x"), note(title="", body=" "), note(title="", body="  "))
    assert merged.conflict_copy["title"] == "Untitled (conflict on laptop)"


def test_a_copy_of_a_title_at_the_limit_fits_and_keeps_the_title_in_its_body():
    long = "w" * notes.TITLE_MAX
    copy = merge(note(title="a"), note(title=long), note(title="b")).conflict_copy
    assert len(copy["title"]) == notes.TITLE_MAX and copy["title"].endswith("(conflict on laptop)")
    assert copy["body"].startswith(long + "\n")


def test_no_copy_when_both_sides_made_the_same_change():
    base = note()
    edited = note(title="Shopping", body="milk\nbread")
    merged = merge(base, edited, edited)
    assert merged.conflict_copy is None
    assert (merged.note["title"], merged.note["body"]) == ("Shopping", "milk\nbread")


def test_the_merged_note_has_every_field_of_the_state_and_no_uid():
    merged = merge(note(), note(uid="u", version=3), note(uid="u", version=4, seq=9)).note
    assert set(merged) == set(note())


def test_a_body_over_the_limit_after_merging_is_a_conflict():
    half = "x" * (notes.BODY_MAX_BYTES // 2 + 10)
    merged = merge(note(body="a"), note(body="a\n" + half), note(body=half + "\na"))
    assert merged.note["body"] == half + "\na"
    assert merged.conflict_copy["body"] == "a\n" + half


# Items --------------------------------------------------------------------------------------


def ids(items):
    return [i["id"] for i in items]


def items_text(items):
    return [(i["text"], i["checked"]) for i in items]


def test_items_added_on_both_sides_are_kept_after_their_predecessors():
    base = [item("a"), item("b")]
    local = [item("a"), item("x"), item("b")]
    remote = [item("a"), item("b"), item("y")]
    assert ids(merge_items(base, local, remote)) == ["a", "x", "b", "y"]


def test_items_added_at_the_same_place_come_the_servers_first():
    base = [item("a")]
    merged = merge_items(base, [item("a"), item("x")], [item("a"), item("y")])
    assert [i["id"] for i in merged] == ["a", "y", "x"]


def test_an_item_removed_on_one_side_and_unchanged_on_the_other_is_removed():
    base = [item("a"), item("b")]
    assert ids(merge_items(base, [item("a")], base)) == ["a"]


def test_an_item_removed_on_one_side_and_edited_on_the_other_is_kept():
    base = [item("a"), item("b")]
    merged = merge_items(base, [item("a")], [item("a"), item("b", "edited")])
    assert items_text(merged) == [("item a", False), ("edited", False)]
    merged = merge_items(base, [item("a"), item("b", checked=True)], [item("a")])
    assert items_text(merged) == [("item a", False), ("item b", True)]


def test_item_texts_edited_on_both_sides_merge_by_line():
    base = [item("a", "milk\neggs")]
    merged = merge_items(base, [item("a", "oat milk\neggs")], [item("a", "milk\nbrown eggs")])
    assert items_text(merged) == [("oat milk\nbrown eggs", False)]


def test_an_item_text_conflict_keeps_the_servers_text_and_adds_the_devices_after_it():
    base = [item("a", "milk"), item("b")]
    merged = merge_items(
        base, [item("a", "oat milk"), item("b")], [item("a", "soy milk"), item("b")]
    )
    assert items_text(merged) == [("soy milk", False), ("oat milk", False), ("item b", False)]
    assert merged[0]["id"] == "a" and merged[1]["id"] not in {"a", "b"}


def test_the_side_that_ticked_an_item_wins():
    base = [item("a"), item("b", checked=True)]
    local = [item("a", checked=True), item("b", checked=True)]
    remote = [item("a"), item("b", checked=False)]
    assert items_text(merge_items(base, local, remote)) == [("item a", True), ("item b", False)]


def test_the_side_that_reordered_gives_the_order():
    base = [item("a"), item("b"), item("c")]
    reordered = [item("c"), item("a"), item("b")]
    assert ids(merge_items(base, base, reordered)) == ["c", "a", "b"]
    assert ids(merge_items(base, reordered, [*base, item("d")])) == ["c", "d", "a", "b"]


def test_a_new_item_follows_its_predecessor_where_the_other_side_moved_it():
    base = [item("a"), item("b"), item("c")]
    moved = [item("b"), item("c"), item("a")]
    assert ids(merge_items(base, [item("a"), item("x"), item("b"), item("c")], moved)) == [
        "b", "c", "a", "x"
    ]  # fmt: skip


def test_both_sides_reordering_take_the_servers_order():
    base = [item("a"), item("b"), item("c")]
    local = [item("b"), item("a"), item("c")]
    remote = [item("a"), item("c"), item("b")]
    assert ids(merge_items(base, local, remote)) == ["a", "c", "b"]


def test_an_item_id_repeated_on_one_side_becomes_a_new_item():
    merged = merge(
        note(items=[]), note(items=[item("a", "x"), item("a", "y")]), note(items=[])
    ).note
    assert [i["text"] for i in merged["items"]] == ["x", "y"]
    assert len({i["id"] for i in merged["items"]}) == 2


def test_items_over_the_limit_after_merging_are_a_conflict():
    half = notes.ITEMS_MAX // 2 + 1
    local = [item(f"l{i}") for i in range(half)]
    remote = [item(f"r{i}") for i in range(half)]
    merged = merge(note(), note(items=local), note(items=remote))
    assert merged.note["items"] == remote
    assert len(merged.conflict_copy["items"]) == half


def test_kind_follows_the_side_that_changed_it():
    assert merge(note(), note(kind="checklist"), note()).note["kind"] == "checklist"
    assert merge(note(), note(), note(kind="checklist")).note["kind"] == "checklist"


# Labels and images ---------------------------------------------------------------------------


def test_labels_merge_as_sets():
    assert merge_set(["a", "b", "c"], ["a", "c", "d"], ["b", "c", "e"]) == ["c", "e", "d"]


def test_a_label_removed_on_both_sides_is_removed():
    assert merge_set(["a", "b"], ["a"], ["a"]) == ["a"]


def test_images_merge_by_hash_with_the_servers_order_first():
    one, two, three = "1" * 64, "2" * 64, "3" * 64
    merged = merge(
        note(images=[one]), note(images=[one, two]), note(images=[{"sha256": three}, one])
    )
    assert merged.note["images"] == [three, one, two]


def test_without_a_base_labels_images_and_items_are_unions():
    local = note(label_uids=["a"], images=["1" * 64], items=[item("x")])
    remote = note(label_uids=["b"], images=["2" * 64], items=[item("y")])
    merged = merge(None, local, remote).note
    assert merged["label_uids"] == ["b", "a"] and merged["images"] == ["2" * 64, "1" * 64]
    assert [i["id"] for i in merged["items"]] == ["y", "x"]


# Flags and the trash ----------------------------------------------------------------------


def test_a_flag_changed_on_one_side_follows_that_side_with_its_time():
    merged = merge(note(), note(color="red", field_times={"color": LATE}), note()).note
    assert merged["color"] == "red" and merged["field_times"]["color"] == LATE


@pytest.mark.parametrize(("local_time", "remote_time", "color"), [(LATE, EARLY, "red"), (EARLY, LATE, "blue"), (LATE, LATE, "blue"), (LATE, None, "blue")])  # fmt: skip
def test_a_flag_changed_on_both_sides_follows_the_later_change(local_time, remote_time, color):
    local = note(color="red", field_times={"color": local_time})
    remote = note(color="blue", field_times={"color": remote_time})
    merged = merge(note(), local, remote).note
    assert merged["color"] == color
    assert merged["field_times"]["color"] == (local_time if color == "red" else remote_time)


def test_times_compare_as_times_not_as_strings():
    local = note(pinned=True, field_times={"pinned": "2026-11-25T12:00:00+01:00"})
    remote = note(pinned=False, field_times={"pinned": "2026-11-25T11:30:00.000000Z"})
    assert merge(None, local, remote).note["pinned"] is False


def test_an_edit_takes_the_note_out_of_the_trash():
    trashed = note(trashed=True, field_times={"trashed": LATE})
    merged = merge(note(), trashed, note(body="milk\neggs\nbread\njam"))
    assert merged.note["trashed"] is False and merged.note["body"].endswith("jam")
    assert merged.note["field_times"]["trashed"] == LATE
    assert merge(note(), note(label_uids=["x"]), trashed).note["trashed"] is False


def test_a_move_to_the_trash_against_a_flag_change_stays_in_the_trash():
    merged = merge(note(), note(trashed=True, field_times={"trashed": LATE}), note(pinned=True))
    assert merged.note["trashed"] is True and merged.note["pinned"] is True


def test_removing_the_last_line_against_an_appended_line_keeps_no_empty_line():
    assert merge_text("a", "", "a\nb") == "b"


def test_lines_written_on_both_sides_of_an_empty_text_are_both_kept():
    assert merge_text("", "here", "there") == "there\nhere"


def test_a_side_that_only_reordered_images_gives_their_order():
    one, two = "1" * 64, "2" * 64
    assert merge_set([one, two], [two, one], [one, two]) == [two, one]


def test_without_a_base_different_bodies_keep_the_servers_and_copy_the_devices():
    merged = merge(None, note(body="from here"), note(body="from there"))
    assert merged.note["body"] == "from there"
    assert merged.conflict_copy["body"] == "from here"


def test_without_a_base_an_empty_body_gives_way_with_no_copy():
    merged = merge(None, note(body=""), note(body="from there"))
    assert merged.note["body"] == "from there" and merged.conflict_copy is None


def test_an_item_added_with_one_id_on_both_sides_keeps_both_texts():
    merged = merge_items([], [item("n", "from here")], [item("n", "from there")])
    assert [i["text"] for i in merged] == ["from there", "from here"]


def test_a_line_both_sides_inserted_beside_an_edit_is_kept_once():
    assert merge_text("x\ny", "x\nx\ny", "x\nx\nz") == "x\nx\nz"
    assert merge_text("a\nx", "a\nx\nx", "b\nx\nx") == "b\nx\nx"


def test_a_line_both_sides_inserted_where_one_inserted_more_is_kept_once():
    assert merge_text("a", "a\nx", "a\nx\nw") == "a\nx\nw"
    assert merge_text("a", "a\nw\nx", "a\nx") == "a\nw\nx"


def test_the_same_line_removed_on_both_sides_is_removed_once():
    assert merge_text("x\nx\na", "x\na", "x\nb") in (None, "x\nb")


def test_one_of_two_equal_lines_removed_on_both_sides_leaves_the_other():
    assert merge_text("a\nx\nx\nc", "a\nx\nc", "b\nx\nc") == "b\nx\nc"
