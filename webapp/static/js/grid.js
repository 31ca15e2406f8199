// The notes: Pinned and Others as a masonry grid (Keep's order: left to right, then down) or a
// list, filled page by page from the API's keyset cursor as you scroll. In the person's own
// order cards are dragged (SortableJS: mouse and touch) or moved with Shift+J/K, each section
// apart, as in Keep.
import Sortable from "../vendor/sortablejs/sortable.esm.js";
import * as actions from "./actions.js";
import { api } from "./api.js";
import { $, h, highlight, icon, iconButton, imageStrip, linkify, searchTerms } from "./dom.js";
import { acceptDrop, progressBar } from "./drops.js";
import { showError } from "./messages.js";
import { colorPicker, labelPicker, menu } from "./pickers.js";
import * as reminders from "./reminders.js";
import * as selection from "./selection.js";
import { bus, noteChanged, store } from "./store.js";

const PAGE = 30;
const BODY_MAX = 700;
const ITEMS_MAX = 10;

// `reminderState`: the Reminders view shows the "upcoming" ones or the "done" ones
export const view = { kind: "notes", labelId: null, q: "", color: "", hasImage: false, reminderState: "upcoming" };
let cursor = null;
let loading = false;
let generation = 0;
let openNote = () => {};
const cards = new Map();

const EMPTY = {
  notes: ["lightbulb", "Notes you add appear here"],
  reminders: ["notifications_none", "Notes with upcoming reminders appear here"],
  "reminders-done": ["notifications_none", "Notes whose reminders are done appear here"],
  archive: ["archive", "Your archived notes appear here"],
  trash: ["delete", "No notes in Trash"],
  label: ["label", "No notes with this label yet"],
  search: ["search", "No matching results"],
};

export function init({ onOpen }) {
  openNote = onOpen;
  bus.addEventListener("note", (event) => place(event.detail));
  bus.addEventListener("removed", (event) => removeCard(event.detail));
  bus.addEventListener("labels", () => {
    for (const note of store.notes.values()) refreshLabels(note);
  });
  new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    },
    { rootMargin: "800px" },
  ).observe($("#sentinel"));
  for (const section of ["#grid-pinned", "#grid-others"]) sortables.push(sortable($(section)));
  const resize = new ResizeObserver(() => scheduleLayout());
  resize.observe($("#main"));
  window.addEventListener("resize", scheduleLayout);
  document.fonts?.ready.then(scheduleLayout);
}

const searching = () => Boolean(view.q || view.color || view.hasImage);

// The Reminders view lists the notes with one, in time order; a search there searches the notes.
const remindersList = () => view.kind === "reminders" && !searching();

// A search from Notes covers the archive too, as Keep's does; the trash stays apart.
const stateParam = () =>
  ({ archive: "archived", trash: "trashed" })[view.kind] ?? (view.kind === "notes" && searching() ? "notes" : "active");

/** Start over with the current view and filters. */
export async function reload() {
  generation += 1;
  cursor = undefined;
  loading = false;
  for (const id of cards.keys()) selection.forget(id);
  cards.clear();
  $("#grid-pinned").replaceChildren();
  $("#grid-others").replaceChildren();
  document.body.dataset.view = view.kind;
  for (const each of sortables) each.option("disabled", !reorderable());
  await loadMore();
}

// Dragging cards ---------------------------------------------------------------------------
const sortables = [];

/** Cards can be moved in the own order, in Notes and label views, as Keep: not in a search
 * (its neighbours are not the list's), the archive or the trash. */
export const reorderable = () =>
  document.body.dataset.order !== "edited" && (view.kind === "notes" || view.kind === "label") && !searching();

