"""Talking to a Kaap server over httpx: URL rules, the device sign-in, identity, revocation.

Every failure becomes a ``SyncError`` with a sentence a person can act on ("wrong password",
"server certificate not trusted", "offline"): the page and the CLI show it as it is.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
from urllib.parse import urlsplit, urlunsplit

from webapp.errors import KaapError

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
# A stored image is at most 4096 px a side: far below this (what a download may weigh).
BLOB_MAX_BYTES = 128 * 1024 * 1024
INSECURE_WARNING = "Not encrypted: anyone on the network can read your notes."
_LOOPBACK_NAMES = {"localhost"}


class SyncError(KaapError):
    """The server could not be reached, refused, or is not a Kaap server."""

    status = 502
    code = "sync_failed"

    def __init__(self, message: str, *, code: str, status: int | None = None, **kwargs):
        super().__init__(message, code=code, **kwargs)
        if status is not None:
            self.status = status


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, allow_insecure: bool = False) -> tuple[str, bool]:
    """The server's base URL, cleaned, and whether it travels unencrypted to another machine.

    https always; plain http only to this machine (loopback), or when ``allow_insecure`` says
    so, in which case the second value is True and the page warns.
    """

    def bad(message: str) -> SyncError:
        return SyncError(message, code="bad_url", status=400, fields={"url": message})

    url = (url or "").strip()
    if not url:
        raise bad("Give the server's address, such as https://kaap.example.org.")
    if "://" not in url:
        raise bad("Give the whole address, starting with https://.")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise bad(f"{url!r} is not a valid address.") from None
    if parts.scheme not in ("https", "http"):
        raise bad("The address must start with https:// (or http:// for this computer).")
    if not host:
        raise bad("The address has no host name.")
    if parts.username is not None or parts.password is not None:
        raise bad("Leave the user name and password out of the address; give them below.")
    if parts.query or parts.fragment:
        raise bad("The address must not have a ? or # part.")
    insecure = parts.scheme == "http" and not is_loopback(host)
    if insecure and not allow_insecure:
        raise SyncError(
            f"http:// to another computer is not encrypted: use https://, or allow an "
            f"unencrypted connection explicitly. {INSECURE_WARNING}",
            code="insecure_url",
            status=400,
            fields={"url": "Use https://."},
        )
    netloc = parts.netloc.lower() if port is None else parts.netloc
    clean = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return clean, insecure


def host_of(url: str) -> str:
    return urlsplit(url).netloc


def _http():
    import httpx  # not at start-up: only connecting needs it

    return httpx


@functools.cache
def _tls() -> ssl.SSLContext:
    """Certificates and host names checked against certifi's CA bundle, loaded once per
    process: httpx loads it again for every client (50 ms, half of an idle sync)."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _new_client():
    httpx = _http()
    timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
    return httpx.Client(timeout=timeout, verify=_tls(), follow_redirects=False)


def _request(method: str, url: str, *, token: str | None = None, json=None, client=None,
             content: bytes | None = None, headers: dict | None = None):  # fmt: skip
    """One request (on ``client`` if given, else a client of its own); transport failures
    become readable ``SyncError``s."""
    import ssl

    httpx = _http()
    headers = {"Accept": "application/json", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        if client is not None:
            return client.request(method, url, headers=headers, json=json, content=content)
        with _new_client() as own:
            return own.request(method, url, headers=headers, json=json, content=content)
    except httpx.TimeoutException:
        raise SyncError(
            "The server took too long to answer: try again later.", code="timeout", status=504
        ) from None
    except httpx.ConnectError as exc:
        cause = exc.__context__ or exc.__cause__
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            exc
        ):
            raise SyncError(
                "The server's certificate is not trusted: check the address, or ask the "
                "server's admin for a certificate from a known authority.",
                code="certificate_untrusted",
                status=502,
            ) from None
        if isinstance(cause, ssl.SSLError) or "SSL" in str(exc):
            raise SyncError(
                "A secure connection to the server failed (is it really https?).",
                code="tls_failed",
                status=502,
            ) from None
        raise SyncError(
            "Offline: the server cannot be reached. Check the address and your connection.",
            code="offline",
            status=503,
        ) from None
    except httpx.HTTPError:
        raise SyncError(
            "Offline: the connection to the server broke off.", code="offline", status=503
        ) from None


