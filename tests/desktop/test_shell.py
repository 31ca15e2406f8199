"""The desktop shell's pieces that need no window."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop import gui
from desktop.dialogs import WebviewDialogs
from desktop.gui import Geometry, GuiUnavailable
from desktop.instance import ASK_TIMEOUT, AlreadyRunning, SingleInstance, ask_running_to_show
from desktop.state import ShellState
from webapp.dialogs import EXTENSION, NoDialogs, dialogs


def test_without_any_web_view_the_message_names_the_package(monkeypatch):
    monkeypatch.setattr(gui, "_gtk_loads", lambda: False)
    monkeypatch.setattr(gui, "_qt_loads", lambda: False)
    with pytest.raises(GuiUnavailable, match=r"gir1\.2-webkit2-4\.1"):
        gui.choose_gui(None)


def test_auto_prefers_gtk_and_falls_back_to_qt(monkeypatch):
    monkeypatch.setattr(gui, "_qt_loads", lambda: True)
    monkeypatch.setattr(gui, "_gtk_loads", lambda: True)
    assert gui.choose_gui(None) == "gtk"
    monkeypatch.setattr(gui, "_gtk_loads", lambda: False)
    monkeypatch.setattr(gui, "_qt_misses_xcb_cursor", lambda: False)
    assert gui.choose_gui(None) == "qt"


def test_qt_on_x11_without_xcb_cursor_names_the_package(monkeypatch):
    monkeypatch.setattr(gui, "_gtk_loads", lambda: False)
    monkeypatch.setattr(gui, "_qt_loads", lambda: True)
    monkeypatch.setattr(gui, "_qt_misses_xcb_cursor", lambda: True)
    with pytest.raises(GuiUnavailable, match="libxcb-cursor0"):
        gui.choose_gui(None)


def test_a_missing_display_is_named(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(GuiUnavailable, match="DISPLAY"):
        gui.check_display(None)


def test_geometry_is_remembered_and_garbage_ignored(tmp_path):
    path = tmp_path / "window.json"
    geometry = Geometry(path)
    geometry._resized(900, 700)
    geometry._moved(10, 20)
    geometry.save()
    assert Geometry(path).values == {"width": 900, "height": 700, "x": 10, "y": 20}
    path.write_text("{not json")
    assert Geometry(path).values == Geometry.DEFAULT
    path.write_text('{"width": 5, "height": "tall"}')
    assert Geometry(path).values["width"] == 400


def test_a_second_holder_of_the_lock_is_refused_until_the_first_lets_go(tmp_path):
    first = SingleInstance(tmp_path)
    first.acquire()
    with pytest.raises(AlreadyRunning):
        SingleInstance(tmp_path).acquire()
    first.release()
    again = SingleInstance(tmp_path)
    again.acquire()
    again.release()


def test_a_second_launch_reaches_the_first_through_its_listener(tmp_path):
    shown = []
    first = SingleInstance(tmp_path)
    first.acquire()
    first.listen(lambda: shown.append(True))
    try:
        assert ask_running_to_show(tmp_path)
        assert shown == [True]
        assert (tmp_path / "kaap.instance").stat().st_mode & 0o077 == 0
    finally:
        first.release()
    assert not ask_running_to_show(tmp_path)


def in_time(func, seconds: float):
    """``func()``'s result, or a failure if it has none after ``seconds`` (not a hung suite)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(func()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"no answer after {seconds} s"
    return result[0]


def test_a_silent_local_caller_does_not_keep_the_second_launch_waiting(tmp_path):
    shown = []
    first = SingleInstance(tmp_path)
    first.acquire()
    first.listen(lambda: shown.append(True))
    port = json.loads((tmp_path / "kaap.instance").read_text())["port"]
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        assert in_time(lambda: ask_running_to_show(tmp_path), 10)
        assert shown == [True]
    finally:
        for conn in silent:
            conn.close()
        first.release()


