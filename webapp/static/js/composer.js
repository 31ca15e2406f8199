// "Take a note…": expands on focus; clicking outside or Esc saves a non-empty note and collapses.
// What is typed is kept in localStorage until the server has it.
import { api } from "./api.js";
import { $ } from "./dom.js";
import { view } from "./grid.js";
import { showError } from "./messages.js";
import { NoteForm } from "./noteform.js";
import { popoverOpen } from "./pickers.js";
import { noteChanged } from "./store.js";

const DRAFT = "kaap.composer";
let form;
let expanded = false;
let saving = false;

export function init() {
  const root = $("#composer");
  form = new NoteForm({
    onChange: () => localStorage.setItem(DRAFT, JSON.stringify(form.value())),
    onClose: () => collapse(),
  });
  $("#composer-form").append(form.element);
  root.addEventListener("color", (event) => {
    root.className = `composer color-${event.detail}${expanded ? " expanded" : ""}`;
  });
  $("#composer-open").addEventListener("click", () => expand("text"));
  $("#composer-open").addEventListener("focus", () => expand("text"));
  $("#composer-list").addEventListener("click", () => expand("checklist"));
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
  const draft = localStorage.getItem(DRAFT);
  if (draft) {
    try {
      expand("text", JSON.parse(draft));
    } catch {
      localStorage.removeItem(DRAFT);
    }
  }
}

export const isExpanded = () => expanded;

/** Open the composer for a text note or a list (`c` and `l`). */
export function expand(kind = "text", fields = null) {
  const root = $("#composer");
  if (!expanded) {
    const blank = NoteForm.blank(kind);
    if (view.kind === "label") blank.label_ids = [view.labelId]; // as Keep does in a label's view
    form.load(fields ?? blank);
    expanded = true;
    root.classList.add("expanded");
    $("#composer-collapsed").hidden = true;
    $("#composer-form").hidden = false;
  } else if (!fields) {
    form.setKind(kind);
  }
  form.focusBody();
}

/** Save what was typed (if anything) and fold up. */
export async function collapse() {
  if (!expanded || saving) return;
  if (form.isEmpty()) {
    reset();
    return;
  }
  saving = true;
  const fields = form.value();
  try {
    const note = await api.createNote(fields);
    reset();
    noteChanged(note);
  } catch (error) {
    // Keep the text where it is (and in localStorage) so nothing is lost.
    showError(error);
  } finally {
    saving = false;
  }
}

function reset() {
  localStorage.removeItem(DRAFT);
  expanded = false;
  const root = $("#composer");
  root.className = "composer";
  $("#composer-form").hidden = true;
  $("#composer-collapsed").hidden = false;
  form.load(NoteForm.blank());
  if (root.contains(document.activeElement)) document.activeElement.blur();
}
