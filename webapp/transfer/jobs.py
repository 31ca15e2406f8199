"""Imports run in a background thread with progress the page can poll; the app stays usable.

The jobs live in this process's memory, so their number is bounded: one import at a time per
owner (and ``RUNNING_MAX`` in all), and a finished job is forgotten ``FINISHED_TTL`` seconds
after it ended, or sooner when its owner has ``FINISHED_PER_OWNER`` newer ones.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from flask import Flask, g

from webapp import images
from webapp.disk import full_message, is_database_server_full, is_disk_full
from webapp.errors import ConflictError, KaapError
from webapp.extensions import db
from webapp.transfer.importer import Limits, import_path

log = logging.getLogger(__name__)

RUNNING_MAX = 4
FINISHED_TTL = 3600.0
FINISHED_PER_OWNER = 5
FINISHED_MAX = 200


class ImportsBusyError(KaapError):
    status = 503
    code = "imports_busy"


@dataclass
class Job:
    id: str
    owner_id: int = 0  # only its owner may see it
    status: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 0
    summary: dict | None = None
    error: str | None = None
    finished_at: float | None = None  # on the jobs' clock
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_json(self) -> dict:
        with self._lock:
            return {
                "id": self.id,
                "status": self.status,
                "done": self.done,
                "total": self.total,
                "summary": self.summary,
                "error": self.error,
            }


class Jobs:
    """The import jobs of this process (kept in ``app.extensions``; gone at restart)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def get(self, job_id: str, owner_id: int) -> Job | None:
        """The owner's job; another owner's is as good as missing."""
        with self._lock:
            self._forget()
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner_id == owner_id else None

    def __len__(self) -> int:
        with self._lock:
            self._forget()
            return len(self._jobs)

    def start_import(
        self,
        app: Flask,
        owner_id: int,
        upload: BinaryIO,
        *,
        name: str | None = None,
    ) -> Job:
        """Import ``upload`` (an open zip, closed once the job ends) in a new thread."""
        job = Job(secrets.token_urlsafe(12), owner_id)
        with self._lock:
            self._forget()
            running = [j for j in self._jobs.values() if j.finished_at is None]
            if any(j.owner_id == owner_id for j in running):
                raise ConflictError(
                    "An import is already running; wait for it to finish.", code="import_running"
                )
            if len(running) >= RUNNING_MAX:
                raise ImportsBusyError("Too many imports are running; try again in a minute.")
            self._jobs[job.id] = job
        thread = threading.Thread(
            target=self._run,
            args=(app, job, upload, name),
            name=f"kaap-import-{job.id}",
            daemon=True,
        )
        thread.start()
        return job

    def _forget(self) -> None:
        """Drop expired finished jobs, then the oldest beyond the per-owner and total caps."""
        cutoff = self._clock() - FINISHED_TTL
        finished = sorted(
            (j for j in self._jobs.values() if j.finished_at is not None),
            key=lambda j: j.finished_at,
            reverse=True,
        )
        kept: dict[int, int] = {}
        for rank, job in enumerate(finished):
            kept[job.owner_id] = kept.get(job.owner_id, 0) + 1
            too_many = kept[job.owner_id] > FINISHED_PER_OWNER or rank >= FINISHED_MAX
            if too_many or job.finished_at < cutoff:
                del self._jobs[job.id]

    def _run(self, app, job: Job, upload: BinaryIO, name) -> None:
        def progress(done: int, total: int) -> None:
            with job._lock:
                job.done, job.total = done, total

        with app.app_context():
            g.kaap_write = True  # take the write lock up front, like a writing request
            with job._lock:
                job.status = "running"
            try:
                summary = import_path(
                    db.session,
                    app.extensions["kaap.images"],
                    job.owner_id,
                    upload,
                    images.work(app),
                    progress,
                    name,
                    Limits.from_config(app.config),
                )
                with job._lock:
                    job.summary, job.status = summary.as_json(), "done"
                    job.error = summary.stopped
            except Exception as exc:  # a bug must end the job, not hang the page polling it
                # Never the exception's text: a database's holds SQL and values.
                log.exception("import %s failed", job.id)
                error = (
                    "The import stopped on an unexpected error (the server's log has the "
                    "details); the notes imported before it are kept."
                )
                if is_database_server_full(exc):
                    db.session.rollback()
                    error = (
                        "The database server's disk is full, so the import stopped: make room "
                        "on the disk of the PostgreSQL server; the notes imported before are kept."
                    )
                elif is_disk_full(exc):
                    db.session.rollback()
                    folder = Path(app.config["DATA_DIR"])
                    needed = app.config["DISK_MIN_FREE_BYTES"]
                    error = full_message(folder, needed, "the import stopped")
                with job._lock:
                    job.status, job.error = "failed", error
            finally:
                db.session.remove()
                upload.close()
                with self._lock, job._lock:
                    job.finished_at = self._clock()
