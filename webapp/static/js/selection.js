// Keep's multi-select: a check mark on each card, Shift-click for a range, `x` on the
// focused card, Esc to clear; the selection toolbar acts on every selected note with one
// bulk call and one Undo.
import { api } from "./api.js";
import { $ } from "./dom.js";
import * as grid from "./grid.js";
import { confirmDialog } from "./labels.js";
import { showError, snackbar } from "./messages.js";
import { colorPicker, labelPicker, menu } from "./pickers.js";
import { noteChanged, noteRemoved, store } from "./store.js";

const selected = new Set();
let anchor = null; // the last card toggled: where a Shift-click range starts

export const active = () => selected.size > 0;
export const has = (id) => selected.has(id);

export function init() {
  $("#selection-close").addEventListener("click", clear);
  $("#sel-pin").addEventListener("click", () => {
    const all = notes().every((note) => note.pinned);
    run(all ? "unpin" : "pin", {}, all ? "unpinned" : "pinned", false);
  });
  $("#sel-color").addEventListener("click", (event) => {
    const colors = new Set(notes().map((note) => note.color));
    const current = colors.size === 1 ? [...colors][0] : null;
    colorPicker(event.currentTarget, current, (color) => run("color", { color }, "changed", false));
  });
  $("#sel-labels").addEventListener("click", (event) => {
    // Checked: the labels every selected note has (a toggle adds or removes it on them all).
    const chosen = notes();
    const common = new Set(store.labels.map((l) => l.id).filter((id) => chosen.every((n) => n.labels.some((l) => l.id === id))));
    labelPicker(event.currentTarget, common, (labelId, checked) =>
      run(checked ? "add_label" : "remove_label", { label_id: labelId }, "relabelled", false),
    );
  });
  $("#sel-archive").addEventListener("click", () => {
    const archived = grid.view.kind === "archive";
    run(archived ? "unarchive" : "archive", {}, archived ? "unarchived" : "archived");
  });
  $("#sel-trash").addEventListener("click", () => run("trash", {}, "moved to Trash"));
  $("#sel-restore").addEventListener("click", () => run("restore", {}, "restored"));
  $("#sel-delete").addEventListener("click", deleteForever);
  $("#sel-more").addEventListener("click", (event) =>
    menu(event.currentTarget, [["Make a copy", () => run("copy", {}, "copied")]]),
  );
}

/** The selected notes as last received, in the order they are shown. */
function notes() {
  return ordered()
    .map((id) => store.notes.get(id))
    .filter(Boolean);
}

function ordered() {
  const shown = grid.allCards().map((card) => Number(card.dataset.id));
  return shown.filter((id) => selected.has(id));
}

/** Select or unselect a note; with `range`, every card from the last one toggled to it. */
export function toggle(id, range = false) {
  const cards = grid.allCards().map((card) => Number(card.dataset.id));
  if (range && anchor !== null && cards.includes(anchor) && cards.includes(id)) {
    const [from, to] = [cards.indexOf(anchor), cards.indexOf(id)].sort((a, b) => a - b);
    for (const each of cards.slice(from, to + 1)) selected.add(each);
  } else if (selected.has(id)) {
    selected.delete(id);
  } else {
    selected.add(id);
  }
  anchor = id;
  render();
}

export function clear() {
  if (!selected.size) return;
  selected.clear();
  anchor = null;
  render();
}

/** A card went away (or the view changed): it is no longer selected. */
export function forget(id) {
  if (selected.delete(id)) render();
}

function render() {
  const count = selected.size;
  document.body.classList.toggle("selecting", count > 0);
  $("#selection-bar").hidden = count === 0;
  $("#selection-count").textContent = `${count} selected`;
  for (const card of grid.allCards()) {
    const on = selected.has(Number(card.dataset.id));
    card.classList.toggle("selected", on);
    card.querySelector(".card-check")?.setAttribute("aria-pressed", String(on));
  }
  const chosen = notes();
  const allPinned = chosen.length > 0 && chosen.every((note) => note.pinned);
  setButton("#sel-pin", "push_pin", allPinned ? "Unpin" : "Pin");
  $("#sel-pin").classList.toggle("pinned", allPinned);
  const archived = grid.view.kind === "archive";
  setButton("#sel-archive", archived ? "unarchive" : "archive", archived ? "Unarchive" : "Archive");
}

function setButton(selector, iconName, label) {
  const button = $(selector);
  button.querySelector(".mi").textContent = iconName;
  button.setAttribute("aria-label", label);
  button.title = label;
}

function apply(result) {
  for (const note of result.notes) noteChanged(note);
  for (const id of result.deleted) noteRemoved(id);
}

const counted = (n, what) => `${n === 1 ? "Note" : `${n} notes`} ${what}`;

/** One bulk call for the whole selection, one snackbar whose Undo is one more call. */
async function run(action, extra, what, clearAfter = true) {
  const ids = ordered();
  if (!ids.length) return;
  let result;
  try {
    result = await api.bulk({ ids, action, ...extra });
  } catch (error) {
    showError(error);
    return;
  }
  apply(result);
  if (clearAfter) clear();
  else render();
  const n = action === "copy" ? result.notes.length : ids.length;
  snackbar(counted(n, what), result.undo ? ["Undo", () => undo(result.undo)] : null);
}

async function undo(body) {
  try {
    apply(await api.bulk(body));
    render();
  } catch (error) {
    showError(error);
  }
}

async function deleteForever() {
  const ids = ordered();
  const text = ids.length === 1 ? "Delete note forever?" : `Delete ${ids.length} notes forever?`;
  if (!(await confirmDialog(text, "Delete"))) return;
  try {
    apply(await api.bulk({ ids, action: "delete" }));
  } catch (error) {
    showError(error);
    return;
  }
  clear();
  snackbar(counted(ids.length, "deleted forever"));
}
