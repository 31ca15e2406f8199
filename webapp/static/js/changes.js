// A note version's fields with its changes against the current note marked, for the Version
// history's preview: text only in that version is <ins>, text only in the current note is
// <del> (struck through). jsdiff finds the changes; this module only lays them out as text nodes.
import { diffArrays, diffWords, diffWordsWithSpace } from "../vendor/diff/libesm/index.js";
import { h } from "./dom.js";

/** `current` -> `version` as a fragment of text, <ins> and <del> (the diff's direction: what a restore would do). */
export function textChanges(current, version) {
  const fragment = document.createDocumentFragment();
  for (const part of diffWordsWithSpace(current ?? "", version ?? "")) {
    if (part.added) fragment.append(h("ins", { class: "vh-added", text: part.value }));
    else if (part.removed) fragment.append(h("del", { class: "vh-removed", text: part.value }));
    else fragment.append(part.value);
  }
  return fragment;
}

export const hasChanges = (current, version) => (current ?? "") !== (version ?? "");

/** Two item texts with a word in common (any case): one item edited, not one removed and one added. */
const related = (a, b) => diffWords(a, b, { ignoreCase: true }).some((part) => !part.added && !part.removed && part.value.trim());

/** The lines of a text note as unticked items, so a note and a list can be compared. */
export function asItems(note) {
  if (note.kind === "checklist") return note.items ?? [];
  return (note.body ?? "").split("\n").filter((line) => line.trim()).map((text) => ({ text, checked: false }));
}

/**
 * The rows of a checklist version against the current items: [{text, checked, change}] where
 * `change` is "added" (only in this version), "removed" (only in the current note), "ticked" or
 * "unticked" (same item, its tick differs from the current one), "edited" (an item whose text
 * changed: `was` holds the current text) or null.
 */
export function itemChanges(currentItems, versionItems) {
  const rows = [];
  const parts = diffArrays(currentItems, versionItems, { comparator: (a, b) => a.text === b.text });
  let pendingRemoved = []; // removed items, paired with the added ones right after them as edits
  const flushRemoved = () => {
    for (const item of pendingRemoved) rows.push({ text: item.text, checked: item.checked, change: "removed" });
    pendingRemoved = [];
  };
  let old = 0;
  let now = 0;
  for (const part of parts) {
    if (part.removed) {
      flushRemoved();
      pendingRemoved = currentItems.slice(old, old + part.count);
      old += part.count;
    } else if (part.added) {
      const added = versionItems.slice(now, now + part.count);
      now += part.count;
      added.forEach((item, index) => {
        const was = pendingRemoved[index];
        if (was && related(was.text, item.text)) {
          rows.push({ text: item.text, checked: item.checked, change: "edited", was: was.text });
          return;
        }
        if (was) rows.push({ text: was.text, checked: was.checked, change: "removed" });
        rows.push({ text: item.text, checked: item.checked, change: "added" });
      });
      pendingRemoved = pendingRemoved.slice(added.length);
      flushRemoved();
    } else {
      flushRemoved();
      for (let i = 0; i < part.count; i += 1) {
        const item = versionItems[now + i];
        const other = currentItems[old + i];
        const change = item.checked === other.checked ? null : item.checked ? "ticked" : "unticked";
        rows.push({ text: item.text, checked: item.checked, change });
      }
      old += part.count;
      now += part.count;
    }
  }
  flushRemoved();
  return rows;
}

/** Labels by name: [{name, change}] with "added" (only in this version) or "removed". */
export function labelChanges(currentLabels, versionLabels) {
  const names = (labels) => (labels ?? []).map((label) => (typeof label === "string" ? label : label.name));
  const now = new Set(names(currentLabels));
  const then = names(versionLabels);
  const rows = then.map((name) => ({ name, change: now.has(name) ? null : "added" }));
  for (const name of now) if (!then.includes(name)) rows.push({ name, change: "removed" });
  return rows;
}
