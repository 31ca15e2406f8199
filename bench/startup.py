"""Start-up benchmark: Kaap beside a minimal pywebview hello-world (the floor).

For the executable (dist/Kaap vs the hello-world built the same way) and for the source run
(``python -m desktop`` vs ``python bench/hello.py``): the time from launch to the page being
painted (two animation frames after load, reported by the page's own clock), the executable's
size, and the memory of the whole process tree (PSS, so shared pages count once) at that moment.
Runs under the current display, or a private Xvfb when there is none.

    python bench/startup.py [--runs 5] [--no-build] [--compare REF]

``--compare REF`` adds the source run of git REF (a temporary worktree, its own data
directory) to the interleaved launches: this tree's start-up beside REF's in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reftree import RefTree  # noqa: E402

PY = sys.executable
KAAP_EXE = ROOT / "dist" / "Kaap"
HELLO_EXE = ROOT / "dist-bench" / "hello"


def tree(pid: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rpartition(")")[2].split()[1]
                )
    found, frontier = {pid}, {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def pss_mb(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def launch_once(command: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, float]:
    """Seconds from launch to painted, and the tree's PSS (MB) then."""
    started = time.time()
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        for line in proc.stdout:
            if line.startswith("kaap-painted "):
                painted = float(line.split()[1])
                break
        else:
            raise RuntimeError(f"{command} exited {proc.wait()} before painting")
        time.sleep(0.3)  # let the tree settle before reading its memory
        memory = pss_mb(tree(proc.pid))
        return painted - started, memory
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def build(no_build: bool) -> None:
    if not no_build or not KAAP_EXE.exists():
        subprocess.run([PY, "build_scripts/build.py"], cwd=ROOT, check=True)
    if not no_build or not HELLO_EXE.exists():
        subprocess.run(
            [PY, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
             "--distpath", str(HELLO_EXE.parent), "--workpath", str(ROOT / "build" / "bench"),
             "bench/hello.spec"],
            cwd=ROOT, check=True,
        )  # fmt: skip


def own_display(env: dict):
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        env["DISPLAY"] = ":" + pipe.readline().strip()
    return xvfb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-build", action="store_true", help="reuse dist/ if present")
    parser.add_argument("--compare", metavar="REF", help="also launch git REF from source")
    args = parser.parse_args()
    build(args.no_build)
    with contextlib.ExitStack() as stack:
        ref = RefTree(args.compare) if args.compare else None
        ref_root = stack.enter_context(ref) if ref else None
        return measure(args, ref, ref_root)


def measure(args: argparse.Namespace, ref: RefTree | None, ref_root: Path | None) -> int:

    env = dict(os.environ, KAAP_STARTUP_PROBE="1")
    # A user's second launch from source finds its modules compiled (__pycache__); a sandbox
    # that sets PYTHONDONTWRITEBYTECODE would make every launch compile them (0.2-0.4 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    xvfb = own_display(env)
    data_dir = Path(tempfile.mkdtemp(prefix="kaap-bench-"))
    kaap_args = ["--data-dir", str(data_dir)]
    cases = {
        ("executable", "Kaap"): [str(KAAP_EXE), *kaap_args],
        ("executable", "floor"): [str(HELLO_EXE)],
        ("source", "Kaap"): [PY, "-m", "desktop", "--gui", "gtk", *kaap_args],
        ("source", "floor"): [PY, "bench/hello.py"],
    }
    cwds = {}
    if ref_root:  # its own data directory: its schema may be older than ours
        cases["source", "REF"] = [PY, "-m", "desktop", "--gui", "gtk", "--data-dir",
                                  str(data_dir / "ref")]  # fmt: skip
        cwds["source", "REF"] = ref_root
    os.chdir(ROOT)
    try:
        launch_once(cases["source", "Kaap"], env)  # creates and migrates the database
        if ref_root:
            launch_once(cases["source", "REF"], env, ref_root)
        results = {case: [] for case in cases}
        # On a shared machine the load says how far to trust the times (ratios suffer less).
        load_before = os.getloadavg()[0]
        for _ in range(args.runs):  # interleaved, so drift hits every case alike
            for case, command in cases.items():
                results[case].append(launch_once(command, env, cwds.get(case, ROOT)))
        load_after = os.getloadavg()[0]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if xvfb:
            xvfb.terminate()

    sizes = {"Kaap": KAAP_EXE.stat().st_size / 1e6, "floor": HELLO_EXE.stat().st_size / 1e6}
    sizes["REF"] = 0.0  # a source run only
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    print(f"{datetime.date.today()}, {platform.platform()}, {cpu}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, display {env['DISPLAY']}"
          f"{' (Xvfb)' if xvfb else ''}, {args.runs} runs each, medians (min-max), "
          f"load average {load_before:.2f} before the runs, {load_after:.2f} after")  # fmt: skip
    print()
    print("| run | app | launch to painted (s) | memory PSS (MB) | executable (MB) |")
    print("|---|---|---|---|---|")
    medians = {}
    for (kind, app), runs in results.items():
        times = [t for t, _ in runs]
        memory = [m for _, m in runs]
        medians[kind, app] = (statistics.median(times), statistics.median(memory))
        size = f"{sizes[app]:.1f}" if kind == "executable" else "-"
        print(f"| {kind} | {app} | {statistics.median(times):.2f} ({min(times):.2f}-"
              f"{max(times):.2f}) | {statistics.median(memory):.0f} | {size} |")  # fmt: skip
    print()
    for kind in ("executable", "source"):
        (kt, km), (ft, fm) = medians[kind, "Kaap"], medians[kind, "floor"]
        line = f"{kind}: time {kt / ft:.2f}x the floor, memory {km / fm:.2f}x"
        if kind == "executable":
            line += f", size {sizes['Kaap'] / sizes['floor']:.2f}x"
        print(line)
    if ref:
        (kt, km), (rt, rm) = medians["source", "Kaap"], medians["source", "REF"]
        print(f"source, {ref.describe()}: time {kt / rt:.2f}x REF's, memory {km / rm:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
