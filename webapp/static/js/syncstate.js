// The header's sync indicator (single-user mode): nothing until this Kaap is connected to a
// server, then what the background sync is doing (synced, syncing, offline, an error, paused)
// and, when a sync is paused because the server's changes would remove many notes here, the
// prompt that asks what to do. Text only via textContent.
//
// The state is polled (GET /api/sync/device, a read of this Kaap's memory and sync.json)
// every few seconds while the page is visible and connected, not pushed on the event stream:
// the settings page has no stream, the desktop allows only two, and the page must work when
// the stream drops anyway.
import { csrfTokenReady } from "./api.js";
import { h } from "./dom.js";

const POLL_MS = 4000;
const POLL_SYNCING_MS = 1000; // a sync under way: its end shows within a second
const ANSWER_PATH = "/api/sync/device/sync";

let current = null;
let timer = null;
let dismissed = null; // the pause (its count) the person closed the prompt of
let listeners = [];


/** "2 minutes ago", "just now", "3 days ago" for an ISO time. */
export function ago(iso, now = Date.now()) {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return "just now";
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const steps = [
    [60, "minute", 60],
    [3600, "hour", 24],
    [86400, "day", 7],
  ];
  for (const [unit, name, max] of steps) {
    const count = Math.round(seconds / unit);
    if (count < max) return format.format(-Math.max(count, 1), name);
  }
  return new Date(iso).toLocaleDateString();
}

function lastSynced(state) {
  return state.last_sync_at ? `Last synced ${ago(state.last_sync_at)}` : "Not synced yet";
}

function removalSentence(state) {
  const n = state.paused_removals ?? 0;
  const of = state.notes_here != null ? ` of your ${state.notes_here}` : "";
  return `The server's changes would remove ${n}${of} notes on this computer.`;
}

/** What the header says for a state from GET /api/sync/device (null: say nothing). */
export function describe(state) {
  if (!state?.connected) return null;
  const who = `Connected to ${state.host} as ${state.username}`;
  const last = lastSynced(state);
  const status = state.stopped ? "error" : state.status ?? (state.last_error ? "error" : "idle");
  switch (status) {
    case "syncing":
      return { status, icon: "sync", text: "Syncing…", title: `Syncing. ${last}. ${who}.` };
    case "synced":
      return { status, icon: "cloud_done", text: "Synced", title: `${last}. ${who}.` };
    case "offline":
      return {
        status,
        icon: "cloud_off",
        text: "Offline",
        title: `Offline: changes are kept here and sync when the server is back. ${last}.`,
      };
    case "paused":
      return {
        status,
        icon: "pause_circle",
        text: "Sync paused",
        title: `Sync paused: ${removalSentence(state)} Click to choose what to do.`,
      };
    case "error": {
      const problem = state.last_error ?? "Sync failed.";
      return { status, icon: "sync_problem", text: problem, title: `${problem} ${last}. ${who}.` };
    }
    default:
      return { status: "idle", icon: "cloud", text: last, title: `${who}. ${last}.` };
  }
}

/** Show a state in the header (and the prompt if a sync waits for an answer). */
export function show(state) {
  current = state;
  const el = document.getElementById("sync-state");
  const shown = describe(state);
  if (el) {
    el.hidden = !shown;
    if (shown) {
      el.querySelector(".mi").textContent = shown.icon;
      el.querySelector(".sync-state-text").textContent = shown.text;
      el.title = shown.title;
      el.setAttribute("aria-label", shown.title);
      el.dataset.status = shown.status;
      el.classList.toggle("error", shown.status === "error");
    }
  }
  for (const listener of listeners) listener(state);
  // A periodic sync of a paused state ("syncing", then "paused" again) leaves the prompt be.
  if (shown?.status === "paused") maybePrompt(state);
  else if (shown?.status !== "syncing") closePrompt();
  schedule(shown?.status);
}

/** Call `listener(state)` after each state shown (the settings card follows it too). */
export function onChange(listener) {
  listeners.push(listener);
}

