"""A small tmpfs of the tests' own, to fill or make read-only for real. Mounting needs root
(CI has it); elsewhere the tests are skipped, saying why, and fail if CI is set."""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest


def _need_root() -> None:
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("mount"):
        return
    if os.environ.get("CI"):
        pytest.fail("the disk tests mount a tmpfs: CI runs them as root")
    pytest.skip("mounting a small tmpfs needs root (CI runs these tests as root)")


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"mount {' '.join(args)} failed: {done.stderr.strip()}")
        pytest.skip(f"this machine does not let us mount a tmpfs: {done.stderr.strip()}")


@contextmanager
def tmpfs(mount_point: Path, size: str):
    """A tmpfs of ``size`` (``8m``) at ``mount_point``, unmounted at the end whatever happened."""
    _need_root()
    mount_point.mkdir()
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point))
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=True)


def remount_read_only(mount_point: Path) -> None:
    _mount("-o", "remount,ro", str(mount_point))


def fill(mount_point: Path) -> Path:
    """Take every free byte of the disk; returns the file that holds them."""
    filler = mount_point / "filler"
    with open(filler, "ab", buffering=0) as fh:
        for chunk in (1024 * 1024, 4096, 1):
            try:
                while fh.write(b"\0" * chunk):
                    pass
            except OSError:
                pass
    assert shutil.disk_usage(mount_point).free < 4096
    return filler
