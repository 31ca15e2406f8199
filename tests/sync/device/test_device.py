"""Connecting a desktop Kaap to a server: the state, the token, the errors, the identity."""

from __future__ import annotations

import json
import logging
import socket
import stat
import threading

import pytest

from tests.live import serving
from tests.sync.device.conftest import PASSWORD
from webapp import create_app
from webapp.sync.device import client, service, store
from webapp.sync.device.client import SyncError

NOW = "2026-01-05T09:00:00Z"


def connect(data_dir, url, password=PASSWORD, **kwargs):
    return service.connect(data_dir, url, "ana", password, use_keyring=False, now=NOW, **kwargs)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_connect_keeps_the_token_in_a_private_file_and_not_in_sync_json(data_dir, contract):
    state = connect(data_dir, contract.url)
    assert state.server_id == contract.server_id and state.username == "ana"
    token = (data_dir / "sync-token").read_text()
    assert token in contract.tokens
    assert mode(data_dir / "sync-token") == 0o600
    assert mode(data_dir / "sync.json") == 0o600
    saved = (data_dir / "sync.json").read_text()
    assert token not in saved
    assert json.loads(saved)["token_id"] == contract.tokens[token]


def test_the_device_is_named_after_the_machine(data_dir, contract):
    connect(data_dir, contract.url)
    assert contract.devices == [service.device_name()]
    assert socket.gethostname().split(".")[0] in contract.devices[0]


def test_wrong_password_is_a_readable_error_and_stores_nothing(data_dir, contract):
    with pytest.raises(SyncError, match="Wrong user name or password") as caught:
        connect(data_dir, contract.url, password="nope")
    assert caught.value.code == "bad_credentials"
    assert not (data_dir / "sync.json").exists() and not (data_dir / "sync-token").exists()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "bad_url"),
        ("kaap.example.org", "bad_url"),
        ("ftp://kaap.example.org", "bad_url"),
        ("https://", "bad_url"),
        ("https://ana:pw@kaap.example.org", "bad_url"),
        ("https://kaap.example.org/?x=1", "bad_url"),
        ("https://kaap.example.org:99999", "bad_url"),
        ("http://kaap.example.org", "insecure_url"),
        ("http://192.168.1.20:8000", "insecure_url"),
    ],
)
def test_bad_or_unencrypted_addresses_are_refused_with_a_sentence(url, code):
    with pytest.raises(SyncError) as caught:
        client.check_url(url)
    assert caught.value.code == code and caught.value.status == 400
    assert caught.value.message.endswith(".")


@pytest.mark.parametrize(
    ("url", "clean", "insecure"),
    [
        ("https://Kaap.Example.org/", "https://kaap.example.org", False),
        ("https://kaap.example.org/kaap/", "https://kaap.example.org/kaap", False),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000", False),
        ("http://localhost:5000", "http://localhost:5000", False),
        ("http://[::1]:5000", "http://[::1]:5000", False),
    ],
)
def test_https_and_loopback_http_are_accepted(url, clean, insecure):
    assert client.check_url(url) == (clean, insecure)


def test_http_to_another_computer_needs_the_explicit_opt_in():
    assert client.check_url("http://kaap.lan:8000", allow_insecure=True) == (
        "http://kaap.lan:8000",
        True,
    )


def test_an_unreachable_server_is_offline(data_dir, closed_port):
    with pytest.raises(SyncError, match="Offline") as caught:
        connect(data_dir, f"http://127.0.0.1:{closed_port}")
    assert caught.value.code == "offline"
    assert not (data_dir / "sync.json").exists()


def test_a_self_signed_certificate_is_not_trusted(data_dir, self_signed_contract):
    with pytest.raises(SyncError, match="certificate is not trusted") as caught:
        connect(data_dir, self_signed_contract.url)
    assert caught.value.code == "certificate_untrusted"
    assert self_signed_contract.devices == []  # the password never left
    assert not (data_dir / "sync.json").exists()


