"""Images by content, the desktop's side: what a sync's engine calls to send this device's
images and fetch the server's, by SHA-256.

The server's bytes are the one copy of an image (see ``webapp.sync.blobs``): an upload the
server stores under another digest (it re-encodes) is downloaded at once and put in place of
the local file, so the note pushed next names the server's digest; a download is stored as it
came, after its hash and a decode under the stored-image limits checked it (a thumbnail is
made here). Every download happens before the write that uses it, as uploads do, and writes
only staged files (``ImagePlan.written``, for ``images_service.files_or_nothing``).
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.errors import KaapError
from webapp.images import pipeline
from webapp.images import service as images_service
from webapp.images.models import Image
from webapp.sync.blobs import MISSING_MAX, check_sha, match, staged_copy
from webapp.sync.device.client import Connection, SyncError

log = logging.getLogger(__name__)
# What a server's stored file starts with, by the content type it is served as.
_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",),
          "image/webp": (b"RIFF",)}  # fmt: skip


@dataclass
class ImagePlan:
    """What ``write_note`` needs to make a local note's images exactly ``order``:
    ``write_note(..., store=store, written=written, attach=plan.attach, detach=plan.detach,
    image_order=plan.order)`` inside ``images_service.files_or_nothing(session, store,
    plan.written)``. ``downloaded`` are the hashes fetched from the server."""

    attach: list[images_service.Staged] = field(default_factory=list)
    detach: list[int] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)

    def write_note_args(self, store: images_service.Store) -> dict:
        """The keyword arguments of ``write_note`` that apply this plan."""
        return {"store": store, "written": self.written, "attach": self.attach,
                "detach": self.detach, "image_order": self.order}  # fmt: skip


def note_shas(session: Session, note_id: int) -> list[str]:
    """A local note's image digests, in order."""
    return list(
        session.scalars(
            select(Image.digest).where(Image.note_id == note_id).order_by(Image.position)
        )
    )


def _local(session: Session, digest: str) -> Image | None:
    return session.scalar(select(Image).where(Image.digest == digest).order_by(Image.id).limit(1))


def upload_missing(
    conn: Connection,
    session: Session,
    store: images_service.Store,
    shas: Sequence[str],
    uploaded: list[str] | None = None,
) -> dict[str, str]:
    """Upload the images of these hashes the server lacks; returns ``{sha: server's sha}``
    for those it stores under another digest, whose local files are then the server's (so
    the notes name the server's hash: push ``[renamed.get(s, s) for s in shas]``).

    An image the server refuses (damaged, too large for it) is logged and left out: the note
    naming it then comes back ``invalid`` (``missing_blob``). A quota or a failure stops.
    Commits its own change of the local image files: call it with no other write pending.
    The hashes sent are added to ``uploaded`` when given.
    """
    wanted = list(dict.fromkeys(shas))
    renamed: dict[str, str] = {}
    for start in range(0, len(wanted), MISSING_MAX):
        answer = conn.blobs_missing(wanted[start : start + MISSING_MAX])
        renamed.update(answer["stored_as"])
        for sha in answer["missing"]:
            image = _local(session, sha)
            if image is None:
                continue  # not on this device (any more): the push says so
            data = store.path(image.file_name).read_bytes()
            try:
                stored = conn.put_blob(sha, data, image.content_type)
            except SyncError as exc:
                if exc.code != "image_refused":
                    raise
                log.warning("the server refused the image %s: %s", sha, exc.message)
                continue
            if uploaded is not None:
                uploaded.append(sha)
            if stored != sha:
                renamed[sha] = stored
    for sha, stored in renamed.items():
        _adopt(conn, session, store, sha, stored)
    return renamed