function schedule(status) {
  clearTimeout(timer);
  timer = null;
  if (!status || document.visibilityState === "hidden") return;
  timer = setTimeout(refresh, status === "syncing" ? POLL_SYNCING_MS : POLL_MS);
}

/** Read the state (this Kaap's memory and sync.json; no call to the server) and show it. */
export async function refresh() {
  if (!document.getElementById("sync-state")) return;
  try {
    const response = await fetch("/api/sync/device", {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.ok) show(await response.json());
    else schedule(current && describe(current)?.status);
  } catch {
    // This Kaap unreachable: the page says so elsewhere; the indicator keeps what it showed.
    schedule(current && describe(current)?.status);
  }
}

/** "Sync now", or an answer to a paused sync ("apply" or "keep"); the state after it. */
export async function syncNow(removals) {
  let response;
  try {
    const token = await csrfTokenReady(); // the desktop's cached shell has none at first
    response = await fetch(ANSWER_PATH, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": token },
      credentials: "same-origin",
      body: JSON.stringify(removals ? { removals } : {}),
    });
  } catch {
    throw new Error("Kaap can't be reached. Try again in a moment.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data?.error?.message ?? `Kaap answered ${response.status}.`);
  show({ ...data, status: "syncing" }); // the worker has it: its end shows at the next poll
  return data;
}

// --- the large-removal prompt --------------------------------------------------------------

let dialog = null;

function promptDialog() {
  if (dialog) return dialog;
  const text = h("p", { id: "sync-removal-text" });
  const note = h("p", { class: "muted", id: "sync-removal-note" });
  const error = h("p", { class: "form-error", id: "sync-removal-error", role: "alert" });
  const answer = (removals) => async () => {
    for (const button of dialog.querySelectorAll("button")) button.disabled = true;
    error.textContent = "";
    try {
      await syncNow(removals);
      dialog.close();
    } catch (problem) {
      error.textContent = problem.message;
    } finally {
      for (const button of dialog.querySelectorAll("button")) button.disabled = false;
    }
  };
  dialog = h(
    "dialog",
    { class: "small-dialog sync-removal", id: "sync-removal-dialog", "aria-labelledby": "sync-removal-title" },
    h("h2", { id: "sync-removal-title" }, "Remove notes on this computer?"),
    text,
    note,
    error,
    h(
      "div",
      { class: "dialog-actions" },
      h("button", { type: "button", class: "text-btn", id: "sync-removal-apply", onclick: answer("apply") }, "Remove them here"),
      h("button", { type: "button", class: "text-btn primary", id: "sync-removal-keep", onclick: answer("keep"), autofocus: true }, "Keep my notes"),
    ),
  );
  // Closed without an answer (Esc): sync stays paused, the header says so, a click reopens it.
  dialog.addEventListener("close", () => {
    if (current?.status === "paused") dismissed = current.paused_removals;
  });
  document.body.append(dialog);
  return dialog;
}

function fillPrompt(state) {
  const box = promptDialog();
  box.querySelector("#sync-removal-text").textContent = removalSentence(state);
  box.querySelector("#sync-removal-note").textContent =
    "Remove them here too (Kaap backs up your notes first), or keep your notes on this computer and put them back on the server.";
  return box;
}

function maybePrompt(state) {
  if (dismissed === state.paused_removals) return;
  const box = fillPrompt(state);
  if (!box.open) box.showModal();
}

/** Reopen the prompt (the header's "Sync paused" was clicked). */
export function openPrompt() {
  if (current?.status !== "paused") return false;
  dismissed = null;
  maybePrompt(current);
  return true;
}

function closePrompt() {
  dismissed = null;
  if (dialog?.open) dialog.close();
}

/** Wire the header's indicator and start following the state (`refresh: false`: the caller
 * shows the first state itself). */
export function init({ refresh: first = true } = {}) {
  const el = document.getElementById("sync-state");
  if (!el) return;
  el.addEventListener("click", (event) => {
    if (openPrompt()) event.preventDefault(); // paused: the prompt, not the settings page
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh();
  });
  if (first) refresh();
}
