"""Reminders in the real window under Xvfb: a notification's click opens its note; with the
option on, closing the window leaves Kaap running behind a tray icon until its Quit."""

from __future__ import annotations

import re

import pytest

from desktop.instance import QUIT, ask_running_to_show
from tests.desktop.conftest import alive, screenshot
from tests.desktop.test_reminders_tray import system_tray  # noqa: F401 (a fixture)


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_clicking_a_reminder_opens_its_note_in_the_window(launch, gui_env, gui, display):
    kaap = launch("--gui", gui, env=gui_env, driver="reminder_click")
    kaap.wait_for_log("window ready for a screenshot", timeout=90)
    screenshot(display, f"reminder-click-{gui}.png")
    (kaap.data_dir / "screenshot-taken").touch()
    code, out, err = kaap.finish(timeout=90)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"


def test_closing_with_keep_running_on_leaves_a_tray_until_quit(
    launch,
    gui_env,
    system_tray,  # noqa: F811
):
    env = {**gui_env, "PYSTRAY_BACKEND": "xorg"}  # Xvfb has no session bus for AppIndicator
    kaap = launch("--gui", "gtk", env=env, driver="close_to_tray")
    tray_pid = int(kaap.wait_for_log(r"tray icon up \(pid (\d+)\)", timeout=90).group(1))
    kaap.wait_for_log("running on for reminders")
    assert kaap.proc.poll() is None, "Kaap quit although it should run on"
    assert alive(tray_pid)
    assert ask_running_to_show(kaap.data_dir, command=QUIT)  # the tray menu's Quit
    code, out, err = kaap.finish(timeout=60)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"
    assert not alive(tray_pid)
    assert re.search("stopped cleanly", kaap.log)


def test_settings_in_the_window_offers_keep_running(launch, gui_env, display):
    kaap = launch("--gui", "gtk", env=gui_env, driver="keep_running_option")
    kaap.wait_for_log("window ready for a screenshot", timeout=90)
    screenshot(display, "reminder-keep-running-option.png")
    (kaap.data_dir / "screenshot-taken").touch()
    code, out, err = kaap.finish(timeout=90)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"
