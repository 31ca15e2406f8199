"""Import a Takeout or a Kaap export, note by note, reporting every decision.

Whatever one entry holds (wrong types, deep nesting, a damaged member, numbers no column
takes), it is refused or repaired alone: the rest of the archive still comes in.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from webapp.disk import is_disk_full
from webapp.errors import KaapError
from webapp.images.pipeline import ImageWork
from webapp.images.service import Store
from webapp.timeutil import now
from webapp.transfer import kaap_format, keep
from webapp.transfer.archive import TOTAL_MAX_BYTES, ArchiveError, Source, megabytes
from webapp.transfer.notes import (
    Incoming,
    account_text_bytes,
    exists,
    label_for,
    prepare_images,
    settle,
    text_bytes,
    write,
)
from webapp.transfer.summary import Summary
from webapp.transfer.text import Cleaner, clean

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# (where in the archive, the note or None when already reported, how many read so far)
Pending = Iterator[tuple[str, Incoming | None, int]]

# Images are decoded and re-encoded on worker threads (Pillow releases the GIL) a few notes
# ahead of the one being written; rows are written in order on this thread.
WORKERS = max(2, os.cpu_count() or 2)
AHEAD = 8
# Labels an archive may list besides its notes' own (Labels.txt, kaap.json's "labels").
LABEL_LIST_MAX = 10_000
UNEXPECTED = "could not be imported (an unexpected error; the server's log has the details)"


@dataclass
class Limits:
    """What one import may take in: ``IMPORT_MAX_UNCOMPRESSED_BYTES``,
    ``IMPORT_MAX_TEXT_BYTES`` and, in server mode, the account's ``ACCOUNT_MAX_TEXT_BYTES``."""

    uncompressed_bytes: int = TOTAL_MAX_BYTES
    text_bytes: int | None = None
    account_text_bytes: int | None = None

    @classmethod
    def from_config(cls, config) -> Limits:
        account = config.get("ACCOUNT_MAX_TEXT_BYTES") if config.get("ACCOUNTS") else None
        return cls(
            config.get("IMPORT_MAX_UNCOMPRESSED_BYTES") or TOTAL_MAX_BYTES,
            config.get("IMPORT_MAX_TEXT_BYTES"),
            account,
        )


def import_path(
    session: Session,
    store: Store,
    owner_id: int,
    location: Path | BinaryIO,
    work: ImageWork,
    progress: Progress | None = None,
    name: str | None = None,
    limits: Limits | None = None,
) -> Summary:
    """Import everything importable from a ``.zip`` (a path or an open file) or a folder;
    never raises for bad content.

    A broken archive as a whole is reported as one failure, under ``name`` (what the person
    called the file) or the file's own name.
    """
    summary = Summary()
    progress = progress or (lambda done, total: None)
    limits = limits or Limits()
    label = name or (location.name if isinstance(location, Path) else "the archive")
    try:
        with Source(location, limits.uncompressed_bytes) as source:
            for refusal in source.refused:
                summary.skip(refusal.path, f"refused: {refusal.reason}")
            if kaap_format.is_kaap_export(source):
                pending, total = _kaap_notes(session, owner_id, source, summary)
            else:
                pending, total = _keep_notes(session, owner_id, source, summary, label)
            budget = _Budget.of(session, owner_id, limits)
            _write_all(session, store, owner_id, pending, work, summary, progress, total, budget)
    except ArchiveError as exc:
        summary.fail(label, str(exc))
    return summary


class _Budget:
    """The text this import may still add, and what to say when a note would exceed it."""

    def __init__(self, left: int | None, why: str) -> None:
        self.left, self.why = left, why

    @classmethod
    def of(cls, session: Session, owner_id: int, limits: Limits) -> _Budget:
        left, why = limits.text_bytes, ""
        if left is not None:
            why = f"this import holds over {megabytes(left)} of text (IMPORT_MAX_TEXT_BYTES)"
        if limits.account_text_bytes is not None:
            room = max(0, limits.account_text_bytes - account_text_bytes(session, owner_id))
            if left is None or room < left:
                left = room
                why = (
                    f"your notes would hold over {megabytes(limits.account_text_bytes)} of "
                    "text, your account's quota"
                )
        return cls(left, why)

    def fits(self, cost: int) -> bool:
        return self.left is None or cost <= self.left

    def spend(self, cost: int) -> None:
        if self.left is not None:
            self.left -= cost


def _write_all(session, store, owner_id, pending: Pending, work, summary, progress, total, budget):
    """Write the notes in order, their images prepared in parallel."""
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="kaap-import-images") as pool:
        window: deque = deque()

        def submit() -> None:
            for path, incoming, done in pending:
                new = incoming is not None and not exists(session, owner_id, incoming.uid)
                job = pool.submit(prepare_images, incoming, store, work) if new else None
                window.append((path, incoming, done, new, job))
                return

        for _ in range(AHEAD):
            submit()
        while window:
            path, incoming, done, new, job = window.popleft()
            cost = text_bytes(incoming) if new else 0
            if not budget.fits(cost):
                summary.stop(
                    path,
                    f"the import stopped here: {budget.why}; this note and the "
                    f"{total - done} entries after it were not imported",
                )
                for *_, later in window:
                    if later is not None:
                        later.cancel()
                return
            submit()
            if incoming is not None and not new:
                summary.skip(path, "already imported")
            elif incoming is not None:
                # End the read ``exists`` began (a job's takes the write lock) before waiting
                # for the images: the lock is held only while the note is written.
                session.commit()
                prepared = _prepared(job, path)
                if _write_one(session, store, owner_id, path, incoming, prepared, summary):
                    budget.spend(cost)  # a note refused costs nothing
            progress(done, total)


