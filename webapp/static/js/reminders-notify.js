// In a browser, a reminder that falls due while the page is open shows a notification (the
// Notification API, once the person allowed it). The page keeps the upcoming reminders (from
// GET /api/reminders, then every note change it hears) and one timer for the soonest; clicking
// the notification brings the page forward with the note open. The desktop window leaves this
// to the desktop shell, which notifies through the system even with the window closed.
import { api } from "./api.js";
import { bus } from "./store.js";

const ASKED = "kaap.notifications-asked";
const LONGEST = 60 * 60 * 1000; // re-armed at least hourly: timers drift across a sleep
const SINCE_SLACK = 1000;

const upcoming = new Map(); // note id -> {at (ms), title, iso}
const shown = new Set(); // "id@iso": each due time notified once
let timer = null;
let since = Date.now(); // reminders due before the page opened are not this page's to show

export const desktop = () => document.body.dataset.desktop === "true";

/** Notifications can be shown here: a browser with the API, not the desktop window. */
export const supported = () => !desktop() && typeof Notification === "function";

export const permission = () => (supported() ? Notification.permission : "unsupported");

/** Ask for permission (only ever from a click); resolves to the answer. */
export async function ask() {
  if (!supported()) return "unsupported";
  localStorage.setItem(ASKED, "1");
  try {
    const answer = await Notification.requestPermission();
    document.body.dataset.notifications = answer;
    return answer;
  } catch {
    return Notification.permission;
  }
}

/** Ask the first time a reminder is set, never again unprompted (the Reminders view offers it). */
export function askOnce() {
  if (supported() && Notification.permission === "default" && !localStorage.getItem(ASKED)) ask();
}

export function init() {
  if (!supported()) return;
  document.body.dataset.notifications = Notification.permission;
  since = Date.now() - SINCE_SLACK;
  bus.addEventListener("note", (event) => track(event.detail));
  bus.addEventListener("removed", (event) => {
    upcoming.delete(event.detail);
    arm();
  });
  document.addEventListener("visibilitychange", () => check());
  refresh();
}

/** Every upcoming reminder, from the server (at start, after one falls due). */
async function refresh() {
  let page;
  try {
    page = await api.listReminders({ state: "upcoming", limit: 100 }); // the soonest come first
  } catch {
    return; // offline: the notes the page hears of meanwhile still arm the timer
  }
  upcoming.clear();
  for (const note of page.items ?? page) remember(note);
  arm();
}

function remember(note) {
  const reminder = note.reminder;
  if (!reminder || reminder.done || note.trashed_at) {
    upcoming.delete(note.id);
    return;
  }
  upcoming.set(note.id, { at: new Date(reminder.at).getTime(), iso: reminder.at, title: note.title });
}

function track(note) {
  remember(note);
  arm();
}

/** One timer, for the soonest reminder still to show. */
function arm() {
  clearTimeout(timer);
  timer = null;
  const next = Math.min(...[...upcoming.entries()].filter(([id, r]) => !shown.has(`${id}@${r.iso}`) && r.at > since).map(([, r]) => r.at));
  if (!Number.isFinite(next)) {
    delete document.body.dataset.nextReminder;
    return;
  }
  // a hook for tests and a way to see what the page waits for
  document.body.dataset.nextReminder = new Date(next).toISOString();
  timer = setTimeout(check, Math.max(0, Math.min(next - Date.now(), LONGEST)));
}

function check() {
  const now = Date.now();
  let any = false;
  for (const [id, reminder] of upcoming) {
    const key = `${id}@${reminder.iso}`;
    if (reminder.at > now || reminder.at <= since || shown.has(key)) continue;
    shown.add(key);
    any = true;
    show(id, reminder);
  }
  if (any) setTimeout(refresh, 1500); // a repeating one has moved on: take its next time
  arm();
}

function show(id, reminder) {
  if (Notification.permission !== "granted") return;
  const when = new Date(reminder.at).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  const notification = new Notification(reminder.title || "Reminder", {
    body: `Reminder · ${when}`,
    tag: `kaap-reminder-${id}`,
    icon: "/static/icons/kaap-192.png",
  });
  notification.addEventListener("click", () => {
    window.focus();
    notification.close();
    location.hash = `#note/${id}`;
  });
  // Recorded on the server: shown once, and a repeating reminder moves on to its next time
  // (which the refresh after this check picks up). Offline: the next page load shows it again.
  api.reminderNotified(id, reminder.iso).catch(() => {});
}
