// Small DOM helpers. User text only ever becomes text nodes: no HTML sink is used anywhere.

/** Build an element: h("button", {class: "x", onclick: f, text: "Hi"}, child, "text"). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "value") el.value = value;
    else if (key === "checked" || key === "hidden" || key === "disabled") el[key] = true;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child != null && child !== false) el.append(child); // strings become text nodes
  }
  return el;
}

/** A Material icon from the vendored font (the name is a ligature). */
export function icon(name, cls = "") {
  return h("span", { class: `mi ${cls}`.trim(), "aria-hidden": "true", text: name });
}

export function iconButton(name, label, onclick, cls = "") {
  return h(
    "button",
    { type: "button", class: `icon-btn ${cls}`.trim(), "aria-label": label, title: label, onclick },
    icon(name),
  );
}

/** `text` as a fragment with each case-insensitive match of `query` wrapped in <mark>. */
export function highlight(text, query) {
  const fragment = document.createDocumentFragment();
  const needle = (query || "").trim();
  if (!needle) {
    fragment.append(text);
    return fragment;
  }
  const pattern = new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "giu");
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) fragment.append(text.slice(last, match.index));
    fragment.append(h("mark", { text: match[0] }));
    last = match.index + match[0].length;
  }
  if (last < text.length) fragment.append(text.slice(last));
  return fragment;
}

export function debounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Keep's color names, in the palette's order. */
export const COLORS = [
  ["default", "Default"],
  ["red", "Coral"],
  ["orange", "Peach"],
  ["yellow", "Sand"],
  ["green", "Mint"],
  ["teal", "Sage"],
  ["blue", "Fog"],
  ["darkblue", "Storm"],
  ["purple", "Dusk"],
  ["pink", "Blossom"],
  ["brown", "Clay"],
  ["gray", "Chalk"],
];

/** "Edited 14:05" today, "Edited Nov 3" this year, "Edited Nov 3, 2025" before. */
export function editedLabel(iso) {
  const when = new Date(iso);
  const now = new Date();
  let text;
  if (when.toDateString() === now.toDateString()) {
    text = when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  } else if (when.getFullYear() === now.getFullYear()) {
    text = when.toLocaleDateString([], { month: "short", day: "numeric" });
  } else {
    text = when.toLocaleDateString([], { year: "numeric", month: "short", day: "numeric" });
  }
  return `Edited ${text}`;
}
