"""Choosing the window toolkit, and the checks that turn its failures into one clear sentence."""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import sys
from pathlib import Path

log = logging.getLogger(__name__)

# On Linux both pywebview back ends work; GTK (system WebKitGTK) starts faster and uses less
# memory, Qt (PyQt6-WebEngine) installs with pip alone. Auto picks GTK when it loads.
LINUX_GUIS = ("gtk", "qt")

INSTALL_HINT = (
    "install WebKitGTK (Debian/Ubuntu: sudo apt install gir1.2-webkit2-4.1; "
    "Fedora: sudo dnf install webkit2gtk4.1)"
)


class GuiUnavailable(Exception):
    """No usable display or web view; the message says what is missing and how to fix it."""


def is_linux_like() -> bool:
    return sys.platform not in ("win32", "darwin")


def check_display(gui: str | None) -> None:
    if not is_linux_like():
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    if gui == "qt" and os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return
    raise GuiUnavailable(
        "Kaap needs a graphical desktop, but neither DISPLAY nor WAYLAND_DISPLAY is set: "
        "start it from a desktop session (or under xvfb-run for tests)."
    )


def _gtk_loads() -> bool:
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        try:
            gi.require_version("WebKit2", "4.1")
        except ValueError:
            gi.require_version("WebKit2", "4.0")
        from gi.repository import GLib

        # Before Gtk loads (it opens the display then, naming Kaap's window group after the
        # program): set_identity's WM_CLASS instance and Wayland app id, on every window.
        GLib.set_prgname(APP_ID)
        from gi.repository import Gtk, WebKit2  # noqa: F401
    except (ImportError, ValueError):
        return False
    return True


def _qt_loads() -> bool:
    try:
        importlib.import_module("PyQt6.QtWebEngineWidgets")
    except ImportError:
        return False
    return True


def _qt_misses_xcb_cursor() -> bool:
    """Qt 6.5+ on X11 needs libxcb-cursor, which desktops often lack; Qt then aborts with a
    message about its platform plugin. Wayland sessions and offscreen runs do not need it."""
    import ctypes.util

    platform = os.environ.get("QT_QPA_PLATFORM", "")
    x11 = platform.startswith("xcb") or (not platform and not os.environ.get("WAYLAND_DISPLAY"))
    return x11 and ctypes.util.find_library("xcb-cursor") is None


def choose_gui(requested: str | None, kept: str | None = None) -> str | None:
    """The pywebview ``gui`` to use: None lets pywebview pick (Windows, macOS).

    ``requested`` (``--gui``) or else the one ``kept`` from the last launch, as long as it
    still loads: each back end has its own web view profile, so switching silently (PyGObject
    installed since, say) would be a different browser. Otherwise the first that loads.
    """
    if not is_linux_like():
        return None
    loads = {"gtk": _gtk_loads, "qt": _qt_loads}
    if requested:
        candidates = [requested]
    else:
        candidates = list(LINUX_GUIS)
        if kept in LINUX_GUIS:
            candidates.remove(kept)
            candidates.insert(0, kept)
    for name in candidates:
        if loads[name]():
            if name == "qt" and _qt_misses_xcb_cursor():
                raise GuiUnavailable(
                    "Kaap's Qt window needs the xcb-cursor library: install it "
                    "(Debian/Ubuntu: sudo apt install libxcb-cursor0; "
                    "Fedora: sudo dnf install xcb-util-cursor), then start it again."
                )
            return name
    if requested == "qt":
        raise GuiUnavailable(
            'Kaap cannot load its Qt web view: install it with pip install "pywebview[qt]".'
        )
    frozen = getattr(sys, "frozen", False)
    also = "" if frozen or requested == "gtk" else ', or pip install "pywebview[qt]"'
    raise GuiUnavailable(
        f"Kaap cannot find a web view on this system: {INSTALL_HINT}{also}, then start it again."
    )


# Qt's and Chromium's own chatter on every start (sandbox, Vulkan, GPU vendor, D-Bus, web
# channel and profile warnings) says nothing a user can act on: the terminal stays quiet
# unless --debug. Critical messages still show; our own log has what matters.
QT_QUIET_RULES = "*.debug=false;*.info=false;*.warning=false"
CHROMIUM_QUIET_FLAGS = "--log-level=3"  # fatal only


