"""Drivers for scenarios the self-test does not cover: ``python -m tests.desktop.drivers NAME``
followed by Kaap's own options. Each runs in the window's process, like the self-test."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

from desktop.js import awaited, value
from desktop.main import parse_args
from desktop.probe import PAINTED_JS
from desktop.selftest import (
    CREATE_NOTE_JS,
    CSRF_TOKEN_JS,
    PAGE_READY,
    request,
    wait_for,
    wait_loaded,
)
from desktop.shell import Shell

CLICK_EXTERNAL_LINK_JS = """
var link = document.createElement('a');
link.href = 'https://example.invalid/from-a-note';
link.textContent = 'a link in a note';
document.body.appendChild(link);
link.click();
0
"""


def external_link(session) -> None:
    """A link to another site goes to the system browser; the window stays on Kaap."""
    wait_loaded(session)
    origin = value(session.window, "location.origin")
    session.window.run_js(CLICK_EXTERNAL_LINK_JS)
    time.sleep(1.5)
    assert value(session.window, "location.origin") == origin, "the window left Kaap"


# --- drafts and settings across launches (tests/desktop/test_relaunch.py) ------------------

UNSAVED = "typed while the server could not save it: 회의 ✓"
EDITED = "an edit whose save never finished"
log = logging.getLogger("kaap.test-driver")


def _busy(*args, **kwargs):
    """What a locked database does to a write: the API answers 503."""
    raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))


def _type(window, selector: str, text: str) -> None:
    """Set a field's text and tell the page, as typing would."""
    window.run_js(
        f"var f = document.querySelector({json.dumps(selector)}); f.focus(); "
        f"f.value = {json.dumps(text)}; f.dispatchEvent(new Event('input', {{bubbles: true}})); 0"
    )


def _api(session, path: str):
    status, body = request(session, path)
    assert status == 200, f"{path}: {status} {body!r}"
    return json.loads(body)


