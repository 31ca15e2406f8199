"""Recording, reading, pruning and restoring a note's versions.

A version is the note as it was after a save, so the newest version is the note as it is;
"Restore" writes an older one back through ``write_note``, which records that as a new
version (a restore is undone by restoring the version before it). Saves of the same note
by the same device within ``HISTORY_COALESCE_SECONDS`` of its newest version replace that
version: continuous typing makes one version per few minutes.

Storage (``webapp.history.models``): the newest version in full, each older one as a delta
against the next (``webapp.history.delta``), so the older ones are rebuilt walking back from
the newest. An image a note lets go of keeps its files under names of its own
(``VersionFile``) while a version may still name it; versions name images by digest.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from webapp.errors import NotFoundError
from webapp.history import delta
from webapp.history.models import NoteVersion, VersionFile
from webapp.images.models import Image
from webapp.notes.rows import NoteRow

COALESCE_SECONDS = 300
DAYS = 30
KEEP = 50
PRUNE_BATCH = 500
# The state's fields, in the order a version holds them.
FIELDS = ("title", "body", "kind", "color", "items", "labels", "images")

_new_version = contextvars.ContextVar("kaap_history_new_version", default=False)


def _config(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


@contextlib.contextmanager
def as_new_version() -> Iterator[None]:
    """Saves inside never replace the newest version (what a restore needs to be undone)."""
    token = _new_version.set(True)
    try:
        yield
    finally:
        _new_version.reset(token)


def request_device(session: Session) -> str | None:
    """The device of the API token this request came with (``Kaap on <device>``, the name
    sync gives a device's token, or the token's own name); None for the page's saves."""
    if not has_request_context() or "kaap_token_id" not in g:
        return None
    if "kaap_history_device" not in g:
        from webapp.accounts.models import ApiToken

        name = session.scalar(select(ApiToken.name).where(ApiToken.id == g.kaap_token_id))
        g.kaap_history_device = name.removeprefix("Kaap on ") if name else None
    return g.kaap_history_device


def snapshot(session: Session, note: NoteRow) -> dict[str, Any]:
    """The note's versioned state: what a version holds (plain JSON)."""
    images = []
    if note.images:
        images = [
            list(row)
            for row in session.execute(
                select(Image.digest, Image.content_type, Image.width, Image.height,
                       Image.byte_size, Image.thumb_digest)
                .where(Image.note_id == note.id).order_by(Image.position)
            )
        ]  # fmt: skip
    return {
        "title": note.title or "",
        "body": note.body or "",
        "kind": note.kind,
        "color": note.color,
        "items": [[item.text, item.checked, item.uid] for item in note.items],
        "labels": [[label.id, label.name] for label in note.labels],
        "images": images,
    }


# Built once: a save runs these, and building a statement costs more than running it here.
_NEWEST_TWO = (
    select(NoteVersion.number, NoteVersion.saved_at, NoteVersion.device, NoteVersion.data)
    .where(NoteVersion.note_id == bindparam("b_note"))
    .order_by(NoteVersion.number.desc())
    .limit(2)
)
_WHERE_ONE = (
    NoteVersion.note_id == bindparam("b_note"),
    NoteVersion.number == bindparam("b_number"),
)
_SET_DATA = (
    update(NoteVersion)
    .where(*_WHERE_ONE)
    .values(data=bindparam("b_data"), full=bindparam("b_full"))
)
_SET_NEWEST = (
    update(NoteVersion)
    .where(*_WHERE_ONE)
    .values(data=bindparam("b_data"), saved_at=bindparam("b_saved_at"))
)
_INSERT = insert(NoteVersion).values(
    note_id=bindparam("b_note"), owner_id=bindparam("b_owner"), number=bindparam("b_number"),
    saved_at=bindparam("b_saved_at"), device=bindparam("b_device"), full=True,
    data=bindparam("b_data"),
)  # fmt: skip


def _newest_two(session: Session, note_id: int) -> list:
    # On the connection: the ORM's execute costs more than these small statements do.
    return session.connection().execute(_NEWEST_TWO, {"b_note": note_id}).all()


