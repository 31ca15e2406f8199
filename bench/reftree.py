"""Another commit of this repository, checked out beside it for a before/after run."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


class RefTree:
    """``ref`` checked out in a temporary ``git worktree``; ``with`` gives its path and
    removes it at the end."""

    def __init__(self, ref: str):
        self.ref = ref
        self.commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
        self.parent = Path(tempfile.mkdtemp(prefix="kaap-bench-ref-"))
        self.path = self.parent / "tree"

    def __enter__(self) -> Path:
        git("worktree", "add", "--detach", "--quiet", str(self.path), self.commit)
        return self.path

    def __exit__(self, *exc) -> None:
        subprocess.run(["git", "worktree", "remove", "--force", str(self.path)], cwd=ROOT)
        shutil.rmtree(self.parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT)

    def describe(self) -> str:
        """Both commits, for a heading: ``abc1234 vs main (def5678)``."""
        head = git("rev-parse", "--short", "HEAD")
        if git("status", "--porcelain", "--untracked-files=no"):
            head += " with uncommitted changes"
        return f"{head} vs {self.ref} ({self.commit[:7]})"
