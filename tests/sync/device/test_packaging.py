"""The desktop executable keeps what the sync client imports when it connects."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[3]
# On Linux the keyring reaches the Secret Service through the system's libsecret (keyring's
# libsecret back end, through the bundled gi), not SecretStorage with cryptography and jeepney.
SYNC_CLIENT = {"httpx", "httpcore", "h11", "anyio", "certifi", "idna", "keyring", "jaraco",
               "importlib_metadata"}  # fmt: skip


def excluded_modules() -> set[str]:
    spec = (ROOT / "app.spec").read_text()
    names = set()
    for block in re.findall(r"^\s*excludes\s*\+?=\s*(?:qt\s*\+\s*)?\[(.*?)\]", spec, re.M | re.S):
        names |= {name.split(".")[0] for name in re.findall(r'"([\w.]+)"', block)}
    return names


def test_the_spec_excludes_nothing_the_sync_client_needs():
    excluded = excluded_modules()
    assert "requests" in excluded  # the parse finds the lists
    assert not excluded & SYNC_CLIENT
