"""Start-up benchmark: Kaap beside a minimal pywebview hello-world (the floor), 300 notes.

Each case launches Kaap and the floor built the same way, interleaved round by round:

- ``source``: ``python -m desktop --gui gtk`` beside ``python bench/hello.py``;
- ``deb``: the installed package, ``/opt/kaap/kaap`` (PyInstaller onedir), beside the floor's
  onedir build (``--install-deb PATH`` installs a ``.deb`` for the run and removes it after);
- ``onefile``: ``dist/Kaap`` beside the floor's one-file build.

Each launch reports, by the page's own clock (desktop/probe.py's ``kaap-probe`` line): the first
contentful paint, "painted" (load event + two animation frames), notes visible (the stale
snapshot's first paint or the live cards, whichever first) and notes live (the first live grid,
editable); and the bench reads the memory of the whole process tree (PSS) once the notes are
live. The floor has no notes: its notes visible and live are its painted time, and every ratio
is against the floor's painted time. Kaap opens a data directory of 300 notes seeded once
(bench/corpus.py) and copied for each case; the first launch of each command (Kaap's writes
its shell cache, and its snapshot once the grid has settled: the bench waits for it, and
launches again, up to three times, while none was saved) is a warm-up, left out of the
figures. Runs under the current
display, or a private Xvfb when there is none.

    python bench/startup.py [--cases source,deb,onefile] [--runs 5] [--no-build]
                            [--install-deb PATH] [--compare REF] [--record]

``--compare REF`` adds the source run of git REF (a temporary worktree, its own data directory
seeded by its own code) to the source case's rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reftree import RefTree  # noqa: E402
from desktop import probe  # noqa: E402

PY = sys.executable
NOTES = 300
KAAP_ONEFILE = ROOT / "dist" / "Kaap"
KAAP_DEB = Path("/opt/kaap/kaap")
HELLO_ONEFILE = ROOT / "dist-bench" / "hello"
HELLO_ONEDIR = ROOT / "dist-bench" / "hello-onedir" / "hello-onedir"
CASES = ("source", "deb", "onefile")
# The targets, each against the floor's painted time in the same run.
VISIBLE_TARGET = {"source": 1.35, "deb": 1.35, "onefile": 1.5}
LIVE_TARGET = 2.0
MEMORY_TARGET = 1.4
ONEFILE_MAX_MB = 25.0
LAUNCH_TIMEOUT = 60.0
TIMES = ("fcp", "painted", "notes_visible", "notes_live")

# Run in the tree whose app it seeds (this one, or --compare's): migrate as the desktop does,
# then the corpus through that tree's own bench/corpus.py.
SEED = """
import sys
from pathlib import Path
sys.path.insert(0, ".")
from webapp import create_app
from bench.corpus import load
data_dir = Path(sys.argv[1])
create_app({"CONFIG": "desktop", "DATA_DIR": str(data_dir), "LAUNCH_TOKEN": "seed"})
load(data_dir / "kaap.sqlite3", int(sys.argv[2]))
"""


@dataclass
class Launch:
    """One launch's figures: seconds after launch (None when the page did not say)."""

    fcp: float | None
    painted: float | None
    notes_visible: float | None
    notes_live: float | None
    first: str | None
    memory: float | None
    load: tuple[float, float]  # the 1-minute load average before and after


@dataclass
class Command:
    case: str
    app: str  # "Kaap", "floor" or "REF"
    argv: list[str]
    cwd: Path = ROOT
    size_mb: float | None = None
    data_dir: Path | None = None  # Kaap's
    launches: list[Launch] = field(default_factory=list)


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


def figures_of(line: str) -> dict | None:
    """The probe's figures, also from an older tree's ``kaap-painted`` line (--compare)."""
    if line.startswith("kaap-painted "):
        return {"painted": float(line.split()[1])}
    return probe.parse(line)


