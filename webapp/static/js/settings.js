// The settings page: import from Google Keep with progress, export, backups; in server mode
// also your account (account.js), and the users (users.js) and backups cards only for admins.
// User-controlled text (file names, reasons) only ever becomes text nodes.
import * as account from "./account.js";
import { accountsOn, loginAgain } from "./api.js";
import { h } from "./dom.js";
import * as sync from "./sync.js";
import * as users from "./users.js";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);

async function call(method, path) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Accept: "application/json", "X-CSRFToken": csrf() },
      credentials: "same-origin",
    });
  } catch {
    throw new Error("Kaap can't be reached. Try again in a moment.");
  }
  if (response.status === 401 && accountsOn()) return loginAgain();
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data?.error?.message ?? `The server answered ${response.status}.`);
  return data;
}

function snackbar(text, error = false) {
  const bar = $("snackbar");
  bar.textContent = text;
  bar.classList.toggle("error", error);
  bar.hidden = false;
  clearTimeout(snackbar.timer);
  snackbar.timer = setTimeout(() => (bar.hidden = true), error ? 8000 : 4000);
}

// Import ---------------------------------------------------------------------------------

/** Upload with progress (fetch cannot report it): resolves to the job, rejects with a message. */
function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/imports");
    xhr.setRequestHeader("X-CSRFToken", csrf());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onerror = () => reject(new Error("Kaap can't be reached. Try again in a moment."));
    xhr.onload = () => {
      if (xhr.status === 401 && accountsOn()) return loginAgain();
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status === 202) resolve(data);
      else reject(new Error(data?.error?.message ?? `The server answered ${xhr.status}.`));
    };
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}

function showProgress(fraction, text) {
  $("import-progress").hidden = false;
  $("import-bar").value = Math.round(fraction * 100);
  $("import-status").textContent = text;
}

// The server lists the first entries of each kind and counts them all (`totals`).
function entryList(title, rows, total = rows.length) {
  if (!rows.length) return null;
  const shown = total > rows.length ? `${total}, the first ${rows.length} listed` : `${total}`;
  return h(
    "details",
    { open: rows.length <= 5 },
    h("summary", { text: `${title} (${shown})` }),
    h("ul", {}, rows.map((row) => h("li", {}, h("span", { class: "file", text: row.file }), ": ", row.reason))),
  );
}

function showSummary(summary) {
  const box = $("import-summary");
  const totals = summary.totals ?? {};
  const count = (kind) => totals[kind] ?? summary[kind].length;
  box.replaceChildren(
    h("p", {
      class: "counts",
      text:
        `Imported ${summary.imported} note${summary.imported === 1 ? "" : "s"}` +
        `, skipped ${count("skipped")}, failed ${count("failed")}.` +
        (summary.stopped ? ` The import stopped early: ${summary.stopped}.` : ""),
    }),
    entryList("Failed", summary.failed, count("failed")) ?? "",
    entryList("Skipped", summary.skipped, count("skipped")) ?? "",
    entryList("Warnings", summary.warnings, count("warnings")) ?? "",
  );
  box.hidden = false;
}

async function poll(job) {
  for (;;) {
    if (job.status === "done") return job;
    if (job.status === "failed") throw new Error(job.error ?? "The import stopped.");
    const fraction = job.total ? job.done / job.total : 0;
    showProgress(fraction, job.total ? `Importing: ${job.done} of ${job.total} notes` : "Reading the archive…");
    await new Promise((resolve) => setTimeout(resolve, 400));
    job = await call("GET", `/api/imports/${encodeURIComponent(job.id)}`);
  }
}

function setUpImport() {
  const input = $("import-file");
  const start = $("import-start");
  input.addEventListener("change", () => (start.disabled = !input.files.length));
  $("import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) return;
    start.disabled = true;
    $("import-summary").hidden = true;
    try {
      showProgress(0, "Uploading…");
      const job = await upload(file, (fraction) => showProgress(fraction, `Uploading: ${Math.round(fraction * 100)}%`));
      const done = await poll(job);
      showProgress(1, "Done.");
      showSummary(done.summary);
    } catch (error) {
      $("import-status").textContent = error.message;
      snackbar(error.message, true);
    } finally {
      start.disabled = !input.files.length;
    }
  });
}

// Export ---------------------------------------------------------------------------------

