"""Isolation: a second user reaches nothing of the first's, through every operation of the API.

The walk reads the OpenAPI document and calls every operation as B, by cookie and by API
token; when B is the admin, also by a token with the admin scope (a plain one is refused
every admin operation with 403). An operation naming one of A's objects gets the very answer an id that never existed
gets (404 and the error envelope), while the same request on an object of B's own works; B's
lists, searches, filters and export hold nothing of A's; and A's account is the same after
the walk as before it. An operation the walk does not know fails the suite: a new endpoint
cannot slip past it.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.accounts.conftest import PASSWORD, csrf_client
from tests.accounts.world import (
    A_WORDS,
    B_WORDS,
    BACKUP_PLACEHOLDER,
    Owned,
    created,
    export_zip,
    image_files,
    png,
    populate,
    snapshot,
    token_client,
    upload_form,
    wait_for_job,
)
from tests.conftest import error_code
from tests.events.sse import Stream, parse

RED, BLUE = (200, 30, 30), (30, 30, 200)
# Values no object has: what A's objects must be indistinguishable from. ABSENT_ID is the
# largest id an id column holds on PostgreSQL; past it there is no route (a 404, not a 500).
ABSENT_ID, PAST_IDS = 2**31 - 1, 2**53
NOWHERE = {
    "note_id": ABSENT_ID,
    "image_id": ABSENT_ID,
    "label_id": ABSENT_ID,
    "token_id": ABSENT_ID,
    "user_id": ABSENT_ID,
    "job_id": "no-such-import",
    "name": BACKUP_PLACEHOLDER,
}


@dataclass
class World:
    app: Flask
    admin: FlaskClient
    a: FlaskClient
    b: FlaskClient
    log_in: Callable
    a_owned: Owned | None = None
    b_owned: Owned | None = None


@pytest.fixture
def people(request, app, sign_up, log_in) -> World:
    """A and B, logged in, as ``request.param`` says: A is the first user (the admin) and
    creates B; or an admin exists first and A and B sign up themselves (open sign-up); or B
    is the admin and creates A."""
    if request.param == "a_is_admin":
        admin = a = sign_up("ana")
        created(a.post("/api/users", json={"username": "bob", "password": PASSWORD}))
        b = log_in("bob")
    elif request.param == "a_is_member":
        admin = sign_up("root")
        app.config["OPEN_SIGNUP"] = True
        a, b = sign_up("ana"), sign_up("bob")
    else:
        admin = b = sign_up("root")
        created(b.post("/api/users", json={"username": "ana", "password": PASSWORD}))
        a = log_in("ana")
    return World(app, admin, a, b, log_in)


@pytest.fixture
def world(people) -> World:
    """A and B, each with one of everything; A has a backup to name too (on SQLite)."""
    people.a_owned = populate(people.a, A_WORDS, RED)
    people.b_owned = populate(people.b, B_WORDS, BLUE)
    people.a_owned.backups.append(backup_name(people.admin))
    return people


def backup_name(admin: FlaskClient) -> str:
    """A real backup's name; on PostgreSQL, where there are none, one that might be."""
    backup = admin.post("/api/backups")
    return backup.get_json()["name"] if backup.status_code == 201 else BACKUP_PLACEHOLDER


# --- the walker: every response B gets is checked the same way ---------------------------


def answer(response) -> tuple[int, str | None]:
    """Status and envelope code: what tells one object's absence from another's."""
    return response.status_code, error_code(response) if response.status_code >= 400 else None


@dataclass
class Walker:
    """B's client: every response it gets is checked for a crash, the envelope and A's words."""

    client: FlaskClient
    by: str
    secrets: tuple[str, ...]
    admin: bool = False
    scoped: bool = False  # a token with the admin scope
    calls: int = 0

    @property
    def administers(self) -> bool:
        return self.admin and (self.by == "cookie" or self.scoped)

    def admin_answer(self, works: tuple[int, str | None]) -> tuple[int, str | None]:
        """What an admin-only operation answers: ``works`` for an admin by session or by a
        token with the admin scope, 403 for an admin's plain token, 404 for anyone else."""
        if self.administers:
            return works
        return (403, "admin_scope_required") if self.admin else (404, "not_found")

    def call(self, method: str, url: str, *, allow: tuple[str, ...] = (), **kwargs):
        response = self.client.open(url, method=method, **kwargs)
        self.calls += 1
        assert response.status_code < 500, (method, url, response.get_data(as_text=True))
        if response.status_code >= 400:
            error_code(response)  # the one envelope, whatever went wrong
        text = _text(response)
        sent = " ".join(allow).casefold()  # what B typed may come back, nothing else
        leaked = [word for word in self.secrets if word in text and word not in sent]
        assert not leaked, f"{method} {url} as B shows A's {leaked}: {text[:500]}"
        return response

    def notes(self, **params) -> list[dict]:
        """Every page of B's notes list with these filters."""
        found, cursor = [], None
        while True:
            query = {"limit": 100, **params, "cursor": cursor}
            page = self.call("GET", "/api/notes", query_string=query)
            assert page.status_code == 200, (params, page.get_json())
            found += page.get_json()["items"]
            cursor = page.get_json()["next_cursor"]
            if cursor is None:
                return found


