"""One sync of this desktop with its server: pull what changed there, merge it with what
changed here, push what changed here. The page's "Sync now", the background worker
(``webapp.sync.device.worker``) and ``flask sync now`` all run ``sync_now``.

Runs inside an app context (the local database through ``db.session``, the app's clock).

How it knows what changed, without a log of its own:
- There: the server's feed after the cursor's ``high_water``.
- Here: every local write takes the next number of the local change sequence (the same
  ``webapp.sync.sequence`` the server uses), so the notes, labels and tombstones above the
  cursor's ``pushed_seq`` are the candidates; of those, a note whose state equals its base
  (the last synced copy, ``SyncBase``) is not a change: that is how the engine's own writes
  of the server's changes are told apart from the person's.

A note changed on both sides is merged three-way (``webapp.sync.merge``) inside one write
transaction (BEGIN IMMEDIATE), so a person typing meanwhile is never overwritten: their save
waits for the lock, then writes over the merged note as a new local change.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from flask import current_app, g
from sqlalchemy import bindparam, delete, func, insert, select, update

from webapp import timeutil
from webapp.accounts.service import ensure_local_user
from webapp.db.sqlite import reading
from webapp.db.types import UTCDateTime
from webapp.errors import KaapError
from webapp.extensions import db
from webapp.images import service as images_service
from webapp.images.models import Image
from webapp.labels import service as labels_service
from webapp.labels.models import Label, name_key
from webapp.notes import queries
from webapp.notes import service as notes
from webapp.notes.models import Note
from webapp.reminders import service as reminders
from webapp.sync import merge, service
from webapp.sync.device import blobs, client, store
from webapp.sync.device.client import SyncError
from webapp.sync.device.models import SyncBase, SyncCursor
from webapp.sync.models import SyncSequence, Tombstone

PAGE = 500
PUSH_BATCH = 100
ROUNDS = 5  # pushes of merged conflicts in one sync before the next sync goes on
# The safety valve: a pull that would remove more than this share of the notes (and at
# least REMOVALS_MIN of them) waits for the person.
REMOVALS_SHARE = 0.2
REMOVALS_MIN = 10
LOCK_FILE = "sync.lock"

# The fields two states are compared by (field_times say when, not what).
_CONTENT = ("title", "body", "kind", "color", "pinned", "archived", "trashed", "items",
            "label_uids", "images", "reminder")  # fmt: skip
_TIMED = ("color", "pinned", "archived", "trashed", "reminder")
_BASE = SyncBase.__table__
_NOTES = Note.__table__


# Built once: a statement made per note costs more than running it.
_INSERT_BASE = insert(_BASE).values(
    server_id=bindparam("b_server"), kind=bindparam("b_kind"), uid=bindparam("b_uid"),
    version=bindparam("b_version"), state=bindparam("b_state"),
)  # fmt: skip
_WHERE_BASE = (
    (_BASE.c.server_id == bindparam("b_server"))
    & (_BASE.c.kind == bindparam("b_kind"))
    & (_BASE.c.uid == bindparam("b_uid"))
)
_UPDATE_BASE = (
    update(_BASE).where(_WHERE_BASE).values(version=bindparam("b_version"),
                                            state=bindparam("b_state"))
)  # fmt: skip
_DELETE_BASE = delete(_BASE).where(_WHERE_BASE)
_READ_BASE = select(_BASE.c.version, _BASE.c.state).where(_WHERE_BASE)
_KEEP_TIMES = (
    update(_NOTES)
    .where(_NOTES.c.id == bindparam("t_id"))
    .values({
        f"{name}_changed_at": func.coalesce(bindparam(f"t_{name}", type_=UTCDateTime()),
                                            _NOTES.c[f"{name}_changed_at"])
        for name in _TIMED
    })
)  # fmt: skip


class Base(NamedTuple):
    """A base copy as read: the server's version and the state's JSON text."""

    version: int | None
    state: str


@dataclass
class Report:
    """What one sync did, for the CLI's lines and the page's state."""

    pulled: int = 0  # notes and labels changed here from the server
    pushed: int = 0  # changes the server applied
    deleted_here: int = 0  # notes deleted or trashed here by the server's changes
    conflict_copies: int = 0  # notes made to keep text that could not be merged
    images_up: int = 0
    images_down: int = 0
    invalid: list[str] = field(default_factory=list)  # changes the server refused, as sentences
    # Set when the pull would remove many of this device's notes: nothing was applied, and
    # the person is asked (``sync_now(removals="apply" | "keep")`` goes on).
    paused_removals: int | None = None
    notes_here: int = 0  # the device's notes outside the trash when it paused
    in_step: bool = False  # nothing left to pull or push

    def lines(self) -> list[str]:
        """The report as the CLI prints it."""
        if self.paused_removals is not None:
            return [
                f"Paused: the server's changes would remove {self.paused_removals} of the "
                f"{self.notes_here} notes here. Run `flask sync now --apply-removals` to go "
                "on (a backup is taken first), or `--keep-notes` to put them back on the server."
            ]
        out = [
            f"Pulled {self.pulled}, pushed {self.pushed}, removed here {self.deleted_here}, "
            f"conflict copies {self.conflict_copies}, images up {self.images_up}, "
            f"down {self.images_down}."
        ]
        out += [f"Refused by the server: {sentence}" for sentence in self.invalid]
        out.append("In step with the server." if self.in_step else "Not yet in step.")
        return out


def sync_now(*, removals: str | None = None) -> Report:
    """Sync once; raises ``webapp.sync.device.client.SyncError`` when the server cannot be
    reached, refuses the token, or is not the one connected to (the state in sync.json says
    so too). ``removals``: the person's answer to a paused pull ("apply": go on; "keep":
    put the notes back on the server instead)."""
    if current_app.config["ACCOUNTS"]:
        raise SyncError(
            "This Kaap is a server (accounts on): sync runs on a desktop Kaap.",
            code="not_a_device",
            status=409,
        )
    if removals not in (None, "apply", "keep"):
        raise SyncError("removals is apply or keep.", code="invalid", status=400)
    data_dir = Path(current_app.config["DATA_DIR"])
    with _one_at_a_time(data_dir):
        state = store.load(data_dir)
        if state is None:
            raise SyncError(
                "Not connected to a server: connect first.", code="not_connected", status=409
            )
        if state.stopped:
            raise SyncError(
                state.last_error or "Sync is stopped: connect again.",
                code=state.last_error_code or "identity_changed",
                status=409,
            )
        token = store.load_token(data_dir, state)
        if token is None:
            _failed(data_dir, state, "missing_token", "The sign-in was lost: connect again.")
            raise SyncError("The sign-in was lost: connect again.", code="missing_token")
        if not state.device_id:
            state.device_id = str(uuid.uuid4())
            store.save(data_dir, state)
        try:
            with client.Connection(state.server_url, token) as conn:
                answer = conn.identity()
                if (str(answer["server_id"]), str(answer["account_id"])) != (
                    state.server_id,
                    state.account_id,
                ):
                    state.stopped = True
                    from webapp.sync.device.service import IDENTITY_CHANGED

                    _failed(data_dir, state, "identity_changed", IDENTITY_CHANGED)
                    raise SyncError(IDENTITY_CHANGED, code="identity_changed", status=409)
                report = _Sync(conn, state, removals).run()
        except SyncError as exc:
            if exc.code != "identity_changed":
                _failed(data_dir, store.load(data_dir) or state, exc.code, exc.message)
            raise
        finally:
            db.session.rollback()
            g.pop("kaap_write", None)
        state = store.load(data_dir) or state
        state.last_error = state.last_error_code = None
        state.pending_removals = report.paused_removals
        if report.paused_removals is None:
            state.last_sync_at = timeutil.isoformat(timeutil.now())
        store.save(data_dir, state)
        return report


def _failed(data_dir: Path, state: store.State, code: str, message: str) -> None:
    state.last_error_code, state.last_error = code, message
    store.save(data_dir, state)


@contextlib.contextmanager
def _one_at_a_time(data_dir: Path) -> Iterator[None]:
    """One sync per data directory at once, across processes (the window's worker and
    ``flask sync now``): a lock on ``sync.lock``; a second one is told "busy"."""
    with open(data_dir / LOCK_FILE, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SyncError(
                "A sync is already running: it will be done in a moment.", code="busy",
                status=409,
            ) from None  # fmt: skip
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# The state of a note --------------------------------------------------------------------


def normalized(note: dict) -> dict:
    """A note of the feed (or ``notes_json``) as ``webapp.sync.merge`` takes it."""
    images = [i["sha256"] if isinstance(i, dict) else i for i in note.get("images", [])]
    return {
        "title": note.get("title", ""),
        "body": note.get("body", ""),
        "kind": note.get("kind", "text"),
        "color": note.get("color", "default"),
        "pinned": bool(note.get("pinned")),
        "archived": bool(note.get("archived")),
        "trashed": bool(note.get("trashed")),
        "items": [
            {"id": i["id"], "text": i["text"], "checked": bool(i.get("checked"))}
            for i in note.get("items", [])
        ],
        "label_uids": sorted(note.get("label_uids", [])),
        "images": images,
        "reminder": merge.reminder_state(note.get("reminder")),
        "field_times": dict(note.get("field_times") or {}),
    }


def same(a: dict | None, b: dict | None) -> bool:
    """Whether two states hold the same note (whenever each field changed)."""
    if a is None or b is None:
        return a is b
    # .get: a base kept before a field existed (reminders) lacks it, as a note without one.
    return all(
        (sorted(a[k]) if k == "label_uids" else a.get(k))
        == (sorted(b[k]) if k == "label_uids" else b.get(k))
        for k in _CONTENT
    )


def _digest(state: dict) -> str:
    content = {k: state[k] for k in _CONTENT}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# One sync ---------------------------------------------------------------------------------


class _Sync:
    def __init__(self, conn: client.Connection, state: store.State, removals: str | None):
        self.conn, self.state, self.removals = conn, state, removals
        self.session = db.session
        self.server = state.server_id
        self.report = Report()
        self.owner = ensure_local_user(self.session).id
        self.session.commit()
        self.store = current_app.extensions.get("kaap.images")
        self.refused: set[str] = set()  # uids the server refused this sync
        self._bases: dict[tuple[str, str], Base | None] = {}
        self._plans: dict[str, tuple[tuple[str, ...], blobs.ImagePlan]] = {}
        self._ids: dict[str, int | None] = {}
        self.backed_up = False

    # The steps --------------------------------------------------------------------------

    def run(self) -> Report:
        g.kaap_write = True  # each transaction takes the write lock up front (see db.sqlite)
        cursor = self._cursor()
        if cursor.first_synced_at is None:
            self._backup("pre-sync")  # before the first sync with this server
            self.backed_up = True
        if not self._pull(cursor):
            return self.report
        self._push(cursor)
        self._pull(cursor)
        if cursor.first_synced_at is None:
            cursor.first_synced_at = timeutil.now()
            self._commit()
        self.report.in_step = not self.refused and not self._dirty_uids(cursor)
        return self.report

    def _cursor(self) -> SyncCursor:
        cursor = self.session.get(SyncCursor, self.server)
        if cursor is None:
            # A server seen for the first time (or again after another): its bases only.
            self.session.execute(delete(SyncBase).where(SyncBase.server_id != self.server))
            cursor = SyncCursor(server_id=self.server, high_water=0, pushed_seq=0)
            self.session.add(cursor)
            self._commit()
        return cursor

    def _backup(self, kind: str) -> None:
        from webapp.backups import live

        if live.live_path(current_app) is not None:
            self._commit()
            live.create(current_app, kind)

    # Pull -------------------------------------------------------------------------------

    def _pull(self, cursor: SyncCursor) -> bool:
        """Apply the server's changes after the cursor; False when paused for the person."""
        first = self.conn.changes(cursor.high_water, PAGE)
        if first.get("resync"):
            return self._resync(cursor)
        if self.removals is None and not self._removals_allowed(cursor, first):
            return False
        if self.removals == "apply" and not self.backed_up:
            self._backup("pre-sync")  # before the removals the person agreed to
            self.backed_up = True
        page = first
        while True:
            self._apply_page(page)
            cursor.high_water = page["high_water"]
            self._commit()
            if not page.get("more"):
                return True
            page = self.conn.changes(cursor.high_water, PAGE)
            if page.get("resync"):
                return self._resync(cursor)

    def _resync(self, cursor: SyncCursor) -> bool:
        """Behind what the server remembers of deletions (or the server is behind us): pull
        everything again. A note that has a base but is not on the server any more is
        pushed as new: a resync never deletes a local note."""
        seen: set[str] = set()
        since = 0
        while True:
            page = self.conn.changes(since, PAGE)
            if page.get("resync"):
                raise SyncError(
                    "The server's change feed is inconsistent: try again later.",
                    code="server_error",
                )
            seen.update(n["uid"] for n in page.get("changes", []))
            page = {**page, "tombstones": []}  # forgotten deletions: keep what is here
            self._apply_page(page)
            since = page["high_water"]
            self._commit()
            if not page.get("more"):
                break
        self.session.execute(
            delete(SyncBase).where(
                SyncBase.server_id == self.server,
                SyncBase.kind == "note",
                SyncBase.uid.not_in(seen) if seen else SyncBase.uid.is_not(None),
            )
        )
        cursor.high_water = since
        cursor.pushed_seq = 0  # everything here is a candidate again
        self._commit()
        return True

    def _removals_allowed(self, cursor: SyncCursor, first: dict) -> bool:
        """The safety valve: count what the pull would trash or delete here first."""
        here = self.session.scalar(
            select(func.count()).select_from(Note).where(
                Note.owner_id == self.owner, Note.trashed_at.is_(None)
            )
        )  # fmt: skip
        if here < REMOVALS_MIN:
            return True
        removed: set[str] = set()
        page = first
        while True:
            removed |= self._removals_in(page)
            if not page.get("more"):
                break
            page = self.conn.changes(page["high_water"], PAGE)
            if page.get("resync"):
                return True  # the resync deletes nothing
        self._commit()
        if len(removed) >= REMOVALS_MIN and len(removed) > REMOVALS_SHARE * here:
            self.report.paused_removals, self.report.notes_here = len(removed), here
            return False
        return True

    def _removals_in(self, page: dict) -> set[str]:
        gone = {t["uid"] for t in page.get("tombstones", []) if t["kind"] == "note"}
        trashed = {n["uid"] for n in page.get("changes", []) if n.get("trashed")}
        candidates = list(gone | trashed)
        if not candidates:
            return set()
        live = set(
            self.session.scalars(
                select(Note.uid).where(
                    Note.owner_id == self.owner,
                    Note.uid.in_(candidates),
                    Note.trashed_at.is_(None),
                )
            )
        )
        return live

    def _apply_page(self, page: dict) -> None:
        for label in page.get("labels", []):
            self._apply_label(label["uid"], label["name"])
        self._commit()
        changes = page.get("changes", [])
        # 50 notes a transaction: the write lock is not held for a whole page, and what is
        # known of them (ids, bases) is read in two queries, not a few per note.
        for start in range(0, len(changes), 50):
            chunk = changes[start : start + 50]
            self._download(chunk)
            self._preload([remote["uid"] for remote in chunk])
            for remote in chunk:
                try:
                    self._apply_note(remote)
                except KaapError as exc:
                    self._rollback()
                    title = remote.get("title") or remote["uid"]
                    self.report.invalid.append(f"{title}: {exc.message}")
            self._commit()
            self._forget_plans()
        for tomb in page.get("tombstones", []):
            if tomb["kind"] == "note":
                self._apply_note_tombstone(tomb["uid"])
            else:
                self._apply_label_tombstone(tomb["uid"])
            self._commit()

    # Labels -----------------------------------------------------------------------------

    # What is known of notes inside one transaction (Core statements, no ORM objects to
    # expire at each commit); forgotten at every commit and rollback.

    def _commit(self) -> None:
        self.session.commit()
        self._bases.clear()
        self._ids.clear()

    def _rollback(self) -> None:
        self.session.rollback()
        self._bases.clear()
        self._ids.clear()

    def _preload(self, uids: list[str]) -> None:
        for key in [(kind, uid) for uid in uids for kind in ("note", "pending")]:
            self._bases[key] = None
        for kind, uid, version, state in self.session.execute(
            select(_BASE.c.kind, _BASE.c.uid, _BASE.c.version, _BASE.c.state).where(
                _BASE.c.server_id == self.server,
                _BASE.c.kind.in_(("note", "pending")),
                _BASE.c.uid.in_(uids),
            )
        ):
            self._bases[(kind, uid)] = Base(version, state)
        self._ids.update(dict.fromkeys(uids))
        self._ids.update(
            self.session.execute(
                select(Note.uid, Note.id).where(Note.owner_id == self.owner, Note.uid.in_(uids))
            ).all()
        )

    def _get_base(self, kind: str, uid: str) -> Base | None:
        key = (kind, uid)
        if key not in self._bases:
            row = self.session.execute(_READ_BASE, self._key(kind, uid)).first()
            self._bases[key] = None if row is None else Base(row.version, row.state)
        return self._bases[key]

    def _key(self, kind: str, uid: str) -> dict:
        return {"b_server": self.server, "b_kind": kind, "b_uid": uid}

    def _label_base(self, uid: str) -> Base | None:
        return self._get_base("label", uid)

    def _set_base(self, kind: str, uid: str, state: dict | str, version: int | None) -> None:
        text = state if isinstance(state, str) else json.dumps(state)
        values = {**self._key(kind, uid), "b_version": version, "b_state": text}
        known = self._get_base(kind, uid) is not None
        self.session.execute(_UPDATE_BASE if known else _INSERT_BASE, values)
        self._bases[(kind, uid)] = Base(version, text)

    def _drop_base(self, kind: str, uid: str) -> None:
        if self._get_base(kind, uid) is not None:
            self.session.execute(_DELETE_BASE, self._key(kind, uid))
        self._bases[(kind, uid)] = None

    def _apply_label(self, uid: str, name: str) -> None:
        mine = self.session.scalar(
            select(Label).where(Label.owner_id == self.owner, Label.uid == uid)
        )
        base = self._label_base(uid)
        if mine is None:
            same_name = self.session.scalar(
                select(Label).where(Label.owner_id == self.owner, Label.name_key == name_key(name))
            )
            if same_name is not None and self._label_base(same_name.uid) is None:
                # The same label made here too, never synced: it becomes the server's.
                self.session.execute(update(Label).where(Label.id == same_name.id).values(uid=uid))
            elif same_name is not None:
                # Another synced label has that name here (renamed meanwhile): both kept.
                labels_service.add_label(self.session, self.owner, f"{name} (2)", uid=uid)
            else:
                labels_service.add_label(self.session, self.owner, name, uid=uid)
            self.report.pulled += 1
        elif mine.name != name:
            locally_renamed = base is not None and base.state != mine.name
            if not locally_renamed:  # renamed on both sides: the server's name (ours is pushed)
                clash = self.session.scalar(
                    select(Label.id).where(
                        Label.owner_id == self.owner,
                        Label.name_key == name_key(name),
                        Label.id != mine.id,
                    )
                )
                if clash is None:
                    labels_service.rename_label(self.session, self.owner, mine.id, name)
                    self.report.pulled += 1
        self._set_base("label", uid, name, None)

    def _apply_label_tombstone(self, uid: str) -> None:
        mine = self.session.scalar(
            select(Label.id).where(Label.owner_id == self.owner, Label.uid == uid)
        )
        if mine is not None:
            labels_service.delete_label(self.session, self.owner, mine)
            self.report.pulled += 1
        self._drop_base("label", uid)

    def _label_ids(self, uids: list[str]) -> list[int]:
        if not uids:
            return []
        found = dict(
            self.session.execute(
                select(Label.uid, Label.id).where(Label.owner_id == self.owner, Label.uid.in_(uids))
            ).all()
        )
        return [found[u] for u in uids if u in found]

    # Notes ------------------------------------------------------------------------------

    def _note_id(self, uid: str) -> int | None:
        if uid not in self._ids:
            self._ids[uid] = self.session.scalar(
                select(Note.id).where(Note.owner_id == self.owner, Note.uid == uid)
            )
        return self._ids[uid]

    def _local_state(self, uid: str) -> dict | None:
        if self._note_id(uid) is None:
            return None  # one primary-key read for a note new here (a first sync's all)
        found = service.note_by_uid(self.session, self.owner, uid)
        return None if found is None else normalized(found)

    def _base(self, uid: str) -> Base | None:
        return self._get_base("note", uid)

    def _apply_note(self, remote_json: dict) -> None:
        uid, version = remote_json["uid"], remote_json["version"]
        remote = normalized(remote_json)
        base_row = self._base(uid)
        base = None if base_row is None else json.loads(base_row.state)
        pending = self._get_base("pending", uid)
        if pending is not None:
            # A push of ours whose answer was lost: if this is it, it is the base (our own
            # edit, not the server's to merge against ours).
            pushed = json.loads(pending.state)
            if same(pushed, remote):
                base = pushed
            self._drop_base("pending", uid)
        local = self._local_state(uid)
        if local is None:
            if base_row is not None and base_row.version == version:
                return  # deleted here, not changed there: the deletion is pushed
            # New there, or changed there after it was deleted here (the edit wins).
            self._write_local(uid, None, remote, remote_json)
            self.report.pulled += 1
        elif same(local, remote):
            pass  # the same on both sides (our own push, echoed)
        elif base is not None and same(local, base):
            if self.removals == "keep" and remote["trashed"] and not local["trashed"]:
                # The person keeps it: the base moves on, the note here differs from it and
                # goes back to the server out of the trash.
                self._set_base("note", uid, remote, version)
                self._touch(uid)
                return
            self._write_local(uid, local, remote, remote_json)
            self.report.pulled += 1
            if remote["trashed"] and not local["trashed"]:
                self.report.deleted_here += 1
        else:
            self._merge(uid, base, local, remote, remote_json)
        self._set_base("note", uid, remote, version)

    def _merge(self, uid, base, local, remote, remote_json) -> None:
        if self.removals == "keep" and remote["trashed"] and not local["trashed"]:
            remote = {**remote, "trashed": False}
        merged = merge.merge_note(base, local, remote, device=self.state.device)
        self._write_local(uid, local, normalized(merged.note), remote_json)
        self.report.pulled += 1
        if merged.conflict_copy is not None:
            self._conflict_copy(normalized(merged.conflict_copy))

    def _conflict_copy(self, copy: dict) -> None:
        label = self.session.scalar(
            select(Label).where(
                Label.owner_id == self.owner, Label.name_key == name_key(merge.CONFLICTS_LABEL)
            )
        )
        if label is None:
            label = labels_service.add_label(self.session, self.owner, merge.CONFLICTS_LABEL)
        copy["label_uids"] = sorted(set(copy["label_uids"]) | {label.uid})
        copy["items"] = [{**item, "id": str(uuid.uuid4())} for item in copy["items"]]
        self._write_local(str(uuid.uuid4()), None, copy, None)
        self.report.conflict_copies += 1

    def _write_local(self, uid: str, local: dict | None, state: dict, origin: dict | None):
        """Make the local note ``uid`` hold ``state`` through the one write path."""
        data = {name: state[name] for name in ("title", "body", "kind", "color", "pinned",
                                                "archived")}  # fmt: skip
        data["items"] = [dict(item) for item in state["items"]]
        data["label_ids"] = self._label_ids(state["label_uids"])
        now = timeutil.now()
        data["reminder"] = reminders.parse(state.get("reminder"), now, strict=False)
        plan = self._images(uid, local, state)
        note_id = self._note_id(uid) if local is not None else None
        with images_service.files_or_nothing(self.session, self.store, plan.get("written", ())):
            row = self._write_row(uid, note_id, data, state, origin, now, plan)
        self._keep_times(row.id, state.get("field_times") or {})
        return row

    def _write_row(self, uid, note_id, data, state, origin, now, plan):
        if note_id is None:
            return notes.write_note(
                self.session, self.owner, None, data, now,
                trashed=True if state["trashed"] else None,
                origin=notes.Origin(
                    uid=uid,
                    created_at=_parse((origin or {}).get("created_at")),
                    updated_at=_parse((origin or {}).get("updated_at")),
                ),
                **plan,
            )  # fmt: skip
        current = queries.read_note(self.session, self.owner, note_id)
        trashed = state["trashed"] if state["trashed"] != (current.trashed_at is not None) else None
        return notes.write_note(self.session, self.owner, current, data, now, trashed=trashed,
                                **plan)  # fmt: skip

    def _images(self, uid: str, local: dict | None, state: dict) -> dict:
        """What ``write_note`` needs to make the note's images ``state["images"]``: the plan
        made before the transaction (``_download``) when it is for these images, else one
        made now (a merge that changed the set: files here, or a download under the lock)."""
        have = (local or {}).get("images", [])
        ready = self._plans.pop(uid, None)
        if have == state["images"] or self.store is None:
            if ready is not None:
                self.store.remove(ready[1].written)
            return {}
        if ready is not None and ready[0] == tuple(state["images"]):
            plan = ready[1]
        else:
            if ready is not None:
                self.store.remove(ready[1].written)
            plan = blobs.prepare_images(
                self.conn, self.session, self.store, self._note_id(uid), state["images"]
            )
            self.report.images_down += len(plan.downloaded)
        return plan.write_note_args(self.store)

    def _download(self, chunk: list[dict]) -> None:
        """Fetch the images of these notes that are nowhere here, outside any transaction
        (a download never holds the write lock): ``_images`` uses the plans."""
        if self.store is None:
            return
        wanted = {sha for remote in chunk for sha in normalized(remote)["images"]}
        if not wanted:
            return
        with reading(self.session):
            here = set(self.session.scalars(select(Image.digest).where(Image.digest.in_(wanted))))
            for remote in chunk:
                shas = normalized(remote)["images"]
                if set(shas) <= here:
                    continue
                note_id = self.session.scalar(
                    select(Note.id).where(Note.owner_id == self.owner, Note.uid == remote["uid"])
                )
                plan = blobs.prepare_images(self.conn, self.session, self.store, note_id, shas)
                self.report.images_down += len(plan.downloaded)
                self._plans[remote["uid"]] = (tuple(shas), plan)
                here |= set(plan.downloaded)

    def _forget_plans(self) -> None:
        for _, plan in self._plans.values():
            self.store.remove(plan.written)
        self._plans.clear()

    def _keep_times(self, note_id: int, times: dict) -> None:
        """The person's change times, not the moment the engine wrote them."""
        values = {f"t_{name}": _parse(times.get(name)) for name in _TIMED}
        if any(values.values()):
            self.session.execute(_KEEP_TIMES, {"t_id": note_id, **values})

    def _apply_note_tombstone(self, uid: str) -> None:
        base_row = self._base(uid)
        local = self._local_state(uid)
        if local is not None:
            base = None if base_row is None else json.loads(base_row.state)
            edited = base is None or not same(local, base)
            if self.removals == "keep" or edited:
                # Deleted there, edited here (or the person keeps it): the note survives and
                # goes back to the server as a new one.
                self._drop_base("note", uid)
                self._touch(uid)
                return
            condition = (Note.owner_id == self.owner) & (Note.uid == uid)
            self.report.deleted_here += notes.delete_notes(
                self.session, self.store, condition, timeutil.now()
            )
            self.report.pulled += 1
        self._drop_base("note", uid)

    def _touch(self, uid: str) -> None:
        """Make a note a local change again (a new sequence number), content unchanged."""
        from webapp.sync import sequence

        seq = sequence.bump(self.session.connection(), self.owner)
        self.session.execute(
            update(Note).where(Note.owner_id == self.owner, Note.uid == uid).values(seq=seq)
        )

    # Push -------------------------------------------------------------------------------

    def _top(self) -> int:
        return self.session.scalar(
            select(SyncSequence.seq).where(SyncSequence.owner_id == self.owner)
        ) or 0  # fmt: skip

    def _dirty_uids(self, cursor: SyncCursor) -> list[str]:
        """The notes whose state differs from their base, among those written since the
        last push (or all, after a resync), read 200 at a time (memory stays flat)."""
        dirty, after = [], cursor.pushed_seq
        while True:
            rows = self.session.execute(
                select(*service._NOTE_COLUMNS)
                .where(Note.owner_id == self.owner, Note.seq > after)
                .order_by(Note.seq)
                .limit(200)
            ).all()
            if not rows:
                return dirty
            after = rows[-1].seq
            chunk = service.notes_json(self.session, rows)
            bases = {
                b.uid: b
                for b in self.session.scalars(
                    select(SyncBase).where(
                        SyncBase.server_id == self.server,
                        SyncBase.kind == "note",
                        SyncBase.uid.in_([n["uid"] for n in chunk]),
                    )
                )
            }
            for note in chunk:
                base = bases.get(note["uid"])
                if note["uid"] in self.refused:
                    continue
                if base is None or not same(normalized(note), json.loads(base.state)):
                    dirty.append(note["uid"])

    def _push(self, cursor: SyncCursor) -> None:
        """Push what changed here, PUSH_BATCH notes at a time (each batch's states are read
        just before it goes: memory stays flat); conflicts are merged here and pushed again
        in the next round."""
        for _ in range(ROUNDS):
            top = self._top()
            labels, deleted_labels = self._label_changes(cursor)
            work = [("note", uid) for uid in self._dirty_uids(cursor)]
            work += [("deleted", uid) for uid in self._deleted_uids(cursor)]
            self._commit()
            if not work and not labels and not deleted_labels:
                cursor.pushed_seq = top
                self._commit()
                return
            conflicts = 0
            for start in range(0, max(len(work), 1), PUSH_BATCH):
                batch = self._changes(work[start : start + PUSH_BATCH])
                self._commit()
                body = {"labels": labels if start == 0 else [], "changes": batch}
                if start == 0 and deleted_labels:
                    body["deleted_labels"] = deleted_labels
                answer = self.conn.push(body)
                conflicts += self._answers(batch, answer)
                if start == 0:
                    self._labels_pushed(labels, deleted_labels, answer.get("label_uids") or {})
                self._commit()
            if not conflicts:
                cursor.pushed_seq = top
                self._commit()
                return
        # Still conflicting after ROUNDS: the next sync goes on from here.

    def _label_changes(self, cursor: SyncCursor) -> tuple[list[dict], list[str]]:
        labels = []
        for label in self.session.scalars(
            select(Label).where(Label.owner_id == self.owner, Label.seq > cursor.pushed_seq)
        ):
            base = self._label_base(label.uid)
            if base is None or base.state != label.name:
                labels.append({"uid": label.uid, "name": label.name})
        # Labels every pushed note names must be known there: a label the server lost, or
        # one never pushed (made before the cursor), goes along.
        deleted = [
            uid
            for uid in self.session.scalars(
                select(Tombstone.uid).where(
                    Tombstone.owner_id == self.owner,
                    Tombstone.kind == "label",
                    Tombstone.seq > cursor.pushed_seq,
                )
            )
            if self._label_base(uid) is not None
            and self.session.scalar(
                select(Label.id).where(Label.owner_id == self.owner, Label.uid == uid)
            )
            is None
        ]
        return labels, list(dict.fromkeys(deleted))

    def _labels_pushed(self, labels: list[dict], deleted: list[str], merged: dict) -> None:
        for label in labels:
            target = merged.get(label["uid"])
            if target:
                # The server has this name under another uid: ours becomes that one.
                clash = self.session.scalar(
                    select(Label.id).where(Label.owner_id == self.owner, Label.uid == target)
                )
                if clash is None:
                    self.session.execute(
                        update(Label)
                        .where(Label.owner_id == self.owner, Label.uid == label["uid"])
                        .values(uid=target)
                    )
                self._drop_base("label", label["uid"])
                self._set_base("label", target, label["name"], None)
            else:
                self._set_base("label", label["uid"], label["name"], None)
        for uid in deleted:
            self._drop_base("label", uid)

    def _changes(self, work: list[tuple[str, str]]) -> list[dict]:
        """The pushed changes of these notes (edited or deleted here)."""
        changes = []
        for what, uid in work:
            base = self._base(uid)
            if what == "deleted":
                changes.append({
                    "change_id": f"{self.state.device_id}:{uid}:deleted:{base.version}",
                    "uid": uid, "base_version": base.version, "deleted": True,
                })  # fmt: skip
                continue
            state = self._local_state(uid)
            if state is None:
                continue  # deleted meanwhile: its tombstone goes next time
            if state["images"] and self._upload(state["images"]):
                self._ids.clear()
                state = self._local_state(uid)
            note = {k: state[k] for k in _CONTENT}
            note["field_times"] = state["field_times"]
            # Kept until the server's answer or its feed shows the note: if the answer is
            # lost, the next sync knows the server's new version for its own push.
            self._set_base("pending", uid, state, None)
            changes.append({
                "change_id": f"{self.state.device_id}:{uid}:{_digest(state)}",
                "uid": uid,
                "base_version": None if base is None else base.version,
                "note": note,
            })  # fmt: skip
        return changes

    def _deleted_uids(self, cursor: SyncCursor) -> list[str]:
        """Deleted here: a tombstone above the cursor, a base, and no note of that uid."""
        found = []
        for uid in dict.fromkeys(
            self.session.scalars(
                select(Tombstone.uid).where(
                    Tombstone.owner_id == self.owner,
                    Tombstone.kind == "note",
                    Tombstone.seq > cursor.pushed_seq,
                )
            )
        ):
            if uid in self.refused or self._base(uid) is None or self._note_id(uid) is not None:
                continue
            found.append(uid)
        return found

    def _upload(self, shas: list[str]) -> bool:
        """Send the server the images it lacks; True when it stores some under another
        digest (the local images are then the server's: read the note again)."""
        uploaded: list[str] = []
        renamed = blobs.upload_missing(self.conn, self.session, self.store, shas, uploaded)
        self.report.images_up += len(uploaded)
        return bool(renamed)

    def _answers(self, batch: list[dict], answer: dict) -> int:
        """Record the server's answers; returns how many conflicted (merged, to push again)."""
        conflicts = 0
        by_id = {change["change_id"]: change for change in batch}
        for result in answer.get("results", []):
            change = by_id.get(result.get("change_id"))
            if change is None:
                continue
            uid, status = change["uid"], result.get("status")
            if status == "applied":
                self.report.pushed += 1
                self._drop_base("pending", uid)
                if change.get("deleted"):
                    self._drop_base("note", uid)
                else:
                    state = normalized(change["note"])
                    self._set_base("note", uid, state, result["version"])
            elif status == "conflict":
                conflicts += 1
                self._conflicted(uid, change, result.get("note"))
            else:
                self.refused.add(uid)
                error = result.get("error") or {}
                title = (change.get("note") or {}).get("title") or uid
                self.report.invalid.append(f"{title}: {error.get('message', 'refused')}")
        return conflicts

    def _conflicted(self, uid: str, change: dict, server_note: dict | None) -> None:
        """The server's note moved on since our base: merge it in here, push next round."""
        if server_note is None:
            # Deleted there meanwhile: an edit here survives as a new note there; a deletion
            # here of a note gone there is done.
            self._drop_base("note", uid)
            if not change.get("deleted"):
                self._touch(uid)
            return
        if change.get("deleted"):
            # Deleted here, changed there: the edit wins, the note comes back here.
            self._apply_note(server_note)
            return
        self._apply_note(server_note)
