"""The device's three-way merge of one note: the last synced copy (the base), this device's
and the server's, into one note, and a conflict copy when two edits of the same text cannot
both be kept. Pure functions on sync's JSON; nothing here touches a database.

A note's state, as the feed gives it (``webapp.sync.service.notes_json``) and the device keeps
it as its base (``webapp.sync.device.models.SyncBase``)::

    {"title": str, "body": str, "kind": "text" | "checklist", "color": str,
     "pinned": bool, "archived": bool, "trashed": bool,
     "items": [{"id": str, "text": str, "checked": bool}, ...],   # in order
     "label_uids": [str, ...],                                    # a set
     "images": [str, ...],                                        # SHA-256s, in order
     "reminder": None | {"at": iso, "zone": str, "repeat": str | None, "done": bool},
     "field_times": {"color": iso, "pinned": iso, "archived": iso, "trashed": iso,
                     "reminder": iso}}

(The feed's ``images`` are objects with a ``sha256``; ``webapp.sync.device`` turns them into
the plain list above before merging; objects with a ``sha256`` are taken too.)

The rules, field by field (local = this device's state, remote = the server's):

- Title and body: ``merge_text``, a line-by-line three-way merge. Edits of different lines
  both apply; edits of the same line that differ cannot both be kept (but an edit of a line
  wins against its removal). If the title or the
  body cannot be merged, the note keeps the server's title and body and the device's title,
  body, items, labels, color and images become a conflict copy (one per note, never one per
  field), titled "<title> (conflict on <device>)" (no title: the body's first words, or
  "Untitled"), which the engine files under ``CONFLICTS_LABEL``. The same edit on both sides
  is one edit: no copy.
- Checklist items, by item id (``merge_items``): an item added on either side stays; removed
  on one side and unchanged on the other, it goes; removed on one side and edited on the other,
  the edit wins and it stays. Text edited on both sides: ``merge_text`` of the item's text; when
  that cannot keep both, the item keeps the server's text and the device's text follows it as
  a new item (a new id), so no whole-note copy is made for items. Ticked: the side that changed
  it wins (both changed it differently: the server). Order: the side that reordered the items
  they both still have gives the order (both or neither did: the server's); items only one side
  has keep their place after their predecessor on that side.
- Kind: the side that changed it wins; both: the server.
- Labels (by uid) and images (by SHA-256): sets. Added on either side stays; removed on one
  side and still there on the other, it goes. Order: the server's, then the device's additions
  (a set only the device changed: the device's order).
- Color, pinned, archived, trashed and the reminder (one value: time, zone, repeat, done): the
  side that changed it wins; both changed it to different values: the later ``field_times``
  entry (a tie or a missing time: the server). The merged ``field_times`` entry is the winner's.
- Trash against an edit: a side that moved the note to the trash loses against the other side's
  edit of its content (title, body, items, labels, images): the note leaves the trash.
- Limits: a merge that would make the note break a limit of ``webapp.notes.service`` (body
  bytes, item count, images per note) is a conflict: the server's value of that field, title
  and body, and the device's note in the conflict copy; an item text over the limit is an item
  conflict; a copy's title over the limit is cut and kept whole as its body's first line.
  Nothing is dropped to fit.
- No base (a first sync finding one uid on both sides): equal values are kept; two different
  non-empty texts are a conflict (the server's kept, the device's in the copy), an empty one
  gives way to the other; items, labels and images are unions; flags go by the later time.

The promise: every word either side added is in the merged note or in the conflict copy, none
twice in the merged note because two sides made the same edit.
"""

from __future__ import annotations

import time
import uuid
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from diff_match_patch import diff_match_patch

from webapp.notes import service as notes

CONFLICTS_LABEL = "Conflicts"

FLAGS = ("color", "pinned", "archived", "trashed", "reminder")
# What counts as an edit of the note's content when it meets a move to the trash.
CONTENT = ("title", "body", "items", "label_uids", "images")
# Seconds for one side's line diff: past it dmp returns a coarser diff (still exact: at worst a
# needless conflict copy), so that a merge of two 1 MB bodies stays well under a second.
DIFF_TIMEOUT = 0.2
# How far an insertion or removal is slid over equal lines to find the other side's same edit:
# each step copies the inserted text, and a run of 20,000 equal lines is no note's.
SLIDE_LINES = 100
# How many words of the body name a conflict copy of a note without a title.
COPY_NAME_WORDS = 6

_differ = diff_match_patch()
_differ.Diff_Timeout = DIFF_TIMEOUT


@dataclass
class Merged:
    """The note both sides end with, and the device's text as a note of its own when it
    could not be kept in it (None otherwise)."""

    note: dict
    conflict_copy: dict | None = None


