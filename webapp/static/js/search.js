// Search as you type (debounced); Esc clears; a color filter combines with it and the label view.
import { $, COLORS, debounce, h, icon } from "./dom.js";
import * as grid from "./grid.js";

const run = debounce(() => {
  grid.view.q = $("#search").value.trim();
  grid.reload();
}, 250);

export function init() {
  const input = $("#search");
  input.addEventListener("input", () => {
    $("#search-clear").hidden = !input.value;
    document.body.classList.add("searching");
    run();
  });
  input.addEventListener("focus", () => document.body.classList.add("searching"));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      clear();
      input.blur();
    }
  });
  $("#search-clear").addEventListener("click", () => clear());
  $("#color-filter").replaceChildren(
    h(
      "button",
      {
        type: "button",
        class: "filter-chip",
        id: "image-filter",
        "aria-pressed": "false",
        title: "Only notes with images",
        onclick: () => setHasImage(!grid.view.hasImage),
      },
      icon("image"),
      "Images",
    ),
    ...COLORS.map(([key, name]) =>
      h(
        "button",
        {
          type: "button",
          class: `swatch color-${key}`,
          title: key === "default" ? "Any color" : name,
          "aria-label": key === "default" ? "Any color" : `Only ${name}`,
          dataset: { color: key },
          onclick: () => setColor(key === "default" ? "" : key),
        },
        key === "default" ? icon("format_color_reset") : null,
      ),
    ),
  );
}

function setHasImage(on) {
  grid.view.hasImage = on;
  $("#image-filter").setAttribute("aria-pressed", String(on));
  document.body.classList.add("searching");
  grid.reload();
}

function setColor(color) {
  grid.view.color = color;
  for (const swatch of $("#color-filter").querySelectorAll(".swatch")) {
    const selected = swatch.dataset.color === (color || "default");
    swatch.classList.toggle("selected", selected);
    swatch.setAttribute("aria-pressed", String(selected));
  }
  document.body.classList.add("searching");
  grid.reload();
}

export function focus() {
  $("#search").focus();
  $("#search").select();
}

/** Leave search: empty the box, drop the color filter, show the view again. */
export function clear() {
  run.cancel();
  const changed = grid.view.q || grid.view.color || grid.view.hasImage;
  $("#search").value = "";
  $("#search-clear").hidden = true;
  document.body.classList.remove("searching");
  grid.view.q = "";
  grid.view.color = "";
  grid.view.hasImage = false;
  $("#image-filter").setAttribute("aria-pressed", "false");
  for (const swatch of $("#color-filter").children) swatch.classList.remove("selected");
  if (changed) grid.reload();
}

export const active = () => document.body.classList.contains("searching");
