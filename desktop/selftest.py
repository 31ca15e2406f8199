"""``Kaap --self-test``: the window opens, a note is created through the page, read back
through the API, the boundary holds, the window closes. CI runs it on the built executable."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from desktop.js import awaited, value

# The page's CSRF token, got as its own client gets it (webapp/static/js/api.js): the first
# page may be the cached shell (desktop/thin.py), which carries none; then GET /api/csrf.
CSRF_TOKEN_JS = """(() => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta.content ? Promise.resolve(meta.content) : fetch('/api/csrf')
    .then(r => r.json()).then(body => (meta.content = body.csrf_token));
})()"""
CREATE_NOTE_JS = (
    CSRF_TOKEN_JS
    + """.then(token => fetch('/api/notes', {
  method: 'POST',
  headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
  body: JSON.stringify({title: %s, body: 'Written by the self-test through the page.'})
})).then(r => r.json().then(body => ({status: r.status, body: body})))"""
)


def request(session, path: str, *, cookie: bool = True, headers=None, method="GET", data=None):
    """Status and body of a request to the running server, made from Python."""
    req = urllib.request.Request(session.base_url + path, method=method, data=data)
    if cookie:
        req.add_header("Cookie", session.cookie_header())
    for name, content in (headers or {}).items():
        req.add_header(name, content)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_loaded(session, timeout: float = 30) -> None:
    if not session.window.events.loaded.wait(timeout):
        raise AssertionError(f"the page did not load within {timeout} s")
    # The start URL redirects to the clean one; wait for the page that has our meta tag.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value(session.window, "!!document.querySelector('meta[name=\"csrf-token\"]')"):
            return
        time.sleep(0.05)
    raise AssertionError("the notes page never showed its csrf-token meta tag")


def wait_for(session, expression: str, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value(session.window, expression):
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s")


# The page marks its body "ready" once its scripts have drawn the first page of notes.
PAGE_READY = "document.body && document.body.classList.contains('ready')"


def self_test(session) -> None:
    window, token = session.window, session.token
    wait_loaded(session)
    wait_for(session, PAGE_READY, "the notes page did not finish drawing")
    title = value(window, "document.title")
    assert title == "Kaap", f"the page title is {title!r}"
    assert token not in value(window, "location.href"), "the token stayed in the URL"
    assert token not in value(window, "document.documentElement.outerHTML"), "token in page"
    assert token not in value(window, "document.cookie"), "the cookie is readable by scripts"

    name = f"Self-test {time.time():.0f}"
    created = awaited(window, CREATE_NOTE_JS % json.dumps(name))
    assert created["status"] == 201, f"creating a note answered {created}"
    status, body = request(session, f"/api/notes/{created['body']['id']}")
    assert status == 200 and json.loads(body)["title"] == name, f"read back: {status} {body!r}"
    window.run_js("location.reload(); 0")
    wait_for(
        session,
        f"{PAGE_READY} && document.body.innerText.includes({json.dumps(name)})",
        "the new note did not show on the notes page",
    )

    assert request(session, "/api/notes", cookie=False)[0] == 401, "no cookie was accepted"
    assert request(session, "/api/notes", headers={"Host": "evil.example"})[0] == 400
    status, _ = request(
        session,
        "/api/notes",
        method="POST",
        data=b'{"title": "x"}',
        headers={"Origin": "http://evil.example", "Content-Type": "application/json"},
    )
    assert status == 403, f"a foreign Origin got {status}"
    session.notes.append(name)
    print(f"self-test passed: note {created['body']['id']} created through the window", flush=True)
