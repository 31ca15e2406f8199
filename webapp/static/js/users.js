// The settings page's Users card (server mode, admins only): the list, add a user, delete one.
// User names only ever become text, never HTML.
import { explain, markInvalid, say } from "./account.js";
import { api } from "./api.js";
import { $, h } from "./dom.js";

const me = () => Number($("#users").dataset.me);

function day(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString([], { dateStyle: "medium" });
}

function nameCell(user) {
  return h(
    "td",
    {},
    h(
      "div",
      { class: "user-who" },
      h("span", {
        class: `avatar avatar-${user.id % 8}`,
        "aria-hidden": "true",
        text: user.username.slice(0, 1).toUpperCase(),
      }),
      h("span", { class: "user-name", text: user.username }),
      user.is_admin ? h("span", { class: "user-tag", text: "Admin" }) : null,
      user.id === me() ? h("span", { class: "user-tag you", text: "You" }) : null,
    ),
  );
}

function actionCell(user) {
  // Your own account goes through the Account card, which asks for your password.
  if (user.id === me()) return h("td", {}, h("a", { class: "text-btn", href: "#account", text: "Your account" }));
  return h(
    "td",
    {},
    h("button", {
      type: "button",
      class: "text-btn danger",
      text: "Delete",
      "aria-label": `Delete ${user.username}`,
      onclick: () => askDelete(user),
    }),
  );
}

function renderUsers(users) {
  $("#users-body").replaceChildren(
    ...users.map((user) =>
      h("tr", { dataset: { id: user.id } }, nameCell(user), h("td", { text: day(user.created_at) }), actionCell(user)),
    ),
  );
  $("#users-table").hidden = users.length === 0;
}

async function loadUsers() {
  try {
    renderUsers(await api.listUsers());
  } catch (error) {
    say("users-message", explain(error));
  }
}

// Add ---------------------------------------------------------------------------------------

function setUpAdd() {
  const inputs = { username: $("#new-user-name"), password: $("#new-user-password") };
  const admin = $("#new-user-admin");
  $("#add-user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = inputs.username.value.trim();
    const password = inputs.password.value;
    if (!username || !password) {
      markInvalid(inputs, username ? { password: "" } : { username: "" });
      return say("add-user-message", username ? "Give them an initial password." : "Give the user a name.");
    }
    $("#add-user").disabled = true;
    say("add-user-message", "");
    try {
      const user = await api.createUser(username, password, admin.checked);
      $("#add-user-form").reset();
      markInvalid(inputs);
      inputs.username.focus();
      const as = user.is_admin ? " as an admin" : "";
      say("add-user-message", `Added “${user.username}”${as}. They can log in now.`, "ok");
      await loadUsers();
    } catch (error) {
      markInvalid(inputs, error.fields);
      say("add-user-message", explain(error));
    } finally {
      $("#add-user").disabled = false;
    }
  });
}

// Delete ------------------------------------------------------------------------------------

let deleting = null;

function askDelete(user) {
  deleting = user;
  $("#delete-user-title").textContent = `Delete ${user.username}?`;
  $("#delete-user-text").textContent =
    `The account “${user.username}” goes with everything of theirs: every note, label, ` +
    "image and API token. They are logged out everywhere. There is no undo.";
  $("#delete-user-dialog").showModal();
  $("#delete-user-cancel").focus(); // the safe choice under Enter
}

async function confirmDelete() {
  $("#delete-user-dialog").close();
  if (!deleting) return;
  const user = deleting;
  deleting = null;
  try {
    await api.deleteUser(user.id);
    say("users-message", `Deleted “${user.username}” and everything of theirs.`, "ok");
  } catch (error) {
    say("users-message", explain(error));
  }
  await loadUsers();
}

/** Wire the card up; resolves once the user list is drawn. */
export function init() {
  setUpAdd();
  $("#delete-user-cancel").addEventListener("click", () => $("#delete-user-dialog").close());
  $("#delete-user-confirm").addEventListener("click", confirmDelete);
  return loadUsers();
}
