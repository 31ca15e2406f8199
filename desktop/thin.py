"""The first page before the app is built: a thin WSGI path in front of ``DeferredApp``.

Building the Flask app costs about half a second of CPU (imports, mostly); on the first
paint's path it nearly doubles the time to the window's first page (bench/startup.py). So until the app is built, ``ThinApp`` answers the few requests the first
paint needs, with the boundary's own rules (``webapp/boundary.py``: the same token exchange,
cookie, Host names, security headers and CSP as ``webapp/security.py``):

- ``GET /?kaap_token=...``: the token exchange (303 and the launch cookie);
- ``GET /`` with the cookie: the cached shell, the app's own render of ``/`` at the end of
  the last launch (``ShellCache``), with the last notes drawn in it (``webapp.snapshot``);
- ``GET /static/...`` with the cookie: the package's static files.

Everything else (the API, other pages, any write, a request without the cookie or for
another host name, a shell that does not match this build's templates and static files)
waits for the real app, as it always did, so its 400/401/403 answers are unchanged. Once the
app is built, every request goes to it. Nothing here imports Flask.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import mimetypes
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from webapp import __version__, boundary
from webapp.paths import resource
from webapp.snapshot import files as snapshot_files

log = logging.getLogger("kaap.desktop")

STATIC_DIR = resource("static")
_STATIC_REAL = Path(os.path.realpath(STATIC_DIR))
# Asked for by the page but not needed for its first paint: they wait for the app without
# starting its build (the page's first API call does).
NOT_URGENT = ("/favicon.ico", "/manifest.webmanifest")
# What the shell's render depends on besides Kaap's code (its version): the page templates
# and the static files (url_for, the module preloads read from the JS imports).
SHELL_SOURCES = (resource("pages", "templates"), STATIC_DIR)
CACHE_DIR = "cache"
SHELL_PREFIX = "shell-"
_CSRF_META = re.compile(rb'(<meta name="csrf-token" content=")[^"]*(")')

# Werkzeug's list (werkzeug.utils.get_content_type): these types get "; charset=utf-8".
_CHARSET_TYPES = {
    "application/ecmascript",
    "application/javascript",
    "application/sql",
    "application/xml",
    "application/xml-dtd",
    "application/xml-external-parsed-entity",
}


def shell_key(version: str = __version__, sources=SHELL_SOURCES) -> str:
    """The cache key of the shell: Kaap's version and a hash of the names, sizes and
    modification times of the templates and static files (a stat each, no reading: 1-3 ms
    for the ~250 files). A frozen build's files are unpacked afresh (new times) at every
    launch of the one-file executable: there the executable itself stands for them."""
    digest = hashlib.sha256(version.encode())
    if getattr(sys, "frozen", False):
        stat = os.stat(sys.executable)
        digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
        mtimes = False
    else:
        mtimes = True
    for folder in sources:
        for path, size, mtime in sorted(_walk(str(folder))):
            digest.update(f"{os.path.relpath(path, folder)}\0{size}\0".encode())
            if mtimes:
                digest.update(str(mtime).encode())
    return f"{version}-{digest.hexdigest()[:20]}"


def _walk(folder: str):
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path)
            elif entry.is_file():
                stat = entry.stat()
                yield entry.path, stat.st_size, stat.st_mtime_ns


class ShellCache:
    """``<data dir>/cache/shell-<key>.html``: the shell of this build, 0600 in a 0700 folder."""

    def __init__(self, data_dir: Path, key: str | None = None):
        self.folder = Path(data_dir) / CACHE_DIR
        self._key = key

    @property
    def key(self) -> str:
        if self._key is None:
            started = time.perf_counter()
            self._key = shell_key()
            log.debug("shell key in %.1f ms", (time.perf_counter() - started) * 1000)
        return self._key

    @property
    def path(self) -> Path:
        return self.folder / f"{SHELL_PREFIX}{self.key}.html"

    def read(self) -> bytes | None:
        """This build's shell, or None (first launch, an upgrade, edited files)."""
        try:
            return self.path.read_bytes()
        except OSError:
            return None

    def write(self, html: bytes) -> None:
        """Atomically (a full disk leaves the old file or none), and the other shells go."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".shell-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:  # mkstemp: 0600
                fh.write(html)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for old in self.folder.glob(f"{SHELL_PREFIX}*.html"):
            if old.name != self.path.name:
                old.unlink(missing_ok=True)


def render_shell(app, token: str) -> bytes:
    """The app's own render of ``/`` for this launch's settings, with an empty CSRF token
    (the page fetches one before its first write: webapp/static/js/api.js)."""
    with app.test_client() as client:
        client.set_cookie(app.config["LAUNCH_COOKIE_NAME"], token, domain="127.0.0.1")
        response = client.get("/", base_url="http://127.0.0.1")
        if response.status_code != 200:
            raise RuntimeError(f"/ answered {response.status_code}")
        html = response.get_data()
    html, count = _CSRF_META.subn(rb"\1\2", html)
    if count != 1:
        raise RuntimeError("the page has no CSRF meta tag")
    return html


def save_shell(app, token: str, cache: ShellCache) -> None:
    """Render and store the shell; a failure costs the next launch its head start only."""
    try:
        cache.write(render_shell(app, token))
    except Exception:
        log.warning("could not save the start-up shell", exc_info=True)


def _headers(content_type: str, length: int) -> list[tuple[str, str]]:
    return [
        ("Content-Type", content_type),
        ("Content-Length", str(length)),
        *boundary.DEFAULT_HEADERS,
        ("Content-Security-Policy", boundary.CSP),
    ]


def content_type(name: str) -> str:
    """The type Flask's static route gives the file (the same ``mimetypes`` guess)."""
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if mimetype.startswith("text/") or mimetype in _CHARSET_TYPES or mimetype.endswith("+xml"):
        return f"{mimetype}; charset=utf-8"
    return mimetype


