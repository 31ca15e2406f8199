"""Storing images with their notes: files and rows together or not at all."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.disk import removed_on_failure
from webapp.errors import KaapError, NotFoundError
from webapp.history import service as history
from webapp.images import pipeline
from webapp.images.models import Image
from webapp.notes.models import Note
from webapp.sync.models import SyncBlob

log = logging.getLogger(__name__)
IMAGES_PER_NOTE = 100
# What a stored image (made by the pipeline) can be: what remaking its thumbnail allows.
STORED_LIMITS = pipeline.Limits(
    pixels=pipeline.FULL_MAX_SIDE**2, side=pipeline.FULL_MAX_SIDE, frames=1,
    request_pixels=pipeline.FULL_MAX_SIDE**2,
)  # fmt: skip
HOLD_FILE = ".hold-orphans-until"


class Store:
    """Image files under ``<data dir>/images``; names are random and never user input."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / name[:2] / name

    def write(self, data: bytes, extension: str, *, sync: bool = True, name: str = "") -> str:
        """Write a new file (atomically renamed into place); ``sync`` makes it durable."""
        name = self.stage(data, extension, sync=sync, name=name)
        self.move_in([name], sync=sync)
        return name

    def stage(self, data: bytes, extension: str, *, sync: bool = True, name: str = "") -> str:
        """Write a new file as ``<name>.part`` (``move_in`` gives it its name); returns the name.

        Staged before a transaction, the slow part (writing, syncing) holds no lock.
        """
        name = name or f"{secrets.token_hex(16)}.{extension}"
        path = self.path(name)
        new_directory = not path.parent.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        if sync and new_directory:
            _sync_directory(self.root)
        with removed_on_failure(self._part(name)), open(self._part(name), "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        return name

    def move_in(self, names: Iterable[str], *, sync: bool = True) -> None:
        """Rename staged files into place; ``sync`` makes the names durable.

        Durable means the bytes and the name: the file was synced before the rename and its
        directory is after, so a row committed next never points at a file a power cut lost.
        """
        directories = set()
        for name in names:
            os.replace(self._part(name), self.path(name))
            directories.add(self.path(name).parent)
        if sync:
            for directory in directories:
                _sync_directory(directory)

    def _part(self, name: str) -> Path:
        path = self.path(name)
        return path.with_name(path.name + ".part")

    def stage_copy(self, name: str, *, sync: bool = True) -> str:
        """Copy a stored file into a new staged one (see ``stage``); returns its name."""
        new = f"{secrets.token_hex(16)}{Path(name).suffix}"
        self.path(new).parent.mkdir(parents=True, exist_ok=True)
        with removed_on_failure(self._part(new)):
            shutil.copyfile(self.path(name), self._part(new))
            if sync:
                with open(self._part(new), "rb+") as fh:
                    os.fsync(fh.fileno())
        return new

    def copy(self, name: str) -> str:
        new = f"{secrets.token_hex(16)}{Path(name).suffix}"
        self.path(new).parent.mkdir(parents=True, exist_ok=True)
        with removed_on_failure(self.path(new)):
            shutil.copyfile(self.path(name), self.path(new))
        return new

    def remove(self, names: Iterable[str]) -> None:
        """Remove files, staged or moved in."""
        for name in names:
            self.path(name).unlink(missing_ok=True)
            self._part(name).unlink(missing_ok=True)

    def hold_orphans(self, now: datetime, duration: timedelta) -> None:
        """Keep files no row points to until ``now + duration`` (after a restore, say)."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / HOLD_FILE).write_text((now + duration).isoformat())

    def orphans_held(self, now: datetime) -> bool:
        try:
            until = datetime.fromisoformat((self.root / HOLD_FILE).read_text().strip())
        except (OSError, ValueError):
            return False
        return now < until

    def names(self) -> set[str]:
        if not self.root.exists():
            return set()
        return {p.name for p in self.root.glob("??/*") if p.is_file()}


def _sync_directory(path: Path) -> None:
    if os.name != "posix":  # Windows cannot open a directory; NTFS journals renames
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Staged:
    """A processed image in staged files (see ``Store.stage``), waiting for its row."""

    file_name: str
    thumb_name: str
    content_type: str
    width: int
    height: int
    byte_size: int
    digest: str
    thumb_digest: str

    @property
    def names(self) -> tuple[str, str]:
        return self.file_name, self.thumb_name


def stage(store: Store, item: pipeline.Processed) -> Staged:
    """Write a processed image's files (staged, the image synced) and describe them."""
    file_name = store.stage(item.data, pipeline.EXTENSIONS[item.content_type])
    try:
        # A thumbnail can be made again from the image (the start-up sweep does so if a
        # crash lost it), so it is not synced to disk: an upload costs one sync, not two.
        thumb_name = store.stage(item.thumb, "webp", sync=False)
    except BaseException:
        store.remove([file_name])
        raise
    return Staged(
        file_name, thumb_name, item.content_type, item.width, item.height, len(item.data),
        hashlib.sha256(item.data).hexdigest(), hashlib.sha256(item.thumb).hexdigest(),
    )  # fmt: skip


def prepare(
    store: Store, work: pipeline.ImageWork, uploads: Sequence[BinaryIO], field: str = "file"
) -> list[Staged]:
    """Decode, check and re-encode every upload into staged files, or raise a 4xx.

    Run outside any transaction: this is the slow part of an upload. All or none: a file
    that fails removes the ones staged before it.
    """
    work.check_request(uploads, field)
    staged: list[Staged] = []
    try:
        for i, upload in enumerate(uploads):
            staged.append(stage(store, work.process(upload, f"{field}.{i}")))
    except BaseException:
        store.remove(name for item in staged for name in item.names)
        raise
    return staged


@contextmanager
def files_or_nothing(
    session: Session, store: Store | None, names: Iterable[str] = ()
) -> Iterator[list[str]]:
    """A transaction that keeps its image files only if it commits.

    Yields the list of files written (``names`` first, then whatever ``attach`` and
    ``copy_images`` add); on any exception the transaction rolls back and those files are
    removed, so no file is left without its row (a full disk, say).
    """
    written = list(names)
    try:
        yield written
    except BaseException:
        session.rollback()
        if store is not None:
            store.remove(written)
        raise


def attach(
    session: Session,
    store: Store,
    note_id: int,
    staged: Sequence[Staged],
    first_position: int,
    created_at: datetime,
    written: list[str],
) -> list[Image]:
    """Move staged images' files in and add their rows (uncommitted) to a note.

    Every file moved in is appended to ``written`` (if not there yet) so the caller can remove
    them if the transaction fails.
    """
    names = [name for item in staged for name in item.names]
    written.extend(name for name in names if name not in written)
    store.move_in([item.thumb_name for item in staged], sync=False)  # remade if lost
    store.move_in([item.file_name for item in staged])
    images = [
        Image(
            note_id=note_id,
            position=first_position + offset,
            file_name=item.file_name,
            thumb_name=item.thumb_name,
            content_type=item.content_type,
            width=item.width,
            height=item.height,
            byte_size=item.byte_size,
            digest=item.digest,
            thumb_digest=item.thumb_digest,
            created_at=created_at,
        )
        for offset, item in enumerate(staged)
    ]
    session.add_all(images)
    return images


class QuotaError(KaapError):
    status = 507
    code = "quota_exceeded"


def account_image_bytes(session: Session, owner_id: int) -> int:
    """What the owner's images and sync's blobs weigh (the stored files, thumbnails aside)."""
    images = session.scalar(
        select(func.coalesce(func.sum(Image.byte_size), 0))
        .join(Note, Note.id == Image.note_id)
        .where(Note.owner_id == owner_id)
    )
    # A blob a note took a copy of counts once, as that image, until it is pruned.
    taken = (
        select(Image.id)
        .join(Note, Note.id == Image.note_id)
        .where(Note.owner_id == owner_id, Image.digest == SyncBlob.digest)
        .exists()
    )
    blobs = session.scalar(
        select(func.coalesce(func.sum(SyncBlob.byte_size), 0)).where(
            SyncBlob.owner_id == owner_id, ~taken
        )
    )
    return int(images) + int(blobs)


def check_quota(session: Session, owner_id: int, adding: int, quota: int | None) -> None:
    """Refuse ``adding`` bytes of images that would take the owner over ``quota`` (507)."""
    if quota is None:
        return
    used = account_image_bytes(session, owner_id)
    if used + adding > quota or (not adding and used >= quota):
        megabytes = quota / 1024 / 1024
        raise QuotaError(
            f"Your images would take more than {megabytes:g} MB, your account's quota: "
            "delete some images or notes with images first.",
            code="quota_exceeded",
        )


def get_image(session: Session, owner_id: int, image_id: int) -> Image:
    image = session.scalar(
        select(Image)
        .join(Note, Note.id == Image.note_id)
        .where(Image.id == image_id, Note.owner_id == owner_id)
    )
    if image is None:
        raise NotFoundError(f"Image {image_id} does not exist.")
    return image


def file_names_of_notes(session: Session, note_condition) -> list[str]:
    """Every file of the images of the notes matching a condition (before deleting them)."""
    rows = session.execute(
        select(Image.file_name, Image.thumb_name)
        .join(Note, Note.id == Image.note_id)
        .where(note_condition)
    )
    # The files the notes' versions kept (``webapp.history``) go with them.
    return [name for row in rows for name in row] + history.file_names_of_notes(
        session, note_condition
    )


def copy_images(
    session: Session, store: Store, source_id: int, target_id: int, written: list[str]
) -> list[Image]:
    """Give a copied note its own copies of the source's image files (rows uncommitted); each
    file written is appended to ``written``, for the caller to remove if the transaction fails."""
    copies = []
    for image in session.scalars(
        select(Image).where(Image.note_id == source_id).order_by(Image.position)
    ):
        written.append(store.copy(image.file_name))
        written.append(store.copy(image.thumb_name))
        copies.append(
            Image(
                note_id=target_id,
                position=image.position,
                file_name=written[-2],
                thumb_name=written[-1],
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                byte_size=image.byte_size,
                digest=image.digest,
                thumb_digest=image.thumb_digest,
                created_at=image.created_at,
            )
        )
    session.add_all(copies)
    return copies


def _usable(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _remake_thumb(store: Store, file_name: str, thumb_name: str) -> None:
    """Make a lost thumbnail again from its (already clean) image."""
    try:
        with open(store.path(file_name), "rb") as fh:
            processed = pipeline.process(fh, STORED_LIMITS)
    except (KaapError, OSError) as exc:
        log.warning("could not remake the thumbnail of %s: %s", file_name, exc)
        return
    store.write(processed.thumb, "webp", name=thumb_name)
    log.info("remade the lost thumbnail of %s", file_name)


def sweep(session: Session, store: Store, now: datetime | None = None) -> tuple[int, int]:
    """Remove files no row points to and rows whose file is gone; returns both counts.

    Orphan files stay while the store holds them (see ``Store.hold_orphans``).
    """
    on_disk = store.names()
    rows = session.execute(select(Image.id, Image.file_name, Image.thumb_name)).all()
    known = {name for _, file_name, thumb_name in rows for name in (file_name, thumb_name)}
    # Sync's uploaded blobs wait for their note (``webapp.sync.blobs``): not orphans.
    blobs = session.execute(select(SyncBlob.id, SyncBlob.file_name, SyncBlob.thumb_name)).all()
    known |= {name for _, file_name, thumb_name in blobs for name in (file_name, thumb_name)}
    known |= history.all_file_names(session)  # kept for a note's older versions
    orphans = on_disk - known
    if now is not None and store.orphans_held(now):
        orphans = set()
    store.remove(orphans)
    for part in store.root.glob("??/*.part") if store.root.exists() else []:
        part.unlink(missing_ok=True)
    for row in rows:
        if row.file_name in on_disk and not _usable(store.path(row.thumb_name)):
            _remake_thumb(store, row.file_name, row.thumb_name)
            on_disk.add(row.thumb_name)
    lost = [row.id for row in blobs if not {row.file_name, row.thumb_name} <= on_disk]
    if lost:  # a blob is uploaded again when a device hears it is missing
        session.execute(delete(SyncBlob).where(SyncBlob.id.in_(lost)))
        session.commit()
    broken = [row for row in rows if not {row.file_name, row.thumb_name} <= on_disk]
    if broken:
        session.execute(delete(Image).where(Image.id.in_([row.id for row in broken])))
        session.commit()
        store.remove(name for row in broken for name in (row.file_name, row.thumb_name))
    if orphans or broken:
        log.info(
            "image sweep: %d orphan file(s), %d row(s) without a file", len(orphans), len(broken)
        )
    return len(orphans), len(broken)
