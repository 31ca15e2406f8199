"""The last notes at once: a second launch shows the snapshot the first one saved, stale and
inert in the cached shell, before the app is built; then the live cards take its place."""

from __future__ import annotations

import time

import pytest

from tests.desktop.conftest import screenshot
from tests.desktop.test_relaunch import finished, look
from webapp.snapshot import files


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_a_second_launch_shows_the_last_notes_before_the_live_cards(
    launch, gui_env, display, tmp_path, gui
):
    data = tmp_path / "data"
    finished(launch("--gui", gui, env=gui_env, data_dir=data, driver="snapshot_save"))
    saved = files.read(data)
    assert saved.count('<article class="card') == 4
    assert list((data / "cache").glob("shell-*.html")), "the first launch cached no shell"

    # The app's build held back 6 s: what the window shows meanwhile is the cached shell.
    slow = {**gui_env, "KAAP_TEST_BUILD_DELAY": "6"}
    two = launch("--gui", gui, env=slow, data_dir=data, driver="snapshot_replaced")
    two.wait_for_log(r"page loaded .* \(the cached shell\)")
    # the loaded page's frame reaches the X screen a little later (a blank window until then)
    deadline = time.monotonic() + 4
    while (stale := screenshot(display, f"snapshot-window-stale-{gui}.png")) is not None:
        if stale.stat().st_size > 10_000 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "app built" not in two.log, "the screenshot came too late to show the snapshot"
    assert stale is None or stale.stat().st_size > 10_000
    look(two, display, f"snapshot-window-live-{gui}.png")
    finished(two)
