"""Two users' worlds for the isolation suite: everything a user can own, and a snapshot of it.

Each user gets the same shapes (notes in every state, a checklist, labels, colours, images,
a note made of images, an import job, an API token), so every filter a second user tries
has something of their own to find, and nothing of the first user's.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass, field

from flask.testing import FlaskClient
from PIL import Image as PILImage
from sqlalchemy import select

from webapp.extensions import db
from webapp.images.models import Image
from webapp.notes.models import Note

# Words only A's content holds: B searching for them must find nothing. Some are short or
# non-ASCII so that SQLite's other search index (grams) is walked too.
A_WORDS = (
    "zephyrquill",
    "marmotfjord",
    "quokkabrine",
    "lanternyak",
    "obsidianwren",
    "velvetkumquat",
    "tundrafiddle",
    "비밀회의",
    "gorseplinth",
    "wombatlute",
)
B_WORDS = (
    "kettleborne",
    "pumicevane",
    "heronmoss",
    "sablecrank",
    "larchwhistle",
    "cobaltmitten",
    "fennelquay",
    "주간회의록",
    "brackenloom",
    "otterspoke",
)
BACKUP_PLACEHOLDER = "manual-20261125T143000000000Z.sqlite3"


def png(color: tuple[int, int, int], size: tuple[int, int] = (24, 16)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def upload_form(content: bytes, filename: str = "x.png", **fields: str) -> dict:
    """Keyword arguments of a multipart request with ``content`` in the field ``file``."""
    return {
        "data": {"file": (io.BytesIO(content), filename), **fields},
        "content_type": "multipart/form-data",
    }


def token_client(app, secret: str) -> FlaskClient:
    """A client that authenticates with an API token alone (no cookie, no CSRF token)."""
    client = app.test_client(use_cookies=False)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def created(response, status: int = 201) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def wait_for_job(client: FlaskClient, job_id: str) -> dict:
    for _ in range(400):
        job = client.get(f"/api/imports/{job_id}").get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"import {job_id} did not finish: {job}")


def export_zip(client: FlaskClient) -> bytes:
    response = client.get("/api/export")
    assert response.status_code == 200, response.get_json()
    data = response.get_data()
    response.close()
    return data


@dataclass
class Owned:
    """What one user made, by the names the walk fills path parameters with."""

    user_id: int
    username: str
    words: tuple[str, ...]
    notes: dict[str, dict] = field(default_factory=dict)
    labels: dict[str, dict] = field(default_factory=dict)
    images: list[int] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    token_secret: str = ""
    backups: list[str] = field(default_factory=list)

    def values(self, param: str) -> list:
        """The user's values for a path parameter of the API; None for one the walk cannot fill."""
        return {
            "note_id": [note["id"] for note in self.notes.values()],
            "image_id": self.images,
            "label_id": [label["id"] for label in self.labels.values()],
            "job_id": self.jobs,
            "token_id": self.tokens,
            "user_id": [self.user_id],
            "name": self.backups,
        }.get(param)

    @property
    def note_ids(self) -> set[int]:
        return {note["id"] for note in self.notes.values()}

    @property
    def label_ids(self) -> set[int]:
        return {label["id"] for label in self.labels.values()}


