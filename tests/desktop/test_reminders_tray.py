"""The tray icon's own process, and its Open Kaap / Quit over the single-instance channel."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

import pytest

from desktop.instance import QUIT, SHOW, SingleInstance, ask_running_to_show
from desktop.tray import Tray
from tests.desktop.conftest import alive


@pytest.fixture
def system_tray(display):
    """A system tray (trayer) on our Xvfb, for the icon to dock in; ended by pid."""
    if not shutil.which("trayer"):
        message = "the tray test needs a system tray on Xvfb: apt-get install trayer"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (.ci/run does)")
        pytest.skip(message)
    proc = subprocess.Popen(
        ["trayer"], env={**os.environ, "DISPLAY": display}, stderr=subprocess.DEVNULL
    )
    yield
    proc.terminate()
    proc.wait(10)


def test_the_tray_runs_in_its_own_process_and_stops_by_pid(
    display, system_tray, monkeypatch, tmp_path
):
    monkeypatch.setenv("DISPLAY", display)
    monkeypatch.setenv("PYSTRAY_BACKEND", "xorg")  # Xvfb has no session bus for AppIndicator
    tray = Tray(tmp_path)
    try:
        assert tray.start(), "the tray process never said it was ready"
        pid = tray.proc.pid
        assert alive(pid)
    finally:
        tray.stop()
    assert not alive(pid)


def test_a_screen_without_a_system_tray_means_no_tray(display, monkeypatch, tmp_path):
    monkeypatch.setenv("DISPLAY", display)  # Xvfb alone: no tray manager to dock in
    monkeypatch.setenv("PYSTRAY_BACKEND", "xorg")
    tray = Tray(tmp_path)
    assert tray.start() is False
    assert tray.proc is None


def test_no_display_means_no_tray_and_no_process_left(monkeypatch, tmp_path):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    tray = Tray(tmp_path)
    assert tray.start() is False
    assert tray.proc is None


def test_open_kaap_and_quit_reach_the_running_kaap(tmp_path):
    heard = []
    quit_heard = threading.Event()
    instance = SingleInstance(tmp_path)
    instance.acquire()
    try:
        instance.listen(lambda: heard.append("show"), lambda: quit_heard.set())
        assert ask_running_to_show(tmp_path, command=SHOW)
        assert ask_running_to_show(tmp_path, command=QUIT)
        assert quit_heard.wait(5)
        assert heard == ["show"]
        assert not ask_running_to_show(tmp_path, command=b"rm -rf")  # only what it knows
    finally:
        instance.release()