def prepare_environment(gui: str | None, debug: bool = False) -> None:
    """Environment the web view back end reads when it loads: set before importing it."""
    if gui != "qt":
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium's sandbox refuses to run as root (CI, containers).
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    if debug:
        return
    os.environ.setdefault("QT_LOGGING_RULES", QT_QUIET_RULES)  # a developer's own rules win
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--log-level" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} {CHROMIUM_QUIET_FLAGS}".strip()


# The name the desktop knows Kaap by: the .deb's kaap.desktop, whose StartupWMClass is "kaap".
# The taskbar finds the menu entry's icon through it, and groups Kaap's windows under it.
APP_ID = "kaap"
APP_NAME = "Kaap"


def set_identity(gui: str | None) -> None:
    """Name Kaap as its desktop file does (WM_CLASS on X11, the app id on Wayland); before
    the window exists: the toolkit reads the names when it makes it."""
    if gui == "gtk":
        import gi

        gi.require_version("Gdk", "3.0")
        from gi.repository import Gdk, GLib

        GLib.set_prgname(APP_ID)  # WM_CLASS's instance and the Wayland app id (_gtk_loads too)
        GLib.set_application_name(APP_NAME)
        # WM_CLASS's class: GTK took it from argv[0] ("python3", "Kaap") when it loaded
        Gdk.set_program_class(APP_ID)
    elif gui == "qt":
        # WM_CLASS's instance, else argv[0]'s name ("__main__.py" from source); a user's own wins
        os.environ.setdefault("RESOURCE_NAME", APP_ID)
        from qtpy.QtGui import QGuiApplication  # the binding pywebview's Qt back end uses

        # Static, so set before pywebview makes the QApplication: its class is applicationName
        QGuiApplication.setApplicationName(APP_ID)
        QGuiApplication.setApplicationDisplayName(APP_NAME)  # equal to the title: no suffix
        QGuiApplication.setDesktopFileName(APP_ID)  # the Wayland app id


def take_focus(gui: str | None, window, startup_id: str) -> None:
    """Give the window a second launch's startup notification id (X11): the window manager
    then lets it take the focus (its timestamp is the click's), and the launch is over for the
    desktop. GTK only: Qt reads the id from its own environment, at start."""
    if gui != "gtk" or window.native is None:
        return
    from gi.repository import GLib

    GLib.idle_add(window.native.set_startup_id, startup_id)  # GTK's own thread


def install_signal_handlers(gui: str | None, on_signal) -> None:
    """SIGINT, SIGTERM (and SIGHUP) close the window, so the normal shutdown runs and exit is 0."""
    wanted = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):
        wanted.append(signal.SIGHUP)

    def handler(signum, _frame=None):
        log.info("received %s: closing", signal.Signals(signum).name)
        on_signal()
        return True  # GLib: keep the source

    for signum in wanted:
        signal.signal(signum, handler)
    if gui == "gtk":
        # GTK's main loop runs in C and Python's handlers would only run after it returns.
        from gi.repository import GLib

        for signum in wanted:
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, handler, signum)


class Geometry:
    """The window's last size and position, kept in ``<data dir>/window.json``."""

    DEFAULT = {"width": 1100, "height": 760, "x": None, "y": None}

    def __init__(self, path: Path):
        self.path = path
        self.values = dict(self.DEFAULT)
        try:
            saved = json.loads(path.read_text())
            for key in self.values:
                if isinstance(saved.get(key), int):
                    self.values[key] = saved[key]
        except (OSError, ValueError, AttributeError):
            pass
        self.values["width"] = max(400, min(self.values["width"], 10000))
        self.values["height"] = max(300, min(self.values["height"], 10000))

    def track(self, window) -> None:
        window.events.resized += self._resized
        window.events.moved += self._moved

    def _resized(self, width, height):
        self.values.update(width=int(width), height=int(height))

    def _moved(self, x, y):
        self.values.update(x=int(x), y=int(y))

    def save(self) -> None:
        from desktop.state import write_atomically

        try:
            write_atomically(self.path, json.dumps(self.values))
        except OSError:
            log.warning("could not save the window geometry to %s", self.path, exc_info=True)