class ThinApp:
    """The WSGI app the local server serves: the first page's requests answered here while
    ``deferred`` builds, everything else (and everything once it is built) passed on to it.

    ``on_miss(path)`` is called for each request passed on before the app is built: it
    starts the build if nothing else has yet (desktop/shell.py).
    """

    def __init__(
        self,
        deferred,
        token: str,
        data_dir: Path,
        cookie_name: str = boundary.LAUNCH_COOKIE_NAME,
        on_miss: Callable[[str], None] | None = None,
        cache: ShellCache | None = None,
    ):
        self.deferred = deferred
        self.token = token.encode()
        self.data_dir = data_dir
        self.cookie_name = cookie_name
        self.on_miss = on_miss
        self.cache = cache or ShellCache(data_dir)
        self.shell_served = False
        self.enabled = True  # off: every request waits for the app, as before this path

    def __call__(self, environ, start_response):
        if self.enabled and not self.deferred.done:
            answer = self._answer(environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
            path = environ.get("PATH_INFO", "")
            if self.on_miss is not None and path not in NOT_URGENT:
                self.on_miss(path)
        return self.deferred(environ, start_response)

    def _answer(self, environ):
        """(status, headers, body) for what the thin path serves, else None."""
        if environ.get("REQUEST_METHOD") != "GET" or not self._trusted_host(environ):
            return None
        try:
            path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None
        query = environ.get("QUERY_STRING", "")
        if path == "/" and boundary.TOKEN_PARAM in query:
            return self._exchange(query)
        if not self._has_cookie(environ):
            return None
        if path == "/":
            return self._shell()
        if path.startswith("/static/") and not query:
            return self._static(path[len("/static/") :])
        return None

    @staticmethod
    def _trusted_host(environ) -> bool:
        host = environ.get("HTTP_HOST")
        if not host or host.startswith("["):
            return False  # the app answers these (its 400, or an IPv6 name it does not list)
        name = host.rsplit(":", 1)[0] if ":" in host else host
        return name in boundary.LOOPBACK_HOSTS

    def _exchange(self, query: str):
        """The start URL's token for the cookie: what webapp/security.py answers."""
        pairs = parse_qsl(query, keep_blank_values=True)
        offered = [value for key, value in pairs if key == boundary.TOKEN_PARAM]
        if len(offered) != 1 or not hmac.compare_digest(offered[0].encode(), self.token):
            return None  # the app's 401
        rest = [(key, value) for key, value in pairs if key != boundary.TOKEN_PARAM]
        location = "/" + (f"?{urlencode(rest)}" if rest else "")
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", "0"),
            ("Location", location),
            ("Set-Cookie", boundary.launch_cookie(self.cookie_name, self.token.decode())),
            *boundary.DEFAULT_HEADERS,
            ("Content-Security-Policy", boundary.CSP),
        ]
        return "303 SEE OTHER", headers, b""

    def _has_cookie(self, environ) -> bool:
        for part in environ.get("HTTP_COOKIE", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == self.cookie_name:
                return hmac.compare_digest(value.encode(), self.token)
        return False

    def _shell(self):
        html = self.cache.read()
        if html is None:
            return None
        snapshot = snapshot_files.read(self.data_dir)
        # Only the first marker: the snapshot's own text cannot add another place to fill.
        html = html.replace(snapshot_files.MARKER.encode(), snapshot.encode(), 1)
        self.shell_served = True
        headers = _headers("text/html; charset=utf-8", len(html))
        headers.append(("Vary", "Cookie"))
        return "200 OK", headers, html

    def _static(self, name: str):
        parts = name.split("/")
        if any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in parts):
            return None  # the app's answer (404) for anything odd
        path = STATIC_DIR.joinpath(*parts)
        try:
            real = Path(os.path.realpath(path))
            if not real.is_relative_to(_STATIC_REAL) or not real.is_file():
                return None
            body = real.read_bytes()
            mtime = real.stat().st_mtime
        except (OSError, ValueError):
            return None
        headers = _headers(content_type(parts[-1]), len(body))
        headers += [
            ("Last-Modified", formatdate(mtime, usegmt=True)),
            ("Cache-Control", "no-cache"),
        ]
        return "200 OK", headers, body