def _body(response) -> dict:
    """The JSON object of a Kaap answer, or a ``not_kaap`` error."""
    if response.is_redirect:
        # Not followed: a password must not travel on to wherever a redirect points.
        where = response.headers.get("Location", "another address")
        raise SyncError(
            f"The server sends Kaap to {where}: if that is your server, use it as the address.",
            code="redirected",
            status=502,
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SyncError(
            "This address does not answer like a Kaap server: check it.",
            code="not_kaap",
            status=502,
        )
    return body


def _server_message(body: dict) -> str:
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    return ""


def _need(body: dict, *keys: str) -> dict:
    if not all(isinstance(body.get(k), (str, int)) and body.get(k) != "" for k in keys):
        raise SyncError(
            "This address does not answer like a Kaap server: check it.",
            code="not_kaap",
            status=502,
        )
    return body


def register_device(base_url: str, username: str, password: str, device: str) -> dict:
    """A new device token: ``{"token", "token_id", "server_id", "account_id", "username"}``."""
    response = _request(
        "POST",
        f"{base_url}/api/sync/devices",
        json={"username": username, "password": password, "device": device},
    )
    body = _body(response)
    if response.status_code == 401:
        raise SyncError("Wrong user name or password.", code="bad_credentials", status=400)
    if response.status_code == 429:
        raise SyncError(
            "Too many sign-in attempts: wait a few minutes and try again.",
            code="too_many_attempts",
            status=429,
        )
    if response.status_code in (404, 409) and "error" in body:
        raise SyncError(
            "This Kaap does not accept devices: it runs without accounts (single-user mode) "
            "or is too old for sync.",
            code="sync_unavailable",
            status=409,
        )
    if response.status_code != 201:
        raise _unexpected(response, body)
    return _need(body, "token", "server_id", "account_id", "username")


def identity(base_url: str, token: str) -> dict:
    """Who the server says the token belongs to: ``{"server_id", "account_id", "username"}``."""
    response = _request("GET", f"{base_url}/api/sync/identity", token=token)
    body = _body(response)
    if response.status_code == 401:
        raise SyncError(
            "The server no longer accepts this computer's sign-in (signed out there, or the "
            "server was reset): connect again. Your notes on this computer are kept.",
            code="token_revoked",
            status=409,
        )
    if response.status_code != 200:
        raise _unexpected(response, body)
    return _need(body, "server_id", "account_id")


def revoke(base_url: str, token: str, token_id: int) -> None:
    """Revoke the device token on the server; raises ``SyncError`` when it did not."""
    response = _request("DELETE", f"{base_url}/api/account/tokens/{token_id}", token=token)
    if response.status_code in (204, 401, 404):  # revoked now, or already gone
        return
    raise _unexpected(response, _body(response))


def _unexpected(response, body: dict) -> SyncError:
    message = _server_message(body) or f"status {response.status_code}"
    return SyncError(f"The server refused: {message}", code="server_error", status=502)


class Connection:
    """One sync's conversation with the server: one httpx client (kept-alive connections)
    and the device token. Every answer other than the expected one is a ``SyncError``."""

    def __init__(self, base_url: str, token: str):
        self.base_url, self.token = base_url, token
        self._client = _new_client()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, path: str, *, json=None, content: bytes | None = None,
                headers: dict | None = None, expect: tuple[int, ...] = (200,)):  # fmt: skip
        """The raw response of ``method path`` (under /api/sync/...), checked: a refused
        token, a server error or an answer that is not Kaap's raise ``SyncError``."""
        response = _request(method, f"{self.base_url}{path}", token=self.token, json=json,
                            content=content, headers=headers, client=self._client)  # fmt: skip
        if response.status_code in expect:
            return response
        body = _body(response)
        if response.status_code == 401:
            raise SyncError(
                "The server no longer accepts this computer's sign-in (signed out there, or "
                "the server was reset): connect again. Your notes on this computer are kept.",
                code="token_revoked",
                status=409,
            )
        raise _unexpected(response, body)

    def json(self, method: str, path: str, *, json=None, expect: tuple[int, ...] = (200,)):
        """The JSON object of a checked answer."""
        return _body(self.request(method, path, json=json, expect=expect))

    def identity(self) -> dict:
        return _need(self.json("GET", "/api/sync/identity"), "server_id", "account_id")

    def changes(self, since: int, limit: int = 500) -> dict:
        """One page of the feed after ``since``."""
        return self.json("GET", f"/api/sync/changes?since={int(since)}&limit={int(limit)}")

    def push(self, body: dict) -> dict:
        """A batch ``{"labels": [...], "changes": [...]}``; the server's answers."""
        return self.json("POST", "/api/sync/push", json=body)

    # Images by content (webapp.sync.blobs; the device's side is webapp.sync.device.blobs).

    def blobs_missing(self, shas: list[str]) -> dict:
        """``{"missing": [...], "stored_as": {sha: server's sha}}`` for at most 1,000 hashes."""
        body = self.json("POST", "/api/sync/blobs/missing", json={"sha256": list(shas)})
        if not isinstance(body.get("missing"), list):
            raise SyncError("This address does not answer like a Kaap server: check it.",
                            code="not_kaap", status=502)  # fmt: skip
        body.setdefault("stored_as", {})
        return body

    def put_blob(self, sha: str, data: bytes, content_type: str) -> str:
        """Upload an image by its hash; the SHA-256 the server stored it under. An image the
        server will not take is a ``SyncError`` with code ``image_refused``."""
        response = self.request("PUT", f"/api/sync/blobs/{sha}", content=data,
                                headers={"Content-Type": content_type},
                                expect=(200, 201, 400, 413, 415, 507))  # fmt: skip
        body = _body(response)
        if response.status_code == 507:
            raise SyncError(f"The server refused: {_server_message(body)}",
                            code="quota_exceeded", status=507)  # fmt: skip
        if response.status_code not in (200, 201):
            raise SyncError(_server_message(body) or f"status {response.status_code}",
                            code="image_refused", status=502)  # fmt: skip
        return _need(body, "sha256")["sha256"]

    def get_blob(self, sha: str) -> bytes:
        """The server's file of the image with this hash (not checked here: see the caller)."""
        response = self.request("GET", f"/api/sync/blobs/{sha}", headers={"Accept": "image/*"})
        if len(response.content) > BLOB_MAX_BYTES:
            raise SyncError("The server sent an image larger than any it stores.",
                            code="bad_image", status=502)  # fmt: skip
        return response.content
