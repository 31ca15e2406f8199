// Shared state: the labels, and a bus that tells views a note changed or went away.

export const bus = new EventTarget();

export const store = {
  labels: [],
  /** notes by id, as last received from the server */
  notes: new Map(),
};

export function emit(type, detail) {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}

/** Record a note from the server and tell every view. */
export function noteChanged(note) {
  store.notes.set(note.id, note);
  emit("note", note);
}

export function noteRemoved(id) {
  store.notes.delete(id);
  emit("removed", id);
}

/** A localStorage key of this person's: in server mode two people may share a browser, and
 * one's unsaved draft must not show up for the other. The desktop keeps the plain name. */
export function personalKey(name) {
  const user = document.body.dataset.user;
  return user ? `${name}.user${user}` : name;
}