def _text(response) -> str:
    data = response.get_data()
    response.close()
    if response.is_json and data:
        return json.dumps(response.get_json(), ensure_ascii=False).casefold()
    return data.decode("utf-8", "replace").casefold()


# --- operations naming A's objects --------------------------------------------------------


@dataclass
class Foreign:
    """An operation with one of A's objects in its path.

    ``variants`` are the requests made (bodies, headers). ``works`` is the status the first
    variant gets on a new object of B's own (of the state ``control`` for notes), proving the
    request reaches the owner check rather than failing before it; None where B can own no
    such object.
    ``by_token`` is the answer an API token gets whatever the id (an operation for cookie
    sessions only): the same for A's object as for none, so it confirms nothing.
    """

    works: int | None = None
    control: str = "active"
    variants: tuple[Callable[[World], dict], ...] = (lambda w: {},)
    by_token: tuple[int, str] | None = None
    # Values of the path's other parameters (a version's number, say): the first names the object.
    fixed: dict[str, str] | None = None


def _upload(w: World) -> dict:
    return upload_form(png((1, 2, 3)))


def _rename_to_bs_label(w: World) -> dict:
    # A name B already has: B's uniqueness check must not run on A's label (409 would tell).
    return {"json": {"name": w.b_owned.labels["work"]["name"]}}


FOREIGN: dict[tuple[str, str], Foreign] = {
    ("GET", "/notes/{note_id}"): Foreign(200),
    ("PATCH", "/notes/{note_id}"): Foreign(
        200,
        variants=(
            lambda w: {"json": {"title": "B was here"}},
            # A version check before the owner check would answer 412 for one of these.
            lambda w: {"json": {"body": "B"}, "headers": {"If-Match": "1"}},
            lambda w: {"json": {"body": "B"}, "headers": {"If-Match": "999"}},
            lambda w: {"json": {"label_ids": sorted(w.b_owned.label_ids)}},
        ),
    ),
    ("DELETE", "/notes/{note_id}"): Foreign(204, control="trashed"),
    ("POST", "/notes/{note_id}/trash"): Foreign(200),
    ("POST", "/notes/{note_id}/restore"): Foreign(200, control="trashed"),
    ("POST", "/notes/{note_id}/copy"): Foreign(201),
    # B's own control has no reminder: 409, past the owner check.
    ("POST", "/notes/{note_id}/reminder/done"): Foreign(409),
    # B's own control: a past time names no reminder of its note, nothing moves: 200.
    ("POST", "/notes/{note_id}/reminder/notified"): Foreign(
        200, variants=(lambda w: {"json": {"at": "2020-01-01T00:00:00Z"}},)
    ),
    ("POST", "/notes/{note_id}/move"): Foreign(
        200,
        variants=(
            lambda w: {"json": {"before": w.b_owned.notes["korean"]["id"]}},
            # A's note as the neighbour of A's own: the same 404 as an id that never existed.
            lambda w: {"json": {"after": w.a_owned.notes["korean"]["id"]}},
        ),
    ),
    ("POST", "/notes/{note_id}/images"): Foreign(201, variants=(_upload,)),
    ("DELETE", "/images/{image_id}"): Foreign(204),
    ("GET", "/images/{image_id}/file"): Foreign(200),
    ("GET", "/images/{image_id}/thumb"): Foreign(200),
    ("GET", "/labels/{label_id}"): Foreign(200),
    ("PATCH", "/labels/{label_id}"): Foreign(
        200, variants=(lambda w: {"json": {"name": "B was here"}}, _rename_to_bs_label)
    ),
    ("DELETE", "/labels/{label_id}"): Foreign(204),
    ("GET", "/notes/{note_id}/versions"): Foreign(200),
    # Every note has a version 1 (the note as created).
    ("GET", "/notes/{note_id}/versions/{number}"): Foreign(200, fixed={"number": "1"}),
    ("POST", "/notes/{note_id}/versions/{number}/restore"): Foreign(
        200,
        fixed={"number": "1"},
        variants=(lambda w: {}, lambda w: {"headers": {"If-Match": "1"}}),
    ),
    # B's own new note has no image to show: no control, the owner check answers first.
    ("GET", "/notes/{note_id}/versions/images/{digest}/file"): Foreign(
        None, fixed={"digest": "a" * 64}
    ),
    ("GET", "/notes/{note_id}/versions/images/{digest}/thumb"): Foreign(
        None, fixed={"digest": "a" * 64}
    ),
    ("GET", "/imports/{job_id}"): Foreign(200),
    ("DELETE", "/account/tokens/{token_id}"): Foreign(204, by_token=(403, "session_required")),
    # No user and no backup is a plain user's to reach, so these have no control.
    ("DELETE", "/users/{user_id}"): Foreign(None),
    ("POST", "/backups/{name}/restore"): Foreign(None),
}
# What an admin may do to other users by design: delete them, rewind the database.
ADMIN_POWERS = {("DELETE", "/users/{user_id}"), ("POST", "/backups/{name}/restore")}

