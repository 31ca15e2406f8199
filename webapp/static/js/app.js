// Start-up: wire the modules together and follow the side menu (#archive, #trash, #label/3)
// and the open note (#note/5, over its view: Back closes it, a reload or another window opens it).
import { api } from "./api.js";
import * as composer from "./composer.js";
import { $ } from "./dom.js";
import * as drafts from "./drafts.js";
import { guardPage } from "./drops.js";
import * as editor from "./editor.js";
import * as grid from "./grid.js";
import * as labels from "./labels.js";
import * as live from "./live.js";
import * as notify from "./reminders-notify.js";
import { showError, snackbar } from "./messages.js";
import { closePopover } from "./pickers.js";
import * as search from "./search.js";
import * as selection from "./selection.js";
import * as shortcuts from "./shortcuts.js";
import * as snapshot from "./snapshot.js";
import * as syncstate from "./syncstate.js";
import { bus } from "./store.js";
import * as theme from "./theme.js";
import * as viewer from "./viewer.js";

const NOTE = /^note\/(\d+)$/;
let shownView = null; // the view on screen: "notes", "archive", "trash" or "label/3"
let baseHash = ""; // the view under the open note
let here = { state: null, url: location.href }; // the entry on screen, for Back on a menu

const REMINDERS = /^reminders(?:\/(done))?$/;

function showView(hash) {
  const label = /^label\/(\d+)$/.exec(hash);
  const reminders = REMINDERS.exec(hash);
  const kind = label ? "label" : reminders ? "reminders" : ["archive", "trash"].includes(hash) ? hash : "notes";
  for (const item of document.querySelectorAll(".nav-item")) {
    const href = item.getAttribute("href");
    const here = href === `#${hash}` || (href === "#" && kind === "notes") || (href === "#reminders" && kind === "reminders");
    item.classList.toggle("active", here);
  }
  if (reminders) showRemindersBar(reminders[1] ? "done" : "upcoming");
  document.body.classList.remove("menu-open");
  const key = label || reminders ? hash : kind; // Upcoming and Done are two lists
  if (key === shownView) return Promise.resolve(); // a note closed over its view: nothing to reload
  shownView = key;
  grid.view.kind = kind;
  grid.view.labelId = label ? Number(label[1]) : null;
  grid.view.reminderState = reminders?.[1] ? "done" : "upcoming";
  return grid.reload();
}

const viewUrl = (hash) => (hash ? `#${hash}` : location.pathname + location.search);

async function route() {
  const hash = location.hash.slice(1);
  here = { state: history.state, url: location.href };
  if (hash === "new") return newNote();
  const match = NOTE.exec(hash);
  if (!match) {
    baseHash = hash;
    if (editor.isOpen()) await editor.close(); // Back from #note/<id>
    return showView(hash);
  }
  const id = Number(match[1]);
  if (editor.openId() === id) return;
  if (editor.isOpen()) await editor.close(); // another note's link: save this one first
  if (shownView === null) return openFirst(id);
  return editor.open(id);
}

/** The page was loaded (or reloaded) on #note/<id>: its view underneath, then the note. */
async function openFirst(id) {
  let note;
  try {
    note = await api.getNote(id);
  } catch (error) {
    history.replaceState(null, "", viewUrl(""));
    here = { state: null, url: location.href };
    await showView("");
    if (error.status === 404) snackbar("This note doesn't exist any more (it may have been deleted forever).");
    else showError(error);
    return;
  }
  baseHash = note.trashed_at ? "trash" : note.archived ? "archive" : "";
  // the view is an entry of its own under the note, so Back closes the note, not the app
  history.replaceState(null, "", viewUrl(baseHash));
  history.pushState({ note: id }, "", `#note/${id}`);
  here = { state: history.state, url: location.href };
  await showView(baseHash);
  await editor.open(id);
}

const noteHistory = {
  opened(id) {
    if (location.hash === `#note/${id}`) return;
    history.pushState({ note: id }, "", `#note/${id}`);
    here = { state: history.state, url: location.href };
  },
  closed(id) {
    if (location.hash !== `#note/${id}`) return; // closed by Back: the entry is gone already
    if (history.state?.note === id) history.back();
    else history.replaceState(null, "", viewUrl(baseHash));
  },
};

/** Quick capture (`kaap --new-note`: the start URL's #new, or the shell's kaap:new-note), as
 * Keep's new note: an open note is saved and closed, the Notes view shown and the composer
 * opened, focused (a draft in it stays). #new becomes the Notes view, so Back does not reopen it. */
async function newNote() {
  closePopover();
  for (const dialog of document.querySelectorAll("dialog[open]")) if (dialog.id !== "editor") dialog.close();
  if (editor.isOpen()) await editor.close(); // #new is on screen: the close goes back nowhere
  if (selection.active()) selection.clear();
  if (search.active()) search.clear();
  history.replaceState(null, "", viewUrl(""));
  here = { state: null, url: location.href };
  baseHash = "";
  const shown = showView(""); // the Notes view at once; its cards follow
  composer.open();
  await shown;
}

