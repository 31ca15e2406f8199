// Reminders, as Keep shows them: the bell's "Remind me" popover (Later today, Tomorrow, Next
// week, Pick date & time with a repeat), the chip on a card and in the editor, Mark as done.
// The times are the person's, in their zone (Intl); the server keeps them in UTC with it.
import { api } from "./api.js";
import { h, icon, iconButton } from "./dom.js";
import { showError, snackbar } from "./messages.js";
import * as notify from "./reminders-notify.js";
import { closePopover, showPopover } from "./pickers.js";
import { noteChanged } from "./store.js";

/** The person's time zone, as the browser knows it ("Europe/Amsterdam"). */
export const zone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export const REPEATS = [
  [null, "Does not repeat"],
  ["daily", "Daily"],
  ["weekly", "Weekly"],
  ["monthly", "Monthly"],
  ["yearly", "Yearly"],
];

// Keep's times of day (morning, afternoon, evening, night): "Later today" is the first of them
// at least an hour ahead; Tomorrow and Next week (Monday) are mornings.
const LATER_TODAY_HOURS = [8, 13, 18, 20];
const LEAD_MS = 60 * 60 * 1000;
const MORNING = 8;
const PRESET_NAMES = { later_today: "Later today", tomorrow: "Tomorrow", next_week: "Next week" };

/** When each preset falls, worked out here as the server does: shown at once, then replaced by
 * the server's own answer (GET /api/reminders/presets, its clock), which is what it will set. */
export function presetTimes(now = new Date()) {
  const at = (days, hour) => {
    const when = new Date(now);
    when.setDate(when.getDate() + days);
    when.setHours(hour, 0, 0, 0);
    return when;
  };
  const later = LATER_TODAY_HOURS.map((hour) => at(0, hour)).find((when) => when - now >= LEAD_MS) ?? null;
  const untilMonday = ((8 - now.getDay()) % 7) || 7; // the next Monday, a week on from a Monday
  return { later_today: later, tomorrow: at(1, MORNING), next_week: at(untilMonday, MORNING) };
}

/** Later today when it is offered, else Tomorrow: the reminder a note made in the Reminders view gets. */
export function soonestPreset() {
  const times = presetTimes();
  return { preset: times.later_today ? "later_today" : "tomorrow", zone: zone() };
}

/** A reminder as the chip shows it before the server has it (the composer's, not yet saved). */
export function shownBefore(value) {
  const at = value.preset ? presetTimes()[value.preset] : new Date(value.at);
  return { at: at.toISOString(), local: value.preset ? null : value.at, repeat: value.repeat ?? null, done: false };
}

const presetTime = (preset, when) =>
  preset === "next_week" ? `${when.toLocaleDateString([], { weekday: "short" })}, ${timeText(when)}` : timeText(when);

const timeText = (when) => when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Keep's wording: "Today, 8:00 PM", "Tomorrow, 8:00 AM", "Dec 8, 8:00 AM", "Jan 3, 2028, 8:00 AM". */
export function whenText(iso, now = new Date()) {
  const when = new Date(iso);
  const day = (offset) => {
    const other = new Date(now);
    other.setDate(other.getDate() + offset);
    return other;
  };
  let date;
  if (sameDay(when, now)) date = "Today";
  else if (sameDay(when, day(1))) date = "Tomorrow";
  else if (sameDay(when, day(-1))) date = "Yesterday";
  else if (when.getFullYear() === now.getFullYear()) date = when.toLocaleDateString([], { month: "short", day: "numeric" });
  else date = when.toLocaleDateString([], { year: "numeric", month: "short", day: "numeric" });
  return `${date}, ${timeText(when)}`;
}

/** "upcoming", "past" (due, not marked done) or "done". */
export function stateOf(reminder, now = Date.now()) {
  if (reminder.done) return "done";
  return new Date(reminder.at).getTime() <= now ? "past" : "upcoming";
}

const repeatName = (repeat) => REPEATS.find(([key]) => key === repeat)?.[1] ?? "";

/**
 * The chip for `note`'s reminder (null without one): click to change it, x to remove it.
 * `change(value)` sets it (a PATCH value, or null to remove); `done()` marks it done.
 */
export function chip(note, { change, done, readOnly = false }) {
  const reminder = note.reminder;
  if (!reminder) return null;
  const state = stateOf(reminder);
  const text = whenText(reminder.at);
  const repeat = reminder.repeat ? ` (${repeatName(reminder.repeat)})` : "";
  const label = h(
    "button",
    {
      type: "button",
      class: "reminder-chip-open",
      title: `Reminder: ${text}${repeat}${state === "done" ? ", done" : ""}`,
      "aria-label": `Reminder ${text}${repeat}. Change reminder`,
      disabled: readOnly,
      onclick: (event) => {
        event.stopPropagation();
        pick(element, note, { change, done });
      },
    },
    icon(reminder.repeat ? "repeat" : "schedule", "reminder-chip-icon"),
    h("span", { class: "reminder-chip-text", text }),
  );
  const element = h(
    "span",
    { class: `chip reminder-chip reminder-${state}`, dataset: { state } },
    label,
    readOnly ? null : iconButton("close", "Remove reminder", () => change(null), "chip-remove"),
  );
  return element;
}

