"""Build Kaap from app.spec: ``python build_scripts/build.py``.

Linux: the one-file executable dist/Kaap and the folder dist/kaap/ (for the .deb), from one
PyInstaller Analysis. Windows: dist/Kaap.exe. macOS: dist/Kaap.app.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
ARTIFACTS = {
    "win32": ["Kaap.exe"],
    "darwin": ["Kaap.app"],
}.get(sys.platform, ["Kaap", "kaap"])
# What the build is made of: a newer file here means the build is stale.
INPUTS = (
    "app.spec",
    "build_scripts/bundle.py",
    "build_scripts/kaap_entry.py",
    "build_scripts/rthook_system_typelibs.py",
    "desktop",
    "webapp",
    *sorted(p.name for p in ROOT.glob("requirements*.txt")),
)


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def newest_input(root: Path = ROOT) -> float:
    """The latest modification time among the build's inputs (caches left out)."""
    newest = 0.0
    for name in INPUTS:
        top = root / name
        for path in [top, *top.rglob("*")] if top.is_dir() else [top]:
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def fresh(output: Path, root: Path = ROOT) -> bool:
    """Whether ``output`` exists and was built after every input last changed."""
    return output.exists() and output.stat().st_mtime > newest_input(root)


def main() -> int:
    started = time.monotonic()
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
               "--log-level", "WARN", "--distpath", str(DIST),
               "--workpath", str(ROOT / "build"), str(ROOT / "app.spec")]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT)
    for name in ARTIFACTS:
        out = DIST / name
        print(f"built {out} ({size_mb(out):.1f} MB)")
    print(f"PyInstaller took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
