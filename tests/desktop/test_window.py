"""Kaap run from source in a real window under Xvfb, one fresh process per scenario."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import time
import urllib.error
import urllib.request

import pytest

from tests.desktop.conftest import alive, screenshot
from tests.disk.tmpfs import fill, tmpfs


def get(url: str, headers=None, method="GET", data=None):
    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def note_titles(data_dir) -> list[str]:
    with sqlite3.connect(data_dir / "kaap.sqlite3") as conn:
        return [row[0] for row in conn.execute("SELECT title FROM notes")]


def wait_gone(pids: set[int], timeout: float = 10) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    return {pid for pid in pids if alive(pid)}


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_a_note_created_in_the_window_is_in_the_database(launch, gui_env, gui):
    kaap = launch("--self-test", "--gui", gui, env=gui_env)
    code, out, err = kaap.finish(timeout=90)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"
    assert "self-test passed" in out
    assert any(title.startswith("Self-test") for title in note_titles(kaap.data_dir))
    assert "stopped cleanly" in kaap.log
    saved = json.loads((kaap.data_dir / "window.json").read_text())
    assert saved["width"] >= 400 and saved["height"] >= 300


def test_the_qt_window_keeps_the_terminal_quiet_unless_debug(launch, gui_env):
    kaap = launch("--self-test", "--gui", "qt", env=gui_env)
    code, out, err = kaap.finish(timeout=90)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"
    # Before: sandbox, Vulkan (3), GPU vendor, D-Bus, web channel and profile lines, 8 in all.
    assert err.splitlines() == []
    assert out.splitlines() == [line for line in out.splitlines() if "self-test" in line]


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_links_to_other_sites_open_in_the_system_browser(launch, gui_env, gui, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$@" >> {opened}\n')
    browser.chmod(0o755)
    kaap = launch("--gui", gui, env={**gui_env, "BROWSER": str(browser)}, driver="external_link")
    code, out, err = kaap.finish(timeout=90)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"
    assert opened.read_text().split() == ["https://example.invalid/from-a-note"]


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_shift_j_moves_a_note_in_the_own_order_in_the_real_window(launch, gui_env, gui):
    kaap = launch("--gui", gui, env=gui_env, driver="move_in_window")
    code, out, err = kaap.finish(timeout=90)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_an_older_version_of_a_note_is_restored_in_the_real_window(launch, gui_env, gui):
    env = {**gui_env, "KAAP_HISTORY_COALESCE_SECONDS": "0"}  # two saves, two versions
    kaap = launch("--gui", gui, env=env, driver="history_in_window")
    code, out, err = kaap.finish(timeout=90)
    assert code == 0, f"{out}\n{err}\n{kaap.log}"


def test_the_running_server_answers_only_its_window(launch, gui_env, display):
    kaap = launch(env=gui_env)
    base = kaap.base_url()
    kaap.wait_for_log("page loaded")
    time.sleep(0.5)
    shot = screenshot(display, "desktop-window.png")
    assert shot is None or shot.stat().st_size > 10_000

    for path in ("/", "/api/notes", "/static/css/plain.css", "/api/docs", "/api/swagger.json"):
        status, headers, _ = get(base + path)
        assert status == 401, path
        assert not any(h.lower().startswith("access-control-") for h in headers), path
    status, _, body = get(base + "/api/notes")
    assert json.loads(body)["error"]["code"] == "unauthorized"
    assert get(base + "/?kaap_token=guess")[0] == 401
    assert get(base + "/api/notes", headers={"Host": "evil.example"})[0] == 400
    assert (
        get(base + "/api/notes", headers={"Host": f"evil.example:{base.rsplit(':', 1)[1]}"})[0]
        == 400
    )
    status, _, _ = get(
        base + "/api/notes",
        method="POST",
        data=b'{"title": "x"}',
        headers={"Origin": "http://evil.example", "Content-Type": "application/json"},
    )
    assert status == 403


@pytest.mark.parametrize(
    ("gui", "signum"), [("gtk", signal.SIGTERM), ("gtk", signal.SIGINT), ("qt", signal.SIGTERM)]
)
def test_a_signal_closes_the_window_and_exits_zero_leaving_no_process(launch, gui_env, gui, signum):
    kaap = launch("--gui", gui, env=gui_env)
    kaap.wait_for_log("page loaded")
    helpers = kaap.descendants()
    assert helpers, "the web view runs helper processes"
    kaap.proc.send_signal(signum)
    code, out, err = kaap.finish()
    assert code == 0, f"{out}\n{err}"
    assert "stopped cleanly" in kaap.log
    assert not wait_gone(helpers), "helper processes outlived Kaap"


def test_a_second_launch_brings_the_first_window_forward_and_exits(launch, gui_env):
    first = launch(env=gui_env)
    first.wait_for_log("page loaded")
    second = launch(env=gui_env, data_dir=first.data_dir)
    code, out, err = second.finish()
    assert code == 0, err
    assert "already running" in out
    first.wait_for_log("a second launch asked for the window")
    first.proc.terminate()
    assert first.finish()[0] == 0


def test_a_silent_local_process_on_the_instance_port_does_not_hold_up_a_second_launch(
    launch, gui_env
):
    first = launch(env=gui_env)
    first.wait_for_log("page loaded")
    port = json.loads((first.data_dir / "kaap.instance").read_text())["port"]
    with socket.create_connection(("127.0.0.1", port)):  # connects, never says a word
        started = time.monotonic()
        second = launch(env=gui_env, data_dir=first.data_dir)
        code, out, err = second.finish()
        took = time.monotonic() - started
    assert code == 0, err
    assert "already running" in out
    assert took < 5, f"the second launch took {took:.1f} s"
    first.proc.terminate()
    assert first.finish()[0] == 0


@pytest.fixture
def small_disk(tmp_path):
    with tmpfs(tmp_path / "disk", "96m") as mount_point:  # room for the web view's profile
        yield mount_point


def test_on_a_full_disk_the_window_opens_and_the_page_says_the_disk_is_full(
    launch, gui_env, small_disk
):
    first = launch("--self-test", env=gui_env, data_dir=small_disk / "data")
    assert first.finish(timeout=90)[0] == 0
    for backup in (small_disk / "data" / "backups").glob("*"):
        backup.unlink()  # the next start is due a daily backup
    filler = fill(small_disk)
    env = {**gui_env, "KAAP_TEST_DISK": str(small_disk)}
    full = launch(env=env, data_dir=first.data_dir, driver="write_on_full_disk")
    code, out, err = full.finish(timeout=90)
    filler.unlink(missing_ok=True)  # the driver may have taken it away
    assert code == 0, f"{out}\n{err}\n{full.log}"
    assert "skipped the daily backup" in full.log
    assert "the page said: The disk holding" in full.log


def test_a_crash_leaves_no_lock_that_blocks_the_next_start(launch, gui_env):
    crashed = launch(env=gui_env)
    crashed.wait_for_log("page loaded")
    crashed.kill()  # SIGKILL to the whole process group: no clean-up runs
    again = launch("--self-test", env=gui_env, data_dir=crashed.data_dir)
    code, out, err = again.finish(timeout=90)
    assert code == 0, f"{out}\n{err}"


def test_without_a_display_it_says_so_in_one_sentence(launch, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    code, _, err = launch(env=env).finish()
    assert code == 2
    assert "Traceback" not in err
    assert err.count("\n") == 1 and "DISPLAY" in err
