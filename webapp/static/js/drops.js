// Images that arrive by pasting (a screenshot) or by dropping files: the same upload as the
// image button. A drop target is highlighted while files are dragged over it.
import { h } from "./dom.js";

const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");

/** The image files of a paste's clipboard data. */
function pastedImages(data) {
  if (!data) return [];
  const files = [...(data.files ?? [])].filter((file) => file.type.startsWith("image/"));
  if (files.length) return files;
  return [...(data.items ?? [])]
    .filter((item) => item.kind === "file" && item.type.startsWith("image/"))
    .map((item) => item.getAsFile())
    .filter(Boolean);
}

/** `onFiles(files)` gets the images pasted anywhere inside `element`; text pastes as usual. */
export function acceptPaste(element, onFiles) {
  element.addEventListener("paste", (event) => {
    const files = pastedImages(event.clipboardData);
    if (!files.length) return;
    event.preventDefault();
    onFiles(files);
  });
}

/**
 * `element` takes dropped files (`onFiles(files)`; the server judges what is an image, so a
 * wrong file gets its readable error) and carries `.drop-target` while files hover over it.
 */
export function acceptDrop(element, onFiles) {
  let depth = 0;
  const leave = () => {
    depth = 0;
    element.classList.remove("drop-target");
  };
  element.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth += 1;
    element.classList.add("drop-target");
  });
  element.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.stopPropagation();
    event.dataTransfer.dropEffect = "copy";
    element.classList.add("drop-target");
  });
  element.addEventListener("dragleave", (event) => {
    if (!hasFiles(event)) return;
    depth -= 1;
    if (depth <= 0 || !element.contains(event.relatedTarget)) leave();
  });
  element.addEventListener("drop", (event) => {
    const files = [...(event.dataTransfer?.files ?? [])];
    leave();
    if (!files.length) return;
    event.preventDefault();
    event.stopPropagation();
    onFiles(files);
  });
}

/** A file dropped outside every target must not make the browser navigate to it. */
export function guardPage() {
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (event) => {
      if (hasFiles(event)) event.preventDefault();
    });
  }
}

/** A thin bar: `set(fraction)` fills it, `set(null)` for "working", `done()` removes it. */
export function progressBar() {
  const fill = h("div", { class: "upload-fill" });
  const bar = h(
    "div",
    { class: "upload-progress indeterminate", role: "progressbar", "aria-label": "Uploading images" },
    fill,
  );
  return {
    element: bar,
    set(fraction) {
      const known = fraction != null && fraction < 1;
      bar.classList.toggle("indeterminate", !known);
      if (known) {
        fill.style.width = `${Math.round(fraction * 100)}%`;
        bar.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
      } else {
        fill.style.removeProperty("width");
        bar.removeAttribute("aria-valuenow");
      }
    },
    done() {
      bar.remove();
    },
  };
}
