"""Check the .deb as a person would use it: ``make check-deb`` (as root; CI runs it).

Installs dist/kaap_<version>_<arch>.deb with apt (which brings its Depends), runs the command of
the installed menu entry with ``--self-test`` (under ``xvfb-run`` without a display), checks
/usr/bin/kaap, the icons and the menu entry, then removes the package and checks that
/opt/kaap went with it.
"""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_build

import deb

DESKTOP_FILE = Path("/usr/share/applications") / f"{deb.PACKAGE}.desktop"
# Exec= field codes (%U, %f...): the menu fills them with files or URLs; a plain launch has none.
FIELD_CODES = {f"%{c}" for c in "fFuUdDnNickvm"}


def menu_command(desktop_file: Path = DESKTOP_FILE, action: str | None = None) -> list[str]:
    """The command line a menu runs for the entry (or one of its actions), without field codes."""
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read_string(desktop_file.read_text())
    group = f"Desktop Action {action}" if action else "Desktop Entry"
    return [arg for arg in shlex.split(entry[group]["Exec"]) if arg not in FIELD_CODES]


def expected_paths() -> set[str]:
    """What the package must hold, as ``dpkg-deb --contents`` names it."""
    icons = {f"./usr/share/icons/hicolor/{n}x{n}/apps/{deb.PACKAGE}.png" for n in deb.ICON_SIZES}
    return icons | {
        f"./{deb.PREFIX}/{deb.PACKAGE}",
        f"./usr/bin/{deb.PACKAGE}",
        f"./usr/share/applications/{deb.PACKAGE}.desktop",
    }


def package_problems(package: Path) -> list[str]:
    """What ``dpkg-deb`` finds wrong with the file itself, before installing it."""
    info = subprocess.run(["dpkg-deb", "--info", str(package)], capture_output=True, text=True)
    if info.returncode != 0:
        return [f"dpkg-deb --info: {info.stderr.strip()}"]
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(package)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    # "-rwxr-xr-x root/root 123 2026-12-01 15:47 ./opt/kaap/kaap" (a link adds " -> target")
    paths = {line.split(None, 5)[5].split(" -> ")[0] for line in listing}
    owners = {line.split()[1] for line in listing}
    problems = [f"{path} is not in the package" for path in sorted(expected_paths() - paths)]
    if owners != {"root/root"}:
        problems.append(f"files owned by {sorted(owners)}, not root/root")
    return problems


def apt(*args: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "-y", "-qq", *args], check=True, env=env)


def installed_files_ok() -> list[str]:
    """What is missing or wrong among the installed package's files."""
    problems = []
    usr_bin = Path("/usr/bin") / deb.PACKAGE
    if not (usr_bin.exists() and os.access(usr_bin, os.X_OK)):
        problems.append(f"{usr_bin} is not an executable")
    for size in deb.ICON_SIZES:
        icon = Path(f"/usr/share/icons/hicolor/{size}x{size}/apps/{deb.PACKAGE}.png")
        if not icon.is_file():
            problems.append(f"no icon {icon}")
    if not DESKTOP_FILE.is_file():
        problems.append(f"no menu entry {DESKTOP_FILE}")
    elif shutil.which("desktop-file-validate"):
        result = subprocess.run(
            ["desktop-file-validate", str(DESKTOP_FILE)], capture_output=True, text=True
        )
        if result.returncode != 0 or result.stdout.strip():
            problems.append(f"desktop-file-validate: {result.stdout.strip()}")
    return problems


def main() -> int:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("FAIL: installing the package needs root and apt-get", file=sys.stderr)
        return 1
    started = time.monotonic()
    package = deb.build.DIST / f"{deb.PACKAGE}_{deb.version()}_{deb.architecture()}.deb"
    problems = package_problems(package)
    if problems:
        print("\n".join(f"FAIL: {problem}" for problem in problems), file=sys.stderr)
        return 1
    apt("install", str(package))  # a path: apt installs the file and its Depends
    try:
        problems = installed_files_ok()
        command = menu_command()
        print(f"the menu entry runs {shlex.join(command)}")
        if not check_build.self_test(command):
            problems.append("the self-test of the installed package failed")
    finally:
        apt("remove", deb.PACKAGE)
    for gone in (Path("/") / deb.PREFIX, Path("/usr/bin") / deb.PACKAGE, DESKTOP_FILE):
        if gone.exists() or gone.is_symlink():
            problems.append(f"{gone} is still there after apt-get remove")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"the package installed, passed its self-test and left: {time.monotonic() - started:.0f} s"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
