// The note form shared by the composer and the editor: title, text or checklist, chips, tools.
import { debounce, findLinks, h, icon, iconButton, imageStrip, link } from "./dom.js";
import { colorPicker, labelPicker } from "./pickers.js";
import { sortable } from "./sortable.js";
import { store } from "./store.js";

let nextKey = 1;
const MERGE_TYPING_MS = 1000; // keystrokes this close together are one undo step
const HISTORY_MAX = 200;
const LINKS_MAX = 20;

/** The part of the fields that undo and redo bring back: the text, as Keep does. */
function snapshot(state) {
  const items = state.items.map(({ text, checked }) => ({ text, checked }));
  return { title: state.title, body: state.body, kind: state.kind, items };
}

function sameSnapshot(a, b) {
  return (
    a.title === b.title &&
    a.body === b.body &&
    a.kind === b.kind &&
    a.items.length === b.items.length &&
    a.items.every((item, i) => item.text === b.items[i].text && item.checked === b.items[i].checked)
  );
}

const lengths = new WeakMap();

function autoGrow(textarea) {
  const length = textarea.value.length;
  const grew = length >= (lengths.get(textarea) ?? 0);
  lengths.set(textarea, length);
  // text that only grew can only need more height: skip the "auto" reset, whose two full
  // layouts cost ~15 ms a keystroke on a 50,000-character note
  if (grew && textarea.style.height && textarea.scrollHeight <= textarea.clientHeight) return;
  if (grew && textarea.style.height) {
    textarea.style.height = `${textarea.scrollHeight}px`;
    return;
  }
  textarea.style.height = "auto";
  textarea.style.height = `${textarea.scrollHeight}px`;
}

