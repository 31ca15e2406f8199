// The editor's "Version history" (its ⋮ menu), as in Keep on the web: the note's saved versions,
// newest first, the current one marked; a read-only preview of the one selected with its changes
// against the current note highlighted (changes.js, jsdiff); "Restore this version". A restore is
// itself a new version, so it needs no confirmation: the snackbar's Undo restores the version it
// replaced.
import { api } from "./api.js";
import { asItems, hasChanges, itemChanges, labelChanges, textChanges } from "./changes.js";
import { COLORS, h, iconButton, imageStrip } from "./dom.js";
import { showError, snackbar } from "./messages.js";

let dialog;
let list;
let preview;
let restoreButton;
// {note (as the notes API has it), versions (the list), current (the current version's state),
// selected (index), onRestored, seen (number -> version, those fetched)}
let state = null;
let loadToken = 0; // the preview last asked for: a slower earlier answer is dropped

const DAY = 24 * 60 * 60 * 1000;
const colorName = (key) => (COLORS.find(([k]) => k === key) ?? [key, key])[1];

/** "Today, 10:42 AM", "Yesterday, …", "Tuesday, 9:15 AM" within the week, "Nov 3, 9:15 AM", "Nov 3, 2025, 9:15 AM". */
export function versionTime(iso, now = new Date()) {
  const when = new Date(iso);
  const time = when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  const midnight = (date) => new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
  const days = Math.round((midnight(now) - midnight(when)) / DAY); // round: a DST day is 23 or 25 hours
  let day;
  if (days === 0) day = "Today";
  else if (days === 1) day = "Yesterday";
  else if (days > 1 && days < 7) day = when.toLocaleDateString([], { weekday: "long" });
  else if (when.getFullYear() === now.getFullYear()) day = when.toLocaleDateString([], { month: "short", day: "numeric" });
  else day = when.toLocaleDateString([], { year: "numeric", month: "short", day: "numeric" });
  return `${day}, ${time}`;
}

function build() {
  list = h("ul", { class: "vh-list", role: "listbox", "aria-label": "Versions", onkeydown: onListKey });
  preview = h("div", { class: "vh-preview", role: "region", "aria-label": "The version selected" });
  restoreButton = h("button", { type: "button", class: "text-btn primary vh-restore", onclick: restoreSelected }, "Restore this version");
  dialog = h(
    "dialog",
    { id: "versions-dialog", class: "versions", "aria-labelledby": "versions-title" },
    h(
      "div",
      { class: "vh-head" },
      h("h2", { id: "versions-title", text: "Version history" }),
      iconButton("close", "Close", () => close(), "vh-close"),
    ),
    h("div", { class: "vh-main" }, preview, list),
    h("div", { class: "dialog-actions" }, restoreButton),
  );
  // Esc closes this dialog only: the editor under it stays open
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
  dialog.addEventListener("close", () => {
    state = null; // closed by Back too (app.js closes the top dialog)
  });
  dialog.addEventListener("mousedown", (event) => {
    if (event.target === dialog) close();
  });
  document.body.append(dialog);
}

export const isOpen = () => Boolean(dialog?.open);

export function close() {
  if (dialog?.open) dialog.close();
  state = null;
}

/** Show note `id`'s versions; `onRestored(note)` gets the note after a restore (or its undo). */
export async function open(id, onRestored) {
  if (!dialog) build();
  let note;
  let versions;
  let current = null;
  try {
    [note, versions] = await Promise.all([api.getNote(id), api.listVersions(id)]);
    // compared with the current version's state: its images have digests, as every version's do
    const newest = versions.find((version) => version.current) ?? versions[0];
    if (newest) current = await api.getVersion(id, newest.number);
  } catch (error) {
    return showError(error);
  }
  const seen = new Map(current ? [[current.number, current]] : []);
  state = { note, versions, current: current?.note, selected: 0, onRestored, seen };
  renderList();
  if (!dialog.open) dialog.showModal();
  if (!versions.length) {
    preview.replaceChildren(h("p", { class: "vh-empty", text: "No versions of this note were kept yet." }));
    restoreButton.disabled = true;
    return;
  }
  select(0);
}

