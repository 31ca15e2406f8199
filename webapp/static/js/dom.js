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

/** The words of a search: `"a phrase"` as typed, `-word` excluded. */
export function searchTerms(query) {
  const terms = [];
  for (const match of (query || "").matchAll(/(-?)"([^"]*)"?|(-?)(\S+)/g)) {
    const text = match[2] ?? match[4];
    if (text) terms.push({ text, exclude: Boolean(match[1] || match[3]) });
  }
  return terms;
}

function markRanges(text, ranges) {
  // ranges are [start, end) in code points, as the API's `matches` give them
  const fragment = document.createDocumentFragment();
  const chars = Array.from(text);
  let last = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < last || end <= start || start >= chars.length) continue;
    if (start > last) fragment.append(chars.slice(last, start).join(""));
    fragment.append(h("mark", { text: chars.slice(start, end).join("") }));
    last = end;
  }
  if (last < chars.length) fragment.append(chars.slice(last).join(""));
  return fragment;
}

/**
 * `text` as a fragment of text nodes with the matches wrapped in <mark>: the server's
 * `ranges` when it sent them, otherwise each case-insensitive occurrence of the query's words.
 */
export function highlight(text, query, ranges = null) {
  if (ranges) return markRanges(text, ranges);
  const words = searchTerms(query)
    .filter((term) => !term.exclude)
    .map((term) => term.text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (!words.length) {
    const fragment = document.createDocumentFragment();
    fragment.append(text);
    return fragment;
  }
  const pattern = new RegExp(words.join("|"), "giu");
  const chars = (index) => Array.from(text.slice(0, index)).length;
  const found = [...text.matchAll(pattern)].map((m) => [chars(m.index), chars(m.index + m[0].length)]);
  return markRanges(text, found);
}

/**
 * Images on top of the card, as in Keep: one fills the width; more make a mosaic of rows of up
 * to three, the first row holding the remainder so its images come out larger. Width and height
 * reserve the space before the image loads.
 */
export function imageStrip(images, extra = null, full = false) {
  if (!images.length) return null;
  const first = images.length % 3 || 3;
  const single = images.length === 1;
  return h(
    "div",
    { class: `images ${single ? "images-1" : "images-mosaic"}`, dataset: { count: images.length } },
    images.map((image, index) =>
      h(
        "div",
        { class: `image${single ? "" : ` span-${index < first ? 6 / first : 2}`}`, dataset: { index } },
        h("img", {
          src: (full && image.url) || image.thumb_url,
          alt: "",
          width: image.width,
          height: image.height,
          loading: "lazy",
          draggable: "false",
        }),
        extra?.(image),
      ),
    ),
  );
}

/** A hidden file input for images; `onFiles(files)` gets what was picked. */
export function imageInput(onFiles) {
  const input = h("input", {
    type: "file",
    accept: "image/jpeg,image/png,image/gif,image/webp",
    multiple: true,
    hidden: true,
    class: "image-input",
    "aria-label": "Choose images",
  });
  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = "";
    if (files.length) onFiles(files);
  });
  return input;
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

// Only these schemes become links: a javascript: or data: URL in a note stays plain text.
const LINK_SCHEMES = new Set(["http:", "https:", "mailto:"]);
const LINK_PATTERN = /\b(?:https?:\/\/|mailto:)[^\s<>"']+/giu;

/** The safe links in `text`: [{start, end, href}] (code-unit offsets), trailing punctuation left out. */
export function findLinks(text) {
  const links = [];
  for (const match of text.matchAll(LINK_PATTERN)) {
    const raw = match[0].replace(/[.,;:!?)\]}]+$/u, "");
    let url;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    if (!LINK_SCHEMES.has(url.protocol)) continue;
    links.push({ start: match.index, end: match.index + raw.length, href: url.href });
  }
  return links;
}

export function link(href, text = href) {
  // a new tab in a browser; on the desktop the shell sends other-origin links to the system browser
  return h("a", { class: "note-link", href, target: "_blank", rel: "noopener noreferrer", text });
}

/** Turn the URLs in the text nodes under `root` into links (text nodes and textContent only). */
export function linkify(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const node of nodes) {
    if (node.parentElement?.closest("a")) continue;
    const text = node.nodeValue;
    const links = findLinks(text);
    if (!links.length) continue;
    const parts = [];
    let last = 0;
    for (const { start, end, href } of links) {
      if (start > last) parts.push(text.slice(last, start));
      parts.push(link(href, text.slice(start, end)));
      last = end;
    }
    if (last < text.length) parts.push(text.slice(last));
    node.replaceWith(...parts);
  }
  return root;
}
