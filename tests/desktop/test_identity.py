"""The real window names itself as the desktop file kaap.desktop does (StartupWMClass=kaap), so
the taskbar shows Kaap's icon and groups its windows (X11 under Xvfb, GTK and Qt)."""

from __future__ import annotations

import pytest
from Xlib import X
from Xlib import display as xdisplay

APP_ID = "kaap"  # the desktop file's name and StartupWMClass (packaging/, helper P's kaap.desktop)


def windows(name: str) -> list[dict]:
    """Every window on the X display: its name, WM_CLASS, whether it is mapped, and the app id
    Qt and GTK announce beside WM_CLASS."""
    screen = xdisplay.Display(name)
    try:
        app_ids = [
            screen.intern_atom(a) for a in ("_GTK_APPLICATION_ID", "_KDE_NET_WM_DESKTOP_FILE")
        ]
        utf8 = screen.intern_atom("UTF8_STRING")
        found, todo = [], [screen.screen().root]
        while todo:
            window = todo.pop()
            todo.extend(window.query_tree().children)
            wm_class = window.get_wm_class()
            if wm_class is None:
                continue
            ids = []
            for atom in app_ids:
                prop = window.get_full_property(atom, utf8)
                ids.append(prop.value.decode() if prop else None)
            found.append(
                {
                    "name": window.get_wm_name(),
                    "class": wm_class,
                    "mapped": window.get_attributes().map_state == X.IsViewable,
                    "app_ids": ids,
                }
            )
        return found
    finally:
        screen.close()


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_the_window_class_and_app_id_are_those_of_the_desktop_file(launch, gui_env, display, gui):
    kaap = launch("--gui", gui, env=gui_env)
    kaap.wait_for_log("page loaded")
    shown = [w for w in windows(display) if w["mapped"] and w["class"][0] != "WebKitWebProcess"]
    assert [w["class"] for w in shown] == [(APP_ID, APP_ID)], shown
    assert shown[0]["name"] == "Kaap"
    if gui == "qt":  # what KDE and GTK desktops read on X11 beside WM_CLASS
        assert shown[0]["app_ids"] == [APP_ID, APP_ID]
    # the unmapped helpers too (GTK's group leader): none is named after python or __main__
    ours = [w for w in windows(display) if w["class"][0] != "WebKitWebProcess"]
    assert {w["class"][0] for w in ours} == {APP_ID}, ours
    kaap.proc.terminate()
    assert kaap.finish()[0] == 0
