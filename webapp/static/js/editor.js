// The editor dialog: every change saves itself (debounced, If-Match on the version it was
// edited from). Unsaved text is kept as a draft (drafts.js) until the save succeeds, so closing
// the dialog, the tab or the window never loses it. A change made elsewhere (another window,
// told by live.js, or a 412 on saving) is taken in place when nothing here is unsaved, else
// the banner shows the other version and asks which to keep.
import * as actions from "./actions.js";
import { api } from "./api.js";
import { $, debounce, editedLabel, h, iconButton, imageInput } from "./dom.js";
import { acceptDrop, acceptPaste, progressBar } from "./drops.js";
import { showError, snackbar } from "./messages.js";
import { NoteForm } from "./noteform.js";
import { closePopover, menu, popoverOpen } from "./pickers.js";
import * as drafts from "./drafts.js";
import * as reminders from "./reminders.js";
import { bus, noteChanged, store } from "./store.js";
import * as viewer from "./viewer.js";

const SAVE_DELAY = 500;
const RETRY_DELAY = 3000;

let form;
let dialog;
let current = null; // {id, version, updated_at}
let saving = false;
let dirty = false;
let conflict = false;
let theirs = null; // the other version the conflict banner shows: "Keep mine" overwrites it
let waiting = null; // a note changed elsewhere while a save was on its way: looked at after it
let retryTimer = null;
let images = []; // the open note's images, for the viewer
let readOnly = false; // a trashed note: shown, not edited
let moreButton;
// the page's history (app.js): an open note is an entry, #note/<id>, so Back closes it
let history = { opened() {}, closed() {} };

const readDrafts = drafts.noteDrafts;
const keepDraft = drafts.keepNote;
const dropDraft = drafts.dropNote;

const saveSoon = debounce(() => save(), SAVE_DELAY);

export function init() {
  dialog = $("#editor");
  const picker = imageInput(addImages);
  dialog.append(picker);
  const bell = iconButton("add_alert", "Remind me", () => pickReminder(bell), "editor-remind");
  form = new NoteForm({
    onChange: changed,
    onClose: () => close(),
    placeholder: "Note",
    leadingTools: [bell],
    tools: [
      iconButton("image", "Add image", () => picker.click()),
      iconButton("archive", "Archive", () => archive(), "editor-archive"),
      iconButton("delete", "Delete note", () => trash()),
      (moreButton = iconButton("more_vert", "More", () => moreMenu())),
    ],
  });
  $("#editor-form").append(form.element);
  acceptPaste(form.element, addImages);
  acceptDrop($("#editor-card"), addImages);
  form.imageBox.addEventListener("click", (event) => {
    const tile = event.target.closest(".image");
    if (!tile || event.target.closest("button") || !tile.dataset.index) return;
    viewer.show(images, Number(tile.dataset.index));
  });
  form.status.append(
    h(
      "div",
      { id: "editor-conflict", class: "conflict", role: "alert", hidden: true },
      h("span", { class: "conflict-title", text: "This note changed in another window" }),
      h(
        "div",
        { class: "conflict-theirs", "aria-label": "The other version" },
        h("div", { class: "conflict-label", text: "Their version:" }),
        h("div", { id: "conflict-theirs-title", class: "conflict-theirs-title" }),
        h("div", { id: "conflict-theirs-body", class: "conflict-theirs-body" }),
        h("ul", { id: "conflict-theirs-items", class: "conflict-theirs-items" }),
      ),
      h("span", { class: "conflict-mine", text: "Your text is kept above until you choose." }),
      h("button", { type: "button", class: "text-btn", onclick: takeTheirs }, "Use theirs"),
      h("button", { type: "button", class: "text-btn", onclick: keepMine }, "Keep mine"),
    ),
    h("div", { id: "editor-offline", class: "offline", role: "status", hidden: true }),
    h(
      "div",
      { id: "editor-trashed", class: "read-only-banner", hidden: true },
      h("span", { text: "Can't edit in Trash" }),
      h("button", { type: "button", class: "text-btn", onclick: () => restore() }, "Restore"),
    ),
    h("div", { id: "editor-edited", class: "edited" }),
  );
  dialog.addEventListener("color", (event) => {
    const card = $("#editor-card");
    const target = card.classList.contains("drop-target") ? " drop-target" : "";
    card.className = `editor-card color-${event.detail}${target}`;
  });
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Esc: close a popover first, then the dialog
    if (!closePopover()) close();
  });
  dialog.addEventListener("mousedown", (event) => {
    if (event.target === dialog && !popoverOpen()) close();
  });
  bus.addEventListener("elsewhere", (event) => changedElsewhere(event.detail));
  bus.addEventListener("elsewhere-maybe", (event) => recheck(event.detail));
  bus.addEventListener("elsewhere-reset", () => current && recheck(current.id));
  window.addEventListener("pagehide", flushOnExit);
  window.addEventListener("beforeunload", flushOnExit);
}

