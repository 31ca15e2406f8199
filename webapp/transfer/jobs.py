"""Imports run in a background thread with progress the page can poll; the app stays usable."""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, g

from webapp.disk import full_message, is_disk_full
from webapp.extensions import db
from webapp.transfer.importer import import_path

log = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    owner_id: int = 0  # only its owner may see it
    status: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 0
    summary: dict | None = None
    error: str | None = None
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

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str, owner_id: int) -> Job | None:
        """The owner's job; another owner's is as good as missing."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner_id == owner_id else None

    def start_import(
        self,
        app: Flask,
        owner_id: int,
        upload: Path,
        *,
        delete_after: bool,
        name: str | None = None,
    ) -> Job:
        job = Job(secrets.token_urlsafe(12), owner_id)
        with self._lock:
            self._jobs[job.id] = job
        thread = threading.Thread(
            target=self._run,
            args=(app, job, owner_id, upload, delete_after, name),
            name=f"kaap-import-{job.id}",
            daemon=True,
        )
        thread.start()
        return job

    def _run(self, app, job: Job, owner_id: int, upload: Path, delete_after: bool, name) -> None:
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
                    owner_id,
                    upload,
                    app.config["IMAGE_MAX_PIXELS"],
                    progress,
                    name,
                )
                with job._lock:
                    job.summary, job.status = summary.as_json(), "done"
            except Exception as exc:  # a bug must end the job, not hang the page polling it
                log.exception("import %s failed", job.id)
                error = f"The import stopped: {exc}"
                if is_disk_full(exc):
                    db.session.rollback()
                    folder = Path(app.config["DATA_DIR"])
                    needed = app.config["DISK_MIN_FREE_BYTES"]
                    error = full_message(folder, needed, "the import stopped")
                with job._lock:
                    job.status, job.error = "failed", error
            finally:
                db.session.remove()
                if delete_after:
                    upload.unlink(missing_ok=True)