def test_a_first_instance_that_never_answers_is_given_up_on_in_time(tmp_path):
    mute = socket.create_server(("127.0.0.1", 0))  # accepts connections, never says a word
    info = {"pid": 1, "port": mute.getsockname()[1], "key": "00" * 32}
    (tmp_path / "kaap.instance").write_text(json.dumps(info))
    try:
        started = time.monotonic()
        assert not in_time(lambda: ask_running_to_show(tmp_path), 10)
        assert time.monotonic() - started < ASK_TIMEOUT + 1
    finally:
        mute.close()


def test_a_caller_without_the_key_is_not_shown_the_window(tmp_path):
    shown = []
    first = SingleInstance(tmp_path)
    first.acquire()
    first.listen(lambda: shown.append(True))
    info = json.loads((tmp_path / "kaap.instance").read_text())
    (tmp_path / "kaap.instance").write_text(json.dumps({**info, "key": "11" * 32}))
    try:
        assert not in_time(lambda: ask_running_to_show(tmp_path), 10)
        assert shown == []
    finally:
        first.release()


class FakeWindow:
    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def create_file_dialog(self, dialog_type, **kwargs):
        self.calls.append((dialog_type, kwargs))
        return self.answer


@pytest.mark.parametrize(
    ("answer", "path"), [(None, None), (("/x/a.zip",), "/x/a.zip"), ("/y", "/y")]
)
def test_the_save_dialog_adapter_returns_one_path_or_none(answer, path):
    window = FakeWindow(answer)
    assert WebviewDialogs(window).ask_save_path("notes.zip", ["Zip (*.zip)"]) == path
    assert window.calls[0][1]["save_filename"] == "notes.zip"


def test_the_save_dialog_starts_in_the_downloads_folder(tmp_path, monkeypatch):
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    monkeypatch.setattr("platformdirs.user_downloads_dir", lambda: str(downloads))
    window = FakeWindow(None)
    WebviewDialogs(window).ask_save_path("notes.zip")
    assert window.calls[0][1]["directory"] == str(downloads)


def test_without_a_downloads_folder_the_back_end_chooses(tmp_path, monkeypatch):
    monkeypatch.setattr("platformdirs.user_downloads_dir", lambda: str(tmp_path / "absent"))
    window = FakeWindow(None)
    WebviewDialogs(window).ask_save_path("notes.zip")
    assert window.calls[0][1]["directory"] == ""


@pytest.fixture
def qt_env(monkeypatch):
    for name in ("QT_LOGGING_RULES", "QTWEBENGINE_CHROMIUM_FLAGS"):
        monkeypatch.delenv(name, raising=False)
    return os.environ


def test_qt_is_told_to_keep_quiet_without_debug(qt_env):
    from desktop.gui import prepare_environment

    prepare_environment("qt")
    assert qt_env["QT_LOGGING_RULES"] == "*.debug=false;*.info=false;*.warning=false"
    assert qt_env["QTWEBENGINE_CHROMIUM_FLAGS"] == "--log-level=3"


def test_with_debug_or_their_own_settings_qt_says_what_it_says(qt_env, monkeypatch):
    from desktop.gui import prepare_environment

    prepare_environment("qt", debug=True)
    assert "QT_LOGGING_RULES" not in qt_env and "QTWEBENGINE_CHROMIUM_FLAGS" not in qt_env
    monkeypatch.setenv("QT_LOGGING_RULES", "qt.webengine*=true")
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", "--log-level=0 --enable-logging")
    prepare_environment("qt")
    assert qt_env["QT_LOGGING_RULES"] == "qt.webengine*=true"
    assert qt_env["QTWEBENGINE_CHROMIUM_FLAGS"] == "--log-level=0 --enable-logging"


def test_apps_have_no_native_dialogs_unless_the_shell_swaps_them_in(app):
    with app.app_context():
        assert isinstance(dialogs(), NoDialogs)
        app.extensions[EXTENSION] = WebviewDialogs(FakeWindow(("/tmp/out.zip",)))
        assert dialogs().ask_save_path("out.zip") == "/tmp/out.zip"


