"""desktop/probe.py's script, in Chromium: the page's marks and the snapshot's first paint."""

from __future__ import annotations

from desktop import probe

LIVE_LATER = (
    "<script>setTimeout(() => { document.getElementById('snapshot')?.replaceChildren(); "
    "performance.mark('kaap:notes-live'); }, 300)</script>"
)


def test_the_page_marks_painted_and_notes_live(page):
    marks = page.evaluate("performance.getEntriesByType('mark').map((m) => m.name)")
    assert {"kaap:painted", "kaap:notes-live"} <= set(marks)
    figures = page.evaluate(probe.script())
    assert figures["first"] == "live"
    assert figures["fcp"] <= figures["painted"]
    assert figures["notes_visible"] == figures["notes_live"]


def test_a_stale_snapshot_in_the_shell_counts_from_the_first_paint(tab):
    tab.set_content(
        '<main><div id="snapshot" inert><div class="note-card">milk</div></div></main>' + LIVE_LATER
    )
    figures = tab.evaluate(probe.script())
    assert figures["first"] == "snapshot"
    assert figures["notes_visible"] == figures["fcp"] < figures["notes_live"]


def test_an_empty_snapshot_holder_leaves_the_live_cards_first(tab):
    tab.set_content(
        '<main><div id="snapshot"><!--kaap-snapshot--></div><p>Kaap</p></main>' + LIVE_LATER
    )
    figures = tab.evaluate(probe.script())
    assert figures["first"] == "live"
    assert figures["notes_visible"] == figures["notes_live"] > figures["fcp"]