/** The "Remind me" popover under `anchor` for `note` (or the composer's {reminder}). */
export function pick(anchor, note, { change, done = null }) {
  const reminder = note.reminder ?? null;
  const set = (value) => {
    closePopover();
    if (value) notify.askOnce(); // a click: the one moment a browser lets a page ask
    change(value);
  };
  const presets = Object.entries(PRESET_NAMES).map(([preset, name]) =>
    h(
      "button",
      {
        type: "button",
        class: "remind-option",
        dataset: { preset },
        onclick: () => set({ preset, zone: zone() }),
      },
      h("span", { class: "remind-name", text: name }),
      h("span", { class: "remind-time" }),
    ),
  );
  const showTimes = (times) => {
    for (const button of presets) {
      const when = times[button.dataset.preset];
      button.hidden = !when; // no "Later today" late in the evening, as in Keep
      if (when) button.querySelector(".remind-time").textContent = presetTime(button.dataset.preset, when);
    }
  };
  showTimes(presetTimes());
  api.reminderPresets(zone()).then(
    (times) => {
      const parsed = Object.fromEntries(Object.entries(times).map(([key, iso]) => [key, iso ? new Date(iso) : null]));
      showTimes(parsed);
      element.dataset.presets = "server"; // the times shown are the ones the server will set
    },
    () => {}, // offline: the times worked out here stand
  );
  const extra = [];
  if (reminder && done && !reminder.done) {
    extra.push(
      h(
        "button",
        {
          type: "button",
          class: "remind-option remind-done",
          onclick: () => {
            closePopover();
            done();
          },
        },
        icon("check"),
        h("span", { class: "remind-name", text: "Mark as done" }),
      ),
    );
  }
  if (reminder) {
    extra.push(
      h(
        "button",
        { type: "button", class: "remind-option remind-remove", onclick: () => set(null) },
        icon("delete"),
        h("span", { class: "remind-name", text: "Remove reminder" }),
      ),
    );
  }
  const main = h(
    "div",
    { class: "remind-main" },
    h("div", { class: "remind-title", text: "Remind me later" }),
    h("div", { class: "remind-hint", text: `Times in ${zone().replaceAll("_", " ")}` }),
    presets,
    h(
      "button",
      { type: "button", class: "remind-option remind-custom", onclick: () => element.replaceChildren(custom()) },
      icon("schedule"),
      h("span", { class: "remind-name", text: "Pick date & time" }),
    ),
    extra,
  );
  const custom = () => {
    const start = reminder ? new Date(reminder.at) : presetTimes().tomorrow;
    // a reminder's own wall-clock time, in its zone (the server's "local")
    const [day, hour] = reminder?.local ? reminder.local.split("T") : [localDate(start), localTime(start)];
    const date = h("input", { type: "date", class: "remind-date", "aria-label": "Date", value: day, required: true });
    const time = h("input", { type: "time", class: "remind-clock", "aria-label": "Time", value: hour, required: true });
    const repeat = h(
      "select",
      { class: "remind-repeat", "aria-label": "Repeat" },
      REPEATS.map(([key, name]) => {
        const option = h("option", { value: key ?? "", text: name });
        option.selected = (reminder?.repeat ?? null) === key;
        return option;
      }),
    );
    const error = h("div", { class: "remind-error", role: "alert" });
    const save = () => {
      if (!date.value || !time.value) {
        error.textContent = "Choose a date and a time.";
        return;
      }
      // the wall-clock time in the person's zone: the server turns it into UTC there (and a
      // repeating one stays at that hour across DST changes)
      set({ at: `${date.value}T${time.value}`, zone: zone(), repeat: repeat.value || null });
    };
    const panel = h(
      "div",
      { class: "remind-pick" },
      h(
        "div",
        { class: "remind-pick-head" },
        iconButton("arrow_back", "Back", () => element.replaceChildren(main)),
        h("span", { class: "remind-title", text: "Pick date & time" }),
      ),
      date,
      time,
      repeat,
      error,
      h("div", { class: "remind-actions" }, h("button", { type: "button", class: "text-btn primary remind-save", onclick: save }, "Save")),
    );
    requestAnimationFrame(() => date.focus());
    return panel;
  };
  const element = h("div", { class: "remind-picker", role: "dialog", "aria-label": "Remind me" }, main);
  showPopover(anchor, element);
  element.querySelector("button")?.focus();
}

const pad = (n) => String(n).padStart(2, "0");
const localDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const localTime = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** Set (or, with null, remove) a note's reminder from a card; the grid redraws it. */
export async function setOn(note, value) {
  try {
    const before = note.reminder;
    const updated = await api.updateNote(note.id, { reminder: value });
    noteChanged(updated);
    if (value === null && before) {
      const back = { at: before.local ?? before.at, zone: before.zone, repeat: before.repeat };
      snackbar("Reminder deleted", ["Undo", () => setOn(updated, before.done ? { ...back, done: true } : back)]);
    }
    return updated;
  } catch (error) {
    showError(error);
    return null;
  }
}

/** Mark a note's reminder done (a repeating one moves on to its next time, as the server says). */
export async function markDone(note) {
  try {
    const updated = await api.reminderDone(note.id);
    noteChanged(updated);
    snackbar(updated.reminder && !updated.reminder.done ? "Reminder done: next one set" : "Reminder done");
    return updated;
  } catch (error) {
    showError(error);
    return null;
  }
}
