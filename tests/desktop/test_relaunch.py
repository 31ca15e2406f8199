"""Nothing typed is lost by closing, crashing or relaunching the real window (under Xvfb):
drafts and settings come back on the next launch, whatever its port or back end."""

from __future__ import annotations

import json
import socket

import pytest

from tests.desktop.conftest import look


def kept(data_dir) -> dict:
    return json.loads((data_dir / "desktop.json").read_text())


def finished(kaap) -> str:
    code, out, err = kaap.finish(timeout=90)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"
    assert "stopped cleanly" in kaap.log
    return kaap.log


@pytest.mark.parametrize(("first", "second"), [("gtk", "gtk"), ("qt", "qt"), ("gtk", "qt")])
def test_an_unsaved_note_theme_and_layout_come_back_at_the_next_launch(
    launch, gui_env, display, first, second
):
    one = launch("--gui", first, env=gui_env, driver="leave_unsaved")
    look(one, display, f"relaunch-1-{first}.png")
    finished(one)
    port = kept(one.data_dir)["port"]
    assert kept(one.data_dir) == {"port": port, "gui": first}

    args = () if second == first else ("--gui", second)  # the kept back end, unless asked
    two = launch(*args, env=gui_env, data_dir=one.data_dir, driver="find_unsaved")
    assert two.base_url() == f"http://127.0.0.1:{port}"  # the same origin as last time
    look(two, display, f"relaunch-2-{first}-{second}.png")
    assert "was offered and saved" in finished(two)
    assert kept(two.data_dir) == {"port": port, "gui": second}


def test_a_taken_port_still_opens_a_window_and_the_drafts_come_back(launch, gui_env, display):
    one = launch(env=gui_env, driver="leave_unsaved")
    look(one, display, "relaunch-port-1.png")
    finished(one)
    port = kept(one.data_dir)["port"]
    with socket.socket() as squatter:  # another program took the port between launches
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        two = launch(env=gui_env, data_dir=one.data_dir, driver="find_unsaved")
        moved = two.base_url()
        look(two, display, "relaunch-port-2.png")
        log = finished(two)
    assert moved != f"http://127.0.0.1:{port}"
    assert f"port {port} was taken" in log
    assert kept(two.data_dir)["port"] == int(moved.rsplit(":", 1)[1])


def test_a_draft_the_server_never_got_comes_back_from_the_web_views_storage(
    launch, gui_env, display
):
    env = {**gui_env, "KAAP_TEST_DRAFTS_FAIL": "1"}
    one = launch("--gui", "gtk", env=env, driver="leave_unsaved")
    look(one, display, "relaunch-local-1.png")
    finished(one)
    two = launch(env=gui_env, data_dir=one.data_dir, driver="find_unsaved")
    look(two, display, "relaunch-local-2.png")
    assert "was offered and saved" in finished(two)


def test_an_edit_pending_when_kaap_is_killed_is_saved_at_the_next_start(launch, gui_env):
    crashed = launch(env=gui_env, driver="crash_while_saving")
    crashed.wait_for_log(r"edit pending on note \d+", timeout=60)
    crashed.kill()  # SIGKILL to the whole process group: nothing is flushed or closed
    again = launch(env=gui_env, data_dir=crashed.data_dir, driver="find_edit_saved")
    assert "the edit pending at the crash is saved" in finished(again)