_fresh = count(1)


def own_value(w: World, param: str, state: str):
    """A new object of B's own of the kind ``param`` names (made with B's cookie)."""
    b = w.b
    if param in ("note_id", "image_id"):
        note = created(b.post("/api/notes", json={"title": f"{B_WORDS[0]} {next(_fresh)}"}))
        if state == "trashed":
            created(b.post(f"/api/notes/{note['id']}/trash"), 200)
        if param == "note_id":
            return note["id"]
        return created(b.post(f"/api/notes/{note['id']}/images", **_upload(w)))["images"][0]["id"]
    if param == "label_id":
        return created(b.post("/api/labels", json={"name": f"mine {next(_fresh)}"}))["id"]
    if param == "token_id":
        return created(b.post("/api/account/tokens", json={"name": "spare"}))["id"]
    if param == "job_id":
        return w.b_owned.jobs[0]
    raise AssertionError(f"no object of B's own for {param}")


def walk_foreign(w: World, walker: Walker, method: str, path: str, op: Foreign) -> None:
    if walker.administers and (method, path) in ADMIN_POWERS:
        return
    param, *others = re.findall(r"{(\w+)}", path)
    values = w.a_owned.values(param)
    assert values, f"the walk cannot fill {{{param}}} of {method} {path} with A's objects"
    url = "/api" + path.replace(f"{{{param}}}", "{}")
    for other in others:
        url = url.replace(f"{{{other}}}", (op.fixed or {})[other])
    hidden = op.by_token if walker.by == "token" and op.by_token else (404, "not_found")
    if (method, path) in ADMIN_POWERS:
        hidden = walker.admin_answer(hidden)
    for variant in op.variants:
        for value in [*values, NOWHERE[param]]:
            response = walker.call(method, url.format(value), **variant(w))
            assert answer(response) == hidden, (method, url.format(value), _text(response)[:300])
    if param.endswith("_id") and param != "job_id":
        past = walker.call(method, url.format(PAST_IDS), **op.variants[0](w))
        assert answer(past) == (404, "not_found"), (method, path, _text(past)[:300])
    if op.works is not None:
        mine = walker.call(method, url.format(own_value(w, param, op.control)), **op.variants[0](w))
        expected = op.by_token[0] if walker.by == "token" and op.by_token else op.works
        assert mine.status_code == expected, (method, path, "on B's own", _text(mine)[:300])


# --- operations on B's own account and lists ----------------------------------------------

OWN: dict[tuple[str, str], Callable[[World, Walker], None]] = {}


def own(method: str, path: str):
    def register(check):
        OWN[(method, path)] = check
        return check

    return register


def assert_nothing_of_a(notes: list[dict], a: Owned) -> None:
    """No note, label or image of A's, nor an image URL of A's, in these notes."""
    assert not {n["id"] for n in notes} & a.note_ids
    assert not {label["id"] for n in notes for label in n["labels"]} & a.label_ids
    urls = {
        url for n in notes for image in n["images"] for url in (image["url"], image["thumb_url"])
    }
    assert not {image["id"] for n in notes for image in n["images"]} & set(a.images)
    assert not urls & {f"/api/images/{i}/{kind}" for i in a.images for kind in ("file", "thumb")}


@own("GET", "/notes")
def list_and_search_notes(w: World, walker: Walker) -> None:
    a, states = w.a_owned, ("active", "archived", "trashed")
    colors = sorted({note["color"] for note in a.notes.values()})
    for state in states:
        filters = [
            {},
            {"kind": "checklist"},
            {"kind": "text"},
            {"has_image": "true"},
            {"has_image": "false"},
            {"q": "-nothing-like-it"},
        ]
        for params in filters + [{"color": color} for color in colors]:
            assert_nothing_of_a(walker.notes(state=state, **params), a)
        for word in a.words:  # B types A's exact words: nothing, in any state
            assert walker.notes(state=state, q=word) == []
        for label in a.labels.values():
            found = walker.notes(state=state, label=label["id"], q=a.words[0])
            assert found == walker.notes(state=state, label=ABSENT_ID) == []
            assert walker.notes(state=state, label=label["id"]) == []
    assert walker.notes(q=f'"{a.words[2]} plan"') == []
    assert_nothing_of_a(walker.notes(limit=2), a)  # page by page, cursors included
    # The searches above find nothing of A's, but they do search: B finds B's own words.
    for word in B_WORDS:
        assert any(walker.notes(state=state, q=word) for state in states), word


