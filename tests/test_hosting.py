"""Server mode plumbing: /healthz, the request log, and trusting exactly one proxy."""

import http.client
import logging
import os
import queue
import re
import subprocess
import sys
import threading

import pytest

from tests.conftest import error_code
from webapp import create_app
from webapp.hosting import healthz

DEAD_DATABASE = "postgresql+psycopg://nobody:nothing@127.0.0.1:1/none?connect_timeout=2"


def test_healthz_answers_ok_without_session_or_csrf(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_is_marked_public_for_the_login_check():
    assert healthz.kaap_public is True


def test_healthz_is_503_with_the_envelope_when_the_database_is_down(tmp_path):
    settings = {"CONFIG": "testing", "DATA_DIR": str(tmp_path), "AUTO_MIGRATE": False}
    app = create_app({**settings, "DATABASE_URL": DEAD_DATABASE})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert error_code(response) == "service_unavailable"


@pytest.fixture
def production(tmp_path, monkeypatch):
    """A production app on a SQLite file, built from settings like a server's environment."""
    monkeypatch.setenv("SECRET_KEY", "test-only")

    url = f"sqlite:///{tmp_path / 'kaap.sqlite3'}"

    def make(**settings):
        return create_app(
            {"CONFIG": "production", "DATA_DIR": str(tmp_path), "DATABASE_URL": url, **settings}
        )

    return make


def logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "kaap.requests"]


def test_production_logs_one_line_per_request_without_secrets(production, caplog):
    client = production().test_client()
    caplog.set_level(logging.INFO, logger="kaap.requests")
    client.set_cookie("kaap_session", "cookie-secret")
    response = client.get(
        "/healthz?q=query-secret", headers={"Authorization": "Bearer token-secret"}
    )
    response.close()
    (line,) = logged(caplog)
    method, path, status, duration, address = line.split(" ")
    assert (method, path, status, address) == ("GET", "/healthz", "200", "127.0.0.1")
    assert duration.endswith("ms") and float(duration[:-2]) >= 0
    assert "secret" not in caplog.text


def test_a_logged_path_cannot_forge_a_log_line(production, caplog):
    client = production().test_client()
    caplog.set_level(logging.INFO, logger="kaap.requests")
    client.get("/nowhere%0AGET /forged 200").close()
    (line,) = logged(caplog)
    assert "\n" not in line and line.startswith("GET /nowhere%0AGET%20/forged%20200 404 ")


def test_other_modes_do_not_log_requests(app, caplog):
    caplog.set_level(logging.INFO, logger="kaap.requests")
    app.test_client().get("/healthz").close()
    assert logged(caplog) == []


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


