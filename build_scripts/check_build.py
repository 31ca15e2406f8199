"""Check the built executable: its size (Linux: at most 60 MB), that it says what is missing
without a display, and that its ``--self-test`` passes (under ``xvfb-run`` without a display).

``make check-build`` runs this after ``make build``; CI runs it after ``make test``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINUX_MB = 60


def executable() -> Path:
    if sys.platform == "win32":
        return ROOT / "dist" / "Kaap.exe"
    if sys.platform == "darwin":
        return ROOT / "dist" / "Kaap.app" / "Contents" / "MacOS" / "Kaap"
    return ROOT / "dist" / "Kaap"


def main() -> int:
    exe = executable()
    size_mb = exe.stat().st_size / 1e6
    print(f"{exe.relative_to(ROOT)}: {size_mb:.1f} MB")
    linux = sys.platform.startswith("linux")
    if linux and size_mb > MAX_LINUX_MB:
        print(f"FAIL: larger than {MAX_LINUX_MB} MB", file=sys.stderr)
        return 1

    if linux:
        bare = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        result = subprocess.run([exe], env=bare, capture_output=True, text=True, timeout=60)
        if result.returncode != 2 or "DISPLAY" not in result.stderr:
            print(f"FAIL: without a display: {result.returncode} {result.stderr}", file=sys.stderr)
            return 1
        print(f"without a display: exit 2, {result.stderr.strip()!r}")

    command = [str(exe), "--self-test"]
    if linux and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        if not shutil.which("xvfb-run"):
            print("FAIL: no display and no xvfb-run (apt-get install xvfb xauth)", file=sys.stderr)
            return 1
        command = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", *command]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    print(result.stdout.strip())
    if result.returncode != 0:
        print(f"FAIL: self-test exited {result.returncode}\n{result.stderr}", file=sys.stderr)
        return 1
    print(f"self-test of the executable passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