def read_figures(proc: subprocess.Popen, command: list[str]) -> dict:
    """The launch's probe line, or RuntimeError when it exits, fails or times out first."""
    deadline = time.monotonic() + LAUNCH_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        buffered = b""
        while time.monotonic() < deadline:
            if not selector.select(deadline - time.monotonic()):
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"{command} exited {proc.wait()} before its probe line")
            buffered += chunk
            *lines, buffered = buffered.split(b"\n")
            for raw in lines:
                text = raw.decode(errors="replace")
                if text.startswith("kaap-probe-failed"):
                    raise RuntimeError(f"{command}: {text}")
                if (figures := figures_of(text)) is not None:
                    return figures
    raise RuntimeError(f"{command}: no probe line within {LAUNCH_TIMEOUT:.0f} s")


SNAPSHOT_WAIT = 8.0  # seconds a warm-up launch waits for the page to save its snapshot


def snapshot_saved(command: Command, since: float, wait: float = SNAPSHOT_WAIT) -> bool:
    """Wait for the page to save the notes' snapshot (it waits for the grid to settle), which
    the next launches show first."""
    path = command.data_dir / "cache" / "snapshot.html"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if path.stat().st_mtime >= since:
                return True
        time.sleep(0.1)
    return False


def warm_up(command: Command, env: dict, launches: int = 3) -> None:
    """Launch until the caches are written: the shell cache at once, the snapshot when the
    page saves it (a first launch on a new data directory has been seen not to)."""
    for _ in range(launches if command.data_dir is not None else 1):
        try_launch(command, env, settle=True)
        if command.data_dir is None or (command.data_dir / "cache" / "snapshot.html").exists():
            return
    print(f"{command.case}: no snapshot saved in {launches} warm-up launches; notes visible "
          "is then the live cards", file=sys.stderr, flush=True)  # fmt: skip


