// What can be done to a note from a card, the editor or a shortcut.
import { api } from "./api.js";
import { showError, snackbar } from "./messages.js";
import { noteChanged, noteRemoved } from "./store.js";

async function run(promise) {
  try {
    return await promise;
  } catch (error) {
    showError(error);
    return null;
  }
}

async function patch(note, fields) {
  const updated = await run(api.updateNote(note.id, fields));
  if (updated) noteChanged(updated);
  return updated;
}

export const togglePin = (note) => patch(note, { pinned: !note.pinned, archived: false });
export const setColor = (note, color) => patch(note, { color });
export const setLabels = (note, labelIds) => patch(note, { label_ids: labelIds });

/** Tick an item right on the card; a note changed elsewhere is reloaded instead. */
export async function tickItem(note, index, checked) {
  const items = note.items.map((item, i) => (i === index ? { ...item, checked } : item));
  try {
    noteChanged(await api.updateNote(note.id, { items }, note.version));
  } catch (error) {
    showError(error);
    if (error.code === "version_conflict") noteChanged(await api.getNote(note.id));
  }
}

export async function setArchived(note, archived) {
  const updated = await patch(note, { archived, ...(archived ? { pinned: false } : {}) });
  if (!updated) return;
  snackbar(archived ? "Note archived" : "Note unarchived", [
    "Undo",
    () => patch(updated, { archived: !archived, pinned: note.pinned }),
  ]);
}

export async function trash(note, message = "Note moved to Trash") {
  const updated = await run(api.trashNote(note.id));
  if (!updated) return;
  noteChanged(updated);
  snackbar(message, [
    "Undo",
    async () => {
      const back = await run(api.restoreNote(note.id));
      if (back) noteChanged(back);
    },
  ]);
}

export async function restore(note) {
  const updated = await run(api.restoreNote(note.id));
  if (!updated) return;
  noteChanged(updated);
  snackbar("Note restored", [
    "Undo",
    async () => {
      const again = await run(api.trashNote(note.id));
      if (again) noteChanged(again);
    },
  ]);
}

export async function deleteForever(note) {
  if ((await run(api.deleteNote(note.id).then(() => true))) === true) {
    noteRemoved(note.id);
    snackbar("Note deleted forever");
  }
}

export async function copy(note) {
  const created = await run(api.copyNote(note.id));
  if (created) {
    noteChanged(created);
    snackbar("Copy made");
  }
}