def _eventually(check, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


def _screenshot_pause(session) -> None:
    """Log that the window shows what the test wants to see, and give it time to look."""
    awaited(session.window, PAINTED_JS)
    time.sleep(0.3)  # the web view's frame reaches the X screen a little after it is drawn
    log.info("window ready for a screenshot")
    flag = session.data_dir / "screenshot-taken"
    _eventually(flag.exists, "the test took no screenshot", timeout=15)
    flag.unlink()


def leave_unsaved(session) -> None:
    """Launch 1: the server fails the composer's save (503); the theme and layout change.
    With KAAP_TEST_DRAFTS_FAIL=1 it fails the drafts too: only localStorage has the text."""
    from webapp.drafts import service as drafts
    from webapp.notes import service as notes

    notes.create_note = _busy
    if os.environ.get("KAAP_TEST_DRAFTS_FAIL") == "1":
        drafts.keep_draft = _busy
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    window = session.window
    window.run_js("document.querySelector('#composer-open').click(); 0")
    _type(window, "#composer .nf-body", UNSAVED)
    window.run_js("document.body.dispatchEvent(new MouseEvent('mousedown', {bubbles: true})); 0")
    wait_for(session, "!document.querySelector('#snackbar').hidden", "no error was shown")
    window.run_js("document.querySelector('#theme-toggle').click(); 0")
    window.run_js("document.querySelector('#layout-toggle').click(); 0")
    _eventually(
        lambda: (
            _api(session, "/api/settings").items() >= {"theme": "dark", "layout": "list"}.items()
        ),
        "the settings did not reach the server",
    )
    if os.environ.get("KAAP_TEST_DRAFTS_FAIL") == "1":
        stored = value(window, "localStorage.getItem('kaap.composer')")
        assert UNSAVED in stored, stored
        time.sleep(1.5)  # the web view writes its storage to disk on a timer
    else:
        _eventually(
            lambda: (
                [d["content"]["fields"]["body"] for d in _api(session, "/api/drafts")] == [UNSAVED]
            ),
            "the draft did not reach the server",
        )
    assert _api(session, "/api/notes")["items"] == []
    _screenshot_pause(session)


def find_unsaved(session) -> None:
    """Launch 2: the composer offers the draft; dark theme and list layout; then it saves."""
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    window = session.window
    composer = "document.querySelector('#composer .nf-body').value"
    wait_for(session, f"{composer} === {json.dumps(UNSAVED)}", "the draft was not offered")
    assert value(window, "document.documentElement.dataset.theme") == "dark"
    assert value(window, "document.body.classList.contains('list-view')")
    _screenshot_pause(session)
    window.run_js("document.body.dispatchEvent(new MouseEvent('mousedown', {bubbles: true})); 0")
    _eventually(
        lambda: [n["body"] for n in _api(session, "/api/notes")["items"]] == [UNSAVED],
        "the offered draft was not saved",
    )
    _eventually(lambda: _api(session, "/api/drafts") == [], "the saved draft was not dropped")
    log.info("the draft of the last launch was offered and saved")


def crash_while_saving(session) -> None:
    """An edit whose save hangs on the server; the test kills Kaap (SIGKILL) meanwhile."""
    from webapp.notes import service as notes

    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    window = session.window
    created = awaited(window, CREATE_NOTE_JS % json.dumps("Before the crash"))
    note_id = created["body"]["id"]
    window.run_js("location.reload(); 0")
    wait_for(session, f"{PAGE_READY} && !!document.querySelector('.card')", "no card")
    notes.update_note = lambda *args, **kwargs: threading.Event().wait()  # never answers
    window.run_js("document.querySelector('.card').click(); 0")
    wait_for(session, "document.querySelector('dialog#editor').open", "the editor did not open")
    _type(window, "#editor .nf-body", EDITED)
    _eventually(
        lambda: [d["key"] for d in _api(session, "/api/drafts")] == [f"note-{note_id}"],
        "the pending edit's draft did not reach the server",
    )
    log.info("edit pending on note %d", note_id)
    threading.Event().wait()  # until the test kills the process


def find_edit_saved(session) -> None:
    """After the crash: the pending edit was offered again and saved."""
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    _eventually(
        lambda: [n["body"] for n in _api(session, "/api/notes")["items"]] == [EDITED],
        "the pending edit was not saved at the next start",
    )
    _eventually(lambda: _api(session, "/api/drafts") == [], "the saved draft was not dropped")
    log.info("the edit pending at the crash is saved")


# --- a full disk (tests/desktop/test_window.py) -------------------------------------------

FULL_DISK_TEXT = "typed on a full disk"


def write_on_full_disk(session) -> None:
    """Started on a full disk (KAAP_TEST_DISK is its mount point): the daily backup is
    skipped; the disk is filled again, and a note saved from the page shows the 507's
    sentence while the text stays in the composer."""
    from tests.disk.tmpfs import fill

    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    log_file = session.data_dir / "logs" / "kaap.log"
    _eventually(
        lambda: "skipped the daily backup" in log_file.read_text(), "no skipped daily backup"
    )
    filler = fill(Path(os.environ["KAAP_TEST_DISK"]))
    try:
        window = session.window
        for attempt in range(1, 4):
            said = _save_composer_note(session, FULL_DISK_TEXT)
            if not said.startswith("Kaap can't be reached"):
                break
            # WebKit's own network process, its files on the same full disk, sometimes fails
            # the load before it reaches Kaap (WebLoaderStrategy's "internally failed load"):
            # the page keeps the text and says so. A person would try again; so does this.
            log.warning("attempt %d: WebKit did not send the save: %s", attempt, said)
            window.run_js("document.querySelector('#snackbar').hidden = true; 0")
            time.sleep(2)
        assert said.startswith("The disk holding ") and "is full" in said, said
        kept = value(window, "document.querySelector('#composer .nf-body').value")
        assert kept == FULL_DISK_TEXT, kept
    finally:
        filler.unlink()
    log.info("the page said: %s", said)


def _save_composer_note(session, text: str) -> str:
    """Type ``text`` into the composer (opened if it is not) and click outside it: what the
    snackbar then says."""
    window = session.window
    if not value(window, "!!document.querySelector('#composer.expanded')"):
        window.run_js("document.querySelector('#composer-open').click(); 0")
    _type(window, "#composer .nf-body", text)
    window.run_js("document.body.dispatchEvent(new MouseEvent('mousedown', {bubbles: true})); 0")
    wait_for(session, "!document.querySelector('#snackbar').hidden", "no error was shown")
    return value(window, "document.querySelector('#snackbar-text').textContent")


# --- the own order in the real window (tests/desktop/test_window.py) -----------------------

TITLES_JS = (
    "[...document.querySelectorAll('#grid-others .card .card-title')].map(t => t.textContent)"
)


def move_in_window(session) -> None:
    """Three notes made through the page; Shift+J on the first card moves it down one, in the
    web view's own page and on the server (#16's own order, in WebKitGTK and QtWebEngine)."""
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    window = session.window
    for title in ("a", "b", "c"):
        made = awaited(window, CREATE_NOTE_JS % json.dumps(title))
        assert made["status"] == 201, made
    # The page drawn anew (a mark on the old one tells them apart): new notes first, as Keep.
    window.run_js("window.kaapOldPage = true; location.reload(); 0")
    wait_for(
        session,
        f'!window.kaapOldPage && {PAGE_READY} && JSON.stringify({TITLES_JS}) === \'["c","b","a"]\'',
        "the notes were not drawn newest first",
    )
    window.run_js(
        "var card = document.querySelector('#grid-others .card'); card.focus();"
        "card.dispatchEvent(new KeyboardEvent('keydown', {key: 'J', shiftKey: true,"
        " bubbles: true})); 0"
    )
    _eventually(
        lambda: [n["title"] for n in _api(session, "/api/notes")["items"]] == ["b", "c", "a"],
        "Shift+J did not move the note on the server",
    )
    assert value(window, TITLES_JS) == ["b", "c", "a"]


# --- note history (tests/desktop/test_window.py) ------------------------------------------

WRITE_JS = (
    CSRF_TOKEN_JS
    + """.then(token => fetch(%s, {
  method: %s,
  headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
  body: JSON.stringify(%s)
})).then(r => r.json().then(body => ({status: r.status, body: body})))"""
)


def history_in_window(session) -> None:
    """What a note said before: the editor's More menu, "Version history", the older version,
    "Restore this version": the note says it again, in the web view and on the server."""
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    window = session.window
    said = {"title": "Tuesday", "body": "what the note said on Tuesday"}
    made = awaited(window, WRITE_JS % ('"/api/notes"', '"POST"', json.dumps(said)))
    assert made["status"] == 201, made
    note_id = made["body"]["id"]
    edit = {"body": "rewritten since"}
    url = json.dumps(f"/api/notes/{note_id}")
    assert awaited(window, WRITE_JS % (url, '"PATCH"', json.dumps(edit)))["status"] == 200
    window.run_js(f"location.hash = '#note/{note_id}'; 0")
    wait_for(session, "document.querySelector('dialog#editor').open", "the editor did not open")
    window.run_js("document.querySelector('dialog#editor [aria-label=\"More\"]').click(); 0")
    window.run_js(
        "[...document.querySelectorAll('[role=menuitem]')]"
        ".find(b => b.textContent.includes('Version history')).click(); 0"
    )
    wait_for(session, "document.querySelectorAll('.vh-version').length === 2", "no two versions")
    window.run_js("document.querySelectorAll('.vh-version')[1].click(); 0")
    wait_for(
        session,
        "document.querySelector('.vh-preview') && "
        "document.querySelector('.vh-preview').textContent.includes('on Tuesday')",
        "the older version was not previewed",
    )
    window.run_js("document.querySelector('.vh-restore').click(); 0")
    _eventually(
        lambda: _api(session, f"/api/notes/{note_id}")["body"] == said["body"],
        "the restore did not reach the server",
    )
    wait_for(
        session,
        "document.querySelector('dialog#editor .nf-body').value.includes('on Tuesday')",
        "the editor does not show the restored text",
    )


# --- reminders (tests/desktop/test_reminders_window.py) ------------------------------------


def reminder_click(session, shell) -> None:
    """What a click on a reminder's notification does: the window shows the note's editor."""
    window = session.window
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    created = awaited(window, CREATE_NOTE_JS % json.dumps("Call Ann"))
    assert created["status"] == 201, created
    note_id = created["body"]["id"]
    shell._open_note(note_id)  # as the scheduler's click handler calls it
    _eventually(
        lambda: (
            value(window, "location.hash") == f"#note/{note_id}"
            and value(window, "document.getElementById('editor').open")
        ),
        "the note's editor did not open",
    )
    assert value(window, "document.querySelector('#editor .nf-title').value") == "Call Ann"
    _screenshot_pause(session)
    shell._tell_missed(2)  # what the scheduler does at start after its summary notification
    _eventually(
        lambda: (
            value(window, "document.getElementById('snackbar-text').textContent")
            == "2 missed reminders"
        ),
        "the page did not say the missed reminders",
    )
    assert value(window, "document.getElementById('snackbar-action').textContent") == "View"


KEEP_RUNNING_JS = (
    CSRF_TOKEN_JS
    + """.then(token => fetch('/api/settings', {
  method: 'PATCH',
  headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
  body: JSON.stringify({keep_running: 'on'})
})).then(r => ({status: r.status}))"""
)


def close_to_tray(session, shell) -> None:
    """With the option on, closing the window hides it behind a tray icon; Kaap runs until
    the tray's Quit (sent by the test over the single-instance channel)."""
    wait_loaded(session)
    saved = awaited(session.window, KEEP_RUNNING_JS)
    assert saved["status"] == 200, saved
    # On GTK, destroy() emits the delete-event the close button sends: the same path.
    session.window.destroy()
    _eventually(lambda: shell.quitting, "no Quit came from the tray", timeout=60)


CREATE_WITH_REMINDER_JS = (
    CSRF_TOKEN_JS
    + """.then(token => fetch('/api/notes', {
  method: 'POST',
  headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
  body: JSON.stringify({title: 'Call Ann', body: 'about the boat\\nand the sails',
                        reminder: {at: %s, zone: 'UTC', repeat: 'weekly'}})
})).then(r => r.json().then(body => ({status: r.status, body: body})))"""
)


def reminder_due_now(session, shell) -> None:
    """A weekly reminder set for this minute: the system shows it at once (the test clicks
    it in the notification daemon), and the click opens the note in the window."""
    from datetime import UTC, datetime

    window = session.window
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    minute = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    created = awaited(window, CREATE_WITH_REMINDER_JS % json.dumps(minute))
    assert created["status"] == 201, created
    note_id = created["body"]["id"]
    log.info("reminder set on note %d", note_id)
    _eventually(
        lambda: (
            value(window, "location.hash") == f"#note/{note_id}"
            and value(window, "document.getElementById('editor').open")
        ),
        "the notification's click did not open the note",
        timeout=60,
    )
    log.info("the notification's click opened the note")


def keep_running_option(session, shell) -> None:
    """Settings in the window offers the option, off, and saves it when ticked."""
    window = session.window
    wait_loaded(session)
    window.load_url(session.base_url + "/settings")
    _eventually(
        lambda: value(window, "!!document.getElementById('keep-running')"),
        "Settings has no keep-running option",
    )
    assert value(window, "document.getElementById('keep-running').checked") is False
    window.run_js("document.getElementById('keep-running').click(); 0")
    _eventually(
        lambda: _api(session, "/api/settings")["keep_running"] == "on", "the option was not saved"
    )
    window.run_js("document.getElementById('reminders-title').scrollIntoView({block: 'center'}); 0")
    _screenshot_pause(session)


# --- the snapshot of the last notes drawn (tests/desktop/test_snapshot.py) -----------------

SNAPSHOT_NOTES = [
    {"title": "Pinned plan", "body": "Call the plumber", "pinned": True, "color": "yellow"},
    {"title": "Groceries", "kind": "checklist", "items": [{"text": "Milk"}, {"text": "Eggs"}]},
    {"title": "Quote", "body": "Simplicity is prerequisite for reliability.", "color": "blue"},
    {"title": "Ideas", "body": "Short notes\n" * 4, "color": "red"},
]


def snapshot_save(session) -> None:
    """Launch 1: notes made through the page, drawn anew; the page saves its snapshot."""
    from webapp.snapshot import files

    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    window = session.window
    # a first launch's first page (no cached shell: the app rendered it) saves snapshots too
    assert value(window, "document.body.dataset.desktop") == "true", "not the desktop's page"
    for note in SNAPSHOT_NOTES:
        made = awaited(window, WRITE_JS % ('"/api/notes"', '"POST"', json.dumps(note)))
        assert made["status"] == 201, made
    window.run_js("window.kaapOldPage = true; location.reload(); 0")
    wait_for(session, f"!window.kaapOldPage && {PAGE_READY}", "the page was not drawn again")
    assert value(window, "document.body.dataset.desktop") == "true", "not the desktop's page"
    _eventually(
        lambda: all(n["title"] in files.read(session.data_dir) for n in SNAPSHOT_NOTES),
        "the page saved no snapshot of its notes",
    )


def snapshot_replaced(session) -> None:
    """Launch 2, once the app is built: the snapshot shown at start gave way to live cards."""
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    window = session.window
    assert value(window, "performance.getEntriesByName('kaap:snapshot').length") == 1
    # emptied in the frame that lays the live cards out, which may come after "ready"
    gone = "document.querySelector('#snapshot').childElementCount === 0"
    wait_for(session, gone, "the snapshot did not give way to the live cards", timeout=5)
    live = "document.querySelectorAll('#grid-pinned .card, #grid-others .card').length"
    assert value(window, live) == len(SNAPSHOT_NOTES)
    _screenshot_pause(session)


def _delay_build(seconds: float) -> None:
    """The app's build takes this much longer, so the window shows the cached shell a while."""
    import desktop.shell

    build = desktop.shell._build_app

    def slow(*args):
        time.sleep(seconds)
        return build(*args)

    desktop.shell._build_app = slow


# --- quick capture, kaap --new-note (tests/desktop/test_new_note.py) ----------------------

QUICK_NOTE = "typed into the quick composer: 우유 ✓"
COMPOSER_READY_JS = (
    "document.querySelector('#composer').classList.contains('expanded')"
    " && document.activeElement === document.querySelector('#composer .nf-body')"
    " && !document.querySelector('dialog#editor').open"
    " && document.body.dataset.view === 'notes' && location.hash === ''"
)


def _type_where_focused(window, text: str) -> None:
    """Type into whatever has the page's focus, as keys do (no X input tool on Xvfb)."""
    window.run_js(f"document.execCommand('insertText', false, {json.dumps(text)}); 0")


def _save_quick_note(session) -> None:
    """Type into the focused composer, click outside it: the note is saved."""
    window = session.window
    _type_where_focused(window, QUICK_NOTE)
    window.run_js("document.body.dispatchEvent(new MouseEvent('mousedown', {bubbles: true})); 0")
    _eventually(
        lambda: QUICK_NOTE in [n["body"] for n in _api(session, "/api/notes")["items"]],
        "the note typed in the quick composer was not saved",
    )
    log.info("the note typed in the quick composer was saved")


def new_note_while_running(session) -> None:
    """An archived note open in the editor, an edit typed, the window hidden (as to the tray):
    then the test runs ``kaap --new-note``; the window shows the composer, focused, on Notes,
    the edit saved; a note typed there is saved."""
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    window = session.window
    made = awaited(window, WRITE_JS % ('"/api/notes"', '"POST"', json.dumps({"title": "Boat"})))
    note_id = made["body"]["id"]
    url = json.dumps(f"/api/notes/{note_id}")
    assert awaited(window, WRITE_JS % (url, '"PATCH"', '{"archived": true}'))["status"] == 200
    window.run_js("location.hash = '#archive'; 0")
    wait_for(
        session,
        "document.body.dataset.view === 'archive' && !!document.querySelector('.card')",
        "the archive shows no card",
    )
    window.run_js("document.querySelector('.card').click(); 0")
    wait_for(session, "document.querySelector('dialog#editor').open", "the editor did not open")
    _type(window, "#editor .nf-body", "sails, ropes")
    window.hide()
    log.info("ready for --new-note")
    wait_for(session, COMPOSER_READY_JS, "the composer did not open, focused, on Notes")
    _eventually(lambda: _api(session, f"/api/notes/{note_id}")["body"] == "sails, ropes", "no edit")
    _screenshot_pause(session)
    _save_quick_note(session)


def new_note_at_start(session) -> None:
    """Started with --new-note: the composer is open and focused once the page is drawn."""
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    wait_for(session, COMPOSER_READY_JS, "the composer was not open and focused at start")
    _screenshot_pause(session)
    _save_quick_note(session)


SHELL_DRIVERS = {
    "keep_running_option": keep_running_option,
    "reminder_click": reminder_click,
    "close_to_tray": close_to_tray,
    "reminder_due_now": reminder_due_now,
}

# --- the first page before the app is built (tests/desktop/test_thin_window.py) -----------

SHELL_STATE_JS = """({title: document.title, path: location.pathname,
  csrf: document.querySelector('meta[name="csrf-token"]').content,
  ready: document.body.classList.contains('ready')})"""
LIVE_TITLE = "Written after a cached start"


def _answered(window, expression: str, tries: int = 4, wait: float = 10):
    """``value``, asked again when no answer comes: Qt's web view never answers a script
    sent to a document that a navigation then replaced (the start URL's redirect), and
    pywebview waits for that answer without end. The build waits meanwhile, so the page is
    still as it was when the build was due."""
    for _ in range(tries):
        answer: list = []
        asking = threading.Thread(
            target=lambda into=answer: into.append(value(window, expression)), daemon=True
        )
        asking.start()
        asking.join(wait)
        if answer:
            return answer[0]
        log.warning("no answer from the page within %s s: asking again", wait)
    raise AssertionError(f"the page did not answer {expression!r}")


def _record_before_build(shell) -> None:
    """Log what the window shows when the app's build starts (after its first page)."""
    import desktop.shell as shell_module

    build = shell_module._build_app

    def recorded(data_dir, token):
        log.info("before the build: %s", json.dumps(_answered(shell.window, SHELL_STATE_JS)))
        return build(data_dir, token)

    shell_module._build_app = recorded


def cached_then_live(session, shell) -> None:
    """The cached shell came first; now the notes are drawn live and the page's own client
    (api.js, which fetches its CSRF token first) creates a note."""
    window = session.window
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes were not drawn")
    assert "Self-test" in value(window, "document.body.innerText"), "no note of launch 1"
    created = awaited(
        window,
        f"import(location.origin + '/static/js/api.js').then(m => m.api.createNote({{title: {json.dumps(LIVE_TITLE)}}}))",
    )
    assert created["title"] == LIVE_TITLE, created
    assert value(window, "document.querySelector('meta[name=\"csrf-token\"]').content")
    window.run_js("location.reload(); 0")
    wait_for(
        session,
        f"{PAGE_READY} && document.body.innerText.includes({json.dumps(LIVE_TITLE)})",
        "the new note did not show after a reload",
    )


def damaged_page(shell) -> None:
    """No driver (a failed build then closes nothing): once the build failed, log what the
    window says, then quit."""

    built = shell._app_built

    def then_look():
        built()
        session = shell.session
        wait_for(session, "document.body && /damaged/.test(document.body.innerText)", "no 503")
        log.info("the window says: %s", value(shell.window, "document.body.innerText"))
        shell._quit()

    shell._app_built = then_look


SHELL_DRIVERS["cached_then_live"] = cached_then_live
# Set-ups for a shell without a driver: it runs as a person's would.
WATCHERS = {"damaged_page": damaged_page}

DRIVERS = {
    "write_on_full_disk": write_on_full_disk,
    "external_link": external_link,
    "leave_unsaved": leave_unsaved,
    "find_unsaved": find_unsaved,
    "crash_while_saving": crash_while_saving,
    "find_edit_saved": find_edit_saved,
    "move_in_window": move_in_window,
    "history_in_window": history_in_window,
    "snapshot_save": snapshot_save,
    "snapshot_replaced": snapshot_replaced,
    "new_note_while_running": new_note_while_running,
    "new_note_at_start": new_note_at_start,
}


def main() -> int:
    name, *argv = sys.argv[1:]
    if os.environ.get("KAAP_TEST_BUILD_DELAY"):
        _delay_build(float(os.environ["KAAP_TEST_BUILD_DELAY"]))
    if name in SHELL_DRIVERS:
        shell = Shell(parse_args(argv))
        shell.driver = lambda session: SHELL_DRIVERS[name](session, shell)
        if name == "cached_then_live":
            _record_before_build(shell)
        return shell.run()
    if name in WATCHERS:
        shell = Shell(parse_args(argv))
        _record_before_build(shell)
        WATCHERS[name](shell)
        return shell.run()
    return Shell(parse_args(argv), DRIVERS[name]).run()


if __name__ == "__main__":
    sys.exit(main())