function renderList() {
  const now = new Date();
  list.replaceChildren(
    ...state.versions.map((version, index) =>
      h(
        "li",
        {
          class: "vh-version",
          role: "option",
          tabindex: "-1",
          "aria-selected": "false",
          dataset: { number: version.number },
          onclick: () => select(index),
        },
        h("span", { class: "vh-time", text: versionTime(version.saved_at ?? version.created_at, now) }),
        version.current ? h("span", { class: "vh-current", text: "Current version" }) : null,
        version.device ? h("span", { class: "vh-device", text: `on ${version.device}` }) : null,
      ),
    ),
  );
}

function onListKey(event) {
  if (!state?.versions.length) return;
  const last = state.versions.length - 1;
  const moves = { ArrowDown: state.selected + 1, ArrowUp: state.selected - 1, Home: 0, End: last };
  if (event.key in moves) {
    event.preventDefault();
    select(Math.max(0, Math.min(last, moves[event.key])));
  } else if (event.key === "Enter") {
    event.preventDefault();
    restoreSelected();
  }
}

async function select(index) {
  state.selected = index;
  const rows = [...list.children];
  rows.forEach((row, i) => {
    row.setAttribute("aria-selected", String(i === index));
    row.tabIndex = i === index ? 0 : -1;
  });
  rows[index].focus();
  rows[index].scrollIntoView({ block: "nearest" });
  const chosen = state.versions[index];
  restoreButton.disabled = Boolean(chosen.current); // that one is what the note is now
  const token = ++loadToken;
  let version = state.seen.get(chosen.number);
  if (!version) {
    try {
      version = await api.getVersion(state.note.id, chosen.number);
    } catch (error) {
      if (token === loadToken) showError(error);
      return;
    }
    if (!state) return;
    state.seen.set(chosen.number, version);
  }
  if (token !== loadToken) return;
  preview.replaceChildren(...renderVersion(version.note, state.current ?? version.note, version.current));
}

/** The version, read-only, on its own color, with what differs from `current` marked. */
function renderVersion(version, current, isCurrent) {
  preview.className = `vh-preview color-${version.color ?? "default"}`;
  if (isCurrent) {
    return [
      h("p", { class: "vh-legend", text: "This is the current version." }),
      imageStrip(version.images ?? []),
      version.title ? h("div", { class: "vh-title", text: version.title }) : null,
      version.kind === "checklist" ? renderItems(version, null) : h("div", { class: "vh-body", text: version.body }),
      renderLabels(labelChanges(version.labels, version.labels)),
    ].filter(Boolean);
  }
  const currentText = current.kind === "checklist" ? asItems(current).map((item) => item.text).join("\n") : current.body;
  return [
    h(
      "p",
      { class: "vh-legend" },
      "Compared with the current note: ",
      h("ins", { class: "vh-added", text: "marked" }),
      " is only in this version, ",
      h("del", { class: "vh-removed", text: "struck through" }),
      " only in the current note.",
    ),
    ...renderImages(version.images ?? [], current.images ?? []),
    version.title || current.title ? h("div", { class: "vh-title" }, textChanges(current.title, version.title)) : null,
    version.kind === "checklist"
      ? renderItems(version, current)
      : h("div", { class: "vh-body" }, textChanges(currentText, version.body)),
    renderLabels(labelChanges(current.labels, version.labels)),
    renderFacts(version, current),
  ].filter(Boolean);
}

/** The version's thumbnails, those the current note lacks outlined; a line for the ones it lost. */
function renderImages(images, currentImages) {
  const strip = imageStrip(images);
  const now = new Set(currentImages.map(imageKey));
  if (strip) {
    [...strip.children].forEach((tile, index) => {
      if (!now.has(imageKey(images[index]))) tile.classList.add("vh-image-added");
    });
  }
  const then = new Set(images.map(imageKey));
  const gone = currentImages.filter((image) => !then.has(imageKey(image))).length;
  const text = gone === 1 ? "1 image of the current note is not in this version" : `${gone} images of the current note are not in this version`;
  return [strip, gone ? h("p", { class: "vh-note", text }) : null];
}

