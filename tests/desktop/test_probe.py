"""The start-up probe bench/startup.py reads: one ``kaap-probe`` line per launch."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time

import pytest

from desktop import probe
from tests.desktop.conftest import ROOT, need_gtk


def probe_line(proc: subprocess.Popen, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while selector.select(max(0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if not line:
                break
            if (figures := probe.parse(line)) is not None:
                return figures
    raise AssertionError(f"no kaap-probe line (exit {proc.poll()})")


def well_formed(figures: dict) -> None:
    assert set(figures) == {"fcp", "painted", "notes_visible", "notes_live", "first"}
    now = time.time()
    for name in ("fcp", "painted", "notes_visible", "notes_live"):
        assert now - 120 < figures[name] <= now, f"{name} is no epoch time of this launch"
    assert figures["fcp"] <= figures["painted"]
    assert figures["fcp"] <= figures["notes_visible"] <= figures["notes_live"]


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_a_launch_with_the_probe_on_prints_its_figures(launch, gui_env, gui):
    kaap = launch("--gui", gui, env={**gui_env, "KAAP_STARTUP_PROBE": "1"})
    figures = probe_line(kaap.proc)
    well_formed(figures)
    assert figures["first"] == "live"  # a first launch has no snapshot to show


def test_the_floor_prints_the_same_line_its_painted_time_for_the_notes(gui_env):
    need_gtk()
    env = {**gui_env, "KAAP_STARTUP_PROBE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "bench/hello.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        figures = probe_line(proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
    well_formed(figures)
    assert figures["notes_visible"] == figures["notes_live"] == figures["painted"]
    assert figures["first"] is None
