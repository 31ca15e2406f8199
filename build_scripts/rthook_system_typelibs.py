# PyInstaller runtime hook (Linux): find the system's WebKitGTK type libraries.
#
# PyInstaller's gi hook points GI_TYPELIB_PATH at the bundled typelibs only. WebKit2 is not
# bundled (no hook; it comes from the target system with its helper processes), so its typelib
# must be found where the distribution keeps it (Debian: /usr/lib/<triplet>, Fedora: /usr/lib64).
# Bundled typelibs stay first.
import glob
import os

_dirs = [
    *sorted(glob.glob("/usr/lib/*-linux-gnu*/girepository-1.0")),
    "/usr/lib64/girepository-1.0",
    "/usr/lib/girepository-1.0",
    "/usr/local/lib/girepository-1.0",
]
_path = [p for p in os.environ.get("GI_TYPELIB_PATH", "").split(os.pathsep) if p]
os.environ["GI_TYPELIB_PATH"] = os.pathsep.join(_path + [d for d in _dirs if os.path.isdir(d)])