def same_refusal(walker: Walker, method: str, url: str, make: Callable[[list[int]], dict], a):
    """B's request with A's label ids gets the answer that ids that never existed get."""
    theirs = walker.call(method, url, **make(sorted(a.label_ids)))
    nowhere = walker.call(method, url, **make([ABSENT_ID]))
    assert answer(theirs) == answer(nowhere) == (400, "invalid"), theirs.get_json()
    assert theirs.get_json()["error"]["fields"].keys() == {"label_ids"}


@own("POST", "/notes")
def create_and_edit_notes(w: World, walker: Walker) -> None:
    assert walker.call("POST", "/api/notes", json={"title": "mine"}).status_code == 201
    same_refusal(
        walker,
        "POST",
        "/api/notes",
        lambda ids: {"json": {"title": "x", "label_ids": ids}},
        w.a_owned,
    )
    url = f"/api/notes/{w.b_owned.notes['text']['id']}"
    same_refusal(walker, "PATCH", url, lambda ids: {"json": {"label_ids": ids}}, w.a_owned)


BULK_ACTIONS = {
    "pin": {}, "unpin": {}, "archive": {}, "unarchive": {}, "trash": {}, "restore": {},
    "delete": {}, "color": {"color": "red"}, "add_label": {}, "remove_label": {}, "copy": {},
}  # fmt: skip


@own("POST", "/notes/bulk")
def bulk_actions(w: World, walker: Walker) -> None:
    """A's ids, alone, together or among B's own, answer as ids that never existed."""
    theirs = sorted(w.a_owned.note_ids)
    for action, extra in BULK_ACTIONS.items():
        if action.endswith("_label"):
            extra = {"label_id": min(w.b_owned.label_ids)}
        state = "trashed" if action in ("restore", "delete") else "active"
        mine = own_value(w, "note_id", state)
        before = walker.call("GET", f"/api/notes/{mine}").get_json()
        for ids in ([ABSENT_ID], theirs, *([i] for i in theirs), [mine, theirs[0]]):
            body = {"ids": ids, "action": action, **extra}
            response = walker.call("POST", "/api/notes/bulk", json=body)
            assert answer(response) == (404, "not_found"), (action, ids, _text(response)[:300])
        assert walker.call("GET", f"/api/notes/{mine}").get_json() == before, action
    # A's label on B's own note: the answer a label that never existed gets.
    mine = own_value(w, "note_id", "active")
    for action in ("add_label", "remove_label"):
        for label_id in (*sorted(w.a_owned.label_ids), ABSENT_ID):
            body = {"ids": [mine], "action": action, "label_id": label_id}
            response = walker.call("POST", "/api/notes/bulk", json=body)
            assert answer(response) == (400, "invalid"), response.get_json()
            assert response.get_json()["error"]["fields"].keys() == {"label_id"}
    done = walker.call("POST", "/api/notes/bulk", json={"ids": [mine], "action": "archive"})
    assert done.status_code == 200 and done.get_json()["notes"][0]["archived"]


@own("POST", "/notes/images")
def create_notes_of_images(w: World, walker: Walker) -> None:
    assert walker.call("POST", "/api/notes/images", **_upload(w)).status_code == 201

    def with_labels(ids):
        return upload_form(png((4, 5, 6)), note=json.dumps({"label_ids": ids}))

    same_refusal(walker, "POST", "/api/notes/images", with_labels, w.a_owned)


@own("DELETE", "/trash")
def empty_trash(w: World, walker: Walker) -> None:
    trashed = len(walker.notes(state="trashed"))
    response = walker.call("DELETE", "/api/trash")
    assert response.get_json() == {"deleted": trashed}


@own("GET", "/labels")
def list_labels(w: World, walker: Walker) -> None:
    labels = walker.call("GET", "/api/labels").get_json()
    assert not {label["id"] for label in labels} & w.a_owned.label_ids
    assert w.b_owned.label_ids <= {label["id"] for label in labels}


@own("POST", "/labels")
def create_label(w: World, walker: Walker) -> None:
    # A's label names are free for B: a 409 would tell B that someone has them.
    for label in w.a_owned.labels.values():
        name = label["name"]
        response = walker.call("POST", "/api/labels", json={"name": name}, allow=(name,))
        assert response.status_code == 201, response.get_json()
        walker.call("DELETE", f"/api/labels/{response.get_json()['id']}")


