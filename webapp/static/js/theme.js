// Light and dark themes (following the system until switched) and the grid/list layout.
// Both are settings the server keeps (per person in server mode) and draws the page with, so
// they follow the person across windows, back ends and browsers. A change the server could not
// take waits in localStorage and is sent again at the next start or change.
import { api } from "./api.js";
import { $, icon } from "./dom.js";
import { scheduleLayout } from "./grid.js";
import { personalKey } from "./store.js";

const PENDING = personalKey("kaap.settings");
const media = window.matchMedia("(prefers-color-scheme: dark)");

// As the server drew the page: <html data-theme> (none: follow the system), <body class>.
const settings = {
  theme: document.documentElement.dataset.theme || "system",
  layout: document.body.classList.contains("list-view") ? "list" : "grid",
};

const dark = () => settings.theme === "dark" || (settings.theme === "system" && media.matches);

function readPending() {
  try {
    return JSON.parse(localStorage.getItem(PENDING)) ?? {};
  } catch {
    return {};
  }
}

async function save(changes) {
  const pending = { ...readPending(), ...changes };
  localStorage.setItem(PENDING, JSON.stringify(pending));
  try {
    await api.updateSettings(pending);
    if (JSON.stringify(readPending()) === JSON.stringify(pending)) localStorage.removeItem(PENDING);
  } catch (error) {
    // Unreachable: kept for the next try. Refused (an older server): nothing to retry.
    if (error.code !== "offline" && !(error.status >= 500)) localStorage.removeItem(PENDING);
  }
}

function applyTheme() {
  if (settings.theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = settings.theme;
  const button = $("#theme-toggle");
  button.replaceChildren(icon(dark() ? "light_mode" : "dark_mode"));
  const label = dark() ? "Use light theme" : "Use dark theme";
  button.setAttribute("aria-label", label);
  button.title = label;
}

export function toggleTheme() {
  settings.theme = dark() ? "light" : "dark";
  applyTheme();
  save({ theme: settings.theme });
}

function applyLayout() {
  const list = settings.layout === "list";
  document.body.classList.toggle("list-view", list);
  const button = $("#layout-toggle");
  button.replaceChildren(icon(list ? "grid_view" : "view_agenda"));
  const label = list ? "Grid view" : "List view";
  button.setAttribute("aria-label", label);
  button.title = `${label} (Ctrl+G)`;
  scheduleLayout();
}

export function toggleLayout() {
  settings.layout = settings.layout === "list" ? "grid" : "list";
  applyLayout();
  save({ layout: settings.layout });
}

/** Choices made in this browser before the server kept them (kaap.theme, kaap.layout). */
function legacyChoices() {
  const found = {};
  for (const name of ["theme", "layout"]) {
    const value = localStorage.getItem(`kaap.${name}`);
    if (value) found[name] = value;
    localStorage.removeItem(`kaap.${name}`);
  }
  return found;
}

export function init() {
  const pending = { ...legacyChoices(), ...readPending() };
  if (pending.theme === "dark" || pending.theme === "light") settings.theme = pending.theme;
  if (pending.layout === "list" || pending.layout === "grid") settings.layout = pending.layout;
  applyTheme();
  applyLayout();
  if (Object.keys(pending).length) save(pending);
  media.addEventListener("change", applyTheme);
  $("#theme-toggle").addEventListener("click", toggleTheme);
  $("#layout-toggle").addEventListener("click", toggleLayout);
}