def test_the_local_server_takes_every_body_the_desktop_app_accepts():
    from desktop.server import MAX_BODY_SIZE
    from webapp.config import DesktopConfig, max_body_size

    limits = {key: getattr(DesktopConfig, key) for key in dir(DesktopConfig) if key.isupper()}
    assert max_body_size(limits) == MAX_BODY_SIZE


def test_the_server_takes_its_last_port_again_and_another_only_when_it_is_taken():
    import socket

    from desktop.server import LocalServer

    def app(environ, start_response):
        return []

    first = LocalServer(app)
    port = first.port
    first.start()
    first.stop()
    again = LocalServer(app, port=port)  # right after the last one closed
    assert again.port == port
    again.stop()
    with socket.socket() as other:  # another program listens there now
        other.bind(("127.0.0.1", port))
        other.listen()
        moved = LocalServer(app, port=port)
        assert moved.port not in (port, 0)
        moved.stop()


@pytest.mark.skipif(os.name != "posix", reason="waitress's trigger is a pipe on POSIX only")
def test_a_wake_up_pipe_closed_elsewhere_is_neither_written_to_nor_closed(tmp_path, caplog):
    """A descriptor closed twice somewhere in the process takes the number of waitress's
    wake-up pipe, and the next file opened (here, as a database would be) gets it: the server
    writes no byte into that file, answers all the same, stops, and leaves the file open."""
    import urllib.request

    from desktop.server import LocalServer

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"still here"]

    server = LocalServer(app)
    server.start()
    stolen = server.server.trigger.trigger
    database = tmp_path / "kaap.sqlite"
    opened = os.open(database, os.O_RDWR | os.O_CREAT, 0o600)
    os.dup2(opened, stolen)  # the pipe's number is now the database file's
    os.close(opened)
    try:
        with urllib.request.urlopen(f"{server.base_url}/", timeout=10) as response:
            assert response.read() == b"still here"
        started = time.monotonic()
        server.stop(timeout=10)
        assert time.monotonic() - started < 5
        assert not server._thread.is_alive()
        assert database.read_bytes() == b""  # no wake-up byte in the database
        os.fstat(stolen)  # still open: the server closed only what was its own
        assert "wake-up pipe" in caplog.text
        if sys.platform.startswith("linux"):  # the log names what took the number
            assert str(database) in caplog.text
    finally:
        os.close(stolen)


@pytest.mark.skipif(os.name != "posix", reason="waitress's trigger is a pipe on POSIX only")
def test_a_wake_up_pipe_that_cannot_be_written_any_more_still_lets_the_server_stop(caplog):
    """The pipe's write end's number now holds its read end (still the pipe, but EBADF to a
    write), as CI's shutdowns met it: stopping falls back, nothing raises."""
    import urllib.request

    from desktop.server import LocalServer

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = LocalServer(app)
    server.start()
    read_end, write_end = server.server.trigger._fds
    spare = os.dup(write_end)  # the pipe keeps a writer: its read end sees no end of file
    os.dup2(read_end, write_end)
    try:
        with urllib.request.urlopen(f"{server.base_url}/", timeout=10) as response:
            assert response.read() == b"ok"
        server.stop(timeout=10)
        assert not server._thread.is_alive()
        assert "could not be written to (EBADF)" in caplog.text
    finally:
        os.close(spare)