def _prepared(job, path: str) -> tuple[list, list[str]]:
    """The note's processed images; an image no decoder foresaw costs only that image."""
    try:
        return job.result()
    except Exception as exc:
        if is_disk_full(exc):
            raise
        log.exception("import: the images of %s failed", path)
        return [], ["its images were not imported (an unexpected error; see the server's log)"]


def _write_one(session, store, owner_id, path, incoming, prepared, summary) -> bool:
    processed, warnings = prepared
    for reason in warnings:
        summary.warn(path, reason)
    try:
        write(session, store, owner_id, incoming, now(), processed)
    except IntegrityError:
        summary.skip(path, "already imported (the archive holds it twice)")
        return False
    except (KaapError, ValueError) as exc:
        summary.fail(path, getattr(exc, "message", str(exc)))
        return False
    except SQLAlchemyError as exc:
        if is_disk_full(exc):
            raise  # every next note would fail the same way: the import stops, saying why
        # The database's own words hold SQL and values: the log has them, the person not.
        log.exception("import: the database refused %s", path)
        summary.fail(path, "could not be stored (the database refused it)")
        return False
    except OSError as exc:
        if is_disk_full(exc):
            raise
        log.exception("import: writing %s failed", path)
        summary.fail(path, "could not be stored (a disk error)")
        return False
    except Exception:  # write() rolled back: the next note starts clean
        log.exception("import: writing %s failed", path)
        summary.fail(path, UNEXPECTED)
        return False
    summary.imported += 1
    return True


def _one_entry(summary: Summary, path: str, read: Callable[[], Incoming | None]):
    """``read()``, with anything it raises reported as this entry's failure."""
    try:
        return read()
    except RecursionError:
        summary.fail(path, "not valid JSON (nested too deeply)")
    except ArchiveError as exc:
        summary.fail(path, str(exc))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        summary.fail(path, f"not valid JSON ({exc})")
    except ValueError as exc:  # what the parsers say is wrong with the entry
        summary.fail(path, str(exc))
    except Exception:  # a malformed entry Kaap did not foresee still fails alone
        log.exception("import: reading %s failed", path)
        summary.fail(path, UNEXPECTED)
    return None


def _keep_note(source: Source, path: str, summary: Summary) -> Incoming | None:
    def warn(why: str) -> None:
        summary.warn(path, why)

    raw, warnings = clean(keep.load_json(source, path))
    for why in warnings:
        warn(why)
    incoming = keep.parse(source, path, raw, warn)
    if incoming is None:
        summary.skip(path, "not a Keep note")
        return None
    if keep.is_empty(incoming):
        summary.skip(path, "empty note")
        return None
    settle(incoming, warn)
    return incoming


def _keep_notes(session, owner_id, source: Source, summary: Summary, name) -> tuple[Pending, int]:
    _listed_labels(session, owner_id, summary, *_labels_txt(source, summary))
    files = keep.note_files(source)
    if not files:
        summary.fail(name, "no Keep notes found (no .json files)")

    def pending() -> Pending:
        for done, path in enumerate(files, start=1):
            incoming = _one_entry(summary, path, lambda p=path: _keep_note(source, p, summary))
            yield path, incoming, done

    return pending(), len(files)


def _labels_txt(source: Source, summary: Summary) -> tuple[str, list[str]]:
    path = keep.labels_file(source)
    if path is None:
        return "Labels.txt", []
    try:
        return path, keep.label_names(source, path)
    except ArchiveError as exc:
        summary.fail(path, str(exc))
        return path, []


def _listed_labels(session, owner_id, summary: Summary, path: str, names: list) -> None:
    """The labels an archive lists, created when missing (each alone: one bad name is one
    warning)."""
    names = [name for name in names if isinstance(name, str)]
    if len(names) > LABEL_LIST_MAX:
        summary.warn(path, f"only the first {LABEL_LIST_MAX:,} of {len(names):,} labels listed")
        names = names[:LABEL_LIST_MAX]
    cleaner = Cleaner()
    for name in names:
        try:
            label_for(session, owner_id, cleaner.text(name))
            session.commit()
        except SQLAlchemyError:
            session.rollback()
            log.exception("import: label %r refused", name[:60])
            summary.warn(path, f"label {name[:60]!r} could not be created")
    for why in cleaner.warnings():
        summary.warn(path, why)


def _kaap_note(source: Source, raw, path: str, summary: Summary) -> Incoming:
    def warn(why: str) -> None:
        summary.warn(path, why)

    incoming = kaap_format.parse(source, raw, warn)
    settle(incoming, warn)
    return incoming


def _kaap_notes(session, owner_id, source: Source, summary: Summary) -> tuple[Pending, int]:
    index = _one_entry(summary, kaap_format.INDEX, lambda: kaap_format.read_index(source))
    if index is None:
        return iter(()), 0
    index, warnings = clean(index)
    for why in warnings:
        summary.warn(kaap_format.INDEX, why)
    labels = index.get("labels") if isinstance(index.get("labels"), list) else []
    names = [label.get("name") for label in labels if isinstance(label, dict)]
    _listed_labels(session, owner_id, summary, kaap_format.INDEX, names)
    notes = index.get("notes") if isinstance(index.get("notes"), list) else []

    def pending() -> Pending:
        for done, (number, raw) in enumerate(kaap_format.in_own_order(notes), start=1):
            path = f"{kaap_format.INDEX}#notes/{number}"
            incoming = _one_entry(
                summary, path, lambda r=raw, p=path: _kaap_note(source, r, p, summary)
            )
            yield path, incoming, done

    return pending(), len(notes)
