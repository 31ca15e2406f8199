// Live windows: one EventSource per page (GET /api/events) tells it which of this person's
// notes changed in another tab, window or client; the page fetches those notes and updates,
// adds or drops their cards in place, and tells an open editor (bus "elsewhere").
// The events carry ids, kinds and versions only: a version the page already has is the echo
// of its own write and costs nothing. The stream is an extra: when it drops, the page works on.
import { api } from "./api.js";
import { emit, noteChanged, noteRemoved, store } from "./store.js";

const GATHER_MS = 60; // events arriving together are fetched together
const MANY = 30; // more changed notes than this (an import): reload the view instead
const RETRY_MS = [2000, 5000, 15000, 30000]; // after a refusal (429/503) or a closed stream

let source = null;
let lastId = "";
let failures = 0;
let retryTimer = null;
let gatherTimer = null;
let labelsChanged = false;
const pending = new Set();
let hooks = { reloadView() {}, reloadLabels() {} };

/** Start listening. `reloadView()` redraws the current view's first page (after a gap the
 * server could not replay); `reloadLabels()` refetches the labels. */
export function init(options) {
  hooks = { ...hooks, ...options };
  if (typeof EventSource !== "function") return;
  connect();
  // A closed laptop lid or a lost network: EventSource may give up; come back with the page.
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !source) reconnectNow();
  });
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  // A new EventSource cannot send Last-Event-ID: the query string carries it.
  const url = lastId ? `/api/events?last_event_id=${encodeURIComponent(lastId)}` : "/api/events";
  source = new EventSource(url);
  source.addEventListener("ready", onReady);
  source.addEventListener("notes", onNotes);
  source.addEventListener("error", onError);
}

function onReady(event) {
  failures = 0;
  document.body.dataset.live = "on";
  if (event.lastEventId) lastId = event.lastEventId;
  // The server could not tell what was missed (it restarted, or too much happened): reload.
  if (JSON.parse(event.data).reset) {
    hooks.reloadView();
    hooks.reloadLabels();
    emit("elsewhere-reset");
  }
}

function onError() {
  document.body.dataset.live = "off";
  // CONNECTING: EventSource comes back by itself (a lifetime ended, the network blinked).
  // CLOSED: it will not (a 429 or 503 answer, a 401): try again later, more slowly each time.
  if (source.readyState !== EventSource.CLOSED) return;
  source = null;
  const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
  failures += 1;
  retryTimer = setTimeout(connect, wait);
}

function reconnectNow() {
  if (source && source.readyState !== EventSource.CLOSED) return;
  source?.close();
  connect();
}

function onNotes(event) {
  if (event.lastEventId) lastId = event.lastEventId;
  const { ids, kind, versions } = JSON.parse(event.data);
  if (kind === "labels") labelsChanged = true;
  ids.forEach((id, i) => {
    if (kind === "deleted") {
      pending.delete(id);
      if (store.notes.has(id)) noteRemoved(id);
      emit("elsewhere", { id, gone: true });
      return;
    }
    const known = store.notes.get(id);
    if (versions[i] != null && known && known.version >= versions[i] && kind !== "labels") return;
    pending.add(id);
  });
  if (!gatherTimer) gatherTimer = setTimeout(flush, GATHER_MS);
}

async function flush() {
  gatherTimer = null;
  const ids = [...pending];
  pending.clear();
  if (labelsChanged) {
    labelsChanged = false;
    hooks.reloadLabels();
  }
  if (ids.length > MANY) {
    hooks.reloadView();
    for (const id of ids) emit("elsewhere-maybe", id);
    return;
  }
  await Promise.all(ids.map(refetch));
}

async function refetch(id) {
  let note;
  try {
    note = await api.getNote(id);
  } catch (error) {
    if (error.status === 404) {
      if (store.notes.has(id)) noteRemoved(id);
      emit("elsewhere", { id, gone: true });
    }
    return; // offline: the next event or reconnect brings it
  }
  const known = store.notes.get(id);
  if (known && known.version > note.version) return; // an older answer overtaken by a newer one
  noteChanged(note); // the grid places it: updated, moved, added or dropped from this view
  emit("elsewhere", { id, note });
}
