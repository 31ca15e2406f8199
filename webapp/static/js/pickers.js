// Popovers anchored to a button: the color palette, the label picker and small menus.
import { api } from "./api.js";
import { COLORS, h, icon } from "./dom.js";
import { showError } from "./messages.js";
import { emit, store } from "./store.js";

let open = null;

export function closePopover() {
  if (!open) return false;
  open.element.remove();
  document.removeEventListener("mousedown", open.outside, true);
  const { onClose } = open;
  open = null;
  onClose?.();
  return true;
}

export const popoverOpen = () => open !== null;

/** Show `element` as the popover under `anchor` (the one open popover). */
export function showPopover(anchor, element, onClose) {
  closePopover();
  element.classList.add("popover");
  // inside an open modal dialog, or the rest of the page is inert to it
  (anchor.closest("dialog") ?? document.body).append(element);
  const box = anchor.getBoundingClientRect();
  const width = element.offsetWidth;
  const height = element.offsetHeight;
  const left = Math.max(8, Math.min(box.left, window.innerWidth - width - 8));
  const below = box.bottom + 4;
  const top = below + height > window.innerHeight - 8 ? Math.max(8, box.top - height - 4) : below;
  element.style.left = `${left}px`;
  element.style.top = `${top}px`;
  const outside = (event) => {
    if (!element.contains(event.target) && !anchor.contains(event.target)) closePopover();
  };
  document.addEventListener("mousedown", outside, true);
  open = { element, outside, onClose };
}

/** Keep's palette; `onPick(color)` is called with the chosen color's key. */
export function colorPicker(anchor, current, onPick) {
  const swatches = COLORS.map(([key, name]) =>
    h(
      "button",
      {
        type: "button",
        class: `swatch color-${key}${key === current ? " selected" : ""}`,
        title: name,
        "aria-label": name,
        "aria-pressed": String(key === current),
        dataset: { color: key },
        onclick: () => {
          onPick(key);
          closePopover();
        },
      },
      key === "default" ? icon("format_color_reset") : key === current ? icon("check") : null,
    ),
  );
  showPopover(anchor, h("div", { class: "palette", role: "dialog", "aria-label": "Colors" }, swatches));
}

/**
 * The label picker: filters as you type and offers "Create label ...".
 * `selected` is a Set of label ids; `onToggle(id, checked)` reports each change.
 */
export function labelPicker(anchor, selected, onToggle) {
  const input = h("input", {
    type: "text",
    class: "picker-filter",
    placeholder: "Enter label name",
    "aria-label": "Label name",
    maxlength: "50",
  });
  const list = h("div", { class: "picker-list" });
  const render = () => {
    const text = input.value.trim();
    const lower = text.toLowerCase();
    const shown = store.labels.filter((label) => label.name.toLowerCase().includes(lower));
    const rows = shown.map((label) =>
      h(
        "label",
        { class: "picker-row" },
        h("input", {
          type: "checkbox",
          checked: selected.has(label.id),
          onchange: (event) => {
            if (event.target.checked) selected.add(label.id);
            else selected.delete(label.id);
            onToggle(label.id, event.target.checked);
          },
        }),
        h("span", { text: label.name }),
      ),
    );
    if (text && !store.labels.some((label) => label.name.toLowerCase() === lower)) {
      rows.push(
        h(
          "button",
          { type: "button", class: "picker-create", onclick: () => create(text) },
          icon("add"),
          h("span", { text: `Create label "${text}"` }),
        ),
      );
    }
    list.replaceChildren(...rows);
  };
  const create = async (name) => {
    try {
      const label = await api.createLabel(name);
      store.labels.push(label);
      store.labels.sort((a, b) => a.name.localeCompare(b.name));
      emit("labels", store.labels);
      selected.add(label.id);
      onToggle(label.id, true);
      input.value = "";
      render();
    } catch (error) {
      showError(error);
    }
  };
  input.addEventListener("input", render);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      const create = list.querySelector(".picker-create");
      if (create) create.click();
    }
  });
  render();
  showPopover(
    anchor,
    h(
      "div",
      { class: "label-picker", role: "dialog", "aria-label": "Label note" },
      h("div", { class: "picker-title", text: "Label note" }),
      input,
      list,
    ),
  );
  input.focus();
}

/** A small menu: `entries` is a list of [label, callback]. */
export function menu(anchor, entries) {
  const items = entries.map(([label, onclick]) =>
    h(
      "button",
      {
        type: "button",
        class: "menu-item",
        role: "menuitem",
        onclick: () => {
          closePopover();
          onclick();
        },
      },
      label,
    ),
  );
  showPopover(anchor, h("div", { class: "menu", role: "menu" }, items));
  items[0]?.focus();
}
