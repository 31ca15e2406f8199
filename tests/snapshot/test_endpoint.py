import ast
import errno
import os
import stat
import sys
from pathlib import Path

import pytest

from webapp.snapshot import files

URL = "/api/desktop/snapshot"
CARD = '<article class="card color-red"><div class="card-content"><div class="card-title">Milk</div></div></article>'


def stored(app) -> str:
    return files.read(app.config["DATA_DIR"])


def test_the_desktop_page_stores_its_cards(desktop, client):
    response = client.put(URL, json={"html": CARD})
    assert response.status_code == 200
    assert stored(desktop) == CARD
    assert response.get_json() == {"bytes": len(CARD)}


def test_a_new_snapshot_replaces_the_old(desktop, client):
    client.put(URL, json={"html": CARD})
    client.put(URL, json={"html": ""})
    assert stored(desktop) == ""
    assert files.path(desktop.config["DATA_DIR"]).exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_the_file_is_private(desktop, client):
    client.put(URL, json={"html": CARD})
    path = files.path(desktop.config["DATA_DIR"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [files.SNAPSHOT_NAME]  # no .part left


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_cache_folder_made_wider_is_narrowed(desktop, client):
    folder = files.path(desktop.config["DATA_DIR"]).parent
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    client.put(URL, json={"html": CARD})
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_write_without_the_csrf_token_is_refused(desktop):
    response = desktop.test_client().put(URL, json={"html": CARD})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"
    assert not files.path(desktop.config["DATA_DIR"]).exists()


def test_a_body_over_512_kb_gets_413(desktop, client):
    response = client.put(URL, json={"html": "x" * files.MAX_BYTES})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    assert not files.path(desktop.config["DATA_DIR"]).exists()


def test_html_that_grows_past_the_cap_once_cleaned_gets_413(desktop, client):
    # each "<" becomes "&lt;": 150,000 bytes in, 600,000 out
    response = client.put(URL, json={"html": "<" * 150_000})
    assert response.status_code == 413
    assert "once cleaned" in response.get_json()["error"]["message"]
    assert not files.path(desktop.config["DATA_DIR"]).exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"html": 5}, {"html": None}, {"html": CARD, "more": 1}, [CARD], "<p>"],
)
def test_anything_but_an_object_with_an_html_string_gets_400(desktop, client, body):
    response = client.put(URL, json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]


def test_invalid_json_gets_400(desktop, client):
    response = client.put(URL, data="{", content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_a_browser_page_has_no_snapshot_route(app, client):
    response = client.put(URL, json={"html": CARD})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert not files.path(app.config["DATA_DIR"]).exists()


@pytest.mark.parametrize("app_settings", [{"ACCOUNTS": True}])
def test_a_server_with_accounts_has_no_snapshot_route(desktop, client):
    response = client.put(URL, json={"html": CARD})
    assert response.status_code in (401, 404)  # not logged in, or logged in: no route
    assert not files.path(desktop.config["DATA_DIR"]).exists()


def test_the_route_is_documented(client):
    spec = client.get("/api/swagger.json").get_json()
    operation = spec["paths"]["/desktop/snapshot"]["put"]
    assert {"200", "400", "404", "413"} <= set(operation["responses"])


def test_read_gives_nothing_for_a_missing_or_oversized_file(tmp_path):
    assert files.read(tmp_path) == ""
    files.path(tmp_path).parent.mkdir()
    files.path(tmp_path).write_bytes(b"x" * (files.MAX_BYTES + 1))
    assert files.read(tmp_path) == ""
    files.path(tmp_path).write_bytes(b"\xff\xfe<p>")
    assert files.read(tmp_path) == ""


def test_files_imports_the_standard_library_only():
    # the desktop's thin path reads the snapshot through it before Flask is imported
    tree = ast.parse(Path(files.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names) | {
        "__future__"
    }


def test_the_index_leaves_the_marker_in_an_empty_inert_container(client):
    page = client.get("/").get_data(as_text=True)
    assert (
        f'<div id="snapshot" class="snapshot" inert aria-hidden="true">{files.MARKER}</div>' in page
    )
    assert page.count(files.MARKER) == 1


def test_a_full_disk_gets_507_and_leaves_no_part_file(desktop, client, monkeypatch):
    def full(fd, *args, **kwargs):
        os.close(fd)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fdopen", full)
    response = client.put(URL, json={"html": CARD})
    assert response.status_code == 507
    assert response.get_json()["error"]["code"] == "disk_full"
    assert list(files.path(desktop.config["DATA_DIR"]).parent.iterdir()) == []


def test_a_note_deleted_forever_leaves_the_snapshot_with_its_deletion(desktop, client):
    note = client.post("/api/notes", json={"title": "Milk"}).get_json()
    client.put(URL, json={"html": CARD})
    client.post(f"/api/notes/{note['id']}/trash")
    assert stored(desktop) == CARD  # trashed, it can come back: the page redraws soon
    assert client.delete(f"/api/notes/{note['id']}").status_code < 300
    assert not files.path(desktop.config["DATA_DIR"]).exists()
    assert client.put(URL, json={"html": ""}).status_code == 200  # the page's next one


def test_emptying_the_trash_leaves_no_snapshot_either(desktop, client):
    note = client.post("/api/notes", json={"title": "Milk"}).get_json()
    client.post(f"/api/notes/{note['id']}/trash")
    client.put(URL, json={"html": CARD})
    assert client.delete("/api/trash").status_code < 300
    assert not files.path(desktop.config["DATA_DIR"]).exists()