function setUpExport() {
  if (document.body.dataset.nativeExport !== "true") return;
  // The desktop app asks where to save with the system's dialog.
  $("export-download").hidden = true;
  const button = $("export-save");
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    $("export-status").textContent = "Exporting…";
    try {
      const result = await call("POST", "/api/export/save");
      $("export-status").textContent = result.saved ? `Saved to ${result.saved}` : "";
    } catch (error) {
      $("export-status").textContent = "";
      snackbar(error.message, true);
    } finally {
      button.disabled = false;
    }
  });
}

// Backups --------------------------------------------------------------------------------

const KINDS = { daily: "Daily", manual: "Made by you", "pre-migrate": "Before an upgrade", "pre-restore": "Before a restore", "pre-sync": "Before a sync" };

function size(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

async function loadBackups() {
  const body = $("backups-body");
  try {
    const { items } = await call("GET", "/api/backups");
    body.replaceChildren(
      ...items.map((backup) =>
        h(
          "tr",
          { dataset: { name: backup.name } },
          h("td", { text: when(backup.created_at) }),
          h("td", { text: KINDS[backup.kind] ?? backup.kind }),
          h("td", { text: size(backup.size) }),
          h("td", {}, h("button", { type: "button", class: "text-btn primary", text: "Restore", onclick: () => askRestore(backup) })),
        ),
      ),
    );
    $("backups-empty").hidden = items.length > 0;
    $("backups").hidden = items.length === 0;
  } catch (error) {
    snackbar(error.message, true);
  }
}

let restoring = null;

function askRestore(backup) {
  restoring = backup;
  $("restore-text").textContent =
    `Your notes go back to how they were on ${when(backup.created_at)}. ` +
    "The current notes are backed up first, so this can be undone.";
  $("restore-dialog").showModal();
}

function setUpBackups() {
  $("backup-now").addEventListener("click", async () => {
    $("backup-now").disabled = true;
    try {
      await call("POST", "/api/backups");
      await loadBackups();
      $("backup-status").textContent = "Backed up.";
    } catch (error) {
      snackbar(error.message, true);
    } finally {
      $("backup-now").disabled = false;
    }
  });
  $("restore-cancel").addEventListener("click", () => $("restore-dialog").close());
  $("restore-confirm").addEventListener("click", async () => {
    $("restore-dialog").close();
    if (!restoring) return;
    try {
      await call("POST", `/api/backups/${encodeURIComponent(restoring.name)}/restore`);
      await loadBackups();
      $("backup-status").textContent = "Restored. Your notes are as they were then.";
      snackbar("Backup restored.");
    } catch (error) {
      snackbar(error.message, true);
    }
  });
  loadBackups();
}

// Order of notes ---------------------------------------------------------------------------

function setUpOrder() {
  for (const radio of document.querySelectorAll('input[name="order"]')) {
    radio.addEventListener("change", async () => {
      try {
        const response = await fetch("/api/settings", {
          method: "PATCH",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
          credentials: "same-origin",
          body: JSON.stringify({ order: radio.value }),
        });
        if (response.status === 401 && accountsOn()) return loginAgain();
        if (!response.ok) throw new Error(`The server answered ${response.status}.`);
        $("order-status").textContent = "Saved.";
      } catch (error) {
        snackbar(error.message ?? "Kaap can't be reached. Try again in a moment.", true);
      }
    });
  }
}

// Keep running for reminders (the desktop only) -----------------------------------------

function setUpKeepRunning() {
  const box = $("keep-running");
  if (!box) return;
  box.addEventListener("change", async () => {
    try {
      const response = await fetch("/api/settings", {
        method: "PATCH",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
        credentials: "same-origin",
        body: JSON.stringify({ keep_running: box.checked ? "on" : "off" }),
      });
      if (!response.ok) throw new Error(`The server answered ${response.status}.`);
      $("keep-running-status").textContent = "Saved.";
    } catch (error) {
      box.checked = !box.checked;
      snackbar(error.message ?? "Kaap can't be reached. Try again in a moment.", true);
    }
  });
}

setUpOrder();
setUpKeepRunning();
setUpImport();
setUpExport();
if ($("backups")) setUpBackups(); // not there for non-admins in server mode
// users: admins only; sync: single-user mode only (the desktop)
const ready = [$("account") && account.init(), $("users") && users.init(), $("sync") && sync.init()];
Promise.allSettled(ready).then(() => document.body.classList.add("ready"));
