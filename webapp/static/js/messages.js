// The snackbar (with Undo) and readable error messages.
import { $ } from "./dom.js";

let timer = null;

/** Show `text` at the bottom; `action` is an optional [label, callback] such as Undo. */
export function snackbar(text, action = null, timeout = 6000) {
  const bar = $("#snackbar");
  const button = $("#snackbar-action");
  $("#snackbar-text").textContent = text;
  button.hidden = !action;
  button.onclick = null;
  if (action) {
    button.textContent = action[0];
    button.onclick = () => {
      hideSnackbar();
      action[1]();
    };
  }
  // Inside the open modal dialog (the editor after a Version history restore), else the
  // dialog makes the rest of the page inert and Undo could not be clicked
  const host = [...document.querySelectorAll("dialog:modal")].at(-1) ?? document.body;
  if (bar.parentElement !== host) {
    host.append(bar);
    if (host !== document.body) host.addEventListener("close", () => leaveDialog(host), { once: true });
  }
  bar.hidden = false;
  // The top layer keeps the snackbar above an open dialog's backdrop; re-showing raises it.
  if (bar.showPopover) {
    if (bar.matches(":popover-open")) bar.hidePopover();
    bar.showPopover();
  }
  clearTimeout(timer);
  timer = setTimeout(hideSnackbar, timeout);
}

/** The dialog holding the snackbar closed: the snackbar stays on screen, back on the page. */
function leaveDialog(host) {
  const bar = $("#snackbar");
  if (bar.parentElement !== host) return;
  document.body.append(bar); // leaving the dialog hid its popover
  if (!bar.hidden && bar.showPopover) bar.showPopover();
}

export function hideSnackbar() {
  const bar = $("#snackbar");
  if (bar.hidePopover && bar.matches(":popover-open")) bar.hidePopover();
  bar.hidden = true;
}

/** Tell the person what went wrong, in words. */
export function showError(error) {
  const message =
    error?.code === "offline" || error?.status
      ? error.message
      : "Something went wrong. Please try again.";
  if (!error?.status && error?.code !== "offline") console.error(error);
  snackbar(message, null, 8000);
  $("#snackbar").classList.add("error");
  setTimeout(() => $("#snackbar").classList.remove("error"), 8000);
}