def test_a_server_that_does_not_answer_in_time_is_a_timeout(data_dir, monkeypatch):
    monkeypatch.setattr(client, "READ_TIMEOUT", 0.3)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # accepts the connection, never answers
        port = listener.getsockname()[1]
        with pytest.raises(SyncError, match="too long") as caught:
            connect(data_dir, f"http://127.0.0.1:{port}")
    assert caught.value.code == "timeout"


def test_a_web_server_that_is_not_kaap_is_named_so(data_dir):
    from flask import Flask

    other = Flask("other")
    other.add_url_rule("/api/sync/devices", "x", lambda: "<html>hello</html>", methods=["POST"])
    expected = pytest.raises(SyncError, match="does not answer like a Kaap server")
    with serving(other) as port, expected as caught:
        connect(data_dir, f"http://127.0.0.1:{port}")
    assert caught.value.code == "not_kaap"


@pytest.fixture
def single_user_server(tmp_path_factory, migrated_db):
    """A real Kaap with accounts off, on a real socket."""
    from webapp.db.sqlite import backup_sqlite

    folder = tmp_path_factory.mktemp("single")
    backup_sqlite(migrated_db, folder / "kaap.sqlite3")
    other = create_app({"CONFIG": "testing", "DATA_DIR": str(folder)})
    with serving(other) as port:
        yield f"http://127.0.0.1:{port}"
    with other.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def test_a_single_user_kaap_takes_no_devices(data_dir, single_user_server):
    with pytest.raises(SyncError, match="single-user mode") as caught:
        connect(data_dir, single_user_server)
    assert caught.value.code == "sync_unavailable"


def test_a_server_with_the_same_identity_passes_the_check(data_dir, contract):
    connect(data_dir, contract.url)
    state = service.check(data_dir)
    assert state.last_error is None and not state.stopped


@pytest.mark.parametrize("what", ["server_id", "account_id"])
def test_a_server_answering_as_another_stops_sync_and_deletes_nothing(
    app, client_with_notes, data_dir, contract, what
):
    connect(data_dir, contract.url)
    setattr(contract, what, "reset-" + what)
    state = service.check(data_dir)
    assert state.stopped and state.last_error == service.IDENTITY_CHANGED
    assert "Your notes on this computer are kept." in state.last_error
    assert store.load(data_dir).stopped  # stays stopped on the next start too
    assert service.check(data_dir).stopped  # and asks the server nothing more
    assert note_titles(client_with_notes) == ["one", "two"]


def test_a_revoked_token_says_to_connect_again(data_dir, contract):
    connect(data_dir, contract.url)
    contract.tokens.clear()
    state = service.check(data_dir)
    assert state.last_error_code == "token_revoked" and not state.stopped


def test_an_offline_check_is_kept_as_the_last_error(data_dir, contract, closed_port):
    connect(data_dir, contract.url)
    state = store.load(data_dir)
    state.server_url = f"http://127.0.0.1:{closed_port}"
    store.save(data_dir, state)
    assert service.check(data_dir).last_error_code == "offline"


@pytest.fixture
def client_with_notes(client):
    for title in ("one", "two"):
        assert client.post("/api/notes", json={"title": title}).status_code == 201
    return client


def note_titles(client) -> list[str]:
    return sorted(note["title"] for note in client.get("/api/notes").get_json()["items"])


def test_disconnect_revokes_forgets_and_keeps_every_note(client_with_notes, data_dir, contract):
    connect(data_dir, contract.url)
    assert service.disconnect(data_dir) is True
    assert contract.tokens == {}
    assert not (data_dir / "sync.json").exists() and not (data_dir / "sync-token").exists()
    assert note_titles(client_with_notes) == ["one", "two"]


def test_disconnect_while_offline_still_forgets_the_token(data_dir, contract, closed_port):
    connect(data_dir, contract.url)
    state = store.load(data_dir)
    state.server_url = f"http://127.0.0.1:{closed_port}"
    store.save(data_dir, state)
    assert service.disconnect(data_dir) is False
    assert not (data_dir / "sync-token").exists()


