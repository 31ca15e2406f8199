"""The windows on an X display (Xvfb), read with python-xlib: names, WM_CLASS, mapped or not."""

from __future__ import annotations

from Xlib import X
from Xlib import display as xdisplay

APP_IDS = ("_GTK_APPLICATION_ID", "_KDE_NET_WM_DESKTOP_FILE")  # announced beside WM_CLASS


def windows(name: str) -> list[dict]:
    """Every window with a WM_CLASS on display ``name``: its name, class, whether it is mapped,
    and the app ids Qt and GTK announce."""
    screen = xdisplay.Display(name)
    try:
        atoms = [screen.intern_atom(atom) for atom in APP_IDS]
        utf8 = screen.intern_atom("UTF8_STRING")
        found, todo = [], [screen.screen().root]
        while todo:
            window = todo.pop()
            todo.extend(window.query_tree().children)
            wm_class = window.get_wm_class()
            if wm_class is None:
                continue
            ids = [window.get_full_property(atom, utf8) for atom in atoms]
            found.append(
                {
                    "name": window.get_wm_name(),
                    "class": wm_class,
                    "mapped": window.get_attributes().map_state == X.IsViewable,
                    "app_ids": [prop.value.decode() if prop else None for prop in ids],
                }
            )
        return found
    finally:
        screen.close()


def kaap_shown(name: str) -> bool:
    """Whether Kaap's window is mapped (shown) on display ``name``."""
    return any(w["mapped"] and w["class"] == ("kaap", "kaap") for w in windows(name))