def _adopt(
    conn: Connection, session: Session, store: images_service.Store, old: str, new: str
) -> None:
    """Put the server's file of ``new`` in place of every local image of ``old``: the same
    picture, re-encoded there, so not an edit of the notes (no new version)."""
    rows = session.scalars(select(Image).where(Image.digest == old)).all()
    if not rows:
        return
    have = _local(session, new)  # the server's file may be here already
    downloaded = staged_copy(store, have) if have is not None else download(conn, store, new)
    written, replaced = list(downloaded.names), []
    try:
        for i, image in enumerate(rows):
            staged = downloaded if i == 0 else staged_copy(store, _as_row(downloaded))
            if i:
                written.extend(staged.names)
            store.move_in([staged.thumb_name], sync=False)
            store.move_in([staged.file_name])
            replaced += [image.file_name, image.thumb_name]
            session.execute(
                update(Image).where(Image.id == image.id).values(
                    file_name=staged.file_name, thumb_name=staged.thumb_name,
                    content_type=staged.content_type, width=staged.width, height=staged.height,
                    byte_size=staged.byte_size, digest=staged.digest,
                    thumb_digest=staged.thumb_digest,
                )
            )  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        store.remove(written)
        raise
    store.remove(replaced)


@dataclass
class _Row:
    file_name: str
    thumb_name: str
    content_type: str
    width: int
    height: int
    byte_size: int
    digest: str
    thumb_digest: str


def _as_row(staged: images_service.Staged) -> _Row:
    """A staged image as a row to copy from (its files are in place by then)."""
    return _Row(staged.file_name, staged.thumb_name, staged.content_type, staged.width,
                staged.height, staged.byte_size, staged.digest, staged.thumb_digest)  # fmt: skip


def download(
    conn: Connection,
    store: images_service.Store,
    sha: str,
    limits: pipeline.Limits = images_service.STORED_LIMITS,
) -> images_service.Staged:
    """The server's file of ``sha`` in staged files, hash and image checked, with a
    thumbnail made here; a ``SyncError`` when the server sends something else."""
    check_sha(sha)
    data = conn.get_blob(sha)
    if hashlib.sha256(data).hexdigest() != sha:
        raise SyncError(
            "The server sent an image that does not match its hash: try again later.",
            code="digest_mismatch",
            status=502,
        )
    try:
        # Decoded under the limits of a stored image (what the server's pipeline makes), for
        # the thumbnail and to check it; the server's bytes are kept as they are.
        processed = _decode(data, limits)
    except KaapError as exc:
        raise SyncError(
            f"The server sent an image this computer cannot use ({exc.message})",
            code="bad_image",
            status=502,
        ) from None
    if not data.startswith(_MAGIC.get(processed.content_type, (b"\0",))):
        raise SyncError("The server sent an image in an unexpected format.", code="bad_image",
                        status=502)  # fmt: skip
    processed.data = data
    return images_service.stage(store, processed)


def _decode(data: bytes, limits: pipeline.Limits) -> pipeline.Processed:
    """The pipeline on a download, in the app's image work slots when there is an app (the
    page's uploads share them: together they stay within the memory the slots allow)."""
    if not has_app_context() or "kaap.image_slots" not in current_app.extensions:
        return pipeline.process(io.BytesIO(data), limits)
    work = pipeline.ImageWork(limits, current_app.extensions["kaap.image_slots"], 0)
    return work.process(io.BytesIO(data), queue=True)


def prepare_images(
    conn: Connection,
    session: Session,
    store: images_service.Store,
    note_id: int | None,
    wanted: Sequence[str],
) -> ImagePlan:
    """What makes a local note's images exactly ``wanted`` (hashes, in order): images it has
    stay, others are copied from a local image of that hash or downloaded (hash checked),
    the rest are detached. Writes nothing to the database: run it before the write (with no
    write pending, so no lock is held during the downloads)."""
    current = []
    if note_id is not None:
        current = list(
            session.execute(
                select(Image.id, Image.digest)
                .where(Image.note_id == note_id)
                .order_by(Image.position)
            ).all()
        )
    plan = ImagePlan(order=list(wanted))
    new, plan.detach = match([(i, d) for i, d in current], plan.order)
    try:
        for sha in new:
            check_sha(sha)
            local = _local(session, sha)
            if local is not None:
                staged = staged_copy(store, local)
            else:
                staged = download(conn, store, sha)
                plan.downloaded.append(sha)
            plan.attach.append(staged)
            plan.written.extend(staged.names)
    except BaseException:
        store.remove(plan.written)
        raise
    return plan