def record(session: Session, owner_id: int, note: NoteRow, now: datetime) -> None:
    """Keep the note as this save left it (uncommitted): a new version, or the newest one
    replaced if the same device saved it within the coalescing window."""
    if not _config("HISTORY", True):
        return
    state = snapshot(session, note)
    device = request_device(session)
    versions = _newest_two(session, note.id)
    if not versions:
        _insert(session, note.id, owner_id, 1, now, device, state)
        return
    newest = versions[0]
    newest_state = delta.unpack(newest.data)
    if newest_state == state:
        return  # a move, a pin, the trash: not the content a version keeps
    window = timedelta(seconds=_config("HISTORY_COALESCE_SECONDS", COALESCE_SECONDS))
    if (
        not _new_version.get()
        and newest.device == device
        and timedelta(0) <= now - newest.saved_at < window
    ):
        _coalesce(session, note.id, versions, newest_state, state, now)
        return
    _set(session, note.id, newest.number, delta.pack(delta.diff(state, newest_state)), False)
    _insert(session, note.id, owner_id, newest.number + 1, now, device, state)


def _coalesce(session, note_id, versions, newest_state, state, now) -> None:
    """Replace the newest version by ``state``, the one before re-based on it."""
    newest = versions[0]
    if len(versions) > 1:
        before = versions[1]
        before_state = delta.apply(newest_state, delta.unpack(before.data))
        if before_state == state:  # typed, then took it back: the version before it is current
            session.execute(
                delete(NoteVersion).where(
                    NoteVersion.note_id == note_id, NoteVersion.number == newest.number
                )
            )
            _set(session, note_id, before.number, delta.pack(state), True)
            return
        _set(session, note_id, before.number, delta.pack(delta.diff(state, before_state)), False)
    session.connection().execute(
        _SET_NEWEST,
        {
            "b_note": note_id,
            "b_number": newest.number,
            "b_data": delta.pack(state),
            "b_saved_at": now,
        },
    )


def _set(session, note_id: int, number: int, data: bytes, full: bool) -> None:
    session.connection().execute(
        _SET_DATA, {"b_note": note_id, "b_number": number, "b_data": data, "b_full": full}
    )


def _insert(session, note_id, owner_id, number, now, device, state) -> None:
    session.connection().execute(_INSERT, {
        "b_note": note_id, "b_owner": owner_id, "b_number": number, "b_saved_at": now,
        "b_device": device, "b_data": delta.pack(state),
    })  # fmt: skip


# Reading ------------------------------------------------------------------------------------


def _walk(session: Session, owner_id: int, note_id: int, down_to: int = 0) -> Iterator[tuple]:
    """(number, saved_at, device, state) of the note's versions, newest first, to ``down_to``."""
    rows = session.execute(
        select(NoteVersion.number, NoteVersion.saved_at, NoteVersion.device, NoteVersion.data)
        .where(
            NoteVersion.note_id == note_id,
            NoteVersion.owner_id == owner_id,
            NoteVersion.number >= down_to,
        )
        .order_by(NoteVersion.number.desc())
    )
    state = None
    for number, saved_at, device, data in rows:
        stored = delta.unpack(data)
        state = stored if state is None else delta.apply(state, stored)
        yield number, saved_at, device, state


def summary(state: dict[str, Any]) -> dict[str, str]:
    """A version's title and first line of text (its first item's, for a checklist)."""
    lines = [line for line in state["body"].splitlines() if line.strip()]
    if state["kind"] == "checklist" or not lines:
        lines = [item[0] for item in state["items"] if item[0].strip()] or lines
    return {"title": state["title"][:200], "first_line": (lines[0] if lines else "")[:200]}