function renderLabels(labels) {
  if (!labels.length) return null;
  const tag = { added: "ins", removed: "del" };
  return h(
    "div",
    { class: "chips vh-labels" },
    labels.map(({ name, change }) => h(tag[change] ?? "span", { class: `chip${change ? ` vh-${change}` : ""}`, text: name })),
  );
}

/** The changes that are not text: the color, note or list; or that nothing differs. */
function renderFacts(version, current) {
  const facts = [];
  const [then, now] = [version.color ?? "default", current.color ?? "default"];
  if (then !== now) facts.push(`Color: ${colorName(then)} (now ${colorName(now)})`);
  if (current.kind !== version.kind) facts.push(version.kind === "checklist" ? "A list then (a note now)" : "A note then (a list now)");
  if (facts.length) return h("p", { class: "vh-note vh-facts", text: facts.join(" · ") });
  if (!hasAnyChange(version, current)) return h("p", { class: "vh-note", text: "Same as the current version." });
  return null;
}

/** A checklist's items with their ticks; against `current` (if given) with the changes marked. */
function renderItems(version, current) {
  const rows = current
    ? itemChanges(asItems(current), version.items ?? [])
    : (version.items ?? []).map(({ text, checked }) => ({ text, checked, change: null }));
  return h(
    "ul",
    { class: "vh-items" },
    rows.map((row) =>
      h(
        "li",
        { class: `vh-item${row.checked ? " checked" : ""}${row.change ? ` vh-item-${row.change}` : ""}` },
        h("span", {
          class: "mi vh-check",
          role: "img",
          "aria-label": row.checked ? "Ticked" : "Not ticked",
          text: row.checked ? "check_box" : "check_box_outline_blank",
        }),
        h(
          "span",
          { class: "vh-item-text" },
          row.change === "edited" ? textChanges(row.was, row.text) : row.change === "added" ? h("ins", { class: "vh-added", text: row.text }) : row.change === "removed" ? h("del", { class: "vh-removed", text: row.text }) : row.text,
        ),
        row.change === "ticked" || row.change === "unticked"
          ? h("span", { class: "vh-tick-change", text: row.change === "ticked" ? "ticked here, not now" : "not ticked here, ticked now" })
          : null,
      ),
    ),
  );
}

const imageKey = (image) => image.digest;

function hasAnyChange(version, current) {
  const items = (note) => JSON.stringify(asItems(note).map(({ text, checked }) => [text, checked]));
  const labels = (note) => JSON.stringify(labelChanges(note.labels, note.labels).map((l) => l.name).sort());
  const images = (note) => JSON.stringify((note.images ?? []).map(imageKey));
  return (
    hasChanges(current.title, version.title) ||
    (version.kind === "checklist" ? items(current) !== items(version) : hasChanges(current.body, version.body)) ||
    labels(current) !== labels(version) ||
    images(current) !== images(version)
  );
}

async function restoreSelected() {
  const chosen = state?.versions[state.selected];
  if (!chosen || chosen.current) return;
  const { note, versions, onRestored } = state;
  const replaced = versions.find((version) => version.current) ?? versions[0]; // Undo brings it back
  restoreButton.disabled = true;
  let restored;
  try {
    restored = await api.restoreVersion(note.id, chosen.number, note.version);
  } catch (error) {
    restoreButton.disabled = false;
    return showError(error);
  }
  close();
  onRestored(restored);
  snackbar(`Restored the version of ${versionTime(chosen.saved_at ?? chosen.created_at)}`, [
    "Undo",
    async () => {
      try {
        onRestored(await api.restoreVersion(note.id, replaced.number, restored.version));
        snackbar("Restore undone");
      } catch (error) {
        showError(error);
      }
    },
  ]);
}