def assert_export_has_nothing_of(data: bytes, app: Flask, a: Owned) -> None:
    files = set(image_files(app, a.user_id).values())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            content = archive.read(name)
            assert hashlib.sha256(content).hexdigest() not in files, name
            text = content.decode("utf-8", "replace").casefold()
            assert not [word for word in a.words if word in text], name


@own("GET", "/export")
def export(w: World, walker: Walker) -> None:
    response = walker.call("GET", "/api/export")
    assert response.status_code == 200
    assert_export_has_nothing_of(response.get_data(), w.app, w.a_owned)


@own("POST", "/export/save")
def export_save(w: World, walker: Walker) -> None:
    assert answer(walker.call("POST", "/api/export/save")) == (409, "no_native_dialog")


@own("POST", "/imports")
def import_archive(w: World, walker: Walker) -> None:
    form = upload_form(export_zip(w.b), "mine.zip")
    job = walker.call("POST", "/api/imports", **form)
    assert job.status_code == 202, job.get_json()
    assert wait_for_job(walker.client, job.get_json()["id"])["status"] == "done"


@own("GET", "/account/tokens")
def list_tokens(w: World, walker: Walker) -> None:
    ids = {token["id"] for token in walker.call("GET", "/api/account/tokens").get_json()}
    assert not ids & set(w.a_owned.tokens)
    assert set(w.b_owned.tokens) <= ids


def session_only(walker: Walker, works: int | tuple[int, str]) -> tuple[int, str] | int:
    return (403, "session_required") if walker.by == "token" else works


@own("POST", "/account/tokens")
def create_token(w: World, walker: Walker) -> None:
    response = walker.call("POST", "/api/account/tokens", json={"name": "another"})
    expected = session_only(walker, (201, None))
    assert answer(response) == expected


@own("PUT", "/account/password")
def change_password(w: World, walker: Walker) -> None:
    body = {"current_password": "not B's password", "new_password": "a new long password"}
    response = walker.call("PUT", "/api/account/password", json=body)
    assert answer(response) == session_only(walker, (403, "forbidden"))


@own("DELETE", "/account")
def delete_account(w: World, walker: Walker) -> None:
    response = walker.call("DELETE", "/api/account", json={"password": "not B's password"})
    assert answer(response) == session_only(walker, (403, "forbidden"))


@own("GET", "/users")
def list_users(w: World, walker: Walker) -> None:
    response = walker.call("GET", "/api/users")
    if walker.administers:  # names, and nothing of what they own
        assert {key for user in response.get_json() for key in user} == {
            "id",
            "username",
            "is_admin",
            "created_at",
        }
    else:
        assert answer(response) == walker.admin_answer((200, None))


@own("POST", "/users")
def create_user(w: World, walker: Walker) -> None:
    for name, made in ((w.a_owned.username, (409, "conflict")), ("mallory", (201, None))):
        for admin in (False, True):  # an admin is minted only where one is meant to be
            body = {"username": name, "password": PASSWORD, "is_admin": admin}
            response = walker.call("POST", "/api/users", json=body)
            assert answer(response) == walker.admin_answer(made)
            made = (409, "conflict")


@own("GET", "/backups")
def list_backups(w: World, walker: Walker) -> None:
    response = walker.call("GET", "/api/backups")
    assert answer(response) == walker.admin_answer((200, None))


@own("POST", "/backups")
def create_backup(w: World, walker: Walker) -> None:
    response = walker.call("POST", "/api/backups")
    if walker.administers:  # PostgreSQL has no backups of its own
        assert answer(response) in {(201, None), (409, "not_sqlite")}
    else:
        assert answer(response) == walker.admin_answer(None)


@own("GET", "/drafts")
def list_drafts(w: World, walker: Walker) -> None:
    keys = {draft["key"] for draft in walker.call("GET", "/api/drafts").get_json()}
    assert keys <= {"composer"} | {f"note-{i}" for i in w.b_owned.note_ids}


@own("PUT", "/drafts/{key}")
def keep_draft(w: World, walker: Walker) -> None:
    # Under the very keys A's drafts have: B keeps a draft of B's own, A's stay as they were.
    for key in ("composer", f"note-{w.a_owned.notes['text']['id']}"):
        body = {"content": {"fields": {"body": "B's draft"}}}
        response = walker.call("PUT", f"/api/drafts/{key}", json=body, allow=(key,))
        assert response.status_code == 200 and response.get_json()["key"] == key


