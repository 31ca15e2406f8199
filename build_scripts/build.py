"""Build the one-file executable from app.spec: ``python build_scripts/build.py``."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACT = {"win32": "Kaap.exe", "darwin": "Kaap.app"}.get(sys.platform, "Kaap")


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def main() -> int:
    started = time.monotonic()
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
               "--log-level", "WARN", "--distpath", str(ROOT / "dist"),
               "--workpath", str(ROOT / "build"), str(ROOT / "app.spec")]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT)
    out = ROOT / "dist" / ARTIFACT
    print(f"built {out} ({size_mb(out):.1f} MB) in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
