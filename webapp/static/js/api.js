// The REST client: CSRF header on every write, the error envelope turned into ApiError.
// In server mode a 401 means the session ended (logged out elsewhere, password changed,
// account deleted): the page goes to the login page rather than show a broken state.

const csrfMeta = () => document.querySelector('meta[name="csrf-token"]');
const csrfToken = () => csrfMeta().content;

// The desktop's first page may be its cached shell (desktop/thin.py), which carries no CSRF
// token: the first write fetches one first (one request for all the writes that wait on it).
let fetchingCsrf = null;

/** The page's CSRF token, fetched first when the page has none (for writes made without
 * this module's client: the sync indicator's). */
export async function csrfTokenReady() {
  await csrfReady();
  return csrfToken();
}

function csrfReady() {
  if (csrfToken()) return Promise.resolve();
  fetchingCsrf ??= api.refreshCsrf().finally(() => {
    fetchingCsrf = null;
  });
  return fetchingCsrf;
}

/** Accounts are on: the template says so (server mode), so no request is needed to know. */
export const accountsOn = () => document.body.dataset.accounts === "on";

let leaving = false;

/** Off to /login, back here afterwards. The promise never settles: nothing else should happen
 * on a page whose session is gone (drafts stay in localStorage and on the server). */
export function loginAgain() {
  if (!leaving) {
    leaving = true;
    const here = location.pathname + location.search + location.hash;
    location.assign(`/login?next=${encodeURIComponent(here)}`);
  }
  return new Promise(() => {});
}

export class ApiError extends Error {
  constructor(status, code, message, fields = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

/** The server could not be reached at all. */
export class OfflineError extends Error {
  constructor() {
    super("Kaap can't be reached. Your changes are kept on this device and saved when it's back.");
    this.code = "offline";
  }
}

async function request(method, path, { body, version, keepalive, form } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    await csrfReady();
    headers["X-CSRFToken"] = csrfToken();
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (version != null) headers["If-Match"] = `"${version}"`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
    });
  } catch {
    throw new OfflineError();
  }
  if (response.status === 401 && accountsOn()) return loginAgain();
  // The API answers: the token too, now rather than at the first write (a web view may not
  // keep a cookie first set when the disk is already full, as WebKitGTK does not).
  if (response.ok && !csrfToken()) csrfReady().catch(() => {});
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(
      response.status,
      error.code ?? `http_${response.status}`,
      error.message ?? `The server answered ${response.status}.`,
      error.fields ?? {},
    );
  }
  return data;
}

/** A multipart POST through XMLHttpRequest, for its upload progress events. */
async function upload(path, form, onProgress) {
  await csrfReady();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.withCredentials = true;
    if (onProgress) {
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable && event.total) onProgress(event.loaded / event.total);
      });
    }
    xhr.addEventListener("error", () => reject(new OfflineError()));
    xhr.addEventListener("load", () => {
      if (xhr.status === 401 && accountsOn()) return loginAgain();
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const error = data?.error ?? {};
      const message =
        error.message ??
        (xhr.status === 413
          ? "That image is too large to upload."
          : `The server answered ${xhr.status}.`);
      reject(new ApiError(xhr.status, error.code ?? `http_${xhr.status}`, message, error.fields ?? {}));
    });
    xhr.send(form);
  });
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value != null && value !== "") search.set(key, value);
  }
  return search.toString();
}

