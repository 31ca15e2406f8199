"""``make run`` on a fresh checkout says what it installs before the silent minute."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["run", "serve", "test", "build"])
def test_every_first_install_says_what_it_installs_and_that_it_takes_a_while(tmp_path, target):
    plan = subprocess.run(
        ["make", "-n", f"VENV={tmp_path / 'venv'}", target],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    install = next(i for i, line in enumerate(plan) if "pip install --quiet -r" in line)
    said = "\n".join(plan[:install])
    assert "Installing Kaap's dependencies" in said
    assert "The first time takes a minute or two" in said