def merge_note(base: dict | None, local: dict, remote: dict, *, device: str) -> Merged:
    """Merge ``local`` (this device's) and ``remote`` (the server's) edits of ``base``.

    ``base`` None: the two were never synced (a first sync finding one uid on both sides).
    The merged note has every field of the state (no uid, no version: the engine's).
    """
    local, remote = _state(local), _state(remote)
    base = None if base is None else _state(base)
    title = merge_text(_get(base, "title"), local["title"], remote["title"])
    body = merge_text(_get(base, "body"), local["body"], remote["body"])
    if body is not None and len(body.encode("utf-8")) > notes.BODY_MAX_BYTES:
        body = None
    conflict = title is None or body is None
    items = merge_items(_get(base, "items"), local["items"], remote["items"])
    if len(items) > notes.ITEMS_MAX:
        items, conflict = remote["items"], True
    images = merge_set(_get(base, "images"), local["images"], remote["images"])
    if len(images) > notes.IMAGES_PER_NOTE:
        images, conflict = remote["images"], True
    note = {
        "title": remote["title"] if conflict else title,
        "body": remote["body"] if conflict else body,
        "kind": _changed_side(_get(base, "kind"), local["kind"], remote["kind"]),
        "items": items,
        "label_uids": merge_set(
            _get(base, "label_uids"), local["label_uids"], remote["label_uids"]
        ),
        "images": images,
        "field_times": {},
    }
    for field in FLAGS:
        note[field], note["field_times"][field] = _merge_flag(base, local, remote, field)
    if base is not None and _edit_beats_trash(base, local, remote):
        note["trashed"] = False
        # The later of the two times, so that no later comparison of times puts it back.
        times = (local["field_times"].get("trashed"), remote["field_times"].get("trashed"))
        note["field_times"]["trashed"] = times[0] if _later(*times) else times[1] or times[0]
    return Merged(note, _conflict_copy(local, device) if conflict else None)


# Text -----------------------------------------------------------------------------------


def merge_text(base: str | None, local: str, remote: str) -> str | None:
    """The three-way merge of one text, line by line; None when the two cannot both be kept.

    One side equal to the base: the other side. Otherwise both sides' edits of the base (line
    diffs, dmp's line mode) are applied exactly, all of them, or None is returned: two edits
    that differ and touch the same line of the base conflict; edits of different lines, even
    neighbouring ones, merge. An edit the other side makes too is made once: the same edit,
    lines the other removes too (so an edit of a line wins against its removal, as for items),
    a line the other inserts at that place among more. Lines both sides inserted at the same
    place are both kept, the server's first. No base: equal texts, or an empty one giving way
    to the other; two different texts conflict.
    """
    if local == remote:
        return local
    if base is None:
        if not local:
            return remote
        return local if not remote else None
    if local == base:
        return remote
    if remote == base:
        return local
    # A last newline on each text but an empty one (no lines), so that a last line without one
    # is a line like the others: two sides adding a line at the end then insert at the same
    # place rather than both edit the last line, and removing the last line removes one line.
    base, local, remote = (text + "\n" if text else "" for text in (base, local, remote))
    theirs, mine = _edits(base, remote), _edits(base, local)
    mine = _not_made_by(base, mine, theirs)
    theirs = _not_made_by(base, theirs, mine)
    edits = [(*edit, 0) for edit in theirs] + [(*edit, 1) for edit in mine]
    # By place in the base; at one place, insertions before a replacement, the server's first.
    edits.sort(key=lambda edit: (edit[0], edit[1], edit[3]))
    done = 0
    for start, end, _inserted, _side in edits:
        if start < done:  # begins inside what the other side's edit changed
            return None
        done = end
    merged = _apply(base, [edit[:3] for edit in edits])
    return merged[:-1] if merged else ""


def _not_made_by(base: str, edits: list, others: list) -> list:
    """``edits`` but those the other side's ``others`` make too: the same edit; lines removed
    that the other removes too; lines inserted that the other inserts at that place, at the
    start or the end of what it inserts there (one side added a line, the other the same line
    and edited its neighbour: one line, not two). A place is any an edit can slide to over
    equal lines (dmp may put one insertion of "x" into "x x" before or after the first)."""
    same = set(others)  # a list's ``in`` made thousands of edits on each side quadratic
    at = {}  # each place any of ``others`` starts or ends at -> those edits, as slid there
    for index in range(len(others)):
        for place in _places(base, others, index):
            at.setdefault(place[0], []).append(place)
            at.setdefault(place[1], []).append(place)
    return [
        edit
        for index, edit in enumerate(edits)
        if edit not in same
        and not any(
            _makes(other, *place)
            for place in _places(base, edits, index)
            for other in at.get(place[0], []) + at.get(place[1], [])
        )
    ]