def list_versions(
    session: Session, owner_id: int, note_id: int, limit: int, before: int | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of the note's versions, newest first, and the ``before`` of the next page."""
    found = []
    for number, saved_at, device, state in _walk(session, owner_id, note_id):
        if before is not None and number >= before:
            continue
        if len(found) == limit:
            return found, found[-1]["number"]
        found.append({"number": number, "saved_at": saved_at, "device": device, **summary(state)})
    return found, None


def version_state(session: Session, owner_id: int, note_id: int, number: int) -> tuple:
    """(saved_at, device, state, newest number) of one version; 404 if the note keeps none."""
    newest = None
    for found, saved_at, device, state in _walk(session, owner_id, note_id, number):
        newest = newest or found
        if found == number:
            return saved_at, device, state, newest
    raise NotFoundError(f"Note {note_id} has no version {number}.", code="no_such_version")


def image_files(session: Session, note_id: int) -> dict[str, tuple[str, str]]:
    """Digest -> (file, thumbnail) of every image file a version of the note can show."""
    kept = session.execute(
        select(VersionFile.digest, VersionFile.file_name, VersionFile.thumb_name).where(
            VersionFile.note_id == note_id
        )
    ).all()
    current = session.execute(
        select(Image.digest, Image.file_name, Image.thumb_name).where(Image.note_id == note_id)
    ).all()
    return {digest: (file, thumb) for digest, file, thumb in [*kept, *current]}


# Keeping image files -----------------------------------------------------------------------


def _link(store, name: str, written: list[str] | None) -> str:
    """A second name for a stored file (a hard link, a copy where links are not supported)."""
    new = f"{secrets.token_hex(16)}{Path(name).suffix}"
    target = store.path(new)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(store.path(name), target)
    except FileNotFoundError:
        raise
    except OSError:  # a file system without hard links (FAT, some network shares)
        shutil.copyfile(store.path(name), target)
    if written is not None:
        written.append(new)
    return new


def keep_images(
    session: Session, store, note_id: int, image_ids: Sequence[int], written: list[str] | None
) -> None:
    """Before a note lets go of these images: keep their files for the versions naming them.

    The files get names of their own (linked, so no bytes are copied): whoever removes the
    image's files after the commit removes only the image's names.
    """
    newest = session.scalar(
        select(func.max(NoteVersion.number)).where(NoteVersion.note_id == note_id)
    )
    if newest is None or store is None or not image_ids:
        return
    images = session.execute(
        select(Image.digest, Image.file_name, Image.thumb_name).where(
            Image.note_id == note_id, Image.id.in_(list(image_ids))
        )
    ).all()
    kept = set(
        session.scalars(
            select(VersionFile.digest).where(
                VersionFile.note_id == note_id,
                VersionFile.digest.in_([image.digest for image in images]),
            )
        )
    )
    for digest, file_name, thumb_name in images:
        if digest in kept:
            session.execute(
                update(VersionFile)
                .where(VersionFile.note_id == note_id, VersionFile.digest == digest)
                .values(last_number=newest)
            )
            continue
        try:
            file_copy = _link(store, file_name, written)
            thumb_copy = _link(store, thumb_name, written)
        except FileNotFoundError:
            continue  # a file already lost: the sweep drops its row
        kept.add(digest)
        session.execute(
            insert(VersionFile).values(note_id=note_id, digest=digest, file_name=file_copy,
                                       thumb_name=thumb_copy, last_number=newest)
        )  # fmt: skip


def file_names_of_notes(session: Session, note_condition) -> list[str]:
    """The kept files of the versions of the notes matching a condition (deleted with them)."""
    from webapp.notes.models import Note

    rows = session.execute(
        select(VersionFile.file_name, VersionFile.thumb_name)
        .join(Note, Note.id == VersionFile.note_id)
        .where(note_condition)
    )
    return [name for row in rows for name in row]


def all_file_names(session: Session) -> set[str]:
    """Every file a version keeps (not an orphan to the image sweep)."""
    rows = session.execute(select(VersionFile.file_name, VersionFile.thumb_name))
    return {name for row in rows for name in row}


# Pruning ------------------------------------------------------------------------------------


def prune(
    session: Session,
    store,
    now: datetime,
    days: int = DAYS,
    keep: int = KEEP,
    batch: int = PRUNE_BATCH,
) -> int:
    """Forget versions older than ``days`` beyond each note's newest ``keep``, ``batch`` per
    transaction, then the image files no kept version can name; returns how many versions."""
    outer = NoteVersion.__table__.alias("v")
    newest = (
        select(func.max(NoteVersion.number))
        .where(NoteVersion.note_id == outer.c.note_id)
        .scalar_subquery()
    )
    old = (
        select(outer.c.note_id, outer.c.number)
        .where(outer.c.saved_at < now - timedelta(days=days), outer.c.number <= newest - keep)
        .limit(batch)
    )
    pruned = 0
    while True:
        keys = session.execute(old).all()
        if not keys:
            break
        session.execute(
            delete(NoteVersion).where(
                tuple_(NoteVersion.note_id, NoteVersion.number).in_([tuple(k) for k in keys])
            )
        )
        session.commit()
        pruned += len(keys)
    _prune_files(session, store, batch)
    return pruned


def _prune_files(session: Session, store, batch: int) -> None:
    oldest = (
        select(func.min(NoteVersion.number))
        .where(NoteVersion.note_id == VersionFile.note_id)
        .scalar_subquery()
    )
    unnamed = (
        select(VersionFile.note_id, VersionFile.digest, VersionFile.file_name,
               VersionFile.thumb_name)
        .where(VersionFile.last_number < func.coalesce(oldest, 2**31 - 1))
        .limit(batch)
    )  # fmt: skip
    while True:
        rows = session.execute(unnamed).all()
        if not rows:
            return
        session.execute(
            delete(VersionFile).where(
                tuple_(VersionFile.note_id, VersionFile.digest).in_(
                    [(row.note_id, row.digest) for row in rows]
                )
            )
        )
        session.commit()
        if store is not None:
            store.remove(name for row in rows for name in (row.file_name, row.thumb_name))


# Restoring ----------------------------------------------------------------------------------


def restore(
    session: Session,
    store,
    owner_id: int,
    note_id: int,
    number: int,
    now: datetime,
    *,
    if_match: int | None = None,
    quota: int | None = None,
) -> NoteRow:
    """Make the note what version ``number`` holds, through ``write_note``: a new version.

    Labels deleted since are left out; images the note let go of come back as copies of the
    files the version kept (an image whose file is lost stays out).
    """
    from webapp.errors import ConflictError, PreconditionFailedError
    from webapp.images import service as images_service
    from webapp.labels.models import Label
    from webapp.notes import queries
    from webapp.notes.service import write_note

    note = queries.read_note(session, owner_id, note_id)
    _, _, state, _ = version_state(session, owner_id, note_id, number)
    files = image_files(session, note_id)
    current = session.execute(
        select(Image.id, Image.digest).where(Image.note_id == note_id).order_by(Image.position)
    ).all()
    session.commit()  # end the reads: copying files holds no lock
    wanted = [image[0] for image in state["images"]]
    left = list(wanted)
    detach = []
    for image_id, digest in current:
        if digest in left:
            left.remove(digest)
        else:
            detach.append(image_id)
    staged = []
    try:
        for digest, content_type, width, height, byte_size, thumb_digest in state["images"]:
            if digest not in left or digest not in files or store is None:
                continue
            left.remove(digest)
            file_name, thumb_name = files[digest]
            try:
                copy = store.stage_copy(file_name)
            except FileNotFoundError:
                continue
            try:
                thumb = store.stage_copy(thumb_name, sync=False)
            except FileNotFoundError:
                store.remove([copy])
                continue
            staged.append(images_service.Staged(copy, thumb, content_type, width, height,
                                                byte_size, digest, thumb_digest))  # fmt: skip
    except BaseException:
        store.remove(name for item in staged for name in item.names)
        raise
    names = [name for item in staged for name in item.names]
    with images_service.files_or_nothing(session, store, names) as written:
        note = queries.read_note(session, owner_id, note_id)
        if if_match is not None and note.version != if_match:
            raise PreconditionFailedError(
                f"The note changed elsewhere (now version {note.version}, you had {if_match}).",
                fields={"version": str(note.version)},
                code="version_conflict",
            )
        if note.trashed_at is not None:
            raise ConflictError("Restore the note from the trash first.", code="trashed")
        images_service.check_quota(session, owner_id, sum(s.byte_size for s in staged), quota)
        label_ids = set(
            session.scalars(
                select(Label.id).where(
                    Label.owner_id == owner_id,
                    Label.id.in_([label_id for label_id, _ in state["labels"]]),
                )
            )
        )
        data = {
            "title": state["title"],
            "body": state["body"],
            "kind": state["kind"],
            "color": state["color"],
            "items": [{"text": t, "checked": c, "id": uid or None} for t, c, uid in state["items"]],
            "label_ids": [label_id for label_id, _ in state["labels"] if label_id in label_ids],
        }
        with as_new_version():
            write_note(session, owner_id, note, data, now, store=store, written=written,
                       attach=staged, detach=detach, image_order=wanted)  # fmt: skip
        session.commit()
    return note


def image_file(session: Session, note_id: int, digest: str) -> tuple[str, str, str] | None:
    """(file, thumbnail, content type) of an image a version of the note names, if stored."""
    from webapp.images import pipeline

    names = image_files(session, note_id).get(digest)
    if names is None:
        return None
    types = {extension: content_type for content_type, extension in pipeline.EXTENSIONS.items()}
    return names[0], names[1], types.get(Path(names[0]).suffix.lstrip("."), "image/jpeg")
