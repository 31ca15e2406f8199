"""Quick capture in the real window (under Xvfb, GTK and Qt): ``kaap --new-note`` opens the
composer in the running Kaap through the single-instance channel, or starts Kaap with it open
(the page's side, #new and kaap:new-note: tests/ui/test_new_note.py)."""

from __future__ import annotations

import time

import pytest

from desktop.instance import (
    ASK_TIMEOUT,
    NEW_NOTE,
    SHOW,
    SingleInstance,
    ask_running,
    ask_running_to_show,
)
from desktop.main import parse_args
from tests.desktop.conftest import look
from tests.desktop.xwindows import kaap_shown, windows


def finished(kaap) -> str:
    code, out, err = kaap.finish(timeout=90)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"
    assert "the note typed in the quick composer was saved" in kaap.log
    return kaap.log


def test_new_note_is_a_command_of_its_own_on_the_single_instance_channel(tmp_path):
    heard = []
    instance = SingleInstance(tmp_path)
    instance.acquire()
    try:
        instance.listen(lambda: heard.append("show"), None, lambda: heard.append("new note"))
        assert ask_running_to_show(tmp_path, command=NEW_NOTE)
        assert ask_running_to_show(tmp_path, command=SHOW)
        assert heard == ["new note", "show"]
    finally:
        instance.release()
    assert parse_args(["--new-note"]).new_note and not parse_args([]).new_note


def test_a_running_kaap_that_knows_no_new_note_is_at_least_brought_forward(tmp_path):
    heard = []
    instance = SingleInstance(tmp_path)
    instance.acquire()
    try:
        instance.listen(lambda: heard.append("show"))  # an older Kaap: show and quit only
        started = time.monotonic()
        assert ask_running(tmp_path, (NEW_NOTE, SHOW)) == SHOW
        assert time.monotonic() - started < ASK_TIMEOUT  # it said no at once
        assert heard == ["show"]
    finally:
        instance.release()
    assert ask_running(tmp_path, (NEW_NOTE, SHOW)) is None  # nothing runs: no one answers


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_a_second_launch_with_new_note_opens_the_composer_in_the_hidden_running_window(
    launch, gui_env, display, gui
):
    first = launch("--gui", gui, env=gui_env, driver="new_note_while_running")
    first.wait_for_log("ready for --new-note", timeout=60)
    deadline = time.monotonic() + 10
    while kaap_shown(display) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not kaap_shown(display), "the window was not hidden (as to the tray)"

    started = time.monotonic()
    second = launch("--new-note", env=gui_env, data_dir=first.data_dir)
    code, out, err = second.finish(timeout=10)
    took = time.monotonic() - started
    assert code == 0, f"{out}\n{err}"
    assert "already running" in out and "a new note was opened" in out
    assert took < 5, f"the second launch took {took:.1f} s"

    first.wait_for_log("a second launch asked for a new note")
    look(first, display, f"new-note-running-{gui}.png", timeout=60)
    assert kaap_shown(display), "the hidden window was not shown"
    finished(first)


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_a_first_launch_with_new_note_starts_with_the_composer_open_and_focused(
    launch, gui_env, display, gui
):
    kaap = launch("--new-note", "--gui", gui, env=gui_env, driver="new_note_at_start")
    look(kaap, display, f"new-note-start-{gui}.png", timeout=60)
    finished(kaap)


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_a_start_with_new_note_on_the_cached_shell_opens_the_composer(
    launch, gui_env, display, gui
):
    """The thin path's token exchange keeps #new too (its 303 has no fragment of its own)."""
    one = launch("--self-test", "--gui", gui, env=gui_env)
    assert one.finish(timeout=120)[0] == 0
    assert list((one.data_dir / "cache").glob("shell-*.html")), one.log
    two = launch(
        "--new-note", "--gui", gui, env=gui_env, data_dir=one.data_dir, driver="new_note_at_start"
    )
    look(two, display, f"new-note-cached-{gui}.png", timeout=60)
    assert "(the cached shell)" in finished(two)


def test_the_window_takes_a_second_launchs_startup_id_so_it_may_take_the_focus(launch, gui_env):
    """X11 startup notification: the id a menu entry's launch got ends the launcher's "starting"
    state and carries the click's time, which window managers check before giving the focus."""
    first = launch("--gui", "gtk", env=gui_env)
    first.wait_for_log("page loaded")
    startup_id = "kaap-test-42_TIME123456"
    env = {**gui_env, "DESKTOP_STARTUP_ID": startup_id}
    second = launch("--new-note", env=env, data_dir=first.data_dir)
    code, out, err = second.finish(timeout=10)
    assert code == 0, f"{out}\n{err}"
    kaap = []
    deadline = time.monotonic() + 10
    while not kaap and time.monotonic() < deadline:
        kaap = [w for w in windows(gui_env["DISPLAY"]) if w["startup_id"] == startup_id]
        time.sleep(0.05)
    assert [w["class"] for w in kaap] == [("kaap", "kaap")]
    assert not (first.data_dir / "kaap.startup-id").exists()  # taken once
    first.proc.terminate()
    assert first.finish()[0] == 0
