// Start-up: wire the modules together and follow the side menu (#archive, #trash, #label/3).
import { api } from "./api.js";
import * as composer from "./composer.js";
import { $ } from "./dom.js";
import * as drafts from "./drafts.js";
import { guardPage } from "./drops.js";
import * as editor from "./editor.js";
import * as grid from "./grid.js";
import * as labels from "./labels.js";
import { showError, snackbar } from "./messages.js";
import * as search from "./search.js";
import * as selection from "./selection.js";
import * as shortcuts from "./shortcuts.js";
import { bus } from "./store.js";
import * as theme from "./theme.js";
import * as viewer from "./viewer.js";

function route() {
  const hash = location.hash.slice(1);
  const label = /^label\/(\d+)$/.exec(hash);
  grid.view.kind = label ? "label" : ["archive", "trash"].includes(hash) ? hash : "notes";
  grid.view.labelId = label ? Number(label[1]) : null;
  for (const item of document.querySelectorAll(".nav-item")) {
    const href = item.getAttribute("href");
    item.classList.toggle("active", href === `#${hash}` || (href === "#" && grid.view.kind === "notes"));
  }
  document.body.classList.remove("menu-open");
  return grid.reload();
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
  theme.init();
  grid.init({ onOpen: (id) => editor.open(id) });
  composer.init();
  editor.init();
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
  $("#help-button").addEventListener("click", () => $("#help-dialog").showModal());
  for (const close of document.querySelectorAll("[data-close]")) {
    close.addEventListener("click", () => close.closest("dialog").close());
  }
  window.addEventListener("hashchange", route);
  // The server's drafts (those of an earlier launch, another back end) join localStorage's.
  const offered = drafts.load().then(() => {
    composer.offerDraft();
    return editor.retryDrafts();
  });
  // "ready" once the first page of notes is drawn and every kept draft was offered (tests and
  // the desktop self-test wait on it)
  Promise.allSettled([route(), offered]).finally(() => document.body.classList.add("ready"));
}

function markActive() {
  const hash = location.hash;
  for (const item of document.querySelectorAll("#nav-labels .nav-item")) {
    item.classList.toggle("active", item.getAttribute("href") === hash);
  }
}

start();
