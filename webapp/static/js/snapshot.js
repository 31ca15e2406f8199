// The desktop's snapshot of the Notes view: the cards as last drawn, kept by the server
// (PUT /api/desktop/snapshot, sanitized there) for the next launch, whose cached shell shows
// them in #snapshot, stale and inert (no clicks, no keys: they are ignored, not queued), until
// the live grid is drawn and takes their place in the same frame.
import { api } from "./api.js";
import { $, h } from "./dom.js";
import * as grid from "./grid.js";

const WAIT = 2000; // after the last change of the grid
const MAX_BYTES = 512 * 1024; // the server's cap on the request body
const KEEPALIVE_BYTES = 60 * 1024; // a keepalive fetch (the page going away) may send 64 KB
const SCREENS = 2; // cards further down than this many window heights are left out

let timer = null;
let live = false; // the live grid was drawn once
let sent = null; // the HTML last sent
const serializer = new XMLSerializer();

/** At start: mark a shown snapshot (for bench/startup.py); on the desktop, follow the grid. */
export function init() {
  const box = $("#snapshot");
  if (box?.childElementCount && document.documentElement.classList.contains("snapshot-on")) {
    performance.mark("kaap:snapshot");
  }
  if (!document.body.dataset.desktop) return;
  const changed = new MutationObserver(schedule);
  for (const section of ["#grid-pinned", "#grid-others"]) {
    changed.observe($(section), { childList: true, subtree: true, characterData: true });
  }
  changed.observe(document.body, { attributes: true, attributeFilter: ["class"] }); // list view
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("pagehide", flush);
}

/** The live grid is drawn: the snapshot goes in the frame that lays the cards out. */
export function replace() {
  // requested after the grid's own layout frame (grid.scheduleLayout), so it runs after it
  requestAnimationFrame(() => {
    $("#snapshot")?.replaceChildren();
    document.documentElement.classList.remove("snapshot-on");
  });
  live = true;
  schedule();
}

function schedule() {
  if (!live || !document.body.dataset.desktop) return;
  clearTimeout(timer);
  timer = setTimeout(save, WAIT);
}

function flush() {
  if (timer === null) return;
  save({ leaving: true });
}

/** The main Notes view, as it was drawn: no search, filter or other view. */
const notesView = () =>
  grid.view.kind === "notes" &&
  document.body.dataset.view === "notes" &&
  !grid.view.q &&
  !grid.view.color &&
  !grid.view.hasImage;

async function save({ leaving = false } = {}) {
  clearTimeout(timer);
  timer = null;
  if (!notesView()) return;
  if (document.body.classList.contains("dragging")) return schedule();
  const html = capture();
  if (html === null || html === sent) return;
  const bytes = new TextEncoder().encode(JSON.stringify({ html })).length;
  sent = html;
  try {
    await api.saveSnapshot(html, { keepalive: leaving && bytes <= KEEPALIVE_BYTES });
  } catch (error) {
    sent = null; // the next change tries again; a snapshot is never worth a message
    console.debug("snapshot not saved", error);
  }
}

/** The sections as HTML that fits the server's cap (fewer cards if need be), or null. */
function capture() {
  const pinned = shown($("#grid-pinned"));
  const others = shown($("#grid-others"));
  for (let keep = pinned.length + others.length; ; keep = Math.floor(keep * 0.75)) {
    const top = pinned.slice(0, keep);
    const rest = others.slice(0, keep - top.length);
    const sections = [];
    if (top.length) sections.push(section(top, "Pinned", true));
    if (rest.length) sections.push(section(rest, top.length ? "Others" : null, false));
    // Serialized, never parsed here (no HTML sink in the page); the server drops the xmlns.
    const html = sections.map((node) => serializer.serializeToString(node)).join("");
    if (new TextEncoder().encode(JSON.stringify({ html })).length <= MAX_BYTES) return html;
    if (keep === 0) return null;
  }
}

/** A section's cards that the first screens show, in their masonry columns (grid.js's). */
function shown(container) {
  const limit = SCREENS * window.innerHeight;
  const count = Number(container.dataset.columns) || 1;
  return [...container.children]
    .filter((card) => card.classList.contains("card") && card.dataset.column != null)
    .map((card) => ({ card, column: Math.min(count - 1, Number(card.dataset.column)), count }))
    .filter((place) => place.card.getBoundingClientRect().top + window.scrollY < limit);
}

/** The columns as they are on screen, empty ones too: the snapshot needs no positions. */
function section(places, title, pinned) {
  const columns = Array.from({ length: places[0].count }, () => h("div", { class: "snapshot-col" }));
  for (const place of places) columns[place.column].append(still(place.card));
  return h(
    "section",
    { class: `snapshot-section${pinned ? " snapshot-pinned" : ""}` },
    title ? h("h2", { class: "section-title", text: title }) : null,
    h("div", { class: "snapshot-grid" }, columns),
  );
}

/** A copy of a card that only looks like it: buttons and boxes become spans, images lose
 * their source (a placeholder of their size: the thumbnails come with the live cards). */
function still(card) {
  const copy = card.cloneNode(true);
  copy.removeAttribute("style");
  for (const extra of copy.querySelectorAll(".card-check, .upload-progress")) extra.remove();
  for (const button of copy.querySelectorAll("button")) {
    button.replaceWith(h("span", { class: button.className }, ...button.childNodes));
  }
  for (const box of copy.querySelectorAll("input")) box.replaceWith(h("span", { class: "snapshot-box" }));
  for (const img of copy.querySelectorAll("img")) {
    img.replaceWith(h("img", { width: img.getAttribute("width"), height: img.getAttribute("height") }));
  }
  return copy;
}
