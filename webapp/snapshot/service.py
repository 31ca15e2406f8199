"""Sanitize the page's snapshot of its cards and store it.

The HTML comes from the page, so from whatever runs in it: it is treated as hostile. nh3
(Rust's ammonia, an HTML5 parser) keeps only the tags, attributes and classes the cards
use. Nothing that runs (no script, no event attribute, no style), nothing that loads (images
keep only their size: the snapshot shows placeholders), no link that navigates (``href`` only
as ``#...``), no ``id`` or ``name`` (they would shadow the page's own elements).
"""

from __future__ import annotations

import re
from pathlib import Path

import nh3

from webapp.errors import KaapError
from webapp.snapshot import files

COLORS = (
    "default red orange yellow green teal blue darkblue purple pink brown gray".split()
)  # dom.js COLORS
# Per tag, the classes grid.js, dom.js and reminders.js give a card's parts, and the
# snapshot's own frame (snapshot.js). A checklist's boxes come as ``span.snapshot-box``: an
# ``input`` whose type was dropped would be a text field.
CLASSES = {
    "section": {"snapshot-section", "snapshot-pinned"},
    "h2": {"section-title"},
    "div": {
        "snapshot-grid", "snapshot-col", "images", "images-1", "images-mosaic", "image",
        "span-2", "span-3", "span-6", "card-content", "card-title", "card-text", "card-empty",
        "card-more", "card-archived", "chips", "card-toolbar",
    },
    "article": {"card", *(f"color-{color}" for color in COLORS)},
    "span": {
        "mi", "icon-btn", "card-pin", "pinned", "chip", "reminder-chip", "reminder-upcoming",
        "reminder-past", "reminder-done", "reminder-chip-open", "reminder-chip-icon",
        "reminder-chip-text", "chip-remove", "snapshot-box",
    },
    "ul": {"card-items"},
    "li": {"card-item"},
    "a": {"chip", "note-link"},
    "img": set(),
    "mark": set(),
}  # fmt: skip
TAGS = set(CLASSES)
# Gone with everything inside: what would run, load, or only make sense as live content.
DROPPED = {
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object",
    "embed", "svg", "math", "audio", "video", "canvas", "textarea", "select", "title",
}  # fmt: skip
_SIZE = re.compile(r"[1-9][0-9]{0,4}")


def _attribute(tag: str, name: str, value: str) -> str | None:
    if name == "href":  # in-page only: a label chip's "#label/3"; a note's links are dropped
        return value if value.startswith("#") and "\\" not in value else None
    if name in ("width", "height"):  # an image placeholder's size, a plain number of pixels
        return value if _SIZE.fullmatch(value) else None
    return value


_cleaner = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=DROPPED,
    attributes={"a": {"href"}, "img": {"width", "height"}},
    attribute_filter=_attribute,
    allowed_classes=CLASSES,
    strip_comments=True,
    link_rel=None,
    url_schemes=set(),
)


class SnapshotTooLargeError(KaapError):
    status = 413
    code = "request_entity_too_large"  # as werkzeug's 413 for a body over the cap


def sanitize(html: str) -> str:
    """``html`` with only what a stale, inert picture of the cards needs."""
    return _cleaner.clean(html)


def store(data_dir: str | Path, html: str) -> int:
    """Sanitize and store the snapshot; its size in bytes. Too large after cleaning: 413."""
    clean = sanitize(html)
    size = len(clean.encode("utf-8"))
    if size > files.MAX_BYTES:
        raise SnapshotTooLargeError(
            f"The snapshot is {size} bytes once cleaned; at most {files.MAX_BYTES} are kept."
        )
    files.write(data_dir, clean)
    return size
