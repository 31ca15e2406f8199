"""Import a Takeout or a Kaap export, note by note, reporting every decision."""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.disk import is_disk_full
from webapp.errors import KaapError
from webapp.images.service import Store
from webapp.timeutil import now
from webapp.transfer import kaap_format, keep
from webapp.transfer.archive import ArchiveError, Source
from webapp.transfer.notes import Incoming, exists, label_for, prepare_images, write
from webapp.transfer.summary import Summary
from webapp.unicode import replace_surrogates

Progress = Callable[[int, int], None]
# (where in the archive, the note or None when already reported, how many read so far)
Pending = Iterator[tuple[str, Incoming | None, int]]

# Images are decoded and re-encoded on worker threads (Pillow releases the GIL) a few notes
# ahead of the one being written; rows are written in order on this thread.
WORKERS = max(2, os.cpu_count() or 2)
AHEAD = 8


def import_path(
    session: Session,
    store: Store,
    owner_id: int,
    location: Path,
    max_pixels: int,
    progress: Progress | None = None,
    name: str | None = None,
) -> Summary:
    """Import everything importable from a ``.zip`` or a folder; never raises for bad content.

    A broken archive as a whole is reported as one failure, under ``name`` (what the person
    called the file) or the file's own name.
    """
    summary = Summary()
    progress = progress or (lambda done, total: None)
    try:
        with Source(location) as source:
            for refusal in source.refused:
                summary.skip(refusal.path, f"refused: {refusal.reason}")
            if kaap_format.is_kaap_export(source):
                pending, total = _kaap_notes(session, owner_id, source, summary)
            else:
                pending, total = _keep_notes(session, owner_id, source, summary, name)
            _write_all(session, store, owner_id, pending, max_pixels, summary, progress, total)
    except ArchiveError as exc:
        summary.fail(name or location.name, str(exc))
    return summary


def _write_all(session, store, owner_id, pending: Pending, max_pixels, summary, progress, total):
    """Write the notes in order, their images prepared in parallel."""
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="kaap-import-images") as pool:
        window: deque = deque()

        def submit() -> None:
            for path, incoming, done in pending:
                new = incoming is not None and not exists(session, owner_id, incoming.uid)
                job = pool.submit(prepare_images, incoming, max_pixels) if new else None
                window.append((path, incoming, done, new, job))
                return

        for _ in range(AHEAD):
            submit()
        while window:
            path, incoming, done, new, job = window.popleft()
            submit()
            if incoming is not None and not new:
                summary.skip(path, "already imported")
            elif incoming is not None:
                _write_one(session, store, owner_id, path, incoming, job.result(), summary)
            progress(done, total)


def _write_one(session, store, owner_id, path, incoming, prepared, summary) -> None:
    processed, warnings = prepared
    for reason in warnings:
        summary.warn(path, reason)
    try:
        write(session, store, owner_id, incoming, now(), processed)
    except IntegrityError:
        summary.skip(path, "already imported (the archive holds it twice)")
        return
    except (KaapError, ValueError, OSError) as exc:
        if is_disk_full(exc):
            raise  # every next note would fail the same way: the import stops, saying why
        summary.fail(path, getattr(exc, "message", str(exc)))
        return
    summary.imported += 1


def _keep_notes(session, owner_id, source: Source, summary: Summary, name) -> tuple[Pending, int]:
    for name in keep.label_names(source):
        label_for(session, owner_id, name)
    session.commit()
    files = keep.note_files(source)
    if not files:
        summary.fail(name or source.location.name, "no Keep notes found (no .json files)")

    def pending() -> Pending:
        for done, path in enumerate(files, start=1):
            try:
                raw = keep.load_json(source, path)
            except (ValueError, UnicodeDecodeError, ArchiveError) as exc:
                summary.fail(path, f"not valid JSON ({exc})")
                yield path, None, done
                continue
            raw, replaced = replace_surrogates(raw)
            if replaced:
                summary.warn(path, _replaced(replaced))
            incoming = keep.parse(source, path, raw, lambda why, p=path: summary.warn(p, why))
            if incoming is None:
                summary.skip(path, "not a Keep note")
            elif keep.is_empty(incoming):
                summary.skip(path, "empty note")
                incoming = None
            yield path, incoming, done

    return pending(), len(files)


def _kaap_notes(session, owner_id, source: Source, summary: Summary) -> tuple[Pending, int]:
    try:
        index = kaap_format.read_index(source)
    except json.JSONDecodeError:
        summary.fail(kaap_format.INDEX, "kaap.json is not valid JSON")
        return iter(()), 0
    except (ValueError, UnicodeDecodeError, ArchiveError) as exc:
        summary.fail(kaap_format.INDEX, str(exc))
        return iter(()), 0
    index, replaced = replace_surrogates(index)
    if replaced:
        summary.warn(kaap_format.INDEX, _replaced(replaced))
    for label in index.get("labels") or []:
        if isinstance(label, dict) and isinstance(label.get("name"), str):
            label_for(session, owner_id, label["name"])
    session.commit()
    notes = index.get("notes") if isinstance(index.get("notes"), list) else []

    def pending() -> Pending:
        for done, raw in enumerate(notes, start=1):
            path = f"{kaap_format.INDEX}#notes/{done - 1}"
            try:
                incoming = kaap_format.parse(source, raw, lambda why, p=path: summary.warn(p, why))
            except ValueError as exc:
                summary.fail(path, str(exc))
                incoming = None
            yield path, incoming, done

    return pending(), len(notes)


def _replaced(count: int) -> str:
    # JSON can hold half of an emoji ("\ud83d" alone): not text that SQLite can store.
    many = count > 1
    return (
        f"{count} character{'s' if many else ''} {'were' if many else 'was'} not valid Unicode "
        "(half of an emoji, say) and became \ufffd"
    )