def populate(client: FlaskClient, words: tuple[str, ...], color: tuple[int, int, int]) -> Owned:
    """Give the client's user one of everything, each carrying some of ``words``."""
    me = client.get("/api/auth/me").get_json()
    owned = Owned(me["id"], me["username"], words)
    w = words
    for key, name in (("work", f"{w[0]} work"), ("home", f"{w[1]}")):
        owned.labels[key] = created(client.post("/api/labels", json={"name": name}))
    label_ids = [label["id"] for label in owned.labels.values()]

    def note(key: str, **fields) -> None:
        owned.notes[key] = created(client.post("/api/notes", json=fields))

    note(
        "text",
        title=f"{w[2]} plan",
        body=f"meet at ten\n{w[3]}",
        color="teal",
        pinned=True,
        label_ids=label_ids,
    )
    note(
        "checklist",
        kind="checklist",
        color="yellow",
        label_ids=label_ids[:1],
        items=[{"text": w[4], "checked": True}, {"text": f"buy {w[5]}"}],
    )
    note("archived", title=f"old {w[6]}", archived=True, color="blue")
    note("korean", title="회의", body=f"{w[7]} 10시")
    note("photo", title=f"photo {w[8]}", color="red")
    note("trashed", title=f"bin {w[9]}", body="gone soon", label_ids=label_ids[1:])
    for key in ("photo", "trashed"):
        url = f"/api/notes/{owned.notes[key]['id']}/images"
        owned.images += [
            image["id"] for image in created(client.post(url, **upload_form(png(color))))["images"]
        ]
    created(client.post(f"/api/notes/{owned.notes['trashed']['id']}/trash"), 200)
    screenshot = client.post(
        "/api/notes/images", **upload_form(png(color, (8, 8)), note=f'{{"title": "{w[0]} shot"}}')
    )
    owned.notes["screenshot"] = created(screenshot)
    owned.images += [image["id"] for image in owned.notes["screenshot"]["images"]]

    # An import job: the user's own export, imported back (every note is already there).
    started = client.post("/api/imports", **upload_form(export_zip(client), "export.zip"))
    owned.jobs.append(created(started, 202)["id"])
    assert wait_for_job(client, owned.jobs[0])["status"] == "done"

    # Unsaved text (a composer draft, an edit's) and settings of their own.
    text_note = owned.notes["text"]["id"]
    for key in ("composer", f"note-{text_note}"):
        draft = {"content": {"fields": {"title": f"{w[3]} unsaved", "body": w[4]}, "version": 1}}
        created(client.put(f"/api/drafts/{key}", json=draft), 200)
    created(client.patch("/api/settings", json={"theme": "dark", "layout": "list"}), 200)

    token = created(client.post("/api/account/tokens", json={"name": f"{w[1]} script"}))
    owned.tokens.append(token["id"])
    owned.token_secret = token["token"]
    # Re-read every note: uploads and trashing moved their versions on.
    for key, value in owned.notes.items():
        owned.notes[key] = client.get(f"/api/notes/{value['id']}").get_json()
    return owned


def image_files(app, owner_id: int) -> dict[str, str]:
    """The owner's image files on disk (images and thumbnails) by name, with their SHA-256."""
    store = app.extensions["kaap.images"]
    with app.app_context():
        rows = db.session.execute(
            select(Image.file_name, Image.thumb_name)
            .join(Note, Note.id == Image.note_id)
            .where(Note.owner_id == owner_id)
        ).all()
    names = [name for row in rows for name in row]
    return {name: hashlib.sha256(store.path(name).read_bytes()).hexdigest() for name in names}


def all_notes(client: FlaskClient, **params) -> list[dict]:
    """Every page of a notes list."""
    notes, cursor = [], None
    while True:
        page = client.get("/api/notes", query_string={**params, "limit": 100, "cursor": cursor})
        assert page.status_code == 200, page.get_json()
        notes += page.get_json()["items"]
        cursor = page.get_json()["next_cursor"]
        if cursor is None:
            return notes


def snapshot(app, client: FlaskClient, owned: Owned) -> dict:
    """Everything the owner can see of their account, their image files included."""
    return {
        "notes": {s: all_notes(client, state=s) for s in ("active", "archived", "trashed")},
        "each": [client.get(f"/api/notes/{i}").get_json() for i in sorted(owned.note_ids)],
        "versions": [
            client.get(f"/api/notes/{i}/versions").get_json() for i in sorted(owned.note_ids)
        ],
        "labels": client.get("/api/labels").get_json(),
        "tokens": client.get("/api/account/tokens").get_json(),
        "me": client.get("/api/auth/me").get_json(),
        "jobs": [client.get(f"/api/imports/{job}").get_json() for job in owned.jobs],
        "files": image_files(app, owned.user_id),
        "drafts": client.get("/api/drafts").get_json(),
        "settings": client.get("/api/settings").get_json(),
    }