/** The shell's kaap:new-note: #new takes the place of an open note's entry (Back then goes to
 * the view under it, not to the note), or comes after the view on screen. */
function onNewNote(event) {
  event.preventDefault(); // the shell sets #new itself when no page listened yet
  if (NOTE.test(location.hash.slice(1))) location.replace("#new");
  else location.hash = "#new";
}

/** Back with a menu or a dialog open closes that and stays on the entry it left. */
function onPopState() {
  const dialogs = [...document.querySelectorAll("dialog[open]")].filter((d) => d.id !== "editor");
  if (closePopover() || dialogs.length) {
    dialogs.at(-1)?.close();
    history.pushState(here.state, "", here.url);
  }
}

/** The Reminders view's tabs (Upcoming, Done) and, in a browser, the offer to notify. */
function showRemindersBar(state) {
  for (const tab of document.querySelectorAll(".reminders-tab")) {
    tab.setAttribute("aria-selected", String(tab.dataset.state === state));
  }
  $("#notify-offer").hidden = notify.permission() !== "default";
  $("#notify-denied").hidden = notify.permission() !== "denied";
}

async function turnOnNotifications() {
  const answer = await notify.ask();
  $("#notify-offer").hidden = true;
  $("#notify-denied").hidden = answer !== "denied";
  if (answer === "granted") snackbar("You'll get a notification when a reminder is due, while Kaap is open.");
}

async function emptyTrash() {
  const ok = await labels.confirmDialog("Empty trash? All notes in Trash will be permanently deleted.", "Empty trash");
  if (!ok) return;
  try {
    const { deleted } = await api.emptyTrash();
    snackbar(deleted === 1 ? "1 note deleted forever" : `${deleted} notes deleted forever`);
    grid.reload();
  } catch (error) {
    showError(error);
  }
}

function start() {
  // desktop/probe.py's "painted": two frames after the load event, by the page's own clock
  addEventListener("load", () => requestAnimationFrame(() => requestAnimationFrame(() => performance.mark("kaap:painted"))));
  snapshot.init(); // the last notes drawn, shown stale until the live grid replaces them
  theme.init();
  grid.init({ onOpen: (id) => editor.open(id) });
  composer.init();
  editor.init();
  editor.setHistory(noteHistory);
  viewer.init();
  guardPage();
  search.init();
  shortcuts.init();
  selection.init();
  bus.addEventListener("labels", markActive);
  labels.init();
  $("#menu-toggle").addEventListener("click", () => {
    const wide = window.matchMedia("(min-width: 1025px)").matches;
    document.body.classList.toggle(wide ? "menu-collapsed" : "menu-open");
  });
  $("#empty-trash").addEventListener("click", emptyTrash);
  $("#notify-on").addEventListener("click", turnOnNotifications);
  notify.init(); // a browser's notifications for reminders due while the page is open
  $("#help-button").addEventListener("click", () => $("#help-dialog").showModal());
  for (const close of document.querySelectorAll("[data-close]")) {
    close.addEventListener("click", () => close.closest("dialog").close());
  }
  window.addEventListener("popstate", onPopState);
  window.addEventListener("hashchange", route);
  window.addEventListener("kaap:new-note", onNewNote);
  // The desktop shell tells of reminders that fell due while Kaap was closed (a count only).
  window.addEventListener("kaap:missed-reminders", (event) => {
    const count = Math.trunc(Number(event.detail?.count)) || 0;
    if (count < 1) return;
    const text = count === 1 ? "1 missed reminder" : `${count} missed reminders`;
    snackbar(text, ["View", () => (location.hash = "#reminders")], 10000);
  });
  // Other windows' changes show here as they happen (after a gap, the view is drawn again).
  live.init({ reloadView: () => grid.reload(), reloadLabels: () => labels.refreshFromElsewhere() });
  syncstate.init(); // the header's sync state (single-user mode, once connected), followed
  // The server's drafts (those of an earlier launch, another back end) join localStorage's.
  const offered = drafts.load().then(() => {
    composer.offerDraft();
    return editor.retryDrafts();
  });
  // "ready" once the first page of notes is drawn and every kept draft was offered (tests and
  // the desktop self-test wait on it)
  const drawn = route();
  drawn.then(snapshot.replace, snapshot.replace);
  // the desktop's start-up probe (desktop/probe.py) reads the mark: notes live, editable
  Promise.allSettled([drawn, offered]).finally(() => {
    performance.mark("kaap:notes-live");
    document.body.classList.add("ready");
  });
}

function markActive() {
  const hash = location.hash;
  for (const item of document.querySelectorAll("#nav-labels .nav-item")) {
    item.classList.toggle("active", item.getAttribute("href") === hash);
  }
}

start();
