// The settings page's Sync card (single-user mode): connect this Kaap to a server, see the
// connection, check it, sign out. The password goes to this Kaap, which sends it to the
// server once and keeps only the device token; no answer the page gets holds the token.
import { h } from "./dom.js";
import * as syncstate from "./syncstate.js";

const $ = (id) => document.getElementById(id);
const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

async function call(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf() },
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error("Kaap can't be reached. Try again in a moment.");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data?.error?.message ?? `Kaap answered ${response.status}.`);
  return data;
}

/** http:// to another computer: the address travels unencrypted. */
function unencrypted(url) {
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === "http:" && !LOOPBACK.has(parsed.hostname);
  } catch {
    return false;
  }
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function render(state) {
  syncstate.show(state); // the header, and renderCard through syncstate.onChange
}

/** The signed-in part of the card, each time the state is shown (polled while visible). */
function renderCard(state) {
  $("sync-signed-out").hidden = state.connected;
  $("sync-signed-in").hidden = !state.connected;
  if (!state.connected) return;
  $("sync-who").replaceChildren(
    "Connected to ",
    h("strong", { text: state.server_url }),
    " as ",
    h("strong", { text: state.username }),
    ` (this computer: ${state.device}).`,
  );
  const shown = syncstate.describe(state);
  $("sync-status").dataset.status = shown.status;
  $("sync-status").querySelector(".mi").textContent = shown.icon;
  $("sync-status-text").textContent = STATUS_TEXT[shown.status] ?? shown.text;
  $("sync-last").textContent = state.last_sync_at
    ? `Last synced ${syncstate.ago(state.last_sync_at)} (${when(state.last_sync_at)}).`
    : "Not synced yet.";
  $("sync-insecure-note").hidden = !state.insecure;
  const problem = shown.status === "error" || shown.status === "offline";
  $("sync-error").textContent = problem ? (state.last_error ?? "") : "";
  $("sync-review").hidden = shown.status !== "paused";
  $("sync-now").disabled = shown.status === "syncing" || Boolean(state.stopped);
}

const STATUS_TEXT = {
  idle: "Connected.",
  syncing: "Syncing…",
  synced: "Synced: your notes are the same here and on the server.",
  offline: "Offline: changes are kept here and sync when the server is back.",
  error: "Sync failed:",
  paused: "Sync paused: it waits for your answer.",
};

function setUpForm() {
  const url = $("sync-url");
  const box = $("sync-insecure-box");
  const message = $("sync-message");
  url.addEventListener("input", () => {
    box.hidden = !unencrypted(url.value);
    if (box.hidden) $("sync-allow-insecure").checked = false;
  });
  $("sync-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("sync-connect");
    button.disabled = true;
    message.className = "form-message";
    message.textContent = "Connecting…";
    try {
      const state = await call("POST", "/api/sync/device", {
        url: url.value,
        username: $("sync-user").value,
        password: $("sync-password").value,
        allow_insecure: $("sync-allow-insecure").checked,
      });
      $("sync-password").value = "";
      message.textContent = "";
      render(state);
    } catch (error) {
      message.className = "form-message error";
      message.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
}

function setUpSignedIn() {
  $("sync-now").addEventListener("click", async () => {
    $("sync-now").disabled = true;
    try {
      await syncstate.syncNow();
    } catch (error) {
      $("sync-error").textContent = error.message;
      $("sync-now").disabled = false;
    }
  });
  $("sync-review").addEventListener("click", () => syncstate.openPrompt());
  $("sync-check").addEventListener("click", async () => {
    $("sync-check").disabled = true;
    try {
      render(await call("GET", "/api/sync/device?check=true"));
    } catch (error) {
      $("sync-error").textContent = error.message;
    } finally {
      $("sync-check").disabled = false;
    }
  });
  const dialog = $("sync-sign-out-dialog");
  $("sync-sign-out").addEventListener("click", () => dialog.showModal());
  $("sync-sign-out-cancel").addEventListener("click", () => dialog.close());
  $("sync-sign-out-confirm").addEventListener("click", async () => {
    dialog.close();
    try {
      await call("DELETE", "/api/sync/device");
      render({ connected: false });
      $("sync-message").className = "form-message ok";
      $("sync-message").textContent = "Signed out. Your notes on this computer are kept.";
    } catch (error) {
      $("sync-error").textContent = error.message;
    }
  });
}

export async function init() {
  setUpForm();
  setUpSignedIn();
  syncstate.onChange(renderCard);
  syncstate.init({ refresh: false });
  render(await call("GET", "/api/sync/device"));
}