def _makes(other, start: int, end: int, inserted: str) -> bool:
    """Whether the other side's edit ``other`` makes this pure insertion or removal."""
    if start != end:  # a removal: the other removes these lines too (and maybe more)
        return not inserted and other[0] <= start and end <= other[1]
    if other[0] == other[1] == start:  # both insert here: it is anywhere in the other's lines
        return ("\n" + inserted) in ("\n" + other[2])
    if other[0] == start and other[2].startswith(inserted):
        return True
    return other[1] == start and ("\n" + other[2]).endswith("\n" + inserted)


def _places(base: str, edits: list, index: int):
    """``edits[index]`` and, a pure insertion or removal, the same edit slid over equal lines
    (as far as the edits of its side around it)."""
    edit = edits[index]
    yield edit
    if edit[0] != edit[1] and edit[2]:
        return
    low = edits[index - 1][1] if index else 0
    high = edits[index + 1][0] if index + 1 < len(edits) else len(base)
    for step in (-1, 1):
        start, end, moved = edit
        for _ in range(SLIDE_LINES):
            line, moved = _slid(base, start, end, moved, step, low, high)
            if line is None:
                break
            start, end = start + step * len(line), end + step * len(line)
            yield start, end, moved


def _slid(base: str, start: int, end: int, inserted: str, step: int, low: int, high: int):
    """(The base line the edit slides over by one line in ``step``'s direction, the inserted
    text then), or (None, None) where it cannot."""
    removed = base[start:end]
    text = removed or inserted  # what moves: the lines removed, or those inserted
    if not text:
        return None, None
    if step < 0:
        if start <= low:
            return None, None
        line = base[base.rfind("\n", 0, start - 1) + 1 : start]
        if not ("\n" + text).endswith("\n" + line):  # whole lines only
            return None, None
        return line, inserted and line + inserted[: -len(line)]
    if end >= high:
        return None, None
    line = base[end : base.find("\n", end) + 1]
    if not text.startswith(line):
        return None, None
    return line, inserted and inserted[len(line) :] + line


def _edits(base: str, other: str) -> list[tuple[int, int, str]]:
    """The edits that turn ``base`` into ``other``: (start, end, inserted) with start and end
    offsets in ``base`` at line boundaries, in order, never touching one another."""
    chars_base, chars_other, lines = _differ.diff_linesToChars(base, other)
    diffs = _line_diff(chars_base, chars_other)
    _differ.diff_charsToLines(diffs, lines)
    edits, at, start, inserted = [], 0, None, []
    for op, text in diffs:
        if op == diff_match_patch.DIFF_EQUAL:
            if start is not None:
                edits.append((start, at, "".join(inserted)))
                start, inserted = None, []
            at += len(text)
            continue
        if start is None:
            start = at
        if op == diff_match_patch.DIFF_DELETE:
            at += len(text)
        else:
            inserted.append(text)
    if start is not None:
        edits.append((start, at, "".join(inserted)))
    if _apply(base, edits) != other:  # never seen; the whole text replaced is still exact
        return [(0, len(base), other)]
    return edits


def _line_diff(base: str, other: str) -> list[tuple[int, str]]:
    """dmp's diff of two line-encoded texts, first anchored on the lines each has once (as
    patience diff does), so that a big note edited in many places is many small diffs: dmp
    alone, on 20,000 lines edited in 800 places, runs out of its time and answers with one
    coarse edit (then a needless conflict copy)."""
    deadline = time.time() + DIFF_TIMEOUT  # for all the small diffs together
    head = _differ.diff_commonPrefix(base, other)
    tail = _differ.diff_commonSuffix(base[head:], other[head:])
    middle = (base[head : len(base) - tail], other[head : len(other) - tail])
    diffs = [(diff_match_patch.DIFF_EQUAL, base[:head])]
    done_base = done_other = 0
    for at_base, at_other in [*_anchors(*middle), (len(middle[0]), len(middle[1]))]:
        if done_base < at_base or done_other < at_other:
            gap = (middle[0][done_base:at_base], middle[1][done_other:at_other])
            diffs += _differ.diff_main(*gap, False, deadline)
        if at_base < len(middle[0]):
            diffs.append((diff_match_patch.DIFF_EQUAL, middle[0][at_base]))
        done_base, done_other = at_base + 1, at_other + 1
    diffs.append((diff_match_patch.DIFF_EQUAL, base[len(base) - tail :]))
    return diffs


