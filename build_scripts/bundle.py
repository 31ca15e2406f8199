"""What the Linux bundle leaves to the system: app.spec filters its Analysis with these.

GTK, GLib and every other library of the distribution come from the system, not the bundle:
their copies must match the system's WebKitGTK (which is never bundled) anyway, and a bundle
without them is half the size and starts faster (one file unpacks less at each launch).
"""

from __future__ import annotations

from pathlib import PurePosixPath

# Where distributions install their packaged libraries (and typelibs, loaders, GIO modules).
SYSTEM_LIB_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64")
# Data files packaged with the system (GLib's schemas, GTK's settings, icons).
SYSTEM_DATA_DIRS = ("/usr/share",)

# Where PyInstaller's gi hooks put what they generate from the system's files at build time
# (GLib's compiled schemas, GdkPixbuf's loader cache): of no use without the bundled GTK.
BUNDLED_GTK_DESTS = ("gi_typelibs", "gio_modules", "lib/gdk-pixbuf", "share/glib-2.0")

# PyInstaller's runtime hooks that point GTK, GIO, GdkPixbuf and GObject introspection at
# copies inside the bundle; with none bundled, the system's own defaults must stay in force.
BUNDLED_GTK_RUNTIME_HOOKS = frozenset(
    {"pyi_rth_gi", "pyi_rth_gtk", "pyi_rth_gio", "pyi_rth_glib", "pyi_rth_gdkpixbuf"}
)


def _under(path: str, roots: tuple[str, ...]) -> bool:
    parts = PurePosixPath(path).parts
    return any(
        parts[: len(PurePosixPath(root).parts)] == PurePosixPath(root).parts for root in roots
    )


def _python_own(source: str) -> bool:
    """Python itself and its modules: a system Python keeps them under /usr/lib too."""
    path = PurePosixPath(source)
    return path.name.startswith("libpython") or any(
        part.startswith("python3") for part in path.parts[:-1]
    )


def keep_binary(source: str) -> bool:
    """Whether a shared library found by the Analysis goes into the bundle (by its source path)."""
    return not (_under(source, SYSTEM_LIB_DIRS) and not _python_own(source))


def keep_data(dest: str, source: str) -> bool:
    """Whether a data file goes into the bundle: typelibs, schemas and loaders stay the system's."""
    if _under("/" + dest, tuple("/" + d for d in BUNDLED_GTK_DESTS)):
        return False
    return not (_under(source, SYSTEM_LIB_DIRS + SYSTEM_DATA_DIRS) and not _python_own(source))


def keep_script(name: str) -> bool:
    """Whether a runtime hook (a.scripts entry, by name) stays: not the bundled-GTK ones."""
    return name not in BUNDLED_GTK_RUNTIME_HOOKS
