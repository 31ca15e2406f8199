// Keep's keyboard shortcuts; `?` lists them.
import * as actions from "./actions.js";
import * as composer from "./composer.js";
import { $ } from "./dom.js";
import * as editor from "./editor.js";
import * as grid from "./grid.js";
import { closePopover } from "./pickers.js";
import * as search from "./search.js";
import * as selection from "./selection.js";
import { toggleLayout } from "./theme.js";

const typing = (target) =>
  Boolean(target.closest?.("input, textarea, select, [contenteditable=true]"));

export function init() {
  document.addEventListener("keydown", onKey);
}

function onKey(event) {
  if (event.ctrlKey && !event.altKey && (event.key === "g" || event.key === "G")) {
    event.preventDefault();
    toggleLayout();
    return;
  }
  if (event.key === "Escape") {
    if (closePopover()) return event.preventDefault();
    if (editor.isOpen() || document.querySelector("dialog[open]")) return;
    if (selection.active()) {
      selection.clear();
      return event.preventDefault();
    }
    if (search.active()) {
      search.clear();
      document.activeElement?.blur?.();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  if (document.querySelector("dialog[open]")) return;
  const note = grid.selectedNote();
  const handlers = {
    c: () => composer.expand("text"),
    l: () => composer.expand("checklist"),
    "/": () => search.focus(),
    j: () => grid.moveSelection(1),
    k: () => grid.moveSelection(-1),
    J: () => note && grid.moveNote(note.id, 1), // Shift+J / Shift+K: in the own order
    K: () => note && grid.moveNote(note.id, -1),
    Enter: () => note && editor.open(note.id), // a trashed note opens read-only
    e: () => note && !note.trashed_at && actions.setArchived(note, !note.archived),
    "#": () => note && !note.trashed_at && actions.trash(note),
    f: () => note && !note.trashed_at && actions.togglePin(note),
    x: () => note && selection.toggle(note.id),
    "?": () => $("#help-dialog").showModal(),
  };
  const handler = handlers[event.key];
  if (!handler) return;
  // Enter on a card's own button presses that button; only the card itself opens
  if (event.key === "Enter" && !document.activeElement?.classList.contains("card")) return;
  event.preventDefault();
  handler();
}