function sortable(container) {
  return Sortable.create(container, {
    draggable: ".card",
    // Each section its own list: a card is not dragged between Pinned and Others.
    group: { name: container.id, pull: false, put: false },
    // The masonry places cards with transforms: Sortable's own animation would fight it, and
    // its fallback drag (a clone on <body> following the pointer) leaves the grid's children
    // to the layout. The same code then serves mouse and touch.
    animation: 0,
    forceFallback: true,
    fallbackOnBody: true,
    fallbackTolerance: 4,
    // On a touch screen a swipe scrolls: a card is dragged after holding it a moment.
    delay: 180,
    delayOnTouchOnly: true,
    touchStartThreshold: 6,
    filter: "a, button, input, .card-toolbar",
    preventOnFilter: false,
    ghostClass: "card-placeholder",
    chosenClass: "card-chosen",
    fallbackClass: "card-dragged",
    scroll: true,
    bubbleScroll: true,
    onStart: () => document.body.classList.add("dragging"),
    // Sortable clears the pressed card's transform on release, a plain click included.
    onUnchoose: () => layout(container),
    // The card moved in the DOM: the masonry shows it there at once.
    onChange: () => layout(container),
    onEnd: (event) => {
      document.body.classList.remove("dragging");
      layout(container);
      if (event.oldIndex !== event.newIndex) saveMove(event.item);
    },
  });
}

let moving = Promise.resolve();

/** Send a card's new place (between the cards now around it); moves go one after another. */
function saveMove(card) {
  const id = Number(card.dataset.id);
  const after = card.previousElementSibling?.dataset.id;
  const before = card.nextElementSibling?.dataset.id;
  moving = moving.then(async () => {
    try {
      const note = await api.moveNote(id, Number(after) || null, Number(before) || null);
      store.notes.set(note.id, { ...store.notes.get(note.id), ...note });
    } catch (error) {
      showError(error);
      reload(); // the list changed elsewhere: show it as it is
    }
  });
  return moving;
}

/** Shift+J / Shift+K: the focused note one place down (1) or up (-1) in its section. */
export function moveNote(id, step) {
  const card = cards.get(id);
  if (!card || !reorderable()) return;
  const other = step > 0 ? card.nextElementSibling : card.previousElementSibling;
  if (!other) return;
  if (step > 0) other.after(card);
  else other.before(card);
  card.focus();
  layout(card.parentElement);
  card.scrollIntoView({ block: "nearest" });
  saveMove(card);
}

async function loadMore() {
  if (loading || cursor === null) return;
  loading = true;
  const mine = generation;
  $("#loading").hidden = false;
  try {
    const page = await listPage();
    if (mine !== generation) return;
    cursor = page.next_cursor ?? null;
    for (const note of page.items) {
      if (cards.has(note.id)) continue; // keyset pages never repeat; guard all the same
      store.notes.set(note.id, note);
      append(note);
    }
  } catch (error) {
    if (mine === generation) showError(error);
    if (mine === generation) cursor = cursor ?? undefined;
  } finally {
    if (mine === generation) {
      loading = false;
      $("#loading").hidden = true;
      updateSections();
      scheduleLayout();
      requestAnimationFrame(() => {
        const box = $("#sentinel").getBoundingClientRect();
        if (cursor && box.top < window.innerHeight + 800) loadMore();
      });
    }
  }
}

/** The next page of the view: the notes with reminders come from their own list, soonest first. */
async function listPage() {
  if (remindersList()) {
    const page = await api.listReminders({ state: view.reminderState, cursor });
    return Array.isArray(page) ? { items: page, next_cursor: null } : page;
  }
  return api.listNotes({
      state: stateParam(),
      label: view.kind === "label" ? view.labelId : null,
      color: view.color,
      has_image: view.hasImage ? "true" : null,
      q: view.q,
      limit: PAGE,
      cursor,
    });
}

/** In the Reminders view: the note has a reminder of the state shown. */
function remindedHere(note) {
  const reminder = note.reminder;
  return Boolean(reminder) && !note.trashed_at && reminder.done === (view.reminderState === "done");
}

function matches(note) {
  if (remindersList()) return remindedHere(note);
  const state = stateParam();
  if (state === "trashed" ? !note.trashed_at : note.trashed_at) return false;
  if ((state === "active" || state === "archived") && note.archived !== (state === "archived")) return false;
  if (view.kind === "label" && !note.labels.some((label) => label.id === view.labelId)) return false;
  if (view.color && note.color !== view.color) return false;
  if (view.hasImage && !note.images?.length) return false;
  const texts = [note.title, note.body, ...note.items.map((i) => i.text), ...note.labels.map((l) => l.name)]
    .join("\n")
    .toLowerCase();
  // the server decides what a search finds; this only keeps a card edited meanwhile in view
  return searchTerms(view.q).every((term) => texts.includes(term.text.toLowerCase()) !== term.exclude);
}

