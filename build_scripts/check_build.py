"""Check the builds: the one file's size (Linux: at most 25 MB), that it says what is missing
without a display, that no library of the distribution slipped into the bundle, and that the
``--self-test`` of each build passes (the one file and, on Linux, the folder dist/kaap/; under
``xvfb-run`` without a display).

``make check-build`` runs this after ``make build``; CI runs it after ``make test``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle

ROOT = Path(__file__).resolve().parents[1]
MAX_LINUX_MB = 25
LINUX = sys.platform.startswith("linux")


def executables() -> list[Path]:
    if sys.platform == "win32":
        return [ROOT / "dist" / "Kaap.exe"]
    if sys.platform == "darwin":
        return [ROOT / "dist" / "Kaap.app" / "Contents" / "MacOS" / "Kaap"]
    return [ROOT / "dist" / "Kaap", ROOT / "dist" / "kaap" / "kaap"]


def with_display(command: list[str]) -> list[str]:
    """The command under xvfb-run when there is no display (Linux)."""
    if LINUX and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        if not shutil.which("xvfb-run"):
            raise SystemExit("FAIL: no display and no xvfb-run (apt-get install xvfb xauth)")
        return ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", *command]
    return command


def self_test(command: list[str]) -> bool:
    """Run ``command --self-test`` on a fresh data directory; print how it went."""
    with tempfile.TemporaryDirectory() as home:
        # A data directory of its own: never the user's notes, nor a running Kaap's instance.
        env = {**os.environ, "XDG_DATA_HOME": home, "XDG_CONFIG_HOME": home}
        started = time.monotonic()
        result = subprocess.run(
            with_display([*command, "--self-test"]),
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    print(result.stdout.strip())
    if result.returncode != 0:
        print(f"FAIL: {command[0]} --self-test exited {result.returncode}\n{result.stderr}",
              file=sys.stderr)  # fmt: skip
        return False
    print(f"self-test of {command[0]} passed in {time.monotonic() - started:.1f} s")
    return True


def system_libraries(onedir: Path) -> list[str]:
    """Shared libraries in the folder build that the system should have provided instead."""
    names = {Path(s).name for d in bundle.SYSTEM_LIB_DIRS for s in _listing(Path(d))}
    return sorted(
        str(p.relative_to(onedir))
        for p in onedir.rglob("lib*.so*")
        if p.name in names and not p.name.startswith("libpython")
    )


def _listing(folder: Path) -> list[str]:
    found = []
    for sub in [folder, *folder.glob("*-linux-gnu*")]:
        if sub.is_dir():
            found += [str(p) for p in sub.glob("lib*.so*")]
    return found


def main() -> int:
    exes = executables()
    onefile = exes[0]
    size_mb = onefile.stat().st_size / 1e6
    print(f"{onefile.relative_to(ROOT)}: {size_mb:.1f} MB")
    if LINUX and size_mb > MAX_LINUX_MB:
        print(f"FAIL: larger than {MAX_LINUX_MB} MB", file=sys.stderr)
        return 1

    if LINUX:
        leaked = system_libraries(ROOT / "dist" / "kaap")
        if leaked:
            print(f"FAIL: the system's libraries were bundled: {leaked}", file=sys.stderr)
            return 1
        bare = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        result = subprocess.run([onefile], env=bare, capture_output=True, text=True, timeout=60)
        if result.returncode != 2 or "DISPLAY" not in result.stderr:
            print(f"FAIL: without a display: {result.returncode} {result.stderr}", file=sys.stderr)
            return 1
        print(f"without a display: exit 2, {result.stderr.strip()!r}")

    return 0 if all([self_test([str(exe)]) for exe in exes]) else 1


if __name__ == "__main__":
    sys.exit(main())