def launch_once(command: Command, env: dict, settle: bool = False) -> Launch:
    """Launch, read the probe's figures, the tree's PSS once they are in, then end it (a
    warm-up launch once its snapshot is saved)."""
    load_before = os.getloadavg()[0]
    started = time.time()
    proc = subprocess.Popen(
        command.argv, cwd=command.cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        figures = read_figures(proc, command.argv)
        time.sleep(0.3)  # let the tree settle before reading its memory
        memory = pss_mb(tree(proc.pid))
        if settle and command.data_dir is not None:
            snapshot_saved(command, started)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def since(name: str) -> float | None:
        value = figures.get(name)
        return None if value is None else value - started

    return Launch(
        *(since(name) for name in TIMES), figures.get("first"), memory,
        (load_before, os.getloadavg()[0]),
    )  # fmt: skip


def try_launch(command: Command, env: dict, settle: bool = False) -> Launch:
    """A launch; one that failed is said on stderr and counted as missing figures."""
    try:
        return launch_once(command, env, settle)
    except RuntimeError as exc:
        print(f"a launch failed: {exc}", file=sys.stderr, flush=True)
        return Launch(None, None, None, None, None, None, (os.getloadavg()[0],) * 2)


def build_hello() -> None:
    """The floor's one-file and onedir builds (bench/hello.spec makes both)."""
    subprocess.run(
        [PY, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(HELLO_ONEFILE.parent), "--workpath", str(ROOT / "build" / "bench"),
         "bench/hello.spec"],
        cwd=ROOT, check=True,
    )  # fmt: skip


def build(cases: list[str], no_build: bool) -> None:
    """One PyInstaller build after the other (never two at once on a two-core machine)."""
    if "onefile" in cases and (not no_build or not KAAP_ONEFILE.exists()):
        subprocess.run([PY, "build_scripts/build.py"], cwd=ROOT, check=True)
    frozen = {"deb": HELLO_ONEDIR, "onefile": HELLO_ONEFILE}
    if any(case in frozen and (not no_build or not frozen[case].exists()) for case in cases):
        build_hello()


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def commands(
    cases: list[str], data_dir: Path, kaap_deb: Path = KAAP_DEB
) -> tuple[list[Command], list[str]]:
    """The launches of the cases whose artifacts exist, and a sentence for each skipped one."""
    chosen, skipped = [], []
    kaap_args = lambda case: ["--data-dir", str(data_dir / case)]  # noqa: E731
    if "source" in cases:
        chosen += [
            Command("source", "Kaap", [PY, "-m", "desktop", "--gui", "gtk", *kaap_args("source")]),
            Command("source", "floor", [PY, "bench/hello.py"]),
        ]
    if "deb" in cases:
        if not kaap_deb.exists():
            skipped.append(
                f"deb: skipped, no {kaap_deb} (build the package with `make deb`, install it "
                "with `apt install ./dist/kaap_*.deb`, or pass --install-deb PATH)"
            )
        elif not HELLO_ONEDIR.exists():
            skipped.append(f"deb: skipped, no floor onedir build {HELLO_ONEDIR} (drop --no-build)")
        else:
            chosen += [
                Command("deb", "Kaap", [str(kaap_deb), *kaap_args("deb")],
                        size_mb=folder_mb(kaap_deb.parent)),
                Command("deb", "floor", [str(HELLO_ONEDIR)], size_mb=folder_mb(HELLO_ONEDIR.parent)),
            ]  # fmt: skip
    if "onefile" in cases:
        if not KAAP_ONEFILE.exists() or not HELLO_ONEFILE.exists():
            skipped.append(
                f"onefile: skipped, no {KAAP_ONEFILE} or {HELLO_ONEFILE} (drop --no-build)"
            )
        else:
            chosen += [
                Command("onefile", "Kaap", [str(KAAP_ONEFILE), *kaap_args("onefile")],
                        size_mb=KAAP_ONEFILE.stat().st_size / 1e6),
                Command("onefile", "floor", [str(HELLO_ONEFILE)],
                        size_mb=HELLO_ONEFILE.stat().st_size / 1e6),
            ]  # fmt: skip
    return chosen, skipped


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


def seed(root: Path, data_dir: Path, env: dict) -> None:
    """A desktop data directory of ``NOTES`` notes, written by ``root``'s own code."""
    subprocess.run(
        [PY, "-c", SEED, str(data_dir), str(NOTES)], cwd=root, env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


@contextlib.contextmanager
def installed_deb(path: Path | None):
    """``--install-deb``: the package installed for the run, removed after."""
    if path is None:
        yield
        return
    if KAAP_DEB.exists():
        raise SystemExit(f"{KAAP_DEB} is installed already: leave out --install-deb")
    subprocess.run(["apt-get", "install", "-y", str(path.resolve())], check=True)
    try:
        yield
    finally:
        subprocess.run(["apt-get", "remove", "-y", "kaap"], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="of source,deb,onefile")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-build", action="store_true", help="reuse dist/ if present")
    parser.add_argument("--install-deb", type=Path, metavar="PATH",
                        help="install this .deb for the run (apt-get), remove it after")  # fmt: skip
    parser.add_argument("--deb-dir", type=Path, default=KAAP_DEB.parent, metavar="DIR",
                        help="the onedir folder the deb case launches (default: the installed "
                        "package's; dist/kaap is the same folder before packaging)")  # fmt: skip
    parser.add_argument("--compare", metavar="REF", help="also launch git REF from source")
    parser.add_argument("--record", action="store_true", help="write into bench/RESULTS.md")
    parser.add_argument(
        "--note", default="", help="a sentence for the record (the machine's state)"
    )
    args = parser.parse_args()
    cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    if unknown := set(cases) - set(CASES):
        parser.error(f"unknown case(s) {', '.join(sorted(unknown))}: choose from {CASES}")
    build(cases, args.no_build)
    with contextlib.ExitStack() as stack:
        stack.enter_context(installed_deb(args.install_deb))
        ref = RefTree(args.compare) if args.compare else None
        ref_root = stack.enter_context(ref) if ref else None
        report = measure(args, cases, ref, ref_root)
    if report is None:
        return 1
    print(report)
    if args.record:
        from bench.results import record

        note = f"\n\n{args.note.strip()}" if args.note.strip() else ""
        record("startup-notes", f"{DESCRIPTION}\n\n{report}{note}")
        print("\nrecorded in bench/RESULTS.md (section startup-notes)")
    return 0


def measure(args, cases: list[str], ref: RefTree | None, ref_root: Path | None) -> str | None:
    env = dict(os.environ, KAAP_STARTUP_PROBE="1")
    # A user's second launch from source finds its modules compiled (__pycache__); a sandbox
    # that sets PYTHONDONTWRITEBYTECODE would make every launch compile them (0.2-0.4 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    xvfb = own_display(env)
    data_dir = Path(tempfile.mkdtemp(prefix="kaap-bench-"))
    os.chdir(ROOT)
    try:
        chosen, skipped = commands(cases, data_dir, args.deb_dir.resolve() / "kaap")
        for line in skipped:
            print(line, flush=True)
        if not chosen:
            print("nothing to measure")
            return None
        seed(ROOT, data_dir / "seeded", env)
        for command in chosen:
            if command.app == "Kaap":
                command.data_dir = data_dir / command.case
                shutil.copytree(data_dir / "seeded", command.data_dir)
        if ref_root and "source" in cases:  # its own schema: seeded by its own code
            seed(ref_root, data_dir / "ref", env)
            chosen.insert(2, Command("source", "REF", [PY, "-m", "desktop", "--gui", "gtk",
                                     "--data-dir", str(data_dir / "ref")], cwd=ref_root))  # fmt: skip
        for command in chosen:  # caches written, left out of the figures
            warm_up(command, env)
        load_before = os.getloadavg()
        for number in range(args.runs):  # interleaved, so drift hits every case alike
            print(f"round {number + 1} of {args.runs}", file=sys.stderr, flush=True)
            for command in chosen:
                command.launches.append(try_launch(command, env))
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if xvfb:
            xvfb.terminate()
    heading = describe(args, env, xvfb is not None, load_before, load_after)
    return "\n".join([heading, "", *skipped, *([""] if skipped else []), *table(chosen, ref)])


def describe(args, env, own_xvfb: bool, before, after) -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    loads = lambda values: " ".join(f"{v:.2f}" for v in values)  # noqa: E731
    return (
        f"**{now}, commit {commit}**, `python bench/startup.py --cases {args.cases} --runs "
        f"{args.runs}`: {platform.platform()}, {cpu}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, display {env['DISPLAY']}{' (Xvfb)' if own_xvfb else ''}"
        f", {NOTES} notes, medians (min-max) of {args.runs} warm launches each"
        f"{f', deb case from {args.deb_dir}' if 'deb' in args.cases else ''}. Load average "
        f"{loads(before)} before the runs, {loads(after)} after."
    )


def spread(values: list[float | None], digits: str = ".2f") -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    text = f"{statistics.median(known):{digits}} ({min(known):{digits}}-{max(known):{digits}})"
    return text if len(known) == len(values) else f"{text}, {len(values) - len(known)} missing"


def median(values: list[float | None]) -> float | None:
    """The median, None if any launch lacked the figure (a missing figure fails its target)."""
    return None if not values or None in values else statistics.median(values)


def verdict(ratio: float | None, target: float) -> str:
    if ratio is None:
        return "FAIL (no figure)"
    return f"{ratio:.2f}x {'PASS' if ratio <= target else 'FAIL'} (<= {target}x)"


def table(chosen: list[Command], ref: RefTree | None) -> list[str]:
    out = [
        "| case | app | first paint (s) | painted (s) | notes visible (s) | notes live (s) "
        "| first | PSS (MB) | size (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in chosen:
        runs = c.launches
        first = sorted({r.first for r in runs if r.first}) or ["-"]
        size = "-" if c.size_mb is None else f"{c.size_mb:.1f}"
        out.append(
            f"| {c.case} | {c.app} | {spread([r.fcp for r in runs])} "
            f"| {spread([r.painted for r in runs])} | {spread([r.notes_visible for r in runs])} "
            f"| {spread([r.notes_live for r in runs])} | {'/'.join(first)} "
            f"| {spread([r.memory for r in runs], '.0f')} | {size} |"
        )
    out += ["", "Against the floor's painted time in the same rounds:", ""]
    out += ["| case | notes visible | notes live | memory | size |", "|---|---|---|---|---|"]
    by = {(c.case, c.app): c for c in chosen}
    for case in dict.fromkeys(c.case for c in chosen):
        kaap, floor = by[case, "Kaap"].launches, by[case, "floor"].launches
        floor_painted = median([r.painted for r in floor])

        def ratio(values, base):
            value = median(values)
            return None if value is None or not base else value / base

        visible = ratio([r.notes_visible for r in kaap], floor_painted)
        live = ratio([r.notes_live for r in kaap], floor_painted)
        floor_memory = median([r.memory for r in floor])
        memory = ratio([r.memory for r in kaap], floor_memory)
        # PSS shares a library's pages among every process mapping it, other people's too:
        # the difference moves less than the ratio on a shared machine.
        more = "" if memory is None else f", +{(memory - 1) * floor_memory:.0f} MB"
        size = "-"
        if case == "onefile":
            mb = by[case, "Kaap"].size_mb
            size = f"{mb:.1f} MB {'PASS' if mb <= ONEFILE_MAX_MB else 'FAIL'} (<= {ONEFILE_MAX_MB:.0f} MB)"
        out.append(
            f"| {case} | {verdict(visible, VISIBLE_TARGET[case])} | {verdict(live, LIVE_TARGET)} "
            f"| {verdict(memory, MEMORY_TARGET)}{more} | {size} |"
        )
    if ref and ("source", "REF") in by:
        kaap, other = by["source", "Kaap"].launches, by["source", "REF"].launches
        ours, theirs = median([r.painted for r in kaap]), median([r.painted for r in other])
        if ours and theirs:
            out += [
                "",
                f"source, {ref.describe()}: painted {ours / theirs:.2f}x REF's (by REF's own probe)",
            ]
    out += ["", "1-minute load average before/after each launch, round by round:", ""]
    rounds = max(len(c.launches) for c in chosen)
    for i in range(rounds):
        loads = ", ".join(
            f"{c.case} {c.app} {c.launches[i].load[0]:.1f}/{c.launches[i].load[1]:.1f}"
            for c in chosen
            if i < len(c.launches)
        )
        out.append(f"- round {i + 1}: {loads}")
    return out


DESCRIPTION = """## Start-up with the notes on screen (bench/startup.py, issue #18)

`python bench/startup.py --cases source,deb,onefile --runs N [--record]`: Kaap beside the floor
(bench/hello.py, a pywebview hello-world built the same way: from source, onedir, one file),
interleaved round by round, each launch warm (the first launch of each command, which writes
Kaap's shell cache and snapshot, is left out; the bench launches again while no snapshot was
saved, up to three times), 300 notes (bench/corpus.py, seeded once, copied
per case). Times from just before `Popen`, by the page's clock (desktop/probe.py): first paint
(`first-contentful-paint`), painted (load + 2 animation frames), notes visible (the stale
snapshot's first paint or the live cards, whichever first: "first" says which), notes live (the
`kaap:notes-live` mark: first live grid drawn, editable). Memory: PSS of the process tree once
the notes are live. Ratios are against the floor's painted time; targets (issue #18): notes
visible <= 1.35x (source, .deb) / 1.5x (one file), notes live <= 2.0x, memory <= 1.4x, one
file <= 25 MB."""


if __name__ == "__main__":
    sys.exit(main())
