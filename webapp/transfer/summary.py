"""What an import did, note by note: imported, skipped, failed, each with reasons.

An archive may hold 100,000 entries, each a reason: the summary keeps the first
``ENTRIES_MAX`` of each kind (and counts them all), so an import's memory and the job's
answer stay small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENTRIES_MAX = 200
FILE_MAX = 300  # characters of a path (a zip member's name can be 65,535 long)
REASON_MAX = 500


def _entry(path: str, reason: str) -> dict:
    if len(path) > FILE_MAX:
        path = path[: FILE_MAX - 1] + "…"
    if len(reason) > REASON_MAX:
        reason = reason[: REASON_MAX - 1] + "…"
    return {"file": path, "reason": reason}


@dataclass
class Summary:
    imported: int = 0
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    # How many of each there were, listed or not.
    totals: dict[str, int] = field(
        default_factory=lambda: {"skipped": 0, "failed": 0, "warnings": 0}
    )
    # Why the import stopped before the end (a quota), if it did.
    stopped: str | None = None
    entries_max: int = ENTRIES_MAX

    def _add(self, kind: str, path: str, reason: str) -> None:
        self.totals[kind] += 1
        rows = getattr(self, kind)
        if len(rows) < self.entries_max:
            rows.append(_entry(path, reason))

    def skip(self, path: str, reason: str) -> None:
        self._add("skipped", path, reason)

    def fail(self, path: str, reason: str) -> None:
        self._add("failed", path, reason)

    def warn(self, path: str, reason: str) -> None:
        self._add("warnings", path, reason)

    def stop(self, path: str, reason: str) -> None:
        self.stopped = reason
        self.fail(path, reason)

    def as_json(self) -> dict:
        return {
            "imported": self.imported,
            "skipped": self.skipped,
            "failed": self.failed,
            "warnings": self.warnings,
            "totals": dict(self.totals),
            "stopped": self.stopped,
        }