@pytest.mark.parametrize(("hops", "address"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_forwarded_headers_count_only_with_proxy_fix(production, caplog, hops, address):
    client = production(PROXY_FIX=hops).test_client()
    caplog.set_level(logging.INFO, logger="kaap.requests")
    client.get("/healthz", headers=FORWARDED).close()
    assert logged(caplog)[0].endswith(" " + address)


def test_proxy_fix_trusts_one_hop_only(production, caplog):
    client = production(PROXY_FIX=1).test_client()
    caplog.set_level(logging.INFO, logger="kaap.requests")
    # nginx appends the address it saw; whatever the client wrote before it is not believed.
    client.get("/healthz", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}).close()
    assert logged(caplog)[0].endswith(" 198.51.100.7")


def test_waitress_behind_one_proxy_logs_the_address_the_proxy_saw(tmp_path):
    """The real server: waitress drops X-Forwarded-* unless told to keep them for ProxyFix."""
    env = {**os.environ, "KAAP_CONFIG": "production", "SECRET_KEY": "test-only",
           "KAAP_DATA_DIR": str(tmp_path), "KAAP_PROXY_FIX": "1",
           "KAAP_DATABASE_URL": f"sqlite:///{tmp_path / 'kaap.sqlite3'}"}  # fmt: skip
    command = [sys.executable, "-m", "webapp.serve", "--port", "0"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout])
    reader.start()

    def wait_for(pattern: str) -> re.Match:
        while found := lines.get(timeout=30):
            if match := re.search(pattern, found):
                return match
        raise AssertionError(pattern)

    try:
        port = int(wait_for(r"Serving on http://127\.0\.0\.1:(\d+)").group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
        assert conn.getresponse().status == 200
        conn.close()
        assert (
            wait_for(r"kaap\.requests: (GET /healthz 200 [\d.]+ms \S+)$")
            .group(1)
            .endswith("ms 203.0.113.9")
        )
    finally:
        proc.terminate()
        proc.wait(30)
        reader.join(30)
        proc.stdout.close()


def test_waitress_lets_the_app_answer_for_bodies_over_its_own_1_gb_default(app, client):
    import http.client

    from tests.live import serving
    from webapp.hosting import waitress_options

    options = waitress_options(app)
    assert options["max_request_body_size"] > app.config["IMPORT_MAX_BYTES"] >= 1024**3
    # The same rule with small limits, over a socket: waitress passes a body past the app's
    # import limit, and the app answers with its envelope rather than waitress's plain text.
    app.config["IMPORT_MAX_BYTES"] = 256 * 1024
    options = waitress_options(app)
    assert options["max_request_body_size"] == app.config["IMAGE_MAX_BYTES"] + 1024 * 1024
    body = b"x" * (512 * 1024)
    token = client.environ_base["HTTP_X_CSRFTOKEN"]
    cookie = client.get_cookie("kaap_session").value
    with serving(app, **options) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST",
            "/api/imports",
            body=body,
            headers={
                "Content-Type": "multipart/form-data; boundary=x",
                "X-CSRFToken": token,
                "Cookie": f"kaap_session={cookie}",
            },
        )
        response = conn.getresponse()
        payload = response.read()
        conn.close()
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    assert b'"code": "request_entity_too_large"' in payload.replace(b'":"', b'": "')


# --- the Host allow-list and the listen address --------------------------------------------


def host_status(app, host: str, path: str = "/api/notes") -> int:
    response = app.test_client().get(path, base_url=f"http://{host}")
    response.close()
    return response.status_code


@pytest.mark.parametrize("accounts", [False, True])
def test_server_mode_answers_only_its_own_host_names(tmp_path, accounts):
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path), "ACCOUNTS": accounts})
    for host in ("localhost", "127.0.0.1:5000", "LOCALHOST:8080"):
        assert host_status(app, host, "/healthz") == 200, host
    for host in ("rebind.example", "rebind.example:5000", "127.0.0.1.rebind.example"):
        assert host_status(app, host) == 400, host
        assert host_status(app, host, "/api/export") == 400, host


def test_a_rebinding_page_cannot_register_the_first_admin(tmp_path):
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path), "ACCOUNTS": True,
                      "WTF_CSRF_ENABLED": False})  # fmt: skip
    body = {"username": "mallory", "password": "correct horse battery"}
    page = app.test_client()
    response = page.post("/api/auth/register", json=body, base_url="http://rebind.example")
    assert response.status_code == 400 and error_code(response) == "bad_request"
    assert page.post("/api/auth/register", json=body).status_code == 201  # localhost: the owner


def test_trusted_hosts_come_from_the_environment_as_a_list(tmp_path, monkeypatch):
    monkeypatch.setenv("KAAP_TRUSTED_HOSTS", "notes.example, .corp.example")
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path)})
    assert app.config["TRUSTED_HOSTS"] == [
        "127.0.0.1", "localhost", "notes.example", ".corp.example"]  # fmt: skip
    for host, status in (("notes.example:8080", 200), ("a.corp.example", 200),
                         ("localhost", 200), ("rebind.example", 400)):  # fmt: skip
        assert host_status(app, host) == status, host


@pytest.mark.parametrize(
    ("listen", "host", "status"),
    [("192.0.2.5", "192.0.2.5:5000", 200), ("0.0.0.0", "192.0.2.5:5000", 400),
     ("0.0.0.0", "localhost:5000", 200)],
)  # fmt: skip
def test_the_listen_address_is_trusted_by_default(tmp_path, listen, host, status):
    app = create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path), "LISTEN_HOST": listen,
                      "ACCOUNTS": True})  # fmt: skip
    assert host_status(app, host, "/healthz") == status


