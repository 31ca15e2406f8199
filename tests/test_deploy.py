"""The hosting files: Dockerfile and compose.yaml agree with the app, and nginx runs ours.

Docker itself cannot run here; nginx can. Without nginx these tests skip on a developer's
machine and fail in CI (``CI`` set), where .ci/run installs it.
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from flask import request

from tests.live import serving
from webapp import create_app
from webapp.hosting import waitress_options

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
DESKTOP_ONLY = {"pywebview", "bottle", "proxy_tools", "pyqt6", "pyqt6-qt6", "pyqt6-sip",
                "pyqt6-webengine", "pyqt6-webengine-qt6", "qtpy"}  # fmt: skip
# The desktop's sync client (webapp/sync/device): a server does not connect to another.
DESKTOP_ONLY |= {"httpx", "httpcore", "h11", "anyio", "certifi", "idna", "keyring",
                 "jaraco.classes", "jaraco.context", "jaraco.functools", "more-itertools",
                 "backports.tarfile", "importlib_metadata", "zipp", "lazy-importer",
                 "secretstorage", "jeepney", "cryptography", "cffi", "pycparser",
                 "pywin32-ctypes"}  # fmt: skip
# The device's three-way merge (webapp/sync/merge.py): the server applies pushes, it never merges.
DESKTOP_ONLY |= {"diff-match-patch"}
# Reminders' notifications and tray icon (webapp/reminders, desktop/).
DESKTOP_ONLY |= {"desktop-notifier", "dbus-fast", "bidict", "pystray", "python-xlib"}
# The start-up snapshot of the last notes drawn (desktop/thin.py), sanitized before it is kept.
DESKTOP_ONLY |= {"nh3"}


def dockerfile_stages() -> dict[str, list[str]]:
    """Each stage's instructions (continuation lines joined), by stage name."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    stages: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("FROM "):
            current = line.split()[-1]
            stages[current] = []
        if line and not line.startswith("#"):
            stages[current].append(line)
    return stages


def pinned(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            names.add(re.split(r"[=<>;\[ ]", line, maxsplit=1)[0].lower())
    return names


def test_the_app_image_runs_the_server_as_a_user_with_a_health_check(tmp_path):
    app = list(dockerfile_stages().values())[-1]  # the default target is the last stage
    assert app[0].startswith("FROM python:3.11-slim ")
    user = [line.split()[1] for line in app if line.startswith("USER ")]
    assert user and user[-1] not in {"root", "0"}
    (check,) = [line for line in app if line.startswith("HEALTHCHECK ")]
    path = re.search(r"/\w+", check.split("CMD", 1)[1].split("127.0.0.1")[1]).group()
    assert path == "/healthz"
    routes = {rule.rule for rule in create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path)}).url_map.iter_rules()}  # fmt: skip
    assert path in routes
    assert json.loads(app[-1].removeprefix("CMD ")) == [
        "python", "-m", "webapp.serve", "--host", "0.0.0.0"]  # fmt: skip
    assert "RUN pip install -r requirements-server.txt" in app


def test_the_server_needs_no_desktop_packages():
    assert "-r requirements-server.txt" in (ROOT / "requirements.txt").read_text().splitlines()
    assert pinned(ROOT / "requirements.txt") <= DESKTOP_ONLY, (
        "requirements.txt pins only the desktop window's packages; the app's go in "
        "requirements-server.txt, which the Dockerfile installs"
    )
    assert not pinned(ROOT / "requirements-server.txt") & DESKTOP_ONLY


def test_nginx_serves_the_files_the_web_image_copies():
    web = dockerfile_stages()["web"]
    assert "COPY deploy/nginx.conf /etc/nginx/conf.d/default.conf" in web
    assert "COPY webapp/static /srv/kaap/static" in web
    roots = re.findall(r"^\s*root (\S+);", NGINX_CONF.read_text(), re.M)
    assert roots and set(roots) == {"/srv/kaap"}


def test_compose_runs_kaap_postgres_and_nginx_in_front():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"kaap", "db", "web"}
    env = services["kaap"]["environment"]
    assert env["KAAP_CONFIG"] == "production"
    assert env["KAAP_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in env["KAAP_DATABASE_URL"]
    assert env["KAAP_PROXY_FIX"] == "1"  # exactly one proxy: nginx
    assert "SECRET_KEY" in env
    assert services["db"]["image"] == "postgres:15"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["db"]["volumes"])
    assert services["web"]["build"]["target"] == "web"
    assert services["web"]["depends_on"]["kaap"]["condition"] == "service_healthy"
    assert "server kaap:5000;" in NGINX_CONF.read_text()  # the compose service's name
    assert not services["kaap"].get("ports"), "only nginx is published"


def nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("nginx is not installed; .ci/run installs it with apt-get")
    pytest.skip("nginx is not installed (apt-get install nginx)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_nginx_conf(tmp: Path, listen: int, upstream: int) -> Path:
    """deploy/nginx.conf with loopback ports and this checkout's static files, in a main
    config that keeps every file nginx writes under ``tmp``. nginx reaches the app from
    127.0.0.2, so the app can tell its proxy from the client (127.0.0.1)."""
    site = NGINX_CONF.read_text()
    for old, new in (
        ("server kaap:5000;", f"server 127.0.0.1:{upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{listen};"),
    ):
        assert site.count(old) == 1, old
        site = site.replace(old, new)
    # every proxied location (the app's and the event stream's)
    site = site.replace(
        "proxy_pass http://kaap;", "proxy_pass http://kaap;\n        proxy_bind 127.0.0.2;"
    )
    site = site.replace("root /srv/kaap;", f"root {ROOT / 'webapp'};")
    (tmp / "kaap.conf").write_text(site)
    temps = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )  # fmt: skip
    user = "user root root;\n" if os.geteuid() == 0 else ""  # read this checkout, write tmp
    main = tmp / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\n"
        f"events {{}}\nhttp {{\n    include /etc/nginx/mime.types;\n"
        f"    access_log {tmp / 'access.log'};\n{temps}\n    include {tmp / 'kaap.conf'};\n}}\n"
    )
    return main