def _anchors(base: str, other: str) -> list[tuple[int, int]]:
    """The longest run, in order in both, of (place in base, place in other) of the lines that
    are once in each."""
    once_base, once_other = Counter(base), Counter(other)
    in_other = {line: at for at, line in enumerate(other) if once_other[line] == 1}
    pairs = [
        (at, in_other[line])
        for at, line in enumerate(base)
        if once_base[line] == 1 and line in in_other
    ]
    # Longest increasing subsequence of the places in other (patience sorting).
    tops, top_pair, back = [], [], [None] * len(pairs)
    for index, (_, at_other) in enumerate(pairs):
        pile = bisect_left(tops, at_other)
        back[index] = top_pair[pile - 1] if pile else None
        if pile == len(tops):
            tops.append(at_other)
            top_pair.append(index)
        else:
            tops[pile], top_pair[pile] = at_other, index
    run, index = [], top_pair[-1] if top_pair else None
    while index is not None:
        run.append(pairs[index])
        index = back[index]
    return run[::-1]


def _apply(base: str, edits: list[tuple[int, int, str]]) -> str:
    parts, done = [], 0
    for start, end, inserted in edits:
        parts += [base[done:start], inserted]
        done = end
    parts.append(base[done:])
    return "".join(parts)


# Items ------------------------------------------------------------------------------------


def merge_items(base: list[dict] | None, local: list[dict], remote: list[dict]) -> list[dict]:
    """The three-way merge of checklist items by id (the rules are the module's); the ids of
    the result are unique."""
    by_id = [{item["id"]: item for item in side} for side in (base or [], local, remote)]
    kept, extras = {}, {}
    for item_id in dict.fromkeys([*by_id[1], *by_id[2]]):
        item, extra = _merge_item(*(side.get(item_id) for side in by_id))
        if item is not None:
            kept[item_id] = item
        if extra is not None:
            extras[item_id] = extra
    order = _item_order([*by_id[0]], [*by_id[1]], [*by_id[2]], kept)
    merged = []
    for item_id in order:
        merged.append(kept[item_id])
        if item_id in extras:
            merged.append(extras[item_id])
    return merged


def _merge_item(base, local, remote):
    """One item: (the merged item or None when removed, the device's text as a new item when
    it could not be merged into this one, or None)."""
    if local is None or remote is None:
        side = local or remote
        # Removed on the other side: it goes unless this side added or edited it.
        return (side if base is None or side != base else None), None
    text = merge_text(None if base is None else base["text"], local["text"], remote["text"])
    if text is not None and len(text) > notes.ITEM_TEXT_MAX:
        text = None
    checked = _changed_side(
        None if base is None else base["checked"], local["checked"], remote["checked"]
    )
    if text is None:
        extra = {"id": str(uuid.uuid4()), "text": local["text"], "checked": local["checked"]}
        return {"id": remote["id"], "text": remote["text"], "checked": checked}, extra
    return {"id": remote["id"], "text": text, "checked": checked}, None


def _item_order(base: list, local: list, remote: list, kept: dict) -> list:
    """The merged order of the kept item ids (the rule is the module's)."""
    common = set(base) & set(local) & set(remote)
    in_base = [i for i in base if i in common]
    local_moved = [i for i in local if i in common] != in_base
    remote_moved = [i for i in remote if i in common] != in_base
    first, second = (local, remote) if local_moved and not remote_moved else (remote, local)
    order = [i for i in first if i in kept]
    placed, known = set(order), set(second)
    after = None
    for item_id in second:
        if item_id not in kept:
            continue
        if item_id not in placed:
            at = 0 if after is None else order.index(after) + 1
            # Past the items the other side put at the same place: theirs first, as for text.
            while at < len(order) and order[at] not in known:
                at += 1
            order.insert(at, item_id)
            placed.add(item_id)
        after = item_id
    return order


# Sets and flags ---------------------------------------------------------------------------


def merge_set(base: list | None, local: list, remote: list) -> list:
    """Labels or images as sets: added on either side stays, removed on one side and still
    there on the other goes; the server's order, then the device's additions. No base: union."""
    if base is not None and list(remote) == list(base):
        return list(dict.fromkeys(local))  # only this side changed: its order too
    was, here, there = set(base or ()), set(local), set(remote)

    def stays(value) -> bool:
        return (value in here and value in there) or value not in was

    merged = [value for value in dict.fromkeys(remote) if stays(value)]
    return merged + [value for value in dict.fromkeys(local) if value not in there and stays(value)]


