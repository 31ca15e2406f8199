// Unsaved text, kept in two places: at once in localStorage (synchronous; it survives a reload
// of this origin) and, as soon as it can, by the server in the notes' own database (it survives
// a crash, a relaunch on another port and a switch of web view back end, which localStorage,
// kept per origin and per back end, does not). At start the page reads both and offers every
// draft it finds; one only in localStorage is handed to the server then.
//
// Drafts: the composer's new note ({fields}), and edits of notes not yet saved ({fields,
// version}) by note id. Each carries saved_at (this page's clock): of two copies the later wins.
import { api } from "./api.js";
import { personalKey } from "./store.js";

const COMPOSER = personalKey("kaap.composer");
const NOTES = personalKey("kaap.drafts");
// How long a change waits before it goes to the server: the composer has no other copy; an
// edit is usually saved (and its draft dropped) sooner than this, so most edits send nothing.
const DELAY = { composer: 300, note: 1000 };
const RETRY_DELAY = 3000;

const read = (key, fallback) => {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
};
const write = (key, value) => {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or off: the server's copy is the one that counts
  }
};

// An earlier Kaap kept the composer's fields bare, without saved_at.
const asDraft = (stored) => (stored && !stored.fields ? { fields: stored, saved_at: 0 } : stored);

let composer = asDraft(read(COMPOSER, null));
const notes = read(NOTES, {});

// The server's side: what it should hold per key (a draft, or null to drop it), what it is
// known to hold, and one request at a time per key so the last change is the one that stays.
const wanted = new Map();
const onServer = new Set();
const timers = new Map();
const chains = new Map();

const keyOf = (id) => `note-${id}`;
const later = (a, b) => (a?.saved_at ?? 0) >= (b?.saved_at ?? 0);

function schedule(key, delay) {
  if (timers.has(key)) return; // a throttle, not a debounce: continuous typing still sends
  timers.set(
    key,
    setTimeout(() => {
      timers.delete(key);
      send(key);
    }, delay),
  );
}

function send(key, options = {}) {
  clearTimeout(timers.get(key));
  timers.delete(key);
  const chain = (chains.get(key) ?? Promise.resolve()).then(() => sendNow(key, options));
  chains.set(key, chain);
  return chain;
}

async function sendNow(key, { keepalive = false } = {}) {
  if (!wanted.has(key)) return;
  const draft = wanted.get(key);
  if (draft === null && !onServer.has(key)) {
    wanted.delete(key);
    return;
  }
  try {
    if (draft === null) {
      await api.dropDraft(key, { keepalive });
      onServer.delete(key);
    } else {
      await api.keepDraft(key, draft, { keepalive: keepalive && JSON.stringify(draft).length < 60000 });
      onServer.add(key);
    }
    if (wanted.get(key) === draft) wanted.delete(key);
  } catch (error) {
    // Unreachable or busy: localStorage holds it meanwhile. Refused (too large, too many):
    // localStorage is all there is for this one.
    if (error.code === "offline" || error.status >= 500) schedule(key, RETRY_DELAY);
    else if (wanted.get(key) === draft) wanted.delete(key);
  }
}

function want(key, draft, delay) {
  wanted.set(key, draft);
  if (draft === null) send(key);
  else schedule(key, delay);
}

/** The composer's draft fields, or null. */
export const composerDraft = () => composer?.fields ?? null;

export function keepComposer(fields) {
  composer = { fields, saved_at: Date.now() };
  write(COMPOSER, composer);
  want("composer", composer, DELAY.composer);
}

export function dropComposer() {
  composer = null;
  write(COMPOSER, null);
  want("composer", null);
}

/** Unsaved edits by note id: {fields, version}. */
export const noteDrafts = () => notes;

export function keepNote(id, fields, version) {
  notes[id] = { fields, version, saved_at: Date.now() };
  write(NOTES, notes);
  want(keyOf(id), notes[id], DELAY.note);
}

export function dropNote(id) {
  if (!(id in notes) && !onServer.has(keyOf(id)) && !wanted.has(keyOf(id))) return;
  delete notes[id];
  write(NOTES, notes);
  want(keyOf(id), null);
}

/** Send every change not yet on the server now (the page is going away). */
export function flush() {
  for (const key of [...wanted.keys()]) send(key, { keepalive: true });
}

/** Read the server's drafts into these, the later copy winning; resolves once done. A draft
 * found only here goes to the server. Without the server, localStorage's drafts are all. */
export async function load() {
  let stored = [];
  try {
    stored = await api.listDrafts();
  } catch {
    stored = null;
  }
  for (const { key, content } of stored ?? []) {
    onServer.add(key);
    if (key === "composer") {
      if (!composer || !later(composer, content)) composer = content;
    } else {
      const id = Number(key.slice("note-".length));
      if (!notes[id] || !later(notes[id], content)) notes[id] = content;
    }
  }
  write(COMPOSER, composer);
  write(NOTES, notes);
  if (stored === null) {
    // Not reachable now: hand over what this page has once it is.
    if (composer) want("composer", composer, RETRY_DELAY);
    for (const [id, draft] of Object.entries(notes)) want(keyOf(id), draft, RETRY_DELAY);
    return;
  }
  const server = new Map((stored ?? []).map(({ key, content }) => [key, content]));
  if (composer && server.get("composer") !== composer) want("composer", composer, 0);
  for (const [id, draft] of Object.entries(notes)) {
    if (server.get(keyOf(id)) !== draft) want(keyOf(id), draft, 0);
  }
}
