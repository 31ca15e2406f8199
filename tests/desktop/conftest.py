"""Desktop tests: each GUI scenario runs Kaap from source in a fresh process under Xvfb."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def _start_xvfb():
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    return proc, f":{number}"


@pytest.fixture(scope="session")
def display():
    """An X display of our own (Xvfb), so the windows never reach a developer's screen."""
    if not shutil.which("Xvfb"):
        if os.environ.get("CI"):
            pytest.fail("Xvfb is missing: .ci/run installs it (apt-get install xvfb xauth)")
        pytest.skip("Xvfb is not installed (apt-get install xvfb xauth)")
    proc, name = _start_xvfb()
    yield name
    proc.terminate()
    proc.wait(10)


GTK_MISSING = (
    "the GTK window needs PyGObject, which `make test` does not install (it compiles): "
    "apt-get install libcairo2-dev libgirepository1.0-dev pkg-config gir1.2-webkit2-4.1, "
    "then `make gtk`"
)


@functools.cache
def gtk_loads() -> bool:
    """Whether Kaap's own check finds GTK, asked in a process like the ones tests start."""
    check = "import sys; from desktop.gui import _gtk_loads; sys.exit(0 if _gtk_loads() else 1)"
    return subprocess.run([sys.executable, "-c", check], cwd=ROOT).returncode == 0


def need_gtk() -> None:
    """Skip (fail in CI, which runs `make gtk`) a scenario on GTK when PyGObject is missing;
    the ones on the default back end then run on Qt."""
    if not gtk_loads():
        if os.environ.get("CI"):
            pytest.fail(f"{GTK_MISSING}: .ci/run does")
        pytest.skip(GTK_MISSING)


@pytest.fixture
def gui_env(display):
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
    env["DISPLAY"] = display
    env.pop("QT_QPA_PLATFORM", None)
    return env


class Launched:
    """A Kaap process started from source in its own process group."""

    def __init__(self, args, env, data_dir: Path, module: list[str]):
        self.data_dir = data_dir
        # A data directory used before keeps its log: this launch's lines start here.
        self._log_from = self._log_path.stat().st_size if self._log_path.exists() else 0
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *module, "--data-dir", str(data_dir), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    @property
    def _log_path(self) -> Path:
        return self.data_dir / "logs" / "kaap.log"

    @property
    def log(self) -> str:
        """What this launch has logged so far."""
        if not self._log_path.exists():
            return ""
        with self._log_path.open("rb") as fh:
            fh.seek(self._log_from)
            return fh.read().decode("utf-8", "replace")

    def wait_for_log(self, pattern: str, timeout: float = 30) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if match := re.search(pattern, self.log):
                return match
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        out, err = self.proc.communicate(timeout=5) if self.proc.poll() is not None else ("", "")
        raise AssertionError(f"no {pattern!r} in the log:\n{self.log}\n{out}\n{err}")

    def base_url(self) -> str:
        return self.wait_for_log(r"serving .* on (http://127\.0\.0\.1:\d+)").group(1)

    def descendants(self) -> set[int]:
        """Every process below ours, found through /proc (the web view's helpers)."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
        found, frontier = set(), {self.proc.pid}
        while frontier:
            frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
            found |= frontier
        return found

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.communicate(timeout=10)


@pytest.fixture
def launch(tmp_path):
    """Start Kaap from source; everything started is killed at the end of the test."""
    started: list[Launched] = []

    def start(
        *args: str, env: dict, data_dir: Path | None = None, driver: str | None = None
    ) -> Launched:
        """Kaap from source; with ``driver``, one of tests/desktop/drivers.py drives it."""
        if "gtk" in args:  # --gui gtk
            need_gtk()
        module = ["tests.desktop.drivers", driver] if driver else ["desktop"]
        launched = Launched(args, env, data_dir or tmp_path / "data", module)
        started.append(launched)
        return launched

    yield start
    for launched in started:
        launched.kill()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def screenshot(display: str, name: str) -> Path | None:
    """A PNG of the whole X screen, kept in test-artifacts/ for people to look at."""
    if not (shutil.which("xwd") and shutil.which("convert")):
        return None
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / name
    xwd = subprocess.run(["xwd", "-root", "-display", display], capture_output=True, check=True)
    subprocess.run(["convert", "xwd:-", str(out)], input=xwd.stdout, check=True)
    return out


def look(kaap, display, name: str, timeout: float | None = None) -> None:
    """A screenshot of the window once the driver says it shows what matters; the driver
    goes on when the file ``screenshot-taken`` appears."""
    if timeout is None:
        kaap.wait_for_log("window ready for a screenshot")
    else:
        kaap.wait_for_log("window ready for a screenshot", timeout=timeout)
    shot = screenshot(display, name)
    assert shot is None or shot.stat().st_size > 10_000
    (kaap.data_dir / "screenshot-taken").touch()


TOKEN = "t0k3n-" + "x" * 37  # the launch token of the WSGI-level boundary tests


@pytest.fixture
def desktop_app(data_dir):
    """The desktop's app, built as the shell builds it, with a known launch token."""
    from webapp import create_app
    from webapp.extensions import db

    app = create_app({"CONFIG": "desktop", "DATA_DIR": str(data_dir), "LAUNCH_TOKEN": TOKEN})
    yield app
    with app.app_context():
        db.engine.dispose()