@own("DELETE", "/drafts/{key}")
def drop_draft(w: World, walker: Walker) -> None:
    for key in ("composer", f"note-{w.a_owned.notes['text']['id']}"):
        assert walker.call("DELETE", f"/api/drafts/{key}").status_code == 204


@own("GET", "/reminders")
def list_reminders(w: World, walker: Walker) -> None:
    for state in ("upcoming", "done", "all"):
        page = walker.call("GET", "/api/reminders", query_string={"state": state}).get_json()
        assert_nothing_of_a(page["items"], w.a_owned)
    # It does list: B's own reminder is there.
    mine = walker.call("GET", "/api/reminders", query_string={"state": "all"}).get_json()
    assert {n["id"] for n in mine["items"]} & set(w.b_owned.note_ids)


@own("GET", "/reminders/presets")
def reminder_presets(w: World, walker: Walker) -> None:
    response = walker.call("GET", "/api/reminders/presets", query_string={"zone": "UTC"})
    assert response.status_code == 200


@own("GET", "/settings")
def read_settings(w: World, walker: Walker) -> None:
    assert walker.call("GET", "/api/settings").status_code == 200


@own("PATCH", "/settings")
def change_settings(w: World, walker: Walker) -> None:
    changed = walker.call("PATCH", "/api/settings", json={"theme": "light"}).get_json()
    assert changed["theme"] == "light"


@own("GET", "/events")
def live_events(w: World, walker: Walker) -> None:
    # The walker reads whole bodies: a stream never ends, so it is read a chunk at a time.
    stream = Stream(walker.client)
    walker.calls += 1
    assert stream.status == 200, stream.response.get_json()
    stream.next()
    note = created(w.b.post("/api/notes", json={"title": f"{B_WORDS[0]} {next(_fresh)}"}))
    chunk = next(stream._chunks).decode()
    stream.close()
    assert [e["data"]["ids"] for e in parse(chunk)] == [[note["id"]]]
    assert not [word for word in walker.secrets if word in chunk.casefold()]


def _sync_feed(client: FlaskClient) -> dict:
    response = client.get("/api/sync/changes?since=0&limit=1000")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@own("GET", "/sync/changes")
def sync_changes(w: World, walker: Walker) -> None:
    a_uids = {note["uid"] for note in _sync_feed(w.a)["changes"]}
    b_feed = walker.call("GET", "/api/sync/changes?since=0&limit=1000").get_json()
    assert a_uids and not a_uids & {note["uid"] for note in b_feed["changes"]}
    assert b_feed["changes"]  # B's own are there


@own("GET", "/sync/identity")
def sync_identity(w: World, walker: Walker) -> None:
    body = walker.call("GET", "/api/sync/identity").get_json()
    assert (body["account_id"], body["username"]) == (w.b_owned.user_id, w.b_owned.username)


@own("POST", "/sync/push")
def sync_push(w: World, walker: Walker) -> None:
    a_feed = _sync_feed(w.a)
    for note in a_feed["changes"]:
        # An edit or a deletion of A's note by its uid: B has no such note (a conflict with
        # nothing), and A's note stays as it was.
        edit = {"change_id": f"e-{note['uid']}", "uid": note["uid"],
                "base_version": note["version"], "note": {"title": "B was here"}}  # fmt: skip
        gone = {"change_id": f"d-{note['uid']}", "uid": note["uid"],
                "base_version": note["version"], "deleted": True}  # fmt: skip
        results = walker.call("POST", "/api/sync/push", json={"changes": [edit, gone]})
        assert [(r["status"], r["note"]) for r in results.get_json()["results"]] == [
            ("conflict", None), ("conflict", None)
        ]  # fmt: skip
    # A's label uids name no label of B's: a note of B's carrying one is refused.
    for label in a_feed["labels"]:
        change = {"change_id": f"l-{label['uid']}", "uid": f"n-{next(_fresh)}",
                  "base_version": None, "note": {"label_uids": [label["uid"]]}}  # fmt: skip
        (result,) = walker.call("POST", "/api/sync/push", json={"changes": [change]}).get_json()[
            "results"
        ]
        assert result["status"] == "invalid"
    # Deleting A's labels by their uids finds no label of B's: nothing is deleted.
    gone = {"changes": [], "deleted_labels": [label["uid"] for label in a_feed["labels"]]}
    assert walker.call("POST", "/api/sync/push", json=gone).status_code == 200
    assert _sync_feed(w.a) == a_feed


