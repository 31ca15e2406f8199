# PyInstaller runtime hook (Linux): GObject introspection finds the system's typelibs.
#
# The bundle holds no GTK, GLib or typelib of its own (build_scripts/bundle.py): the bundled
# PyGObject loads the system's libgirepository, which must find the typelibs of the libraries it
# loads (GTK, WebKit2 and theirs) where the distribution keeps them (Debian: /usr/lib/<triplet>,
# Fedora: /usr/lib64). PyInstaller's own gi hook, which would point at the bundle, is left out
# of the build. A GI_TYPELIB_PATH set by the user stays first.
import glob
import os

_dirs = [
    *sorted(glob.glob("/usr/lib/*-linux-gnu*/girepository-1.0")),
    "/usr/lib64/girepository-1.0",
    "/usr/lib/girepository-1.0",
    "/usr/local/lib/girepository-1.0",
]
_path = [p for p in os.environ.get("GI_TYPELIB_PATH", "").split(os.pathsep) if p]
os.environ["GI_TYPELIB_PATH"] = os.pathsep.join(
    _path + [d for d in _dirs if os.path.isdir(d) and d not in _path]
)
del _dirs, _path
