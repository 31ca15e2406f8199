"""Import a Takeout or a Kaap export, note by note, reporting every decision."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from webapp.errors import KaapError
from webapp.images.service import Store
from webapp.timeutil import now
from webapp.transfer import kaap_format, keep
from webapp.transfer.archive import ArchiveError, Source
from webapp.transfer.notes import exists, label_for, write
from webapp.transfer.summary import Summary

Progress = Callable[[int, int], None]


def import_path(
    session: Session,
    store: Store,
    owner_id: int,
    location: Path,
    max_pixels: int,
    progress: Progress | None = None,
) -> Summary:
    """Import everything importable from a ``.zip`` or a folder; never raises for bad content.

    A broken archive as a whole is reported as one failure.
    """
    summary = Summary()
    progress = progress or (lambda done, total: None)
    try:
        with Source(location) as source:
            for refusal in source.refused:
                summary.skip(refusal.path, f"refused: {refusal.reason}")
            if kaap_format.is_kaap_export(source):
                _import_kaap(session, store, owner_id, source, max_pixels, summary, progress)
            else:
                _import_keep(session, store, owner_id, source, max_pixels, summary, progress)
    except ArchiveError as exc:
        summary.fail(location.name, str(exc))
    return summary


def _one(session, store, owner_id, path, incoming, max_pixels, summary) -> None:
    if exists(session, owner_id, incoming.uid):
        summary.skip(path, "already imported")
        return
    try:
        write(
            session,
            store,
            owner_id,
            incoming,
            now(),
            max_pixels,
            lambda reason: summary.warn(path, reason),
        )
    except (KaapError, ValueError, OSError) as exc:
        summary.fail(path, getattr(exc, "message", str(exc)))
        return
    summary.imported += 1


def _import_keep(session, store, owner_id, source, max_pixels, summary, progress) -> None:
    for name in keep.label_names(source):
        label_for(session, owner_id, name)
    session.commit()
    files = keep.note_files(source)
    for done, path in enumerate(files, start=1):
        try:
            raw = keep.load_json(source, path)
        except (ValueError, UnicodeDecodeError, ArchiveError) as exc:
            summary.fail(path, f"not valid JSON ({exc})")
            progress(done, len(files))
            continue
        incoming = keep.parse(source, path, raw, lambda reason, p=path: summary.warn(p, reason))
        if incoming is None:
            summary.skip(path, "not a Keep note")
        elif keep.is_empty(incoming):
            summary.skip(path, "empty note")
        else:
            _one(session, store, owner_id, path, incoming, max_pixels, summary)
        progress(done, len(files))
    if not files:
        summary.fail(source.location.name, "no Keep notes found (no .json files)")


def _import_kaap(session, store, owner_id, source, max_pixels, summary, progress) -> None:
    try:
        index = kaap_format.read_index(source)
    except (ValueError, UnicodeDecodeError, ArchiveError) as exc:
        summary.fail(
            kaap_format.INDEX,
            str(exc)
            if not isinstance(exc, json.JSONDecodeError)
            else "kaap.json is not valid JSON",
        )
        return
    for label in index.get("labels") or []:
        if isinstance(label, dict) and isinstance(label.get("name"), str):
            label_for(session, owner_id, label["name"])
    session.commit()
    notes = index.get("notes") if isinstance(index.get("notes"), list) else []
    for done, raw in enumerate(notes, start=1):
        path = f"{kaap_format.INDEX}#notes/{done - 1}"
        try:
            incoming = kaap_format.parse(
                source, raw, lambda reason, p=path: summary.warn(p, reason)
            )
        except ValueError as exc:
            summary.fail(path, str(exc))
        else:
            _one(session, store, owner_id, path, incoming, max_pixels, summary)
        progress(done, len(notes))