// The Reminders view is one list in time order, pinned or not.
const sectionOf = (note) =>
  note.pinned && view.kind !== "trash" && !remindersList() ? "#grid-pinned" : "#grid-others";

/** A card of the Reminders view goes before the first card due later: the list's order, by time. */
function placeByTime(section, card, note) {
  const at = new Date(note.reminder.at).getTime();
  const next = [...section.children].find(
    (other) => other !== card && new Date(store.notes.get(Number(other.dataset.id))?.reminder?.at).getTime() > at,
  );
  section.insertBefore(card, next ?? null);
}

function append(note) {
  const card = buildCard(note);
  cards.set(note.id, card);
  $(sectionOf(note)).append(card);
}

/** A note changed: update its card, move it between sections, or add or drop it. */
function place(note) {
  const old = cards.get(note.id);
  if (!matches(note)) {
    if (old) removeCard(note.id);
    return;
  }
  const card = buildCard(note);
  cards.set(note.id, card);
  const section = $(sectionOf(note));
  // By last edit an edited note goes first, as the list will show it; in the own order it stays.
  const edited = document.body.dataset.order === "edited" && old && old.dataset.updated !== note.updated_at;
  if (remindersList()) {
    old?.remove();
    placeByTime(section, card, note);
  } else if (old && old.parentElement === section && !edited) {
    const hadFocus = old === document.activeElement;
    old.replaceWith(card);
    if (hadFocus) card.focus();
  } else {
    old?.remove();
    section.prepend(card);
  }
  updateSections();
  scheduleLayout();
}

function removeCard(id) {
  const card = cards.get(id);
  if (!card) return;
  const wasFocused = card === document.activeElement;
  const next = wasFocused ? neighbour(card, 1) || neighbour(card, -1) : null;
  card.remove();
  cards.delete(id);
  selection.forget(id);
  next?.focus();
  updateSections();
  scheduleLayout();
}

function refreshLabels(note) {
  const card = cards.get(note.id);
  if (!card) return;
  const names = new Map(store.labels.map((label) => [label.id, label.name]));
  note.labels = note.labels
    .filter((label) => names.has(label.id))
    .map((label) => ({ id: label.id, name: names.get(label.id) }));
  place(note);
}

function updateSections() {
  const pinned = $("#grid-pinned").children.length;
  const others = $("#grid-others").children.length;
  $("#pinned-section").hidden = pinned === 0;
  $("#others-title").hidden = pinned === 0;
  const kind = view.kind === "reminders" && view.reminderState === "done" ? "reminders-done" : view.kind;
  const [iconName, text] = EMPTY[searching() ? "search" : kind];
  const empty = $("#empty");
  empty.hidden = pinned + others > 0 || loading;
  empty.replaceChildren(icon(iconName, "empty-icon"), h("p", { text }));
  $("#empty-trash").disabled = pinned + others === 0;
}

/** The server's match ranges for one field ("title", "body", "items.3"), when it sent them. */
function rangesFor(note, field) {
  if (!view.q || !note.matches) return null;
  return note.matches.filter((m) => m.field === field).map((m) => [m.start, m.end]);
}

