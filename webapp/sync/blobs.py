"""Images by content for sync: which SHA-256 the server lacks, uploads by hash, downloads by
hash, and what a pushed note's list of hashes makes of its images.

One hash per image, everywhere. The server re-encodes every upload (``webapp.images.pipeline``:
a clean file, whatever arrived), so a JPEG a device already cleaned comes out as other bytes
with another SHA-256. Rather than keep two names for one picture, the server's bytes win:

- ``PUT /api/sync/blobs/<sha>`` answers the digest of the file it stored. When that differs
  from ``<sha>``, the device downloads the server's file (``GET``, hash checked) and puts it in
  place of its own (``webapp.sync.device.blobs.upload_missing``) before it pushes the note, so
  the note names the server's digest; a second device downloads those very bytes and stores
  them as they are (decoded to check them, never re-encoded). Every copy then has one hash,
  and the next sync finds nothing missing: no duplicate, no endless re-upload.
- The upload's own hash is kept with the blob (``SyncBlob.uploaded_digest``): a push naming
  it (a device that crashed before putting the server's file in place) gets the stored image,
  and ``missing`` answers it as ``stored_as`` so that device swaps its file then.
- An upload whose cleaned file the account holds already (in a note or as a blob) stores
  nothing new: the answer is that digest.

A blob is the account's own (every query is scoped to the owner: another account's hash is
simply not there) and counts against its image quota (``ACCOUNT_MAX_IMAGE_BYTES``) until a
note takes a copy of it; the housekeeping removes blobs a day after their upload.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.errors import NotFoundError, ValidationError
from webapp.images import pipeline
from webapp.images import service as images_service
from webapp.images.models import Image
from webapp.notes.models import Note
from webapp.sync.models import SyncBlob

SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Hashes one ``missing`` call may ask about (a device asks in pages of this many).
MISSING_MAX = 1000
# A blob no note took is removed this long after its upload.
BLOB_KEEP = timedelta(days=1)


class DigestMismatchError(ValidationError):
    code = "digest_mismatch"


def check_sha(value: Any, field_name: str = "sha256") -> str:
    """A SHA-256 as 64 lowercase hex digits, or a 400."""
    if not isinstance(value, str) or not SHA256.match(value):
        raise ValidationError(
            "A SHA-256 is 64 lowercase hexadecimal digits.",
            fields={field_name: "64 lowercase hex digits"},
        )
    return value


def parse_shas(body: Any) -> list[str]:
    """``{"sha256": [...]}``: at most ``MISSING_MAX`` hashes, each checked; a 400 otherwise."""
    shas = body.get("sha256") if isinstance(body, dict) else None
    if not isinstance(shas, list) or len(shas) > MISSING_MAX:
        raise ValidationError(
            f'Send {{"sha256": [...]}} with at most {MISSING_MAX} hashes.',
            fields={"sha256": f"a list of at most {MISSING_MAX} SHA-256"},
        )
    return [check_sha(sha, f"sha256.{i}") for i, sha in enumerate(shas)]


def _image_digests(session: Session, owner_id: int, shas: Sequence[str]) -> set[str]:
    return set(
        session.scalars(
            select(Image.digest)
            .join(Note, Note.id == Image.note_id)
            .where(Note.owner_id == owner_id, Image.digest.in_(list(shas)))
        )
    )


def stored_as(session: Session, owner_id: int, shas: Sequence[str]) -> dict[str, str]:
    """The digest the owner's image or blob of each hash is stored under, for those it has:
    the hash itself, or the stored digest of a blob uploaded by that hash."""
    wanted = list(dict.fromkeys(shas))
    found = {sha: sha for sha in _image_digests(session, owner_id, wanted)}
    for digest, uploaded in session.execute(
        select(SyncBlob.digest, SyncBlob.uploaded_digest).where(
            SyncBlob.owner_id == owner_id,
            or_(SyncBlob.digest.in_(wanted), SyncBlob.uploaded_digest.in_(wanted)),
        )
    ):
        found[digest] = digest
        found.setdefault(uploaded, digest)
    return {sha: found[sha] for sha in wanted if sha in found}


def missing(session: Session, owner_id: int, shas: Sequence[str]) -> dict:
    """``{"missing": [...], "stored_as": {sha: digest}}``: the hashes to upload, and those the
    server has under another digest (what the device puts in place of its own)."""
    known = stored_as(session, owner_id, shas)
    return {
        "missing": [sha for sha in dict.fromkeys(shas) if sha not in known],
        "stored_as": {sha: digest for sha, digest in known.items() if sha != digest},
    }


def put(
    session: Session,
    store: images_service.Store,
    work: pipeline.ImageWork,
    owner_id: int,
    sha: str,
    data: bytes,
    now: datetime,
    quota: int | None = None,
) -> tuple[str, bool]:
    """Store an uploaded image by its hash; returns the stored digest and whether it is new.

    The body must hash to ``sha`` (400 ``digest_mismatch``); it then goes through the upload
    pipeline (allowed decoders, pixel limits, the work slots) outside any transaction.
    """
    check_sha(sha)
    if hashlib.sha256(data).hexdigest() != sha:
        raise DigestMismatchError(
            "The body's SHA-256 is not the one in the address: the upload was damaged.",
            fields={"sha256": "the body hashes to another value"},
        )
    known = stored_as(session, owner_id, [sha]).get(sha)
    if known is not None:
        session.commit()
        return known, False
    images_service.check_quota(session, owner_id, len(data), quota)
    session.commit()  # decoding holds no transaction
    (staged,) = images_service.prepare(store, work, [io.BytesIO(data)], "body")
    with images_service.files_or_nothing(session, store, staged.names):
        known = stored_as(session, owner_id, [staged.digest]).get(staged.digest)
        if known is not None:  # the account has this clean file already
            session.rollback()
            store.remove(staged.names)
            return known, False
        images_service.check_quota(session, owner_id, staged.byte_size, quota)
        store.move_in([staged.thumb_name], sync=False)  # remade if lost
        store.move_in([staged.file_name])
        session.add(SyncBlob(
            owner_id=owner_id, digest=staged.digest, uploaded_digest=sha,
            file_name=staged.file_name, thumb_name=staged.thumb_name,
            content_type=staged.content_type, width=staged.width, height=staged.height,
            byte_size=staged.byte_size, thumb_digest=staged.thumb_digest, created_at=now,
        ))  # fmt: skip
        try:
            session.commit()
        except IntegrityError:  # the same file uploaded at the same time
            session.rollback()
            store.remove(staged.names)
            return staged.digest, False
    return staged.digest, True


def source(session: Session, owner_id: int, digest: str) -> Image | SyncBlob | None:
    """One of the owner's images of this digest, else the owner's blob of it, else None."""
    image = session.scalar(
        select(Image)
        .join(Note, Note.id == Image.note_id)
        .where(Note.owner_id == owner_id, Image.digest == digest)
        .order_by(Image.id)
        .limit(1)
    )
    if image is not None:
        return image
    return session.scalar(
        select(SyncBlob).where(SyncBlob.owner_id == owner_id, SyncBlob.digest == digest)
    )


def get(session: Session, owner_id: int, sha: str) -> Image | SyncBlob:
    """The stored file's row for ``GET /api/sync/blobs/<sha>``: the owner's, or a 404."""
    check_sha(sha)
    found = source(session, owner_id, sha)
    if found is None:
        raise NotFoundError("No image with that SHA-256.")
    return found


@dataclass
class ImagePlan:
    """What ``write_note`` needs to make a note's images exactly a list of hashes: staged
    copies to ``attach``, image ids to ``detach``, the ``order`` of the hashes, and every file
    staged (for ``images_service.files_or_nothing``)."""

    attach: list[images_service.Staged] = field(default_factory=list)
    detach: list[int] = field(default_factory=list)
    order: list[str] | None = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def current_images(session: Session, note_id: int | None) -> list[tuple[int, str]]:
    """A note's images as (id, digest), in order."""
    if note_id is None:
        return []
    rows = session.execute(
        select(Image.id, Image.digest).where(Image.note_id == note_id).order_by(Image.position)
    )
    return [(image_id, digest) for image_id, digest in rows]