def test_nginx_accepts_the_config(tmp_path):
    binary = nginx()
    conf = local_nginx_conf(tmp_path, free_port(), free_port())
    done = subprocess.run([binary, "-t", "-e", str(tmp_path / "error.log"), "-c", str(conf)],
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


@pytest.fixture
def behind_nginx(tmp_path):
    """The app on waitress (trusting one proxy) with deploy/nginx.conf in front of it."""
    binary = nginx()
    data = tmp_path / "data"
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(data), "PROXY_FIX": 1,
                      "TRUSTED_HOSTS": "notes.example"})  # fmt: skip

    @app.get("/_seen")
    def seen():
        return {"remote_addr": request.remote_addr, "scheme": request.scheme,
                "host": request.host}  # fmt: skip

    with serving(app, threads=4, **waitress_options(app)) as upstream:
        port = free_port()
        conf = local_nginx_conf(tmp_path, port, upstream)
        proc = subprocess.Popen([binary, "-e", str(tmp_path / "error.log"), "-c", str(conf)],
                                stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield port
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()


def fetch(port: int, method: str, path: str, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response, payload


def test_nginx_serves_static_files_with_caching_and_gzip(behind_nginx):
    response, _ = fetch(behind_nginx, "GET", "/static/css/keep.css",
                        headers={"Accept-Encoding": "gzip"})  # fmt: skip
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Cache-Control") == "no-cache"
    assert response.getheader("ETag")
    assert response.getheader("Content-Security-Policy") is None  # nginx's, not the app's
    vendor = next((ROOT / "webapp/static/vendor").rglob("*.css")).relative_to(ROOT / "webapp")
    response, _ = fetch(behind_nginx, "GET", f"/{vendor.as_posix()}")
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=604800"


def test_nginx_passes_the_rest_to_the_app_which_trusts_it_alone(behind_nginx):
    response, payload = fetch(behind_nginx, "GET", "/healthz")
    assert (response.status, json.loads(payload)) == (200, {"status": "ok"})
    # The client's own claims are not believed; nginx's account of it (127.0.0.1) is, though
    # the connection the app sees comes from nginx (127.0.0.2).
    headers = {"Host": "notes.example:8080", "X-Forwarded-For": "6.6.6.6",
               "X-Forwarded-Proto": "https", "X-Forwarded-Port": "444"}  # fmt: skip
    response, payload = fetch(behind_nginx, "GET", "/_seen", headers=headers)
    assert json.loads(payload) == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "host": "notes.example:8080",
    }


def test_a_host_not_trusted_is_refused_through_nginx_too(behind_nginx):
    # A DNS-rebinding page: the browser sends its own name, nginx passes it on as Host.
    for host in ("rebind.example:8080", "notes.example.rebind.example"):
        response, payload = fetch(behind_nginx, "GET", "/api/notes", headers={"Host": host})
        assert response.status == 400, host
        assert json.loads(payload)["error"]["code"] == "bad_request"


def test_compose_and_the_image_set_the_host_allow_list():
    env = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["kaap"]["environment"]
    assert env["KAAP_TRUSTED_HOSTS"].startswith("${KAAP_TRUSTED_HOSTS")
    # The image listens on every address: only the allow-list keeps foreign names out, and
    # the health check's 127.0.0.1 is always answered.
    app = list(dockerfile_stages().values())[-1]
    (check,) = [line for line in app if line.startswith("HEALTHCHECK ")]
    assert "http://127.0.0.1:" in check


def test_a_browser_write_through_nginx_passes_the_origin_check(behind_nginx):
    host = f"127.0.0.1:{behind_nginx}"
    response, payload = fetch(behind_nginx, "GET", "/api/csrf")
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    headers = {"Cookie": cookie, "X-CSRFToken": json.loads(payload)["csrf_token"],
               "Origin": f"http://{host}", "Content-Type": "application/json"}  # fmt: skip
    response, payload = fetch(behind_nginx, "POST", "/api/notes", b'{"title": "t"}', headers)
    assert response.status == 201, payload


def test_a_note_change_reaches_an_open_stream_through_nginx_at_once(behind_nginx):
    from tests.events.test_live import LiveStream

    page = LiveStream(behind_nginx)
    assert page.response.status == 200
    assert page.response.getheader("Content-Type").startswith("text/event-stream")
    assert page.event()["event"] == "ready"
    response, payload = fetch(behind_nginx, "GET", "/api/csrf")
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    headers = {"Cookie": cookie, "X-CSRFToken": json.loads(payload)["csrf_token"],
               "Content-Type": "application/json"}  # fmt: skip
    started = time.perf_counter()
    response, payload = fetch(behind_nginx, "POST", "/api/notes", b'{"title": "t"}', headers)
    assert response.status == 201, payload
    event = page.event()
    elapsed = time.perf_counter() - started
    page.close()
    assert event["data"]["ids"] == [json.loads(payload)["id"]]
    assert elapsed < 1.0, f"the event took {elapsed:.2f}s through nginx (buffered?)"