function buildCard(note) {
  const q = view.q;
  const inTrash = Boolean(note.trashed_at);
  const content = [];
  if (note.title) content.push(h("div", { class: "card-title" }, highlight(note.title, q, rangesFor(note, "title"))));
  if (note.kind === "checklist") {
    const open = note.items.map((item, index) => [item, index]).filter(([item]) => !item.checked);
    const done = note.items.length - open.length;
    const rows = open.slice(0, ITEMS_MAX).map(([item, index]) =>
      h(
        "li",
        { class: "card-item" },
        h("input", {
          type: "checkbox",
          "aria-label": `Tick ${item.text}`,
          disabled: inTrash,
          onchange: (event) => actions.tickItem(note, index, event.target.checked),
        }),
        linkify(h("span", {}, highlight(item.text, q, rangesFor(note, `items.${index}`)))),
      ),
    );
    content.push(h("ul", { class: "card-items" }, rows));
    const hidden = open.length - Math.min(open.length, ITEMS_MAX);
    const more = [];
    if (hidden) more.push(`${hidden} more`);
    if (done) more.push(done === 1 ? "1 checked item" : `${done} checked items`);
    if (more.length) content.push(h("div", { class: "card-more", text: `+ ${more.join(", ")}` }));
  } else if (note.body) {
    const chars = note.body.length > BODY_MAX ? Array.from(note.body) : null;
    const body = chars && chars.length > BODY_MAX ? `${chars.slice(0, BODY_MAX).join("")}…` : note.body;
    content.push(linkify(h("div", { class: "card-text" }, highlight(body, q, rangesFor(note, "body")))));
  }
  if (!content.length && !note.images?.length) {
    content.push(h("div", { class: "card-empty", text: "Empty note" }));
  }
  // Only a search mixes archived notes with the others: there the card says which it is.
  if (note.archived && !inTrash && view.kind !== "archive") {
    content.push(h("div", { class: "card-archived" }, icon("archive"), "Archived"));
  }
  const reminderChip = reminders.chip(note, {
    change: (value) => reminders.setOn(store.notes.get(note.id) ?? note, value),
    done: () => reminders.markDone(store.notes.get(note.id) ?? note),
    readOnly: inTrash,
  });
  if (note.labels.length || reminderChip) {
    content.push(
      h(
        "div",
        { class: "chips" },
        reminderChip,
        note.labels.map((label, i) =>
          h(
            "a",
            { class: "chip", href: `#label/${label.id}`, title: `Notes labelled ${label.name}` },
            highlight(label.name, q, rangesFor(note, `labels.${i}`)),
          ),
        ),
      ),
    );
  }
  const chosen = selection.has(note.id);
  const check = iconButton("check", "Select note", (event) => selection.toggle(note.id, event.shiftKey), "card-check");
  check.setAttribute("aria-pressed", String(chosen));
  const card = h(
    "article",
    {
      class: `card color-${note.color}${chosen ? " selected" : ""}`,
      tabindex: "0",
      "aria-label": note.title || "Note",
      dataset: { id: note.id, updated: note.updated_at },
    },
    inTrash ? null : pinButton(note),
    check, // after the pin: Tab from a card still reaches the pin first
    imageStrip(note.images ?? []),
    h("div", { class: "card-content" }, content),
    toolbar(note, inTrash),
  );
  card.addEventListener("click", (event) => {
    if (event.target.closest("a, button, input, .card-toolbar")) return;
    // While notes are selected a click adds or removes a card, as in Keep.
    if (selection.active()) selection.toggle(note.id, event.shiftKey);
    else openNote(note.id); // a trashed note opens read-only, with Restore
  });
  // A touch screen has no hover to show the check mark: a long press selects, as in Keep.
  card.addEventListener("contextmenu", (event) => {
    if (!window.matchMedia("(hover: none)").matches || event.target.closest("a, input")) return;
    event.preventDefault();
    selection.toggle(note.id);
  });
  if (!inTrash) acceptDrop(card, (files) => uploadTo(note.id, files));
  return card;
}

/** Files dropped on a card (or kept with a new note) go into that note; its card shows the progress. */
export async function uploadTo(id, files) {
  const bar = progressBar();
  const show = () => {
    const card = cards.get(id);
    if (card && bar.element.parentElement !== card) card.prepend(bar.element);
  };
  show();
  try {
    await api.addImages(id, files, (fraction) => {
      bar.set(fraction);
      show();
    });
    bar.set(null); // sent; the server is making the thumbnails
    show();
    noteChanged(await api.getNote(id));
  } catch (error) {
    showError(error);
  } finally {
    bar.done();
  }
}

function pinButton(note) {
  const label = note.pinned ? "Unpin note" : "Pin note";
  const button = iconButton("push_pin", label, () => actions.togglePin(store.notes.get(note.id)), "card-pin");
  button.classList.toggle("pinned", note.pinned);
  return button;
}