def match(current: Sequence[tuple[int, str]], wanted: Sequence[str]) -> tuple[list[str], list[int]]:
    """The wanted hashes no current image gives (in order, repeats counted), and the ids of
    the current images no wanted hash keeps."""
    left = list(current)
    new = []
    for sha in wanted:
        kept = next((entry for entry in left if entry[1] == sha), None)
        if kept is None:
            new.append(sha)
        else:
            left.remove(kept)
    return new, [image_id for image_id, _ in left]


def staged_copy(store: images_service.Store, row: Image | SyncBlob) -> images_service.Staged:
    """A stored image's files copied into staged files, for ``attach``."""
    file_name = store.stage_copy(row.file_name)
    try:
        thumb_name = store.stage_copy(row.thumb_name, sync=False)
    except BaseException:
        store.remove([file_name])
        raise
    return images_service.Staged(
        file_name, thumb_name, row.content_type, row.width, row.height, row.byte_size,
        row.digest, row.thumb_digest,
    )  # fmt: skip


def plan_images(
    session: Session,
    store: images_service.Store,
    owner_id: int,
    note_id: int | None,
    wanted: Sequence[str],
) -> ImagePlan:
    """A pushed note's images: kept where the note has them, else copied from the owner's
    image or blob of that hash (a hash uploaded under another name maps to the stored one);
    an unknown hash is a 400 ``missing_blob``. Stages files: run it before the write."""
    names = stored_as(session, owner_id, wanted)
    unknown = [sha for sha in dict.fromkeys(wanted) if sha not in names]
    if unknown:
        raise ValidationError(
            f"Upload these images first (PUT /api/sync/blobs/<sha256>): {', '.join(unknown)}.",
            fields={"images": f"unknown SHA-256: {', '.join(unknown)}"},
            code="missing_blob",
        )
    plan = ImagePlan(order=[names[sha] for sha in wanted])
    new, plan.detach = match(current_images(session, note_id), plan.order)
    try:
        for sha in new:
            staged = staged_copy(store, source(session, owner_id, sha))
            plan.attach.append(staged)
            plan.written.extend(staged.names)
    except BaseException:
        store.remove(plan.written)
        raise
    return plan


def prune(session: Session, store: images_service.Store, now: datetime) -> int:
    """Remove blobs uploaded more than ``BLOB_KEEP`` ago, with their files."""
    gone = session.execute(
        delete(SyncBlob)
        .where(SyncBlob.created_at < now - BLOB_KEEP)
        .returning(SyncBlob.file_name, SyncBlob.thumb_name)
    ).all()
    session.commit()
    store.remove(name for row in gone for name in row)
    return len(gone)


def file_names(session: Session) -> set[str]:
    """Every blob's files (what the image sweep must not take for orphans)."""
    rows = session.execute(select(SyncBlob.file_name, SyncBlob.thumb_name))
    return {name for row in rows for name in row}