@pytest.fixture
def serve(tmp_path, monkeypatch):
    """``python -m webapp.serve`` in process, with the server's ``serve`` replaced by a stub."""
    from webapp import serve as serve_module
    from webapp import wakepipe

    served = []
    monkeypatch.setattr(wakepipe, "serve", lambda app, **kw: served.append(kw["host"]))
    monkeypatch.setenv("KAAP_CONFIG", "testing")
    monkeypatch.setenv("KAAP_DATA_DIR", str(tmp_path))

    def run(*argv, **env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return serve_module.main(list(argv)), served

    return run


def test_a_network_server_without_accounts_refuses_to_start(serve, capsys):
    code, served = serve("--host", "0.0.0.0", "--port", "0", KAAP_ACCOUNTS="false")
    assert (code, served) == (2, [])
    assert "KAAP_SERVE_WITHOUT_ACCOUNTS" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "env"),
    [("127.0.0.1", {}), ("localhost", {}), ("::1", {}),
     ("0.0.0.0", {"KAAP_SERVE_WITHOUT_ACCOUNTS": "true"}),
     ("0.0.0.0", {"KAAP_ACCOUNTS": "true"})],
)  # fmt: skip
def test_a_server_starts_on_loopback_with_accounts_or_when_told(serve, host, env):
    code, served = serve("--host", host, "--port", "0", **{"KAAP_ACCOUNTS": "false", **env})
    assert (code, served) == (0, [host])


def test_serving_the_desktop_config_is_refused_with_a_sentence(serve, capsys):
    code, served = serve("--port", "0", KAAP_CONFIG="desktop")
    assert (code, served) == (2, [])
    out = capsys.readouterr()
    assert "answers only the desktop's own window" in out.err
    assert "http://" not in out.out  # no URL that could only answer 401


def make_app(tmp_path, **settings):
    return create_app({"CONFIG": "testing", "DATA_DIR": str(tmp_path), **settings})


def from_peer(app, address: str, path: str = "/api/notes", headers=None):
    return app.test_client().get(path, environ_base={"REMOTE_ADDR": address}, headers=headers)


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"])
def test_without_accounts_this_computer_is_answered(tmp_path, peer):
    assert from_peer(make_app(tmp_path, ACCOUNTS=False), peer).status_code == 200


@pytest.mark.parametrize("peer", ["192.168.1.20", "203.0.113.9", "::ffff:10.0.0.2", "fe80::1"])
def test_without_accounts_another_machine_gets_403_whatever_the_server(tmp_path, peer):
    """``flask run --host 0.0.0.0`` never tells the app where it listens: the peer counts."""
    app = make_app(tmp_path, ACCOUNTS=False)
    api = from_peer(app, peer)
    assert api.status_code == 403 and error_code(api) == "forbidden"
    assert "KAAP_SERVE_WITHOUT_ACCOUNTS" in api.get_json()["error"]["message"]
    page = from_peer(app, peer, "/")
    assert page.status_code == 403 and "answers this computer only" in page.get_data(as_text=True)


def test_behind_a_trusted_proxy_without_accounts_the_client_address_counts(tmp_path):
    app = make_app(tmp_path, ACCOUNTS=False, PROXY_FIX=1)
    assert (
        from_peer(app, "127.0.0.1", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    )
    assert from_peer(app, "127.0.0.1", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


@pytest.mark.parametrize(
    "settings", [{"ACCOUNTS": True}, {"ACCOUNTS": False, "SERVE_WITHOUT_ACCOUNTS": True}]
)
def test_with_accounts_or_when_told_other_machines_are_answered(tmp_path, settings):
    response = from_peer(make_app(tmp_path, **settings), "203.0.113.9")
    assert response.status_code in (200, 401)  # asked to log in, not turned away
    assert response.status_code == 200 or error_code(response) != "forbidden"