@pytest.mark.skipif(os.name != "posix", reason="waitress's trigger is a pipe on POSIX only")
def test_stopping_never_writes_to_a_pipe_its_own_thunk_closed(tmp_path, caplog):
    """waitress adds a thunk, then writes the byte that wakes its loop. Another thread's byte
    can wake the loop first, and it runs the thunk before that write: stopping must not have
    closed the pipe in that thunk (CI's EBADF), nor write to its number afterwards."""
    from desktop.server import LocalServer

    server = LocalServer(lambda environ, start_response: [])
    server.start()
    trigger = server.server.trigger
    number, spare = trigger.trigger, os.dup(trigger.trigger)
    database = tmp_path / "kaap.sqlite"
    original = trigger._physical_pull

    def late_write():
        if threading.current_thread() is threading.main_thread() and trigger.thunks:
            os.write(spare, b"x")  # as a request thread's byte would: the loop runs first
            deadline = time.monotonic() + 5
            while trigger.thunks and time.monotonic() < deadline:
                time.sleep(0.01)
            if trigger._closed:  # the pipe is gone: its number goes to the next file opened
                opened = os.open(database, os.O_RDWR | os.O_CREAT, 0o600)
                os.dup2(opened, number)
                os.close(opened)
        original()

    trigger._physical_pull = late_write
    try:
        server.stop(timeout=10)
        assert not server._thread.is_alive()
        assert not database.exists() or database.read_bytes() == b""
        assert "wake-up pipe" not in caplog.text
        assert trigger._closed  # closed in the end, once the loop had ended
    finally:
        os.close(spare)
        if database.exists():
            os.close(number)


def test_the_kept_port_and_back_end_survive_and_garbage_is_ignored(tmp_path):
    from desktop.state import ShellState

    path = tmp_path / "desktop.json"
    ShellState(path).save(port=43337, gui="qt")
    kept = ShellState(path)
    assert (kept.port, kept.gui) == (43337, "qt")
    for garbage in ("{not json", "[1]", '{"port": 80, "gui": "tk"}', '{"port": true}'):
        path.write_text(garbage)
        assert (ShellState(path).port, ShellState(path).gui) == (None, None)


def test_the_kept_back_end_wins_unless_gui_says_otherwise_or_it_no_longer_loads(monkeypatch):
    monkeypatch.setattr(gui, "_qt_loads", lambda: True)
    monkeypatch.setattr(gui, "_gtk_loads", lambda: True)
    monkeypatch.setattr(gui, "_qt_misses_xcb_cursor", lambda: False)
    assert gui.choose_gui(None, kept="qt") == "qt"
    assert gui.choose_gui("gtk", kept="qt") == "gtk"
    monkeypatch.setattr(gui, "_qt_loads", lambda: False)
    assert gui.choose_gui(None, kept="qt") == "gtk"


def test_a_second_launch_whose_first_does_not_answer_exits_1_within_5_s(tmp_path):
    # The first holds the lock but its port is some silent program's: no window is needed.
    first = SingleInstance(tmp_path)
    first.acquire()
    mute = socket.create_server(("127.0.0.1", 0))
    info = {"pid": 1, "port": mute.getsockname()[1], "key": "00" * 32}
    (tmp_path / "kaap.instance").write_text(json.dumps(info))
    env = {**os.environ, "DISPLAY": os.environ.get("DISPLAY", ":0")}
    try:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "desktop", "--data-dir", str(tmp_path)],
            cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
            timeout=30,
        )  # fmt: skip
        took = time.monotonic() - started
    finally:
        mute.close()
        first.release()
    assert done.returncode == 1, done.stderr
    assert "did not answer" in done.stderr
    assert took < 5, f"the second launch took {took:.1f} s"


def test_on_a_full_disk_the_window_and_shell_state_keep_their_last_good_content(tmp_path):
    from tests.disk.tmpfs import fill, tmpfs

    with tmpfs(tmp_path / "disk", "1m") as disk:
        geometry = Geometry(disk / "window.json")
        geometry._resized(900, 700)
        geometry.save()
        state = ShellState(disk / "desktop.json")
        state.save(port=41000, gui="gtk")
        fill(disk)
        geometry._resized(1000, 800)
        geometry.save()  # logged, not raised
        state.save(port=42000, gui="qt")
        assert Geometry(disk / "window.json").values["width"] == 900
        assert ShellState(disk / "desktop.json").port == 41000
        assert sorted(p.name for p in disk.iterdir()) == ["desktop.json", "filler", "window.json"]