function toolbar(note, inTrash) {
  const current = () => store.notes.get(note.id) ?? note;
  if (inTrash) {
    return h(
      "div",
      { class: "card-toolbar" },
      iconButton("delete_forever", "Delete forever", () => actions.deleteForever(current())),
      iconButton("restore_from_trash", "Restore", () => actions.restore(current())),
    );
  }
  const palette = iconButton("palette", "Background options", () =>
    colorPicker(palette, current().color, (color) => actions.setColor(current(), color)),
  );
  const labels = iconButton("label", "Change labels", () => {
    const selected = new Set(current().labels.map((label) => label.id));
    labelPicker(labels, selected, () => actions.setLabels(current(), [...selected]));
  });
  const more = iconButton("more_vert", "More", () => {
    const reminder = current().reminder;
    menu(more, [
      ["Delete note", () => actions.trash(current())],
      ["Make a copy", () => actions.copy(current())],
      ...(reminder && !reminder.done ? [["Mark reminder done", () => reminders.markDone(current())]] : []),
    ]);
  });
  const bell = iconButton("add_alert", "Remind me", () =>
    reminders.pick(bell, current(), {
      change: (value) => reminders.setOn(current(), value),
      done: () => reminders.markDone(current()),
    }),
  );
  return h(
    "div",
    { class: "card-toolbar" },
    bell,
    palette,
    labels,
    note.archived
      ? iconButton("unarchive", "Unarchive", () => actions.setArchived(current(), false))
      : iconButton("archive", "Archive", () => actions.setArchived(current(), true)),
    iconButton("delete", "Delete note", () => actions.trash(current())),
    more,
  );
}

// Masonry: each card goes into the shortest column, ties to the left, so the first row
// fills left to right as in Keep.
let layoutPending = false;

export function scheduleLayout() {
  if (layoutPending) return;
  layoutPending = true;
  requestAnimationFrame(() => {
    layoutPending = false;
    layout($("#grid-pinned"));
    layout($("#grid-others"));
  });
}

function layout(container) {
  const list = document.body.classList.contains("list-view");
  const width = container.clientWidth;
  const narrow = width < 520;
  const gap = narrow ? 8 : 16;
  let columns;
  let cardWidth;
  if (list) {
    columns = 1;
    cardWidth = Math.min(600, width);
  } else if (narrow) {
    columns = 2;
    cardWidth = (width - gap) / 2;
  } else {
    cardWidth = 240;
    columns = Math.max(1, Math.floor((width + gap) / (cardWidth + gap)));
  }
  const cardsHere = [...container.children];
  for (const card of cardsHere) card.style.width = `${cardWidth}px`;
  const heights = new Array(columns).fill(0);
  const left = (width - (columns * cardWidth + (columns - 1) * gap)) / 2;
  container.dataset.columns = columns; // and each card's: what snapshot.js keeps of the layout
  for (const card of cardsHere) {
    const column = heights.indexOf(Math.min(...heights));
    card.dataset.column = column;
    card.style.transform = `translate(${left + column * (cardWidth + gap)}px, ${heights[column]}px)`;
    heights[column] += card.offsetHeight + gap;
  }
  container.style.height = `${Math.max(0, Math.max(...heights) - gap)}px`;
  // The section's title lines up with the first column.
  const title = container.previousElementSibling;
  if (title) title.style.paddingLeft = `${Math.max(8, left + container.offsetLeft - title.offsetLeft)}px`;
}

// Selection for j/k: cards in their visual reading order.
export function allCards() {
  return [...$("#grid-pinned").children, ...$("#grid-others").children];
}

function neighbour(card, step) {
  const list = allCards();
  return list[list.indexOf(card) + step] ?? null;
}

export function selectedNote() {
  const card = document.activeElement?.closest?.(".card");
  return card ? store.notes.get(Number(card.dataset.id)) : null;
}

export function moveSelection(step) {
  const list = allCards();
  if (!list.length) return;
  const current = document.activeElement?.closest?.(".card");
  const index = current ? list.indexOf(current) + step : step > 0 ? 0 : list.length - 1;
  const target = list[Math.max(0, Math.min(list.length - 1, index))];
  target.focus();
  target.scrollIntoView({ block: "nearest" });
}

export function showNote(note) {
  noteChanged(note);
}