export const api = {
  listNotes: (params) => request("GET", `/api/notes?${query(params)}`),
  getNote: (id) => request("GET", `/api/notes/${id}`),
  createNote: (fields) => request("POST", "/api/notes", { body: fields }),
  updateNote: (id, fields, version, options = {}) =>
    request("PATCH", `/api/notes/${id}`, { body: fields, version, ...options }),
  trashNote: (id) => request("POST", `/api/notes/${id}/trash`),
  restoreNote: (id) => request("POST", `/api/notes/${id}/restore`),
  copyNote: (id) => request("POST", `/api/notes/${id}/copy`),
  // Between the notes shown above (after) and below (before) it; a missing one is left out.
  moveNote: (id, after, before) =>
    request("POST", `/api/notes/${id}/move`, {
      body: { ...(after ? { after } : {}), ...(before ? { before } : {}) },
    }),
  bulk: (body) => request("POST", "/api/notes/bulk", { body }),
  deleteNote: (id) => request("DELETE", `/api/notes/${id}`),
  emptyTrash: () => request("DELETE", "/api/trash"),
  // Reminders: the notes with one, soonest first (state "upcoming", "done" or "all")
  listReminders: (params) => request("GET", `/api/reminders?${query(params)}`),
  reminderDone: (id) => request("POST", `/api/notes/${id}/reminder/done`),
  /** This page showed the reminder due at `at`: a repeating one moves on (the server's rule). */
  reminderNotified: (id, at) => request("POST", `/api/notes/${id}/reminder/notified`, { body: { at } }),
  /** What Later today, Tomorrow and Next week mean now, in `zone` (UTC times, null: not offered). */
  reminderPresets: (zone) => request("GET", `/api/reminders/presets?${query({ zone })}`),
  /** Upload files to a note: {images, note_version}; `onProgress(fraction)` as it goes. */
  addImages: (id, files, onProgress = null) => {
    const form = new FormData();
    for (const file of files) form.append("file", file);
    return upload(`/api/notes/${id}/images`, form, onProgress);
  },
  /** A note whose content is images: `fields` (color, pinned, label_ids...) ride along. */
  createNoteWithImages: (fields, files, onProgress = null) => {
    const form = new FormData();
    for (const file of files) form.append("file", file);
    form.append("note", JSON.stringify(fields));
    return upload("/api/notes/images", form, onProgress);
  },
  deleteImage: (id) => request("DELETE", `/api/images/${id}`),
  // A note's history: its versions newest first, one version's full state, a restore
  /** Every version of the note, newest first (the pages of 100 followed to the end). */
  listVersions: async (id) => {
    const versions = [];
    let before = null;
    do {
      const page = await request("GET", `/api/notes/${id}/versions?${query({ limit: 100, before })}`);
      versions.push(...page.versions);
      before = page.next_before;
    } while (before != null);
    return versions;
  },
  getVersion: (id, number) => request("GET", `/api/notes/${id}/versions/${number}`),
  /** `version` is the note's version the restore replaces: 412 if it changed meanwhile. */
  restoreVersion: (id, number, version) =>
    request("POST", `/api/notes/${id}/versions/${number}/restore`, { version }),
  listDrafts: () => request("GET", "/api/drafts"),
  keepDraft: (key, content, options = {}) =>
    request("PUT", `/api/drafts/${key}`, { body: { content }, ...options }),
  dropDraft: (key, options = {}) => request("DELETE", `/api/drafts/${key}`, options),
  updateSettings: (changes) => request("PATCH", "/api/settings", { body: changes }),
  listLabels: () => request("GET", "/api/labels"),
  createLabel: (name) => request("POST", "/api/labels", { body: { name } }),
  renameLabel: (id, name) => request("PATCH", `/api/labels/${id}`, { body: { name } }),
  deleteLabel: (id) => request("DELETE", `/api/labels/${id}`),
  // Your account (server mode only: with accounts off these answer 404)
  changePassword: (currentPassword, newPassword) =>
    request("PUT", "/api/account/password", {
      body: { current_password: currentPassword, new_password: newPassword },
    }),
  deleteAccount: (password) => request("DELETE", "/api/account", { body: { password } }),
  listTokens: () => request("GET", "/api/account/tokens"),
  createToken: (name, admin = false) =>
    request("POST", "/api/account/tokens", { body: admin ? { name, admin } : { name } }),
  revokeToken: (id) => request("DELETE", `/api/account/tokens/${id}`),
  // Users (admins only: others get 404)
  listUsers: () => request("GET", "/api/users"),
  createUser: (username, password, isAdmin) =>
    request("POST", "/api/users", { body: { username, password, is_admin: isAdmin } }),
  deleteUser: (id) => request("DELETE", `/api/users/${id}`),
  /** A new login session has a new CSRF secret (after a password change): fetch its token. */
  refreshCsrf: async () => {
    const { csrf_token: token } = await request("GET", "/api/csrf");
    csrfMeta().content = token;
  },
};