def _changed_side(base, local, remote):
    """The value of the side that changed it from ``base``; both or no base: the server's."""
    return local if base is not None and remote == base else remote


def _merge_flag(base, local, remote, field):
    """(value, its time) of one field the later change wins."""
    mine, theirs = local[field], remote[field]
    my_time, their_time = local["field_times"].get(field), remote["field_times"].get(field)
    if mine == theirs:
        return theirs, their_time or my_time
    if base is not None and mine == base[field]:
        return theirs, their_time
    if (base is not None and theirs == base[field]) or _later(my_time, their_time):
        return mine, my_time
    return theirs, their_time


def _later(mine: str | None, theirs: str | None) -> bool:
    """Whether the time ``mine`` is after ``theirs`` (either missing or unreadable: no)."""
    mine, theirs = _when(mine), _when(theirs)
    return mine is not None and theirs is not None and mine > theirs


def _when(value: str | None) -> datetime | None:
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _edit_beats_trash(base: dict, local: dict, remote: dict) -> bool:
    """Whether one side moved the note to the trash while the other, not, edited its content."""

    def trashed(side) -> bool:
        return side["trashed"] and not base["trashed"]

    def edited(side) -> bool:
        return any(side[field] != base[field] for field in CONTENT if field != "label_uids") or (
            set(side["label_uids"]) != set(base["label_uids"])
        )

    return (trashed(local) and not remote["trashed"] and edited(remote)) or (
        trashed(remote) and not local["trashed"] and edited(local)
    )


# The conflict copy and the state ----------------------------------------------------------


def _conflict_copy(local: dict, device: str) -> dict:
    """The device's note as a note of its own: new item ids, not pinned, archived or trashed;
    no uid (the engine gives it one and adds the ``CONFLICTS_LABEL`` label)."""
    suffix = f" (conflict on {device})"
    name = local["title"].strip() or _first_words(local) or "Untitled"
    body = local["body"]
    if len(name) + len(suffix) > notes.TITLE_MAX:
        # Too long a title is cut to fit; it is kept whole as the body's first line.
        name = name[: max(notes.TITLE_MAX - len(suffix), 0)]
        body = local["title"] + "\n" + body
    return {
        "title": (name + suffix)[: notes.TITLE_MAX],
        "body": body,
        "kind": local["kind"],
        "color": local["color"],
        "pinned": False,
        "archived": False,
        "trashed": False,
        "items": [
            {"id": str(uuid.uuid4()), "text": item["text"], "checked": item["checked"]}
            for item in local["items"]
        ],
        "label_uids": list(local["label_uids"]),
        "images": list(local["images"]),
        "field_times": {
            "color": local["field_times"].get("color"),
            "pinned": None,
            "archived": None,
            "trashed": None,
            "reminder": None,
        },
        "reminder": None,  # one note reminds: the copy holds the text, not the reminder
    }


def _first_words(local: dict) -> str:
    """The first words of the body (or of the first item) to name a copy of an untitled note."""
    texts = [local["body"], *(item["text"] for item in local["items"])]
    words = next((text.split() for text in texts if text.strip()), [])
    return " ".join(words[:COPY_NAME_WORDS])


def _get(state: dict | None, field: str):
    return None if state is None else state[field]


def _state(note: dict) -> dict:
    """The state's fields (others, as uid or version, left out), with an item id repeated on
    one side made a new item rather than lost."""
    items, seen = [], set()
    for item in note.get("items") or []:
        item_id = str(item.get("id") or "")
        if not item_id or item_id in seen:
            item_id = str(uuid.uuid4())
        seen.add(item_id)
        items.append({
            "id": item_id, "text": item.get("text") or "", "checked": bool(item.get("checked")),
        })  # fmt: skip
    images = [
        image["sha256"] if isinstance(image, dict) else image for image in note.get("images") or []
    ]
    return {
        "title": note.get("title") or "",
        "body": note.get("body") or "",
        "kind": note.get("kind") or "text",
        "color": note.get("color") or "default",
        "pinned": bool(note.get("pinned")),
        "archived": bool(note.get("archived")),
        "trashed": bool(note.get("trashed")),
        "items": items,
        "label_uids": list(note.get("label_uids") or []),
        "images": images,
        "reminder": reminder_state(note.get("reminder")),
        "field_times": dict(note.get("field_times") or {}),
    }


def reminder_state(reminder) -> dict | None:
    """A reminder as states compare it: its time, zone, repeat and done (not ``local``, which
    follows from them)."""
    if not isinstance(reminder, dict):
        return None
    return {key: reminder.get(key) for key in ("at", "zone", "repeat", "done")} | {
        "done": bool(reminder.get("done"))
    }
