// SortableJS with the options every reorderable list on the page shares: mouse, touch and pen.
import Sortable from "../vendor/sortablejs/sortable.esm.js";

const DEFAULTS = {
  animation: 150,
  // SortableJS's own pointer-driven drag for every input: native drag and drop never starts on
  // touch screens, and with it mouse and touch drags look and behave the same
  forceFallback: true,
  fallbackTolerance: 3, // a click with a shaky hand is not a drag
  // on touch a short press picks the item up; a swipe before that scrolls as usual
  delay: 200,
  delayOnTouchOnly: true,
  touchStartThreshold: 5,
  ghostClass: "sortable-ghost", // the placeholder left in the list
  dragClass: "sortable-drag", // the copy that follows the pointer
};

/** Let `list`'s children be dragged into a new order; `options` are SortableJS's (handle, onEnd...). */
export function sortable(list, options) {
  return Sortable.create(list, { ...DEFAULTS, ...options });
}
