"""``make run`` on a fresh checkout says what it installs before the silent minute."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["run", "serve", "test", "gtk", "build"])
def test_every_first_install_says_what_it_installs_and_that_it_takes_a_while(tmp_path, target):
    plan = subprocess.run(
        ["make", "-n", f"VENV={tmp_path / 'venv'}", target],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    install = next(i for i, line in enumerate(plan) if "pip install --quiet -r" in line)
    said = "\n".join(plan[:install])
    assert "Installing Kaap's dependencies" in said
    assert "The first time takes a minute or two" in said


def _plan(tmp_path, target: str) -> list[str]:
    return subprocess.run(
        ["make", "-n", f"VENV={tmp_path / 'venv'}", target],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip


def _pins(name: str) -> set[str]:
    """The packages a requirements file pins, following its ``-r`` includes."""
    pins = set()
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            pins |= _pins(line[3:].strip())
        elif line:
            pins.add(re.split(r"[=<>;\[ ]", line)[0].lower())
    return pins


def _installed_files(plan: list[str]) -> list[str]:
    return [line.split(" -r ")[1].split()[0] for line in plan if "pip install --quiet -r" in line]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_test_installs_only_wheels_and_what_the_tests_import(tmp_path):
    files = _installed_files(_plan(tmp_path, "test"))
    assert files
    pins = set().union(*(_pins(name) for name in files))
    assert not pins & {"pygobject", "pycairo", "pyinstaller"}, "these compile or only build"
    assert {"pytest", "pyyaml", "pywebview", "pyqt6-webengine"} <= pins


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_gtk_back_end_is_its_own_step_that_ci_and_the_build_take(tmp_path):
    assert "pygobject" in _pins(_installed_files(_plan(tmp_path, "gtk"))[0])
    assert "pygobject" in set().union(*map(_pins, _installed_files(_plan(tmp_path, "build"))))
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci.index("make gtk") < ci.index("make test")
