// Labels in the side menu, and the "Edit labels" dialog: create, rename, delete.
import { api } from "./api.js";
import { $, h, icon, iconButton } from "./dom.js";
import { showError } from "./messages.js";
import { bus, emit, store } from "./store.js";

export async function init() {
  bus.addEventListener("labels", renderNav);
  $("#edit-labels").addEventListener("click", openDialog);
  $("#labels-done").addEventListener("click", () => $("#labels-dialog").close());
  $("#new-label-form").addEventListener("submit", (event) => {
    event.preventDefault();
    create();
  });
  await refresh();
}

export async function refresh() {
  try {
    store.labels = await api.listLabels();
  } catch (error) {
    showError(error);
  }
  emit("labels", store.labels);
}

/** Labels changed in another window: redraw only if they differ from what this page has
 * (the echo of its own rename must not redraw the dialog under the person typing in it). */
export async function refreshFromElsewhere() {
  let labels;
  try {
    labels = await api.listLabels();
  } catch {
    return; // offline: the next change or reconnect brings them
  }
  const key = (list) => JSON.stringify(list.map((label) => [label.id, label.name]));
  if (key(labels) === key(store.labels)) return;
  store.labels = labels;
  emit("labels", store.labels);
}

function renderNav() {
  const current = location.hash;
  $("#nav-labels").replaceChildren(
    ...store.labels.map((label) =>
      h(
        "a",
        {
          class: `nav-item${current === `#label/${label.id}` ? " active" : ""}`,
          href: `#label/${label.id}`,
          title: label.name,
        },
        icon("label"),
        h("span", { class: "nav-text", text: label.name }),
      ),
    ),
  );
  if ($("#labels-dialog").open) renderList();
}

function openDialog() {
  $("#label-error").textContent = "";
  renderList();
  $("#labels-dialog").showModal();
  $("#new-label").focus();
}

async function create() {
  const input = $("#new-label");
  const name = input.value.trim();
  if (!name) return;
  try {
    const label = await api.createLabel(name);
    store.labels.push(label);
    store.labels.sort((a, b) => a.name.localeCompare(b.name));
    input.value = "";
    $("#label-error").textContent = "";
    emit("labels", store.labels);
  } catch (error) {
    $("#label-error").textContent = error.message;
    if (!error.status) showError(error);
  }
}

function renderList() {
  $("#labels-list").replaceChildren(
    ...store.labels.map((label) => {
      const input = h("input", {
        type: "text",
        value: label.name,
        maxlength: "50",
        "aria-label": `Label name ${label.name}`,
      });
      const rename = async () => {
        const name = input.value.trim();
        if (!name || name === label.name) {
          input.value = label.name;
          return;
        }
        try {
          const renamed = await api.renameLabel(label.id, name);
          label.name = renamed.name;
          store.labels.sort((a, b) => a.name.localeCompare(b.name));
          $("#label-error").textContent = "";
          emit("labels", store.labels);
        } catch (error) {
          $("#label-error").textContent = error.message;
          input.value = label.name;
        }
      };
      input.addEventListener("change", rename);
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          input.blur();
        }
      });
      return h(
        "li",
        { class: "label-row" },
        iconButton("delete", `Delete label ${label.name}`, () => remove(label)),
        input,
        icon("edit", "label-row-edit"),
      );
    }),
  );
}

async function remove(label) {
  const ok = await confirmDialog(
    "We'll delete this label and remove it from all of your notes. Your notes won't be deleted.",
    "Delete",
  );
  if (!ok) return;
  try {
    await api.deleteLabel(label.id);
    store.labels = store.labels.filter((other) => other.id !== label.id);
    emit("labels", store.labels);
    if (location.hash === `#label/${label.id}`) location.hash = "";
  } catch (error) {
    showError(error);
  }
}

/** A yes/no question in a modal dialog. */
export function confirmDialog(text, okLabel) {
  const dialog = $("#confirm-dialog");
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}
