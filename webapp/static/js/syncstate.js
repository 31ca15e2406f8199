// The header's sync indicator (single-user mode): nothing until this Kaap is connected to a
// server, then the connection ("Not synced yet": notes do not sync yet, so it never claims
// "synced") or the last problem, as the server check left it. Text only via textContent.

/** What the header says for a state from GET /api/sync/device. */
export function describe(state) {
  if (!state?.connected) return null;
  const who = `Connected to ${state.host} as ${state.username}`;
  if (state.last_error) return { icon: "cloud_off", text: state.last_error, title: `${who}. ${state.last_error}`, error: true };
  const last = state.last_sync_at ? `Last sync ${new Date(state.last_sync_at).toLocaleString()}` : "Not synced yet";
  return { icon: "cloud", text: last, title: `${who}. ${last}.`, error: false };
}

export function show(state) {
  const el = document.getElementById("sync-state");
  if (!el) return;
  const shown = describe(state);
  el.hidden = !shown;
  if (!shown) return;
  el.querySelector(".mi").textContent = shown.icon;
  el.querySelector(".sync-state-text").textContent = shown.text;
  el.title = shown.title;
  el.setAttribute("aria-label", shown.title);
  el.classList.toggle("error", shown.error);
}

/** Read the stored state (no call to the server) and show it. */
export async function refresh() {
  if (!document.getElementById("sync-state")) return;
  try {
    const response = await fetch("/api/sync/device", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.ok) show(await response.json());
  } catch {
    // This Kaap unreachable: the page says so elsewhere; the indicator keeps what it showed.
  }
}
