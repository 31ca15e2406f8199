# PyInstaller runtime hook (Linux): find the system's WebKitGTK type libraries.
#
# PyInstaller's gi hook points GI_TYPELIB_PATH at the bundled typelibs only. WebKit2 is not
# bundled (no hook; it comes from the target system with its helper processes), so its typelib
# must be found where the distribution keeps it. Bundled typelibs stay first.
import os
import sysconfig

_dirs = [
    os.path.join(libdir, "girepository-1.0")
    for libdir in (
        f"/usr/lib/{sysconfig.get_config_var('MULTIARCH') or 'x86_64-linux-gnu'}",
        "/usr/lib64",
        "/usr/lib",
        "/usr/local/lib",
    )
]
_path = [p for p in os.environ.get("GI_TYPELIB_PATH", "").split(os.pathsep) if p]
os.environ["GI_TYPELIB_PATH"] = os.pathsep.join(_path + [d for d in _dirs if os.path.isdir(d)])
