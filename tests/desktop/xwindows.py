"""The windows on an X display (Xvfb), read with python-xlib: names, WM_CLASS, mapped or not."""

from __future__ import annotations

from Xlib import X
from Xlib import display as xdisplay

# announced beside WM_CLASS; and the startup notification id a window took
TEXT_PROPERTIES = ("_GTK_APPLICATION_ID", "_KDE_NET_WM_DESKTOP_FILE", "_NET_STARTUP_ID")


def windows(name: str) -> list[dict]:
    """Every window with a WM_CLASS on display ``name``: its name, class, whether it is mapped,
    the app ids Qt and GTK announce, its startup notification id."""
    screen = xdisplay.Display(name)
    try:
        atoms = [screen.intern_atom(atom) for atom in TEXT_PROPERTIES]
        utf8 = screen.intern_atom("UTF8_STRING")
        found, todo = [], [screen.screen().root]
        while todo:
            window = todo.pop()
            todo.extend(window.query_tree().children)
            wm_class = window.get_wm_class()
            if wm_class is None:
                continue
            texts = [window.get_full_property(atom, utf8) for atom in atoms]
            texts = [prop.value.decode() if prop else None for prop in texts]
            found.append(
                {
                    "name": window.get_wm_name(),
                    "class": wm_class,
                    "mapped": window.get_attributes().map_state == X.IsViewable,
                    "app_ids": texts[:2],
                    "startup_id": texts[2],
                }
            )
        return found
    finally:
        screen.close()


def kaap_shown(name: str) -> bool:
    """Whether Kaap's window is mapped (shown) on display ``name``."""
    return any(w["mapped"] and w["class"] == ("kaap", "kaap") for w in windows(name))
