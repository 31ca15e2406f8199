// The full-size image viewer: a dialog with the note's images, arrows between them, Esc closes.
import { $, h, iconButton } from "./dom.js";

let dialog;
let picture;
let counter;
let images = [];
let index = 0;

export function init() {
  dialog = $("#viewer");
  picture = h("img", { class: "viewer-img", alt: "" });
  counter = h("div", { class: "viewer-count", "aria-live": "polite" });
  const previous = iconButton("chevron_left", "Previous image", () => step(-1), "viewer-prev");
  const next = iconButton("chevron_right", "Next image", () => step(1), "viewer-next");
  dialog.append(
    h("div", { class: "viewer-bar" }, counter, iconButton("close", "Close image", () => dialog.close(), "viewer-close")),
    h("div", { class: "viewer-stage" }, previous, picture, next),
  );
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      event.stopPropagation();
      step(event.key === "ArrowLeft" ? -1 : 1);
    }
  });
  dialog.addEventListener("cancel", (event) => event.stopPropagation());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog || event.target.classList.contains("viewer-stage")) dialog.close();
  });
}

export const isOpen = () => Boolean(dialog?.open);

/** Show `list[at]` full size. */
export function show(list, at = 0) {
  images = list;
  index = at;
  render();
  if (!dialog.open) dialog.showModal();
  dialog.querySelector(".viewer-close").focus();
}

export function close() {
  if (dialog.open) dialog.close();
}

function step(by) {
  if (images.length < 2) return;
  index = (index + by + images.length) % images.length;
  render();
}

function render() {
  const image = images[index];
  picture.src = image.url || image.thumb_url;
  picture.width = image.width;
  picture.height = image.height;
  counter.textContent = images.length > 1 ? `${index + 1} of ${images.length}` : "";
  dialog.classList.toggle("single", images.length < 2);
}
