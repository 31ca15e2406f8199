"""The start-up probe bench/startup.py reads: with ``KAAP_STARTUP_PROBE=1`` one line on stdout,

    kaap-probe {"fcp": ..., "painted": ..., "notes_visible": ..., "notes_live": ..., "first": ...}

Times are epoch seconds by the page's own clock (``performance.timeOrigin``), so the bench
subtracts its launch time: ``fcp`` is the first contentful paint, ``painted`` two animation
frames after the load event (the page's ``kaap:painted`` mark, else this script's own frames),
``notes_live`` the page's ``kaap:notes-live`` mark (the first live grid drawn, editable),
``notes_visible`` the earlier of that and the stale snapshot's first paint (a snapshot in the
served shell, marked ``kaap:snapshot`` or ``#snapshot`` holding cards: the first paint once the
document is parsed), and ``first``
says which ("snapshot" or "live"). A page without notes (the floor, bench/hello.py) reports
its painted time for both. Stdlib only: the floor's executable bundles it too.
"""

from __future__ import annotations

import json
import threading

from desktop import js

PREFIX = "kaap-probe "
NOTES_TIMEOUT = 20.0  # seconds the probe waits for the live notes after painted

# Resolves after the second animation frame: the page has been painted by then (the tests'
# screenshots wait on it too).
PAINTED_JS = (
    "new Promise(r => requestAnimationFrame(() => requestAnimationFrame("
    "() => r(performance.timeOrigin + performance.now()))))"
)

# One promise, awaited through desktop/js.py (run_js: the page's CSP refuses evaluate_js's eval),
# polled every 0.1 s: each poll is work on the GTK main loop of the start being measured.
_JS = """(async () => {
  const epoch = (t) => (t == null ? null : (performance.timeOrigin + t) / 1000);
  const mark = (name) => {
    const entry = performance.getEntriesByName(name, "mark")[0];
    return entry ? entry.startTime : null;
  };
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  if (document.readyState !== "complete") {
    await new Promise((resolve) => addEventListener("load", resolve, { once: true }));
  }
  await frame();
  await frame();
  // The page's own mark (Kaap's app.js, the floor's inline script), made two frames after its
  // load event; this script's frames come later, after a trip through Python's busy threads.
  const painted = mark("kaap:painted") ?? performance.now();
  // The paint entry can be queued after the frames above on a loaded machine: wait a while.
  const fcpEntry = () => performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint");
  const paint = fcpEntry() ?? await new Promise((resolve) => {
    const observer = new PerformanceObserver(() => {
      if (fcpEntry()) { observer.disconnect(); resolve(fcpEntry()); }
    });
    observer.observe({ type: "paint", buffered: true });
    setTimeout(() => { observer.disconnect(); resolve(fcpEntry() ?? null); }, 3000);
  });
  const fcp = paint ? paint.startTime : null;
  if (!__NOTES__) {
    return { fcp: epoch(fcp), painted: epoch(painted), notes_visible: epoch(painted),
             notes_live: epoch(painted), first: null };
  }
  // The snapshot comes in the served shell (the page marks it at start, or #snapshot holds
  // cards when this looks): in the DOM once the parser is done, so seen at the first paint
  // from then on. The mark itself is later: the page's modules run after that paint.
  const holder = document.getElementById("snapshot");
  let snapshot = null;
  if (mark("kaap:snapshot") != null || (holder && holder.firstElementChild)) {
    const parsed = performance.getEntriesByType("navigation")[0]?.domInteractive ?? painted;
    snapshot = Math.max(parsed, fcp ?? parsed);
  }
  const deadline = performance.now() + __TIMEOUT_MS__;
  let live = mark("kaap:notes-live");
  while (live == null && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 15));
    live = mark("kaap:notes-live");
  }
  const visible = snapshot != null && (live == null || snapshot < live) ? snapshot : live;
  return { fcp: epoch(fcp), painted: epoch(painted), notes_visible: epoch(visible),
           notes_live: epoch(live), first: visible == null ? null : visible === live ? "live" : "snapshot" };
})()"""


def script(notes: bool = True, timeout: float = NOTES_TIMEOUT) -> str:
    """The probe's promise; ``notes=False`` for a page with no notes (the floor)."""
    return _JS.replace("__NOTES__", "true" if notes else "false").replace(
        "__TIMEOUT_MS__", str(int(timeout * 1000))
    )


def measure(window, notes: bool = True, timeout: float = NOTES_TIMEOUT) -> dict:
    """The probe's figures for the page in ``window`` (blocks until notes live or timeout)."""
    return js.awaited(window, script(notes, timeout), timeout + 15, poll=0.1)


def line(figures: dict) -> str:
    return PREFIX + json.dumps(figures, sort_keys=True)


def parse(text: str) -> dict | None:
    """The figures of a ``kaap-probe`` line, None for any other line."""
    return json.loads(text[len(PREFIX) :]) if text.startswith(PREFIX) else None


_started = threading.Event()


def report(window, notes: bool = True) -> None:
    """Print the probe line once per process, from a thread of its own: the probe waits for
    the live notes, which may wait for the app this very ``loaded`` event starts building."""
    if _started.is_set():
        return
    _started.set()

    def run() -> None:
        try:
            figures = measure(window, notes)
        except Exception as exc:  # the window closed, say: the bench sees no line and says so
            print(f"kaap-probe-failed {exc}", flush=True)
            return
        print(line(figures), flush=True)

    threading.Thread(target=run, name="kaap-probe", daemon=True).start()
