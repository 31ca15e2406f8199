"""What an import did, note by note: imported, skipped, failed, each with reasons."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Summary:
    imported: int = 0
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append({"file": path, "reason": reason})

    def fail(self, path: str, reason: str) -> None:
        self.failed.append({"file": path, "reason": reason})

    def warn(self, path: str, reason: str) -> None:
        self.warnings.append({"file": path, "reason": reason})

    def as_json(self) -> dict:
        return {
            "imported": self.imported,
            "skipped": self.skipped,
            "failed": self.failed,
            "warnings": self.warnings,
        }
