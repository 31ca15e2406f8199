// "Take a note…": expands on focus; clicking outside or Esc saves a non-empty note and collapses.
// What is typed is kept as a draft (drafts.js) until the note is saved.
import { api } from "./api.js";
import { $, iconButton, imageInput } from "./dom.js";
import { acceptDrop, acceptPaste, progressBar } from "./drops.js";
import { uploadTo, view } from "./grid.js";
import { showError, snackbar } from "./messages.js";
import { NoteForm } from "./noteform.js";
import { popoverOpen } from "./pickers.js";
import * as drafts from "./drafts.js";
import * as reminders from "./reminders.js";
import { noteChanged } from "./store.js";

let form;
let touched = false; // typed into since the composer was last filled
let expanded = false;
let saving = false;
let pending = []; // images picked before the note exists: {id, thumb_url (a blob: URL), file}
let reminder = null; // the new note's reminder: {value (as the API takes it), shown (for its chip)}

export function init() {
  const root = $("#composer");
  const picker = imageInput(addPending);
  root.append(picker);
  const bell = iconButton("add_alert", "Remind me", () =>
    reminders.pick(bell, { reminder: reminder?.shown ?? null }, { change: setReminder }),
  );
  form = new NoteForm({
    onChange: () => {
      touched = true;
      drafts.keepComposer(form.value());
    },
    onClose: () => collapse(),
    leadingTools: [bell],
    tools: [iconButton("image", "Add image", () => picker.click())],
  });
  $("#composer-form").append(form.element);
  acceptPaste(root, (files) => {
    expand("text");
    addPending(files);
  });
  acceptDrop(root, (files) => {
    expand("text");
    addPending(files);
  });
  root.addEventListener("color", (event) => {
    const target = root.classList.contains("drop-target") ? " drop-target" : "";
    root.className = `composer color-${event.detail}${expanded ? " expanded" : ""}${target}`;
  });
  $("#composer-open").addEventListener("click", () => expand("text"));
  $("#composer-open").addEventListener("focus", () => expand("text"));
  $("#composer-list").addEventListener("click", () => expand("checklist"));
  $("#composer-image").addEventListener("click", () => {
    expand("text");
    picker.click();
  });
  document.addEventListener("mousedown", (event) => {
    if (!expanded || root.contains(event.target) || event.target.closest(".popover")) return;
    if (popoverOpen()) return;
    collapse();
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !popoverOpen()) {
      event.preventDefault();
      event.stopPropagation();
      collapse();
    }
  });
  offerDraft();
}

/** Open the composer with its kept draft, if there is one and nothing newer was typed. */
export function offerDraft() {
  const draft = drafts.composerDraft();
  if (!draft || touched || saving) return;
  if (expanded) form.load(draft);
  else expand("text", draft);
}

export const isExpanded = () => expanded;

/** Quick capture (`kaap --new-note`): open and focus, keeping what is in it already (a draft,
 * a list: `expand` would make a list a text note). */
export function open() {
  if (expanded) form.focusBody();
  else expand("text");
}

/** Open the composer for a text note or a list (`c` and `l`). */
export function expand(kind = "text", fields = null) {
  const root = $("#composer");
  if (!expanded) {
    const blank = NoteForm.blank(kind);
    if (view.kind === "label") blank.label_ids = [view.labelId]; // as Keep does in a label's view
    form.load(fields ?? blank);
    // a note made in the Reminders view gets one, as in Keep (or it would not show there)
    setReminder(view.kind === "reminders" && view.reminderState === "upcoming" ? reminders.soonestPreset() : null);
    expanded = true;
    root.classList.add("expanded");
    $("#composer-collapsed").hidden = true;
    $("#composer-form").hidden = false;
  } else if (!fields) {
    form.setKind(kind);
  }
  form.focusBody();
}

const IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];

function addPending(files) {
  const images = files.filter((file) => IMAGE_TYPES.includes(file.type));
  if (images.length < files.length) snackbar("That file is not a JPEG, PNG, GIF or WebP image.");
  for (const file of images) {
    pending.push({ id: `local-${pending.length}`, thumb_url: URL.createObjectURL(file), file });
  }
  showPending();
}

function showPending() {
  form.setImages(pending, (image) => {
    URL.revokeObjectURL(image.thumb_url);
    pending = pending.filter((other) => other !== image);
    showPending();
  });
}

/** Save what was typed (if anything) and fold up. */
export async function collapse() {
  if (!expanded || saving) return;
  if (form.isEmpty() && pending.length) {
    await saveImagesOnly();
    return;
  }
  if (form.isEmpty()) {
    reset();
    return;
  }
  saving = true;
  const fields = { ...form.value(), ...(reminder ? { reminder: reminder.value } : {}) };
  try {
    const note = await api.createNote(fields);
    const files = pending.map((image) => image.file);
    reset();
    noteChanged(note);
    if (files.length) await uploadTo(note.id, files); // its card shows the progress
  } catch (error) {
    // Keep the text where it is (and its draft) so nothing is lost.
    showError(error);
  } finally {
    saving = false;
  }
}

/** Images and no text: one request makes the note; the composer stays open until it is kept. */
async function saveImagesOnly() {
  saving = true;
  const { kind, color, pinned, label_ids } = form.value();
  const bar = progressBar();
  form.imageBox.prepend(bar.element);
  try {
    const note = await api.createNoteWithImages(
      { kind, color, pinned, label_ids, ...(reminder ? { reminder: reminder.value } : {}) },
      pending.map((image) => image.file),
      (fraction) => bar.set(fraction),
    );
    reset();
    noteChanged(note);
  } catch (error) {
    showError(error); // the images stay in the composer to try again
  } finally {
    bar.done();
    saving = false;
  }
}

/** The new note's reminder (null: none), kept until the note is: its chip shows it meanwhile. */
function setReminder(value) {
  reminder = value ? { value, shown: reminders.shownBefore(value) } : null;
  const chip = reminder && reminders.chip({ reminder: reminder.shown }, { change: setReminder });
  form.reminderSlot.replaceChildren(chip || "");
}

function reset() {
  drafts.dropComposer();
  setReminder(null);
  touched = false;
  for (const image of pending) URL.revokeObjectURL(image.thumb_url);
  pending = [];
  expanded = false;
  const root = $("#composer");
  root.className = "composer";
  $("#composer-form").hidden = true;
  $("#composer-collapsed").hidden = false;
  form.load(NoteForm.blank());
  form.setImages([], null);
  if (root.contains(document.activeElement)) document.activeElement.blur();
}