@own("POST", "/sync/blobs/missing")
@own("GET", "/sync/blobs/{sha256}")
@own("PUT", "/sync/blobs/{sha256}")
def sync_blobs(w: World, walker: Walker) -> None:
    def shas(client):
        feed = _sync_feed(client)["changes"]
        return list(dict.fromkeys(image["sha256"] for note in feed for image in note["images"]))

    # The very picture B has too (the walk uploads the same one) is B's own to have.
    b_shas = set(shas(w.b))
    a_shas = [sha for sha in shas(w.a) if sha not in b_shas]
    nowhere = "0" * 64
    assert a_shas
    # A's images by their hashes are what a hash that never existed is: missing, 404, and a
    # note of B's naming one is refused.
    asked = walker.call("POST", "/api/sync/blobs/missing", json={"sha256": [*a_shas, nowhere]})
    assert asked.get_json() == {"missing": [*a_shas, nowhere], "stored_as": {}}
    for sha in [*a_shas, nowhere]:
        assert answer(walker.call("GET", f"/api/sync/blobs/{sha}")) == (404, "not_found")
        change = {"change_id": f"i-{sha}-{next(_fresh)}", "uid": f"n-{next(_fresh)}",
                  "base_version": None, "note": {"title": "B", "images": [sha]}}  # fmt: skip
        (result,) = walker.call("POST", "/api/sync/push", json={"changes": [change]}).get_json()[
            "results"
        ]
        assert (result["status"], result["error"]["code"]) == ("invalid", "missing_blob")
    # A's very file, uploaded by B, is B's own copy.
    theirs = w.a.get(f"/api/sync/blobs/{a_shas[0]}")
    data = theirs.get_data()
    theirs.close()
    made = walker.call("PUT", f"/api/sync/blobs/{a_shas[0]}", data=data, content_type="image/png")
    assert made.status_code == 201, made.get_json()
    mine = walker.call("GET", f"/api/sync/blobs/{made.get_json()['sha256']}")
    assert mine.status_code == 200


@own("POST", "/sync/devices")
def sync_devices(w: World, walker: Walker) -> None:
    stranger = Walker(w.app.test_client(), "cookie", walker.secrets)
    wrong = {"username": w.a_owned.username, "password": "not A's password", "device": "pc"}
    assert answer(stranger.call("POST", "/api/sync/devices", json=wrong)) == (
        401, "bad_credentials"
    )  # fmt: skip
    mine = {"username": w.b_owned.username, "password": PASSWORD, "device": "pc"}
    made = stranger.call("POST", "/api/sync/devices", json=mine)
    assert made.status_code == 201 and made.get_json()["account_id"] == w.b_owned.user_id


@own("GET", "/sync/device")
@own("POST", "/sync/device")
@own("DELETE", "/sync/device")
@own("POST", "/sync/device/sync")
def sync_device(w: World, walker: Walker) -> None:
    # A desktop's connection to a server: a server has none, for anyone (404 in server mode).
    body = {"url": "https://kaap.example.org", "username": "a", "password": PASSWORD}
    for method in ("GET", "POST", "DELETE"):
        response = walker.call(method, "/api/sync/device", json=body)
        assert answer(response) == (404, "not_found"), method
    response = walker.call("POST", "/api/sync/device/sync", json={"removals": "apply"})
    assert answer(response) == (404, "not_found")


@own("PUT", "/desktop/snapshot")
def desktop_snapshot(w: World, walker: Walker) -> None:
    # The desktop window's snapshot of its notes: a server keeps none, for anyone.
    response = walker.call("PUT", "/api/desktop/snapshot", json={"html": "<b>B's</b>"})
    assert answer(response) == (404, "not_found")


@own("GET", "/csrf")
def csrf(w: World, walker: Walker) -> None:
    assert walker.call("GET", "/api/csrf").status_code == 200


@own("GET", "/auth/me")
def me(w: World, walker: Walker) -> None:
    body = walker.call("GET", "/api/auth/me").get_json()
    assert (body["id"], body["username"]) == (w.b_owned.user_id, w.b_owned.username)


@own("POST", "/auth/register")
def register(w: World, walker: Walker) -> None:
    stranger = Walker(csrf_client(w.app), "cookie", walker.secrets)
    taken = stranger.call(
        "POST", "/api/auth/register", json={"username": w.a_owned.username, "password": PASSWORD}
    )
    # Closed: the same answer, taken name or not. Open: taken, as on any sign-up form.
    assert answer(taken) == (
        (409, "conflict") if w.app.config["OPEN_SIGNUP"] else (403, "signup_closed")
    )


@own("POST", "/auth/login")
def login(w: World, walker: Walker) -> None:
    stranger = Walker(csrf_client(w.app), "cookie", walker.secrets)
    wrong = {"username": w.a_owned.username, "password": "not A's password"}
    unknown = {"username": "nobody-at-all", "password": "not A's password"}
    answers = {
        answer(stranger.call("POST", "/api/auth/login", json=body)) for body in (wrong, unknown)
    }
    assert answers == {(401, "bad_credentials")}