export const isOpen = () => dialog.open;
export const openId = () => (dialog.open ? (current?.id ?? null) : null);

/** `opened(id)` and `closed(id)` keep the page's history in step with the dialog. */
export function setHistory(hooks) {
  history = hooks;
}

/** Open a note by id. */
export async function open(id) {
  let note = store.notes.get(id);
  try {
    note = await api.getNote(id);
    store.notes.set(id, note);
  } catch (error) {
    if (!note) return showError(error);
  }
  show(note);
  const draft = readOnly ? null : readDrafts()[id]; // a trashed note's draft waits for Restore
  if (draft) {
    form.load(draft.fields);
    current.version = draft.version;
    dirty = true;
    save();
  }
}

function show(note) {
  current = { id: note.id, version: note.version, updated_at: note.updated_at };
  dirty = false;
  conflict = false;
  theirs = waiting = null;
  readOnly = Boolean(note.trashed_at);
  $("#editor-conflict").hidden = true;
  $("#editor-offline").hidden = true;
  $("#editor-trashed").hidden = !readOnly;
  form.setReadOnly(readOnly);
  form.load(note);
  showReminder(note);
  images = note.images ?? [];
  form.setImages(images, removeImage);
  form.imageBox.classList.toggle("read-only", readOnly);
  $("#editor-edited").textContent = editedLabel(note.updated_at);
  if (!dialog.open) {
    dialog.showModal();
    history.opened(note.id);
  }
  if (readOnly) $("#editor-trashed button").focus();
  else form.focusTitle();
}

// The reminder is set apart from the text (its own PATCH, the server's preset times): what is
// typed is saved first, and the new version is taken so the next save does not clash with it.
let reminderOf = null; // the open note as last drawn, for its reminder

function showReminder(note) {
  reminderOf = note;
  const chip = reminders.chip(note, { change: setReminder, done: reminderDone, readOnly });
  form.reminderSlot.replaceChildren(chip ?? "");
}

function pickReminder(anchor) {
  if (!current || readOnly) return;
  reminders.pick(anchor, reminderOf ?? {}, { change: setReminder, done: reminderDone });
}

async function reminderWrite(send) {
  const { id } = current;
  await save();
  try {
    const note = await send(id);
    if (current?.id === id) {
      current.version = note.version; // a save after this one carries the text, not the reminder
      showReminder(note);
    }
    noteChanged(note);
    return note;
  } catch (error) {
    showError(error);
    return null;
  }
}

const setReminder = (value) => reminderWrite((id) => api.updateNote(id, { reminder: value }));
const reminderDone = () => reminderWrite((id) => api.reminderDone(id));

function moreMenu() {
  const entries = [["Make a copy", () => copy()]];
  if (reminderOf?.reminder && !reminderOf.reminder.done) entries.push(["Mark reminder done", () => reminderDone()]);
  if (form.hasChecked()) {
    entries.push(["Delete checked items", () => form.deleteChecked()]);
    entries.push(["Uncheck all", () => form.uncheckAll()]);
  }
  const checklist = form.value().kind === "checklist";
  entries.push([checklist ? "Hide checkboxes" : "Show checkboxes", () => form.toggleKind()]);
  if (!readOnly && !conflict) entries.push(["Version history", () => showVersions()]);
  menu(moreButton, entries);
}

/** The note's saved versions (versions.js); what is on screen is saved first, so it is the newest. */
async function showVersions() {
  const { id } = current;
  await save();
  if (current?.id !== id || dirty || conflict) return; // the save did not go through: its error shows
  // loaded on first use: the page starts without the dialog and jsdiff's modules
  const versions = await import("./versions.js");
  versions.open(id, (note) => {
    dropDraft(note.id);
    noteChanged(note);
    if (current?.id === note.id && dialog.open) show(note);
  });
}