def test_switching_servers_forgets_the_old_token_and_keeps_the_notes(
    client_with_notes, data_dir, contract, tmp_path_factory
):
    from tests.sync.device.conftest import ContractServer, contract_app

    connect(data_dir, contract.url)
    second = ContractServer()
    with serving(contract_app(second)) as port:
        state = connect(data_dir, f"http://127.0.0.1:{port}")
    assert state.server_id == second.server_id
    assert contract.tokens == {}  # the first server's token was revoked
    assert (data_dir / "sync-token").read_text() in second.tokens
    assert note_titles(client_with_notes) == ["one", "two"]


def test_the_token_never_reaches_the_logs(data_dir, contract, caplog):
    caplog.set_level(logging.DEBUG)
    connect(data_dir, contract.url)
    service.check(data_dir)
    token = (data_dir / "sync-token").read_text()
    assert token not in caplog.text and PASSWORD not in caplog.text


def test_a_failed_write_keeps_the_old_state(data_dir, monkeypatch):
    state = store.State("https://a", "s", "a", "ana", 1, "Kaap on x")
    store.save(data_dir, state)
    monkeypatch.setattr(store.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("full")))
    state.username = "bo"
    with pytest.raises(OSError):
        store.save(data_dir, state)
    assert store.load(data_dir).username == "ana"
    assert mode(data_dir / "sync.json") == 0o600
    assert sorted(p.name for p in data_dir.glob("sync.json*")) == ["sync.json"]


def test_an_unreadable_state_file_means_not_connected(data_dir):
    (data_dir / "sync.json").write_text("{not json")
    assert store.load(data_dir) is None


def test_no_usable_keyring_means_the_file(data_dir):
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert store.usable_keyring() is None
        assert store.save_token(data_dir, "srv", "secret", use_keyring=True) == "file"
    finally:
        keyring.set_keyring(before)
    assert mode(data_dir / "sync-token") == 0o600


def test_a_usable_keyring_keeps_the_token_keyed_by_data_dir_and_server(data_dir):
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        values: dict = {}

        def get_password(self, service, username):
            return self.values.get((service, username))

        def set_password(self, service, username, password):
            self.values[(service, username)] = password

        def delete_password(self, service, username):
            del self.values[(service, username)]

    before = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        assert store.save_token(data_dir, "srv", "secret", use_keyring=True) == "keyring"
        state = store.State("https://a", "srv", "a", "ana", 1, "d", token_store="keyring")
        assert Memory.values == {("Kaap", f"{data_dir.resolve()}|srv"): "secret"}
        assert store.load_token(data_dir, state) == "secret"
        assert not (data_dir / "sync-token").exists()
        store.delete_token(data_dir, state)
        assert Memory.values == {}
    finally:
        keyring.set_keyring(before)


def test_connecting_runs_beside_other_threads(data_dir, contract):
    """Two connects at once (a double click) leave one whole state and its token."""
    errors = []

    def go():
        try:
            connect(data_dir, contract.url)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    token = (data_dir / "sync-token").read_text()
    assert list(contract.tokens) == [token]  # the first one was revoked by the second
    assert store.load(data_dir).token_id == contract.tokens[token]


def test_a_redirect_is_not_followed_and_names_where_it_points(data_dir):
    from flask import Flask, redirect

    other = Flask("other")
    other.add_url_rule(
        "/api/sync/devices",
        "x",
        lambda: redirect("https://kaap.example.org/api/sync/devices", 308),
        methods=["POST"],
    )
    expected = pytest.raises(SyncError, match=r"sends Kaap to https://kaap\.example\.org")
    with serving(other) as port, expected as caught:
        connect(data_dir, f"http://127.0.0.1:{port}")
    assert caught.value.code == "redirected"


def test_connections_share_one_tls_context(monkeypatch):
    # Loading certifi's bundle took 50 ms per sync: it is loaded once per process.
    import ssl

    from webapp.sync.device import client

    made = []
    real = ssl.create_default_context
    monkeypatch.setattr(
        ssl, "create_default_context", lambda *a, **k: made.append(1) or real(*a, **k)
    )
    if hasattr(client, "_tls"):
        client._tls.cache_clear()  # made before this test: made again, once
    for _ in range(2):
        client.Connection("https://127.0.0.1:9", "token").close()
    assert len(made) == 1
