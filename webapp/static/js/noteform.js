// The note form shared by the composer and the editor: title, text or checklist, chips, tools.
import { h, icon, iconButton, imageStrip } from "./dom.js";
import { colorPicker, labelPicker } from "./pickers.js";
import { store } from "./store.js";

let nextKey = 1;

function autoGrow(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${textarea.scrollHeight}px`;
}

export class NoteForm {
  /**
   * `onChange()` runs after every edit; `tools` adds buttons (archive, trash...) to the toolbar;
   * `onClose()` is the Close button.
   */
  constructor({ onChange, onClose, tools = [], placeholder = "Take a note…" }) {
    this.onChange = onChange;
    this.showChecked = true;
    this.state = NoteForm.blank();
    this.title = h("textarea", {
      class: "nf-title",
      rows: "1",
      placeholder: "Title",
      "aria-label": "Title",
      maxlength: "1000",
    });
    this.pin = iconButton("push_pin", "Pin note", () => {
      this.state.pinned = !this.state.pinned;
      this.renderPin();
      this.changed();
    }, "nf-pin");
    this.body = h("textarea", { class: "nf-body", placeholder, "aria-label": "Note", rows: "1" });
    this.items = h("div", { class: "nf-items" });
    this.imageBox = h("div", { class: "nf-images" });
    this.chips = h("div", { class: "chips nf-chips" });
    this.status = h("div", { class: "nf-status" });
    this.colorButton = iconButton("palette", "Background options", () =>
      colorPicker(this.colorButton, this.state.color, (color) => {
        this.state.color = color;
        this.renderColor();
        this.changed();
      }),
    );
    this.labelButton = iconButton("label", "Add label", () => {
      const selected = new Set(this.state.label_ids);
      labelPicker(this.labelButton, selected, () => {
        this.state.label_ids = [...selected];
        this.renderChips();
        this.changed();
      });
    });
    this.kindButton = iconButton("check_box", "Show checkboxes", () => this.toggleKind());
    const close = h("button", { type: "button", class: "text-btn nf-close", onclick: onClose }, "Close");
    this.element = h(
      "div",
      { class: "note-form" },
      this.imageBox,
      h("div", { class: "nf-head" }, this.title, this.pin),
      this.body,
      this.items,
      this.chips,
      this.status,
      h(
        "div",
        { class: "nf-toolbar" },
        h("div", { class: "nf-tools" }, this.colorButton, this.labelButton, this.kindButton, ...tools),
        close,
      ),
    );
    for (const field of [this.title, this.body]) {
      field.addEventListener("input", () => {
        this.state[field === this.title ? "title" : "body"] = field.value;
        autoGrow(field);
        this.changed();
      });
    }
    this.title.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.focusBody();
      }
    });
  }

  /** Show images (from the API, or local previews); `onDelete(image)` removes one. */
  setImages(images, onDelete) {
    const remove = (image) =>
      iconButton("delete", "Remove image", () => onDelete(image), "image-delete");
    this.imageBox.replaceChildren(imageStrip(images, remove, true) ?? "");
  }

  static blank(kind = "text") {
    return { title: "", body: "", kind, items: [], color: "default", pinned: false, label_ids: [] };
  }

  changed() {
    this.onChange?.();
  }

  /** Show `fields` (a note from the API or a saved draft). */
  load(fields) {
    const labelIds = fields.label_ids ?? (fields.labels ?? []).map((label) => label.id);
    this.state = {
      title: fields.title ?? "",
      body: fields.body ?? "",
      kind: fields.kind ?? "text",
      items: (fields.items ?? []).map((item) => ({ ...item, key: nextKey++ })),
      color: fields.color ?? "default",
      pinned: Boolean(fields.pinned),
      label_ids: labelIds,
    };
    this.title.value = this.state.title;
    this.body.value = this.state.body;
    this.render();
  }

  /** The fields as the API takes them. */
  value() {
    const { title, body, kind, color, pinned, label_ids } = this.state;
    const items = this.state.items.map(({ text, checked }) => ({ text, checked }));
    return { title, body, kind, items, color, pinned, label_ids };
  }

  isEmpty() {
    const { title, body, items } = this.state;
    return !title.trim() && !body.trim() && !items.some((item) => item.text.trim());
  }

  render() {
    const checklist = this.state.kind === "checklist";
    this.body.hidden = checklist;
    this.items.hidden = !checklist;
    this.kindButton.replaceChildren(icon(checklist ? "check_box_outline_blank" : "check_box"));
    const kindLabel = checklist ? "Hide checkboxes" : "Show checkboxes";
    this.kindButton.setAttribute("aria-label", kindLabel);
    this.kindButton.title = kindLabel;
    this.renderPin();
    this.renderColor();
    this.renderChips();
    if (checklist) this.renderItems();
    requestAnimationFrame(() => {
      autoGrow(this.title);
      if (!checklist) autoGrow(this.body);
    });
  }

  renderPin() {
    const label = this.state.pinned ? "Unpin note" : "Pin note";
    this.pin.setAttribute("aria-label", label);
    this.pin.title = label;
    this.pin.setAttribute("aria-pressed", String(this.state.pinned));
    this.pin.classList.toggle("pinned", this.state.pinned);
  }

  renderColor() {
    this.element.dispatchEvent(new CustomEvent("color", { detail: this.state.color, bubbles: true }));
  }

  renderChips() {
    const names = new Map(store.labels.map((label) => [label.id, label.name]));
    this.chips.replaceChildren(
      ...this.state.label_ids
        .filter((id) => names.has(id))
        .map((id) =>
          h(
            "span",
            { class: "chip" },
            h("span", { text: names.get(id) }),
            iconButton("close", `Remove label ${names.get(id)}`, () => {
              this.state.label_ids = this.state.label_ids.filter((other) => other !== id);
              this.renderChips();
              this.changed();
            }, "chip-remove"),
          ),
        ),
    );
  }

  toggleKind() {
    if (this.state.kind === "text") {
      const lines = this.state.body.split("\n").filter((line) => line.trim());
      this.state.items = lines.map((text) => ({ text, checked: false, key: nextKey++ }));
      this.state.kind = "checklist";
      this.state.body = "";
    } else {
      this.state.body = this.state.items.map((item) => item.text).join("\n");
      this.body.value = this.state.body;
      this.state.items = [];
      this.state.kind = "text";
    }
    this.render();
    this.changed();
    if (this.state.kind === "checklist") this.focusNewItem();
    else this.body.focus();
  }

  setKind(kind) {
    if (this.state.kind !== kind) this.toggleKind();
  }

  focusBody() {
    if (this.state.kind === "checklist") this.focusNewItem();
    else this.body.focus();
  }

  focusTitle() {
    this.title.focus();
  }

  focusNewItem() {
    this.items.querySelector(".nf-new-item input")?.focus();
  }

  renderItems(focusKey = null, caret = null) {
    const unchecked = this.state.items.filter((item) => !item.checked);
    const checked = this.state.items.filter((item) => item.checked);
    const newItem = h("input", {
      type: "text",
      placeholder: "List item",
      "aria-label": "New list item",
    });
    newItem.addEventListener("input", () => {
      const item = { text: newItem.value, checked: false, key: nextKey++ };
      const lastUnchecked = this.state.items.findLastIndex((other) => !other.checked);
      this.state.items.splice(lastUnchecked + 1, 0, item);
      this.renderItems(item.key, item.text.length);
      this.changed();
    });
    const parts = [
      h("ul", { class: "nf-list" }, unchecked.map((item) => this.itemRow(item))),
      h("div", { class: "nf-new-item" }, icon("add"), newItem),
    ];
    if (checked.length) {
      const label = checked.length === 1 ? "1 checked item" : `${checked.length} checked items`;
      parts.push(
        h(
          "button",
          {
            type: "button",
            class: "nf-checked-toggle",
            "aria-expanded": String(this.showChecked),
            onclick: () => {
              this.showChecked = !this.showChecked;
              this.renderItems();
            },
          },
          icon(this.showChecked ? "expand_less" : "expand_more"),
          label,
        ),
      );
      if (this.showChecked) {
        parts.push(h("ul", { class: "nf-list nf-checked" }, checked.map((item) => this.itemRow(item))));
      }
    }
    this.items.replaceChildren(...parts);
    if (focusKey != null) {
      const input = this.items.querySelector(`[data-key="${focusKey}"] .nf-item-text`);
      if (input) {
        input.focus();
        const at = caret ?? input.value.length;
        input.setSelectionRange(at, at);
      }
    }
  }

  itemRow(item) {
    const text = h("input", {
      type: "text",
      class: "nf-item-text",
      value: item.text,
      "aria-label": "List item",
      maxlength: "1000",
    });
    text.addEventListener("input", () => {
      item.text = text.value;
      this.changed();
    });
    text.addEventListener("keydown", (event) => this.itemKey(event, item, text));
    const box = h("input", {
      type: "checkbox",
      class: "nf-item-check",
      checked: item.checked,
      "aria-label": item.checked ? "Untick" : "Tick",
      onchange: () => {
        item.checked = box.checked;
        this.renderItems();
        this.changed();
      },
    });
    const row = h(
      "li",
      { class: `nf-item${item.checked ? " checked" : ""}`, dataset: { key: item.key } },
      h("span", { class: "nf-drag mi", "aria-hidden": "true", text: "drag_indicator" }),
      box,
      text,
      iconButton("close", "Delete item", () => this.removeItem(item), "nf-item-delete"),
    );
    if (!item.checked) this.makeDraggable(row, item);
    return row;
  }

  itemKey(event, item, input) {
    const index = this.state.items.indexOf(item);
    if (event.key === "Enter") {
      event.preventDefault();
      const rest = input.value.slice(input.selectionStart);
      item.text = input.value.slice(0, input.selectionStart);
      const added = { text: rest, checked: item.checked, key: nextKey++ };
      this.state.items.splice(index + 1, 0, added);
      this.renderItems(added.key, 0);
      this.changed();
    } else if (event.key === "Backspace" && input.value === "" ) {
      event.preventDefault();
      const previous = this.state.items.slice(0, index).findLast((o) => o.checked === item.checked);
      this.removeItem(item, previous?.key);
    } else if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      this.moveItem(item, event.key === "ArrowUp" ? -1 : 1);
    }
  }

  removeItem(item, focusKey = null) {
    this.state.items = this.state.items.filter((other) => other !== item);
    this.renderItems(focusKey);
    this.changed();
  }

  /** Move an item one place up or down among the items with the same tick. */
  moveItem(item, step) {
    const peers = this.state.items.filter((other) => other.checked === item.checked);
    const target = peers[peers.indexOf(item) + step];
    if (!target) return;
    this.placeItem(item, target, step > 0);
    this.renderItems(item.key);
    this.changed();
  }

  placeItem(item, target, after) {
    const items = this.state.items.filter((other) => other !== item);
    items.splice(items.indexOf(target) + (after ? 1 : 0), 0, item);
    this.state.items = items;
  }

  makeDraggable(row, item) {
    const handle = row.querySelector(".nf-drag");
    handle.addEventListener("mousedown", () => (row.draggable = true));
    row.addEventListener("dragstart", (event) => {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(item.key));
      this.dragged = item;
      row.classList.add("dragging");
    });
    row.addEventListener("dragend", () => {
      row.draggable = false;
      row.classList.remove("dragging");
      this.dragged = null;
    });
    row.addEventListener("dragover", (event) => {
      if (this.dragged && this.dragged !== item && !item.checked) event.preventDefault();
    });
    row.addEventListener("drop", (event) => {
      event.preventDefault();
      const dragged = this.dragged;
      if (!dragged || dragged === item) return;
      const box = row.getBoundingClientRect();
      this.placeItem(dragged, item, event.clientY > box.top + box.height / 2);
      this.renderItems();
      this.changed();
    });
  }
}