async function copy() {
  const { id } = current;
  await save();
  await actions.copy(store.notes.get(id) ?? { id });
}

async function restore() {
  const { id } = current;
  const note = store.notes.get(id) ?? { id };
  await close();
  await actions.restore(note);
}

function changed() {
  if (!current || readOnly) return;
  dirty = true;
  keepDraft(current.id, form.value(), current.version);
  if (!conflict) saveSoon();
}

async function save({ keepalive = false } = {}) {
  saveSoon.cancel();
  if (!current || !dirty || conflict) return;
  if (saving) {
    saveSoon();
    return;
  }
  saving = true;
  dirty = false;
  const { id, version } = current;
  const fields = form.value();
  try {
    const note = await api.updateNote(id, fields, version, { keepalive });
    if (current?.id === id) {
      current.version = note.version;
      $("#editor-edited").textContent = editedLabel(note.updated_at);
      $("#editor-offline").hidden = true;
    }
    if (current?.id === id && dirty) keepDraft(id, form.value(), note.version);
    else dropDraft(id);
    noteChanged(note);
  } catch (error) {
    dirty = true;
    if (error.code === "version_conflict") {
      await showConflict(id);
    } else if (error.code === "offline" || error.status >= 500) {
      $("#editor-offline").textContent = error.message;
      $("#editor-offline").hidden = false;
      showError(error);
      scheduleRetry();
    } else {
      showError(error);
    }
  } finally {
    saving = false;
  }
  if (waiting && current?.id === waiting.id) {
    const note = waiting;
    waiting = null;
    changedElsewhere({ id: note.id, note });
  }
}

/** The other version in the banner, with "Use theirs" and "Keep mine". */
async function showConflict(id, note = null) {
  conflict = true;
  $("#editor-conflict").hidden = false;
  try {
    note = note ?? (await api.getNote(id));
  } catch (error) {
    showError(error);
    note = null;
  }
  if (current?.id !== id) return;
  theirs = note;
  $("#conflict-theirs-title").textContent = note?.title ?? "";
  const checklist = note?.kind === "checklist";
  $("#conflict-theirs-body").textContent = note ? (checklist ? "" : note.body) : "The other version could not be loaded.";
  $("#conflict-theirs-items").replaceChildren(
    ...(checklist ? note.items : []).map((item) =>
      h("li", { class: item.checked ? "checked" : "", text: `${item.checked ? "☑" : "☐"} ${item.text}` }),
    ),
  );
}

/** A note changed in another window (live.js): take it here, or ask when text is unsaved. */
function changedElsewhere({ id, note, gone }) {
  if (!current || current.id !== id || !dialog.open) return;
  if (gone) {
    if (!dirty) {
      dropDraft(id);
      close();
    }
    snackbar("This note was deleted in another window.");
    return;
  }
  if (saving) {
    waiting = note; // perhaps the echo of that very save: looked at once it answers
    return;
  }
  if (note.version <= current.version && !conflict) return; // ours, or seen already
  if (conflict) {
    if (!theirs || note.version > theirs.version) showConflict(id, note);
    return;
  }
  if (dirty && !sameContent(note, form.value())) {
    saveSoon.cancel();
    showConflict(id, note);
    return;
  }
  if (Boolean(note.trashed_at) !== readOnly) return show(note);
  takeInPlace(note);
}

/** Another window's version of the open note, with nothing unsaved here: shown in place. */
function takeInPlace(note) {
  const focused = document.activeElement;
  const field = focused === form.title ? "title" : focused === form.body ? "body" : null;
  const caret = field ? [focused.selectionStart, focused.selectionEnd] : null;
  current.version = note.version;
  current.updated_at = note.updated_at;
  dirty = false;
  form.load(note);
  showReminder(note);
  images = note.images ?? [];
  form.setImages(images, removeImage);
  $("#editor-edited").textContent = editedLabel(note.updated_at);
  if (field) {
    const input = form[field];
    const end = input.value.length;
    input.focus();
    input.setSelectionRange(Math.min(caret[0], end), Math.min(caret[1], end));
  }
}

async function recheck(id) {
  if (!current || current.id !== id || !dialog.open) return;
  try {
    changedElsewhere({ id, note: await api.getNote(id) });
  } catch (error) {
    if (error.status === 404) changedElsewhere({ id, gone: true });
  }
}

