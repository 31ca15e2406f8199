"""The thin first-page path (desktop/thin.py) at the WSGI level: what it answers before the
app is built, and that it answers it exactly as the app does."""

from __future__ import annotations

import re
import stat

import pytest
from werkzeug.test import Client

from desktop.thin import ShellCache, ThinApp, render_shell, save_shell, shell_key
from tests.desktop.conftest import TOKEN
from webapp.boundary import DEFAULT_HEADERS
from webapp.snapshot import files as snapshot_files

BASE = "http://127.0.0.1:5123"
COOKIE = {"Cookie": f"kaap_launch={TOKEN}"}
SECURITY = [name for name, _ in DEFAULT_HEADERS] + ["Content-Security-Policy"]


class Waiting:
    """DeferredApp still building: what reaches it is recorded, answered 599."""

    def __init__(self):
        self.done = False
        self.passed: list[str] = []

    def __call__(self, environ, start_response):
        self.passed.append(environ["REQUEST_METHOD"] + " " + environ["PATH_INFO"])
        start_response("599 WAITED", [("Content-Type", "text/plain")])
        return [b"the app's answer"]


@pytest.fixture
def deferred():
    return Waiting()


@pytest.fixture
def misses():
    return []


@pytest.fixture
def thin(data_dir, deferred, misses):
    return ThinApp(deferred, TOKEN, data_dir, on_miss=misses.append)


@pytest.fixture
def cached(desktop_app, data_dir, thin):
    """The thin path of a second launch: the last launch saved its shell."""
    save_shell(desktop_app, TOKEN, ShellCache(data_dir))
    return thin


def raw(wsgi_app) -> Client:
    """A client that sends the headers it is given as they are (Cookie too)."""
    return Client(wsgi_app, use_cookies=False)


def both(app, thin, path, cookie=False):
    """The app's and the thin path's answers to the same request."""
    client = app.test_client()
    if cookie:
        client.set_cookie("kaap_launch", TOKEN, domain="127.0.0.1")
    real = client.get(path, base_url=BASE)
    fast = raw(thin).get(path, base_url=BASE, headers=COOKIE if cookie else {})
    return real, fast


@pytest.mark.parametrize(
    "query", [f"kaap_token={TOKEN}", f"kaap_token={TOKEN}&view=list", f"a=1&kaap_token={TOKEN}&b=x%20y"]
)  # fmt: skip
def test_the_token_exchange_answers_as_the_app_does(desktop_app, thin, deferred, query):
    real, fast = both(desktop_app, thin, f"/?{query}")
    assert deferred.passed == []
    assert fast.status == real.status == "303 SEE OTHER"
    for name in ["Location", "Set-Cookie", *SECURITY]:
        assert fast.headers.get_all(name) == real.headers.get_all(name), name


def test_the_cached_shell_is_the_apps_page_with_no_csrf_token(desktop_app, cached, deferred):
    real, fast = both(desktop_app, cached, "/", cookie=True)
    assert deferred.passed == []
    assert fast.status_code == real.status_code == 200
    for name in ["Content-Type", "Vary", *SECURITY]:
        assert fast.headers.get(name) == real.headers.get(name), name
    assert '<meta name="csrf-token" content="">' in fast.text
    assert '<meta name="csrf-token" content="">' not in real.text
    assert TOKEN not in fast.text
    # no snapshot kept: the thin path fills the snapshot's place with nothing
    real_text = real.text.replace(snapshot_files.MARKER, "")
    assert fast.text == re.sub(r'(name="csrf-token" content=")[^"]*"', r'\1"', real_text)


@pytest.mark.parametrize(
    "path",
    ["css/keep.css", "js/app.js", "js/api.js", "icons/kaap-192.png", "icons/favicon.ico",
     "vendor/roboto/files/roboto-latin-400-normal.woff2", "vendor/roboto/400.css"],
)  # fmt: skip
def test_static_files_are_served_as_the_app_serves_them(desktop_app, thin, deferred, path):
    real, fast = both(desktop_app, thin, f"/static/{path}", cookie=True)
    assert deferred.passed == []
    assert fast.status_code == real.status_code == 200
    assert fast.data == real.data
    for name in ["Content-Type", "Content-Length", "Cache-Control", "Last-Modified", *SECURITY]:
        assert fast.headers.get(name) == real.headers.get(name), name
    real.close()


@pytest.mark.parametrize(
    "path",
    ["/static/../security.py", "/static/%2e%2e/security.py", "/static/js/../../security.py",
     "/static//etc/passwd", "/static/js/", "/static/js", "/static/nope.css", "/static/js\\app.js",
     "/static/js/app.js%00", "/api/notes", "/api/csrf", "/settings", "/nope"],
)  # fmt: skip
def test_anything_else_waits_for_the_app_and_starts_its_build(cached, deferred, misses, path):
    response = raw(cached).get(path, base_url=BASE, headers=COOKIE)
    assert response.status_code == 599
    assert len(deferred.passed) == len(misses) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Cookie": "kaap_launch=wrong"}, {"Cookie": f"other={TOKEN}"},
     {"Cookie": f"kaap_launch={TOKEN}x"}],
)  # fmt: skip
@pytest.mark.parametrize("path", ["/", "/static/css/keep.css"])
def test_without_the_cookie_the_app_answers(cached, deferred, headers, path):
    assert raw(cached).get(path, base_url=BASE, headers=headers).status_code == 599
    assert deferred.passed == [f"GET {path}"]