@own("POST", "/auth/logout")
def logout(w: World, walker: Walker) -> None:
    # A session of B's own, not the walker's: ending it must end nothing else.
    other = Walker(w.log_in(w.b_owned.username), "cookie", walker.secrets)
    assert other.call("POST", "/api/auth/logout").status_code == 204
    assert other.call("GET", "/api/auth/me").status_code == 401
    assert walker.call("GET", "/api/auth/me").status_code == 200


def operations(spec: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }


def walker_for(w: World, by: str) -> Walker:
    """B by cookie, by a plain token, or (``admin_token``) by a token with the admin scope."""
    scoped = by == "admin_token"
    if by == "cookie":
        client = w.b
    else:
        body = {"name": "walk", "admin": True} if scoped else {"name": "walk"}
        secret = created(w.b.post("/api/account/tokens", json=body))["token"]
        client = token_client(w.app, secret)
    secrets = tuple(word.casefold() for word in A_WORDS)
    by = "cookie" if by == "cookie" else "token"
    return Walker(client, by, secrets, admin=w.admin is w.b, scoped=scoped)


@pytest.mark.parametrize(
    ("people", "by"),
    [
        ("a_is_admin", "cookie"),
        ("a_is_admin", "token"),
        ("a_is_member", "cookie"),
        ("a_is_member", "token"),
        ("b_is_admin", "cookie"),
        # An admin's plain token is refused every admin operation (403), a scoped one is not.
        ("b_is_admin", "token"),
        ("b_is_admin", "admin_token"),
    ],
    indirect=["people"],
)
def test_b_reaches_nothing_of_a_through_any_operation(world, by):
    spec = world.b.get("/api/swagger.json").get_json()
    unknown = operations(spec) - FOREIGN.keys() - OWN.keys()
    assert not unknown, f"teach the isolation walk these operations: {sorted(unknown)}"
    assert FOREIGN.keys() | OWN.keys() <= operations(spec), "the walk names a gone operation"
    before = snapshot(world.app, world.a, world.a_owned)
    walker = walker_for(world, by)

    for (method, path), op in FOREIGN.items():
        walk_foreign(world, walker, method, path, op)
    for check in dict.fromkeys(OWN.values()):  # a check of several operations runs once
        check(world, walker)

    assert snapshot(world.app, world.a, world.a_owned) == before
    a_by_token = token_client(world.app, world.a_owned.token_secret)
    assert a_by_token.get("/api/auth/me").get_json()["id"] == world.a_owned.user_id


@pytest.mark.parametrize("people", ["a_is_admin", "a_is_member"], indirect=True)
def test_what_b_does_to_their_own_account_leaves_a_untouched(world):
    app, a, b = world.app, world.a_owned, world.b
    before = snapshot(app, world.a, a)
    disk = app.extensions["kaap.images"]

    assert b.delete("/api/trash").get_json()["deleted"] >= 1
    assert_export_has_nothing_of(export_zip(b), app, a)
    # A shares an export with B: B gets copies of their own, nothing is "already imported".
    job = created(b.post("/api/imports", **upload_form(export_zip(world.a), "a.zip")), 202)
    job = wait_for_job(b, job["id"])
    assert job["status"] == "done" and not job["summary"]["skipped"], job
    assert job["summary"]["imported"] == len(a.notes)
    walker = Walker(b, "cookie", ())
    assert_nothing_of_a(walker.notes(q=a.words[2]), a)
    assert walker.notes(q=a.words[2])  # B's own copy, with B's ids

    new_password = {"current_password": PASSWORD, "new_password": "another long password"}
    assert b.put("/api/account/password", json=new_password).status_code == 204
    b = world.log_in("bob", "another long password")
    b_files = image_files(app, world.b_owned.user_id)
    assert b.delete("/api/account", json={"password": "another long password"}).status_code == 204

    assert not [name for name in b_files if disk.path(name).exists()]
    assert snapshot(app, world.a, a) == before  # A's session survived B's password change
    a_by_token = token_client(app, a.token_secret)
    assert a_by_token.get("/api/auth/me").get_json()["id"] == a.user_id


@pytest.mark.parametrize(
    ("people", "by"), [("a_is_admin", "token"), ("a_is_member", "cookie")], indirect=["people"]
)
def test_backups_are_not_there_for_non_admins(people, by):
    name = backup_name(people.admin)
    members = [walker_for(people, by)]
    if people.admin is not people.a:
        members.append(Walker(people.a, "cookie", ()))
    for member in members:
        for method, url in (
            ("GET", "/api/backups"),
            ("POST", "/api/backups"),
            ("POST", f"/api/backups/{name}/restore"),
        ):
            assert answer(member.call(method, url)) == (404, "not_found"), (method, url)
    assert people.admin.get("/api/backups").status_code == 200
