"""The real window names itself as the desktop file kaap.desktop does (StartupWMClass=kaap), so
the taskbar shows Kaap's icon and groups its windows (X11 under Xvfb, GTK and Qt)."""

from __future__ import annotations

import pytest

from tests.desktop.xwindows import windows

APP_ID = "kaap"  # the .deb's desktop file is kaap.desktop, with StartupWMClass=kaap


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