async function addImages(files) {
  if (!current) return;
  const { id } = current;
  const bar = progressBar();
  form.imageBox.prepend(bar.element);
  await save();
  try {
    await api.addImages(id, files, (fraction) => bar.set(fraction));
    bar.set(null); // stored; the server is making the thumbnails
    await refreshImages(id);
  } catch (error) {
    showError(error); // the text stays on screen and in its draft
  } finally {
    bar.done();
  }
}

async function removeImage(image) {
  const { id } = current;
  try {
    await api.deleteImage(image.id);
    await refreshImages(id);
  } catch (error) {
    showError(error);
  }
}

/** An image upload or removal raised the note's version: take it, keep the text on screen. */
async function refreshImages(id) {
  const note = await api.getNote(id);
  if (current?.id === id) {
    current.version = note.version;
    images = note.images ?? [];
    form.setImages(images, removeImage);
    if (dirty) keepDraft(id, form.value(), note.version);
  }
  noteChanged(note);
}

/** Overwrite the other version, the one the banner shows, with what is on screen. A newer
 * one saved meanwhile is not overwritten unseen: the save gets 412 and the banner shows it. */
async function keepMine() {
  if (!theirs) return showConflict(current.id);
  current.version = theirs.version;
  conflict = false;
  theirs = null;
  $("#editor-conflict").hidden = true;
  dirty = true;
  await save();
}

/** Drop the text on screen for the version saved elsewhere. */
async function takeTheirs() {
  try {
    const theirs = await api.getNote(current.id);
    dropDraft(current.id);
    noteChanged(theirs);
    show(theirs);
  } catch (error) {
    showError(error);
  }
}

/** Save now and close; unsaved text stays in localStorage if the save cannot happen. */
export async function close() {
  if (!dialog.open) return;
  closePopover();
  viewer.close();
  const closing = current;
  const pending = dirty && !conflict;
  const emptied = !readOnly && form.isEmpty() && !images.length; // images alone are content
  dialog.close();
  if (closing) history.closed(closing.id);
  if (pending) await save();
  if (emptied && closing && !conflict && !readDrafts()[closing.id]) {
    // Keep discards a note emptied in the editor (to the Trash, with Undo)
    await actions.trash(store.notes.get(closing.id) ?? { id: closing.id }, "Empty note discarded");
  }
  if (conflict && closing) {
    snackbar("Your text was kept; the note changed elsewhere. Open it to choose a version.");
  }
  if (current === closing) current = null;
  conflict = false;
}

async function archive() {
  const note = store.notes.get(current.id);
  await close();
  if (note) await actions.setArchived(store.notes.get(note.id) ?? note, true);
}

async function trash() {
  const note = store.notes.get(current.id);
  await close();
  if (note) await actions.trash(store.notes.get(note.id) ?? note);
}

function flushOnExit() {
  if (current && dirty && !conflict) save({ keepalive: true });
  drafts.flush();
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(retryDrafts, RETRY_DELAY);
}

function sameContent(note, fields) {
  const labelIds = note.labels.map((label) => label.id).sort();
  const mine = { ...fields, label_ids: [...fields.label_ids].sort() };
  const items = note.items.map(({ text, checked }) => ({ text, checked }));
  const theirs = { ...note, items, label_ids: labelIds };
  return ["title", "body", "kind", "items", "color", "pinned", "label_ids"].every(
    (key) => JSON.stringify(mine[key]) === JSON.stringify(theirs[key]),
  );
}

/** Send every kept draft whose note is not open; a conflict opens the note with the draft. */
export async function retryDrafts() {
  if (current && dialog.open && dirty) await save();
  let offline = false;
  for (const [key, draft] of Object.entries(readDrafts())) {
    const id = Number(key);
    if (current?.id === id && dialog.open) continue;
    try {
      noteChanged(await api.updateNote(id, draft.fields, draft.version));
      dropDraft(id);
    } catch (error) {
      if (error.code === "offline" || error.status >= 500) offline = true;
      else if (error.code === "version_conflict" && !dialog.open) {
        const note = await api.getNote(id);
        if (sameContent(note, draft.fields)) {
          dropDraft(id); // saved after all (a keepalive save as the page closed)
          continue;
        }
        show(note);
        form.load(draft.fields);
        current.version = draft.version;
        dirty = true;
        showConflict(id, note);
      } else if (error.status === 404 || error.status === 400) dropDraft(id);
    }
  }
  if (offline || (current && dirty && !conflict)) scheduleRetry();
}
