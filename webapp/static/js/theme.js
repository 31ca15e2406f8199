// Light and dark themes (following the system until switched) and the grid/list layout.
import { $, icon } from "./dom.js";
import { scheduleLayout } from "./grid.js";

const media = window.matchMedia("(prefers-color-scheme: dark)");

const theme = () => localStorage.getItem("kaap.theme") || (media.matches ? "dark" : "light");

function applyTheme() {
  const stored = localStorage.getItem("kaap.theme");
  if (stored) document.documentElement.dataset.theme = stored;
  else delete document.documentElement.dataset.theme;
  const dark = theme() === "dark";
  const button = $("#theme-toggle");
  button.replaceChildren(icon(dark ? "light_mode" : "dark_mode"));
  const label = dark ? "Use light theme" : "Use dark theme";
  button.setAttribute("aria-label", label);
  button.title = label;
}

export function toggleTheme() {
  localStorage.setItem("kaap.theme", theme() === "dark" ? "light" : "dark");
  applyTheme();
}

function applyLayout() {
  const list = localStorage.getItem("kaap.layout") === "list";
  document.body.classList.toggle("list-view", list);
  const button = $("#layout-toggle");
  button.replaceChildren(icon(list ? "grid_view" : "view_agenda"));
  const label = list ? "Grid view" : "List view";
  button.setAttribute("aria-label", label);
  button.title = `${label} (Ctrl+G)`;
  scheduleLayout();
}

export function toggleLayout() {
  const list = localStorage.getItem("kaap.layout") === "list";
  localStorage.setItem("kaap.layout", list ? "grid" : "list");
  applyLayout();
}

export function init() {
  applyTheme();
  applyLayout();
  media.addEventListener("change", applyTheme);
  $("#theme-toggle").addEventListener("click", toggleTheme);
  $("#layout-toggle").addEventListener("click", toggleLayout);
}