export class NoteForm {
  /**
   * `onChange()` runs after every edit; `tools` adds buttons (archive, trash...) to the toolbar,
   * `leadingTools` before the palette (Keep's bell comes first); `onClose()` is the Close button.
   */
  constructor({ onChange, onClose, tools = [], leadingTools = [], placeholder = "Take a note…" }) {
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
    // the reminder's chip, first in the row as in Keep: the editor and the composer fill it
    this.reminderSlot = h("span", { class: "nf-reminder" });
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
    this.undoButton = iconButton("undo", "Undo", () => this.undo(), "nf-undo");
    this.redoButton = iconButton("redo", "Redo", () => this.redo(), "nf-redo");
    this.links = h("div", { class: "nf-links" });
    this.readOnly = false;
    this.history = [];
    this.at = -1;
    this.lastTyping = 0;
    this.showLinksSoon = debounce(() => this.renderLinks(), 300);
    const close = h("button", { type: "button", class: "text-btn nf-close", onclick: onClose }, "Close");
    this.element = h(
      "div",
      { class: "note-form" },
      this.imageBox,
      h("div", { class: "nf-head" }, this.title, this.pin),
      this.body,
      this.items,
      this.chips,
      this.links,
      // the banner and the toolbar stay in sight however long the note (sticky, keep.css)
      h(
        "div",
        { class: "nf-foot" },
        this.status,
        h(
          "div",
          { class: "nf-toolbar" },
          h("div", { class: "nf-tools" }, ...leadingTools, this.colorButton, this.labelButton, this.kindButton, ...tools),
          h("div", { class: "nf-history" }, this.undoButton, this.redoButton),
          close,
        ),
      ),
    );
    for (const field of [this.title, this.body]) {
      field.addEventListener("input", () => {
        this.state[field === this.title ? "title" : "body"] = field.value;
        autoGrow(field);
        this.changed(true);
      });
    }
    this.element.addEventListener("keydown", (event) => this.formKey(event, onClose));
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

  /** An edit happened; `typing` marks a keystroke, merged with the ones just before into one undo step. */
  changed(typing = false) {
    if (this.readOnly) return;
    this.record(typing);
    this.showLinksSoon();
    this.onChange?.();
  }

  formKey(event, onClose) {
    const mod = event.ctrlKey || event.metaKey;
    if (!mod || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "enter") {
      event.preventDefault();
      onClose?.();
    } else if (key === "z" || key === "y") {
      // the form's own history: the native textarea undo breaks once the page sets values
      event.preventDefault();
      if (key === "y" || event.shiftKey) this.redo();
      else this.undo();
    }
  }

  resetHistory() {
    this.history = [snapshot(this.state)];
    this.at = 0;
    this.lastTyping = 0;
    this.renderHistory();
  }

  record(typing) {
    const now = snapshot(this.state);
    if (this.at >= 0 && sameSnapshot(now, this.history[this.at])) return;
    const merge = typing && this.at > 0 && performance.now() - this.lastTyping < MERGE_TYPING_MS;
    this.lastTyping = typing ? performance.now() : 0;
    this.history.length = this.at + 1; // a new edit drops what could have been redone
    if (merge) this.history[this.at] = now;
    else this.history.push(now);
    if (this.history.length > HISTORY_MAX) this.history.shift();
    this.at = this.history.length - 1;
    this.renderHistory();
  }

  undo() {
    if (this.readOnly || this.at <= 0) return;
    this.at -= 1;
    this.restore(this.history[this.at]);
  }

  redo() {
    if (this.readOnly || this.at >= this.history.length - 1) return;
    this.at += 1;
    this.restore(this.history[this.at]);
  }

  restore(step) {
    const focusedTitle = document.activeElement === this.title;
    Object.assign(this.state, {
      title: step.title,
      body: step.body,
      kind: step.kind,
      items: step.items.map((item) => ({ ...item, key: nextKey++ })),
    });
    this.title.value = step.title;
    this.body.value = step.body;
    this.lastTyping = 0;
    this.render();
    this.renderHistory();
    if (focusedTitle) this.title.focus();
    else this.focusBody();
    this.onChange?.();
  }

  renderHistory() {
    this.undoButton.disabled = this.at <= 0;
    this.redoButton.disabled = this.at >= this.history.length - 1;
  }

  /** The note's links, clickable (a textarea cannot hold them): Keep lists them under the text. */
  renderLinks() {
    const texts = [this.state.title, this.state.kind === "checklist" ? "" : this.state.body];
    if (this.state.kind === "checklist") texts.push(...this.state.items.map((item) => item.text));
    const hrefs = new Set();
    for (const text of texts) {
      for (const found of findLinks(text)) {
        if (hrefs.size < LINKS_MAX) hrefs.add(found.href);
      }
    }
    this.links.replaceChildren(
      ...[...hrefs].map((href) => h("div", { class: "nf-link" }, icon("link"), link(href))),
    );
  }

  /** A trashed note is shown, not edited. */
  setReadOnly(readOnly) {
    this.readOnly = readOnly;
    this.title.readOnly = readOnly;
    this.body.readOnly = readOnly;
    this.element.classList.toggle("read-only", readOnly);
    this.render();
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
    this.title.style.height = this.body.style.height = ""; // another note: measure afresh
    this.render();
    this.renderLinks();
    this.resetHistory();
  }

  /** The fields as the API takes them. */
  value() {
    const { title, body, kind, color, pinned, label_ids } = this.state;
    // an empty item is not content (Keep drops it); a note shown as text keeps the items of its
    // lines, so showing the checkboxes again brings back their ticks
    const lines = kind === "text" ? new Set(body.split("\n")) : null;
    // each item keeps the id the server gave it (sync knows items by it), once per note
    const seen = new Set();
    const items = this.state.items
      .filter((item) => item.text.trim() && (!lines || lines.has(item.text)))
      .map(({ id, text, checked }) => {
        if (!id || seen.has(id)) return { text, checked };
        seen.add(id);
        return { id, text, checked };
      });
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
      this.reminderSlot,
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

  /**
   * Show or hide the checkboxes without losing anything: the lines come in the order they are
   * seen (open items, then ticked ones), and the items stay on the note while it is text, so
   * each line that still reads the same gets its tick back.
   */
  toggleKind() {
    if (this.readOnly) return;
    if (this.state.kind === "text") {
      const kept = this.state.items.filter((item) => item.text.trim());
      const lines = this.state.body.split("\n").filter((line) => line.trim());
      this.state.items = lines.map((text) => {
        const index = kept.findIndex((item) => item.text === text);
        const checked = index >= 0 && kept.splice(index, 1)[0].checked;
        return { text, checked, key: nextKey++ };
      });
      this.state.kind = "checklist";
      this.state.body = "";
      this.body.value = "";
    } else {
      const items = this.state.items.filter((item) => item.text.trim());
      this.state.items = [...items.filter((item) => !item.checked), ...items.filter((item) => item.checked)];
      this.state.body = this.state.items.map((item) => item.text).join("\n");
      this.body.value = this.state.body;
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

  /** Drop the ticked items (the ⋮ menu). */
  deleteChecked() {
    this.state.items = this.state.items.filter((item) => !item.checked);
    this.renderItems();
    this.changed();
  }

  /** Untick every item (the ⋮ menu). */
  uncheckAll() {
    for (const item of this.state.items) item.checked = false;
    this.renderItems();
    this.changed();
  }

  hasChecked() {
    return this.state.kind === "checklist" && this.state.items.some((item) => item.checked);
  }

  /** Pasted lines become one item each, after `index` (the first line may join the caret's item). */
  pasteLines(event, index, input = null, item = null) {
    const text = event.clipboardData?.getData("text/plain") ?? "";
    if (!/[\r\n]/.test(text)) return false;
    event.preventDefault();
    const lines = text.split(/\r?\n|\r/).filter((line) => line.trim());
    if (!lines.length) return true;
    let tail = "";
    if (item) {
      const value = input.value;
      tail = value.slice(input.selectionEnd);
      item.text = value.slice(0, input.selectionStart) + lines.shift();
    }
    const added = lines.map((line) => ({ text: line, checked: item?.checked ?? false, key: nextKey++ }));
    const last = added.at(-1) ?? item;
    last.text += tail;
    this.state.items.splice(index + 1, 0, ...added);
    this.renderItems(last.key, last.text.length - tail.length);
    this.changed();
    return true;
  }

  renderItems(focusKey = null, caret = null, focusCheck = false) {
    const unchecked = this.state.items.filter((item) => !item.checked);
    const checked = this.state.items.filter((item) => item.checked);
    const newItem = h("input", {
      type: "text",
      placeholder: "List item",
      "aria-label": "New list item",
    });
    newItem.addEventListener("paste", (event) => {
      this.pasteLines(event, this.state.items.findLastIndex((other) => !other.checked));
    });
    newItem.addEventListener("input", () => {
      const item = { text: newItem.value, checked: false, key: nextKey++ };
      const lastUnchecked = this.state.items.findLastIndex((other) => !other.checked);
      this.state.items.splice(lastUnchecked + 1, 0, item);
      this.renderItems(item.key, item.text.length);
      this.changed(true);
    });
    const list = h("ul", { class: "nf-list" }, unchecked.map((item) => this.itemRow(item)));
    this.makeSortable(list);
    const parts = [
      list,
      this.readOnly ? null : h("div", { class: "nf-new-item" }, icon("add"), newItem),
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
    this.items.replaceChildren(...parts.filter(Boolean));
    if (focusKey != null && focusCheck) {
      // the ticked box moved: keep the focus on it, or Esc and Tab have nowhere to go
      this.items.querySelector(`[data-key="${focusKey}"] .nf-item-check`)?.focus();
    } else if (focusKey != null) {
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
      readonly: this.readOnly,
    });
    text.addEventListener("input", () => {
      item.text = text.value;
      this.changed(true);
    });
    text.addEventListener("keydown", (event) => this.itemKey(event, item, text));
    text.addEventListener("paste", (event) => {
      this.pasteLines(event, this.state.items.indexOf(item), text, item);
    });
    const box = h("input", {
      type: "checkbox",
      class: "nf-item-check",
      checked: item.checked,
      disabled: this.readOnly,
      "aria-label": item.checked ? "Untick" : "Tick",
      onchange: () => {
        item.checked = box.checked;
        this.renderItems(item.key, null, true);
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
    return row;
  }

  itemKey(event, item, input) {
    const index = this.state.items.indexOf(item);
    if (this.readOnly) return;
    const lastOpen = this.state.items.findLastIndex((other) => !other.checked);
    if (event.key === "Enter" && input.value === "" && !item.checked && index === lastOpen) {
      // Enter on an empty last item ends the list instead of adding another empty one
      event.preventDefault();
      this.state.items.splice(index, 1);
      this.renderItems();
      this.focusNewItem();
      this.changed();
    } else if (event.key === "Enter") {
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

  /** Let the open items of `list` be dragged by their handle into a new order (SortableJS). */
  makeSortable(list) {
    this.sorter?.destroy();
    this.sorter = null;
    if (this.readOnly) return;
    this.sorter = sortable(list, {
      handle: ".nf-drag",
      draggable: ".nf-item",
      onChoose: () => {
        // the copy under the pointer is drawn in the note's color, not see-through
        let painted = list;
        while (painted.parentElement && getComputedStyle(painted).backgroundColor === "rgba(0, 0, 0, 0)") {
          painted = painted.parentElement;
        }
        list.style.setProperty("--drag-bg", getComputedStyle(painted).backgroundColor);
      },
      onEnd: ({ oldIndex, newIndex }) => {
        if (oldIndex === newIndex) return;
        // SortableJS has moved the row, which keeps its item: only the order is left to save
        const open = this.state.items.filter((item) => !item.checked);
        this.placeItem(open[oldIndex], open[newIndex], newIndex > oldIndex);
        this.changed();
      },
    });
  }
}
