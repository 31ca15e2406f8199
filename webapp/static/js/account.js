// The settings page's Account card (server mode): change password, API tokens, delete account.
// Names and secrets only ever become text or input values, never HTML.
import { api } from "./api.js";
import { $, h } from "./dom.js";

/** The API's words for what went wrong: its message, and any field message that adds to it. */
export function explain(error) {
  if (!error?.status) return error?.message || "Something went wrong. Please try again.";
  const extra = Object.values(error.fields ?? {}).filter(
    (text) => typeof text === "string" && text.includes(" ") && text !== error.message,
  );
  return [error.message, ...extra].join(" ");
}

export function say(id, text, kind = "error") {
  const box = $(`#${id}`);
  box.textContent = text;
  box.className = `form-message ${text ? kind : ""}`.trim();
}

/** Mark the inputs the API named (`fields`) as invalid, and focus the first. */
export function markInvalid(inputs, fields = {}) {
  let first = null;
  for (const [field, input] of Object.entries(inputs)) {
    const bad = field in fields;
    input.setAttribute("aria-invalid", String(bad));
    if (bad && !first) first = input;
  }
  first?.focus();
}

function when(iso) {
  if (!iso) return "Never";
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

// Password ---------------------------------------------------------------------------------

function setUpPassword() {
  const form = $("#password-form");
  const inputs = {
    current_password: $("#current-password"),
    new_password: $("#new-password"),
    again: $("#new-password-again"),
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const current = inputs.current_password.value;
    const next = inputs.new_password.value;
    if (!current) {
      markInvalid(inputs, { current_password: "" });
      return say("password-message", "Enter your current password.");
    }
    if (next !== inputs.again.value) {
      markInvalid(inputs, { again: "" });
      return say("password-message", "The two new passwords differ.");
    }
    $("#password-save").disabled = true;
    say("password-message", "");
    try {
      await api.changePassword(current, next);
      // The server started a fresh session for this page (with a new CSRF secret).
      await api.refreshCsrf();
      form.reset();
      markInvalid(inputs);
      say("password-message", "Password changed. Every other device has been logged out.", "ok");
    } catch (error) {
      markInvalid(inputs, error.fields);
      say("password-message", explain(error));
    } finally {
      $("#password-save").disabled = false;
    }
  });
}

// API tokens -------------------------------------------------------------------------------

async function loadTokens() {
  try {
    renderTokens(await api.listTokens());
  } catch (error) {
    say("token-message", explain(error));
  }
}

function renderTokens(tokens) {
  $("#tokens-body").replaceChildren(
    ...tokens.map((token) =>
      h(
        "tr",
        { dataset: { id: token.id } },
        h(
          "td",
          { class: "token-name" },
          token.name,
          token.admin ? h("span", { class: "user-tag", text: "Admin scope" }) : null,
        ),
        h("td", {}, h("code", { text: `${token.prefix}…` })),
        h("td", { text: when(token.created_at) }),
        h("td", { text: when(token.last_used_at) }),
        h(
          "td",
          {},
          h("button", {
            type: "button",
            class: "text-btn danger",
            text: "Revoke",
            "aria-label": `Revoke ${token.name}`,
            onclick: () => askRevoke(token),
          }),
        ),
      ),
    ),
  );
  $("#tokens").hidden = tokens.length === 0;
  $("#tokens-empty").hidden = tokens.length > 0;
}

function showSecret(secret) {
  const value = $("#token-secret-value");
  value.value = secret;
  $("#token-secret").hidden = false;
  $("#token-copy").lastChild.textContent = "Copy";
  value.focus();
  value.select();
}

function hideSecret() {
  $("#token-secret-value").value = "";
  $("#token-secret").hidden = true;
}

async function copySecret() {
  const value = $("#token-secret-value");
  value.select();
  try {
    await navigator.clipboard.writeText(value.value);
  } catch {
    // no clipboard permission (an http page on another host): the text stays selected
    return say("token-message", "Copy the selected token with Ctrl+C.", "ok");
  }
  $("#token-copy").lastChild.textContent = "Copied";
}

let revoking = null;

function askRevoke(token) {
  revoking = token;
  $("#revoke-text").textContent =
    `Scripts using “${token.name}” (${token.prefix}…) will stop working at once.`;
  $("#revoke-dialog").showModal();
}

async function revoke() {
  $("#revoke-dialog").close();
  if (!revoking) return;
  const token = revoking;
  revoking = null;
  try {
    await api.revokeToken(token.id);
    say("token-message", `Revoked “${token.name}”.`, "ok");
  } catch (error) {
    say("token-message", explain(error));
  }
  await loadTokens();
}

function setUpTokens() {
  const name = $("#token-name");
  const admin = $("#token-admin"); // admins only
  $("#token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!name.value.trim()) {
      name.setAttribute("aria-invalid", "true");
      name.focus();
      return say("token-message", "Give the token a name, so you know later what uses it.");
    }
    $("#token-create").disabled = true;
    say("token-message", "");
    try {
      const created = await api.createToken(name.value.trim(), Boolean(admin?.checked));
      name.value = "";
      if (admin) admin.checked = false;
      name.setAttribute("aria-invalid", "false");
      showSecret(created.token);
      await loadTokens();
    } catch (error) {
      name.setAttribute("aria-invalid", "true");
      say("token-message", explain(error));
    } finally {
      $("#token-create").disabled = false;
    }
  });
  $("#token-copy").addEventListener("click", copySecret);
  $("#token-done").addEventListener("click", hideSecret);
  $("#revoke-cancel").addEventListener("click", () => $("#revoke-dialog").close());
  $("#revoke-confirm").addEventListener("click", revoke);
  return loadTokens();
}

// Delete account ---------------------------------------------------------------------------

function setUpDelete() {
  const dialog = $("#delete-dialog");
  const password = $("#delete-password");
  $("#delete-account").addEventListener("click", () => {
    password.value = "";
    password.setAttribute("aria-invalid", "false");
    say("delete-message", "");
    dialog.showModal();
    password.focus();
  });
  $("#delete-cancel").addEventListener("click", () => dialog.close());
  $("#delete-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!password.value) {
      password.focus();
      return say("delete-message", "Enter your password to confirm.");
    }
    $("#delete-confirm").disabled = true;
    try {
      await api.deleteAccount(password.value);
      location.assign("/login");
    } catch (error) {
      password.setAttribute("aria-invalid", "true");
      password.select();
      say("delete-message", explain(error));
      $("#delete-confirm").disabled = false;
    }
  });
}

/** Wire the card up; resolves once the token list is drawn. */
export function init() {
  setUpPassword();
  setUpDelete();
  return setUpTokens();
}
