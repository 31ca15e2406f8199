"""Servers for the desktop side of sync to talk to, on real sockets (no httpx mocks)."""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import socket
import threading
from dataclasses import dataclass, field

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from tests.live import serving

PASSWORD = "correct horse battery"


# THE CONTRACT (h14-S1's server side, not on main yet): this small app answers as the
# contract says a Kaap server does. When S1's endpoints are merged, the lead points these
# tests at the real server (create_app with accounts on, served by tests/live.serving).
#   POST /api/sync/devices {"username", "password", "device"}
#       -> 201 {"token", "token_id", "server_id", "account_id", "username"}; 401 bad_credentials
#   GET /api/sync/identity (Bearer) -> {"server_id", "account_id", "username"}; revoked -> 401
#   DELETE /api/account/tokens/<id> (Bearer) -> 204: what disconnect needs; the real endpoint
#       asks for a logged-in session today (see test_real_server_refuses_revoking_with_a_token).
@dataclass
class ContractServer:
    url: str = ""
    server_id: str = field(default_factory=lambda: secrets.token_hex(8))
    account_id: str = "acct-1"
    tokens: dict[str, int] = field(default_factory=dict)  # secret -> token id
    devices: list[str] = field(default_factory=list)
    attempts: int = 0


def contract_app(server: ContractServer) -> Flask:
    app = Flask("contract")

    def error(status: int, code: str, message: str):
        return jsonify({"error": {"code": code, "message": message, "fields": {}}}), status

    def bearer() -> str | None:
        header = request.headers.get("Authorization", "")
        secret = header.removeprefix("Bearer ")
        return secret if secret in server.tokens else None

    @app.post("/api/sync/devices")
    def devices():
        body = request.get_json()
        server.attempts += 1
        if server.attempts > 20:
            return error(429, "too_many_attempts", "Too many attempts.")
        if (body.get("username"), body.get("password")) != ("ana", PASSWORD):
            return error(401, "bad_credentials", "Wrong user name or password.")
        secret = "kaap_" + secrets.token_urlsafe(24)
        server.tokens[secret] = len(server.devices) + 1
        server.devices.append(body["device"])
        return jsonify(
            token=secret,
            token_id=server.tokens[secret],
            server_id=server.server_id,
            account_id=server.account_id,
            username="ana",
        ), 201

    @app.get("/api/sync/identity")
    def identity():
        if bearer() is None:
            return error(401, "unauthorized", "Send a valid token.")
        return jsonify(server_id=server.server_id, account_id=server.account_id, username="ana")

    @app.delete("/api/account/tokens/<int:token_id>")
    def revoke(token_id: int):
        secret = bearer()
        if secret is None or server.tokens[secret] != token_id:
            return error(401, "unauthorized", "Send a valid token.")
        del server.tokens[secret]
        return "", 204

    return app


@pytest.fixture
def contract():
    """A server that keeps the sync contract, on 127.0.0.1 (waitress, in a thread)."""
    server = ContractServer()
    with serving(contract_app(server)) as port:
        server.url = f"http://127.0.0.1:{port}"
        yield server


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def self_signed_contract(tmp_path_factory):
    """The contract server over https with a self-signed certificate (werkzeug, in a thread)."""
    server = ContractServer()
    cert = _self_signed(tmp_path_factory.mktemp("tls"))
    httpd = make_server("127.0.0.1", 0, contract_app(server), threaded=True, ssl_context=cert)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    server.url = f"https://127.0.0.1:{httpd.server_port}"
    try:
        yield server
    finally:
        httpd.shutdown()
        thread.join(10)


# --- the background worker's tests (test_worker.py, test_sync_now_api.py) ------------------


@pytest.fixture
def fake(monkeypatch):
    """``engine.sync_now`` replaced by a fake that records its calls (tests/.../fakes.py)."""
    from tests.sync.device.fakes import FakeEngine
    from webapp.sync.device import engine

    fake = FakeEngine()
    monkeypatch.setattr(engine, "sync_now", fake)
    return fake


@pytest.fixture
def connected(data_dir):
    from tests.sync.device.fakes import connect_without_a_server

    return connect_without_a_server(data_dir)


@pytest.fixture
def no_sync_thread_left(monkeypatch, app):
    """The app's sync worker stopped after the test, and no sync thread left running (before
    ``monkeypatch`` puts the real engine back)."""
    yield
    from tests.sync.device.fakes import sync_threads
    from webapp.sync.device import worker

    worker.stop(app)
    assert sync_threads() == []