@pytest.mark.parametrize("query", ["kaap_token=wrong", f"kaap_token={TOKEN}&kaap_token=x"])
def test_a_wrong_token_is_the_apps_to_refuse(thin, deferred, query):
    assert raw(thin).get(f"/?{query}", base_url=BASE).status_code == 599


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5123", "127.0.0.2:5123", "[::1]"])
@pytest.mark.parametrize("path", ["/", f"/?kaap_token={TOKEN}", "/static/css/keep.css"])
def test_a_foreign_host_is_the_apps_to_refuse(cached, deferred, host, path):
    response = raw(cached).get(path, base_url=f"http://{host}", headers=COOKIE)
    assert response.status_code == 599


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "HEAD", "OPTIONS"])
def test_only_reads_are_answered(cached, deferred, method):
    response = raw(cached).open("/", method=method, base_url=BASE, headers=COOKIE)
    assert response.status_code == 599


def test_the_icons_the_page_does_not_need_first_wait_without_starting_the_build(cached, misses):
    for path in ("/favicon.ico", "/manifest.webmanifest"):
        assert raw(cached).get(path, base_url=BASE, headers=COOKIE).status_code == 599
    assert misses == []


def test_once_the_app_is_built_everything_goes_to_it(cached, deferred, misses):
    deferred.done = True
    for path in ("/", f"/?kaap_token={TOKEN}", "/static/css/keep.css"):
        assert raw(cached).get(path, base_url=BASE, headers=COOKIE).status_code == 599
    assert len(deferred.passed) == 3 and misses == []


def test_without_a_shell_of_this_build_the_page_waits_for_the_app(desktop_app, data_dir, deferred):
    ShellCache(data_dir, key="0.0.9-old").write(render_shell(desktop_app, TOKEN))
    thin = ThinApp(deferred, TOKEN, data_dir)
    assert raw(thin).get("/", base_url=BASE, headers=COOKIE).status_code == 599


def test_the_snapshot_fills_the_marker_once(desktop_app, data_dir, deferred):
    cache = ShellCache(data_dir, key="k")
    cache.write(b"<div id=snapshot>" + snapshot_files.MARKER.encode() + b"</div>")
    snapshot_files.path(data_dir).write_text(
        f"<p>last notes {snapshot_files.MARKER}</p>", encoding="utf-8"
    )
    thin = ThinApp(deferred, TOKEN, data_dir, cache=cache)
    page = raw(thin).get("/", base_url=BASE, headers=COOKIE)
    assert page.text == f"<div id=snapshot><p>last notes {snapshot_files.MARKER}</p></div>"
    snapshot_files.path(data_dir).unlink()
    assert raw(thin).get("/", base_url=BASE, headers=COOKIE).text == "<div id=snapshot></div>"


def test_the_shell_is_private_written_whole_and_replaces_the_old_ones(data_dir):
    ShellCache(data_dir, key="old").write(b"old")
    cache = ShellCache(data_dir, key="new")
    cache.write(b"new")
    folder = data_dir / "cache"
    assert [p.name for p in folder.iterdir()] == ["shell-new.html"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert cache.read() == b"new"


def test_the_key_follows_the_version_and_every_template_and_static_file(tmp_path):
    templates, static = tmp_path / "templates", tmp_path / "static" / "js"
    templates.mkdir()
    static.mkdir(parents=True)
    (templates / "index.html").write_text("a")
    (static / "app.js").write_text("b")
    sources = (templates, tmp_path / "static")

    def key(version="1.0"):
        return shell_key(version, sources)

    first = key()
    assert key() == first and key().startswith("1.0-")
    assert key("1.1") != first
    (static / "app.js").write_text("bb")
    assert key() != first
    second = key()
    (static / "new.js").write_text("")
    assert key() != second


def test_a_write_from_the_cached_shell_fetches_its_csrf_token_first(desktop_app, cached):
    """The page's own steps (api.js): no token in the meta, so GET /api/csrf, then write."""
    page = raw(cached).get("/", base_url=BASE, headers=COOKIE)
    assert '<meta name="csrf-token" content="">' in page.text
    client = desktop_app.test_client()  # the app is built now: the API answers
    client.set_cookie("kaap_launch", TOKEN, domain="127.0.0.1")
    refused = client.post("/api/notes", json={"title": "x"}, base_url=BASE)
    assert refused.status_code == 400
    token = client.get("/api/csrf", base_url=BASE).get_json()["csrf_token"]
    created = client.post(
        "/api/notes", json={"title": "x"}, base_url=BASE, headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201


def test_the_shell_saved_again_shows_the_settings_changed_since(desktop_app, data_dir):
    """The shell re-saved at shutdown carries this launch's theme and layout to the next."""
    cache = ShellCache(data_dir)
    save_shell(desktop_app, TOKEN, cache)
    assert b'data-theme="dark"' not in cache.read()
    client = desktop_app.test_client()
    client.set_cookie("kaap_launch", TOKEN, domain="127.0.0.1")
    token = client.get("/api/csrf", base_url=BASE).get_json()["csrf_token"]
    changed = client.patch(
        "/api/settings",
        json={"theme": "dark", "layout": "list"},
        base_url=BASE,
        headers={"X-CSRFToken": token},
    )
    assert changed.status_code == 200, changed.get_json()
    save_shell(desktop_app, TOKEN, cache)
    html = cache.read()
    assert b'data-theme="dark"' in html and b"list-view" in html
