"""Build the Debian/Ubuntu package dist/kaap_<version>_<arch>.deb: ``make deb``.

The onedir build (dist/kaap/, rebuilt by build_scripts/build.py only when stale) goes to
/opt/kaap, with /usr/bin/kaap, a menu entry and hicolor icons; ``dpkg-deb --root-owner-group``
packs it. The system libraries the bundle leaves out (build_scripts/bundle.py) become
``Depends:``, found by dpkg-shlibdeps as Debian's own packages do, plus what only GObject
introspection loads at run time (no ELF file names it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build

ROOT = build.ROOT
PACKAGE = "kaap"
ONEDIR = build.DIST / PACKAGE
PREFIX = Path("opt") / PACKAGE
ICON_SOURCE = ROOT / "webapp" / "static" / "icons" / "kaap-512.png"
ICON_SIZES = (48, 64, 128, 256, 512)
MAINTAINER = os.environ.get("KAAP_DEB_MAINTAINER", "Kaap maintainers <kaap@localhost>")
# Loaded through GObject introspection (typelibs, and the libraries they name), so no ELF file
# of the bundle links to them: pywebview's GTK back end imports Gtk, Gdk, GLib, Soup, WebKit2.
GI_DEPENDS = (
    "gir1.2-webkit2-4.1",
    "libwebkit2gtk-4.1-0",
    "gir1.2-gtk-3.0",
    "gir1.2-glib-2.0",
    "libgirepository-1.0-1",
)
# The sync token's keyring (keyring's libsecret back end); without it the token stays in a
# 0600 file, so Kaap works without.
RECOMMENDS = ("gir1.2-secret-1",)

DESKTOP_ENTRY = """\
[Desktop Entry]
Type=Application
Name=Kaap
GenericName=Notes
Comment=Offline notes, checklists and reminders
Exec=kaap
Icon=kaap
Terminal=false
Categories=Utility;
Keywords=notes;checklist;reminder;keep;
StartupNotify=true
StartupWMClass=kaap
Actions=new-note;

[Desktop Action new-note]
Name=New note
Exec=kaap --new-note
"""

DESCRIPTION = """\
Offline, Google-Keep-style notes
 Kaap keeps notes, checklists, labels, images and reminders on this computer,
 in a window of its own drawn by the system's WebKitGTK. It can sync with a
 Kaap server of your own."""


def version(root: Path = ROOT) -> str:
    """The package's version: pyproject.toml's."""
    with (root / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()


def control(version: str, arch: str, depends: list[str], installed_kib: int) -> str:
    """The DEBIAN/control file."""
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join(depends)}\n"
        f"Recommends: {', '.join(RECOMMENDS)}\n"
        "Section: utils\n"
        "Priority: optional\n"
        f"Description: {DESCRIPTION}\n"
    )


def merge_depends(shlibs: list[str], extra: tuple[str, ...] = GI_DEPENDS) -> list[str]:
    """dpkg-shlibdeps' list, then the introspection packages it cannot see, each name once."""
    named = {re.split(r"[\s(]", dep.strip(), maxsplit=1)[0] for dep in shlibs}
    return [*shlibs, *(dep for dep in extra if dep not in named)]


def is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def shlib_depends(onedir: Path) -> list[str]:
    """The packages of the system libraries the bundle's ELF files link to (dpkg-shlibdeps)."""
    elves = [
        p for p in sorted(onedir.rglob("*")) if p.is_file() and not p.is_symlink() and is_elf(p)
    ]
    private = sorted({str(p.parent) for p in elves})
    with tempfile.TemporaryDirectory() as tmp:
        # dpkg-shlibdeps reads the source package's debian/control for the binary package's name.
        (Path(tmp) / "debian").mkdir()
        (Path(tmp) / "debian" / "control").write_text(
            f"Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n"
        )
        result = subprocess.run(
            [
                "dpkg-shlibdeps",
                "-O",
                "--ignore-missing-info",
                *(f"-l{d}" for d in private),
                *(f"-e{p}" for p in elves),
            ],
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
        )
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("shlibs:Depends="))
    return [dep.strip() for dep in line.split("=", 1)[1].split(",") if dep.strip()]


def write_icons(share: Path, source: Path = ICON_SOURCE) -> None:
    """hicolor PNGs at each size, scaled with Pillow from the largest icon Kaap has."""
    from PIL import Image

    with Image.open(source) as image:
        image = image.convert("RGBA")
        for size in ICON_SIZES:
            target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{PACKAGE}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            scaled = (
                image if image.size == (size, size) else image.resize((size, size), Image.LANCZOS)
            )
            scaled.save(target, optimize=True)


def normalize_modes(tree: Path) -> None:
    """0755 folders and executables, 0644 the rest, whatever the build machine's umask was."""
    for path in [tree, *tree.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir() or path.stat().st_mode & 0o111:
            path.chmod(0o755)
        else:
            path.chmod(0o644)


def installed_kib(tree: Path) -> int:
    """Installed-Size as dpkg-gencontrol counts it: KiB per file, rounded up, one per link."""
    total = 0
    for path in tree.rglob("*"):
        if "DEBIAN" in path.relative_to(tree).parts[:1]:
            continue
        total += 1 if path.is_symlink() or path.is_dir() else -(-path.stat().st_size // 1024)
    return total


def stage(tree: Path, onedir: Path, depends: list[str], version: str, arch: str) -> None:
    shutil.copytree(onedir, tree / PREFIX, symlinks=True)
    (tree / "usr" / "bin").mkdir(parents=True)
    (tree / "usr" / "bin" / PACKAGE).symlink_to(Path("/") / PREFIX / PACKAGE)
    share = tree / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    (share / "applications" / f"{PACKAGE}.desktop").write_text(DESKTOP_ENTRY)
    write_icons(share)
    normalize_modes(tree)
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN").chmod(0o755)  # mkdir's mode goes through the umask; dpkg-deb wants 0755
    text = control(version, arch, depends, installed_kib(tree))
    (tree / "DEBIAN" / "control").write_text(text)
    (tree / "DEBIAN" / "control").chmod(0o644)


def main() -> int:
    started = time.monotonic()
    if build.fresh(ONEDIR / PACKAGE):
        print(f"{ONEDIR.relative_to(ROOT)} is newer than its sources: packaging it as it is")
    elif sys.platform.startswith("linux"):
        build.main()
    else:
        print("a .deb is built on Linux only", file=sys.stderr)
        return 2
    packed = time.monotonic()
    ver, arch = version(), architecture()
    depends = merge_depends(shlib_depends(ONEDIR))
    tree = ROOT / "build" / "deb"
    shutil.rmtree(tree, ignore_errors=True)
    stage(tree, ONEDIR, depends, ver, arch)
    out = build.DIST / f"{PACKAGE}_{ver}_{arch}.deb"
    subprocess.run(
        # xz at level 1: 3 s instead of 40 s on two cores, for 3% more (21.9 against 21.2 MB).
        ["dpkg-deb", "--root-owner-group", "-Zxz", "-z1", "--build", str(tree), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print((tree / "DEBIAN" / "control").read_text(), end="")
    print(
        f"built {out.relative_to(ROOT)} ({out.stat().st_size / 1e6:.1f} MB) in "
        f"{time.monotonic() - packed:.0f} s (+{packed - started:.0f} s of PyInstaller)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
