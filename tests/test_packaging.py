"""The .deb's files and the bundle's filters, without a build (CI's check-build and check-deb
build, install and self-test the real thing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build_scripts"))

import build  # noqa: E402
import bundle  # noqa: E402
import check_deb  # noqa: E402
import deb  # noqa: E402

PYPROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _fields(control: str) -> dict[str, str]:
    fields, name = {}, None
    for line in control.splitlines():
        if line.startswith(" "):
            fields[name] += "\n" + line
        else:
            name, value = line.split(": ", 1)
            fields[name] = value
    return fields


@pytest.fixture
def desktop_file(tmp_path):
    path = tmp_path / "kaap.desktop"
    path.write_text(deb.DESKTOP_ENTRY)
    return path


def test_menu_entry_starts_kaap_and_its_new_note_action_runs_new_note(desktop_file):
    assert check_deb.menu_command(desktop_file) == ["kaap"]
    assert check_deb.menu_command(desktop_file, "new-note") == ["kaap", "--new-note"]


def test_menu_entry_names_the_icon_category_and_window_class(desktop_file):
    lines = desktop_file.read_text().splitlines()
    for line in ("Name=Kaap", "Icon=kaap", "Categories=Utility;", "StartupWMClass=kaap",
                 "Actions=new-note;", "[Desktop Action new-note]", "Name=New note"):  # fmt: skip
        assert line in lines


def test_field_codes_are_left_out_of_the_menu_command(tmp_path):
    path = tmp_path / "kaap.desktop"
    path.write_text(deb.DESKTOP_ENTRY.replace("Exec=kaap\n", "Exec=kaap %U\n"))
    assert check_deb.menu_command(path) == ["kaap"]


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="needs desktop-file-utils")
def test_menu_entry_is_valid(desktop_file):
    result = subprocess.run(["desktop-file-validate", str(desktop_file)], capture_output=True)
    assert (result.returncode, result.stdout) == (0, b"")


def test_control_file_has_pyproject_version_and_the_webkitgtk_depends():
    fields = _fields(deb.control(deb.version(), "amd64", deb.merge_depends(["libc6 (>= 2.35)"]), 9))
    assert fields["Package"] == "kaap"
    assert fields["Version"] == PYPROJECT_VERSION
    assert fields["Architecture"] == "amd64"
    assert fields["Installed-Size"] == "9"
    assert "<" in fields["Maintainer"] and fields["Description"].count("\n") >= 1
    depends = [d.strip() for d in fields["Depends"].split(",")]
    assert {
        "libc6 (>= 2.35)",
        "gir1.2-webkit2-4.1",
        "libwebkit2gtk-4.1-0",
        "gir1.2-gtk-3.0",
    } <= set(depends)


def test_depends_name_each_package_once():
    merged = deb.merge_depends(["libgirepository-1.0-1 (>= 1.71.0)", "libc6 (>= 2.35)"])
    names = [d.split()[0] for d in merged]
    assert len(names) == len(set(names))
    assert "libgirepository-1.0-1 (>= 1.71.0)" in merged


def test_stage_puts_the_folder_in_opt_with_a_command_a_menu_entry_and_icons(tmp_path):
    onedir = tmp_path / "dist" / "kaap"
    (onedir / "_internal").mkdir(parents=True)
    (onedir / "kaap").write_bytes(b"\x7fELF" + b"\0" * 2000)
    (onedir / "kaap").chmod(0o700)
    (onedir / "_internal" / "base_library.zip").write_bytes(b"\0" * 5000)
    tree = tmp_path / "root"
    deb.stage(tree, onedir, ["libc6"], "1.2.3", "amd64")

    assert (tree / "opt/kaap/kaap").stat().st_mode & 0o777 == 0o755
    assert (tree / "opt/kaap/_internal/base_library.zip").stat().st_mode & 0o777 == 0o644
    assert os.readlink(tree / "usr/bin/kaap") == "/opt/kaap/kaap"
    assert (tree / "usr/share/applications/kaap.desktop").read_text() == deb.DESKTOP_ENTRY
    from PIL import Image

    for size in deb.ICON_SIZES:
        with Image.open(tree / f"usr/share/icons/hicolor/{size}x{size}/apps/kaap.png") as icon:
            assert icon.size == (size, size)
    fields = _fields((tree / "DEBIAN/control").read_text())
    assert fields["Version"] == "1.2.3"
    assert int(fields["Installed-Size"]) >= 2 + 5  # KiB of the two files, rounded up


def _fake_onedir(tmp_path: Path) -> Path:
    onedir = tmp_path / "dist" / "kaap"
    (onedir / "_internal").mkdir(parents=True)
    (onedir / "kaap").write_bytes(b"\x7fELF" + b"\0" * 2000)
    (onedir / "_internal" / "base_library.zip").write_bytes(b"\0" * 5000)
    return onedir


@pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="needs dpkg-deb")
def test_check_deb_finds_a_package_without_its_icon(tmp_path):
    tree = tmp_path / "root"
    deb.stage(tree, _fake_onedir(tmp_path), ["libc6"], "1.2.3", "amd64")
    good, bad = tmp_path / "good.deb", tmp_path / "bad.deb"
    build_deb = ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(tree)]
    subprocess.run([*build_deb, str(good)], check=True, capture_output=True)
    (tree / "usr/share/icons/hicolor/48x48/apps/kaap.png").unlink()
    subprocess.run([*build_deb, str(bad)], check=True, capture_output=True)

    assert check_deb.package_problems(good) == []
    assert check_deb.package_problems(bad) == [
        "./usr/share/icons/hicolor/48x48/apps/kaap.png is not in the package"
    ]


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("/usr/lib/x86_64-linux-gnu/libgtk-3.so.0", False),
        ("/usr/lib/x86_64-linux-gnu/libgirepository-1.0.so.1", False),
        ("/lib/x86_64-linux-gnu/libglib-2.0.so.0", False),
        ("/usr/lib64/libssl.so.3", False),
        ("/usr/lib/x86_64-linux-gnu/gdk-pixbuf-2.0/2.10.0/loaders/libpixbufloader-png.so", False),
        # Python's own: the bootloader loads libpython from the bundle.
        ("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", True),
        ("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", True),
        ("/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", True),
        ("/usr/lib/python3/dist-packages/gi/_gi.cpython-311-x86_64-linux-gnu.so", True),
        ("/work/.venv/lib/python3.11/site-packages/pillow.libs/libjpeg-6dc8d115.so.62", True),
        ("/usr/local/lib/libfoo.so.1", True),
        ("/usr/library/libfoo.so.1", True),
    ],
)
def test_bundle_leaves_the_distributions_libraries_to_the_system(source, kept):
    assert bundle.keep_binary(source) is kept


@pytest.mark.parametrize(
    ("dest", "source", "kept"),
    [
        ("gi_typelibs/Gtk-3.0.typelib", "/usr/lib/x86_64-linux-gnu/girepository-1.0/Gtk-3.0.typelib", False),
        ("share/glib-2.0/schemas/gschemas.compiled", "/w/build/app/_pyi_gschema_compilation/gschemas.compiled", False),
        ("lib/gdk-pixbuf/loaders.cache", "/w/build/app/loaders.cache", False),
        ("share/icons/hicolor/index.theme", "/usr/share/icons/hicolor/index.theme", False),
        ("webapp/static/js/app.js", "/w/webapp/static/js/app.js", True),
        ("certifi/cacert.pem", "/w/.venv/lib/python3.11/site-packages/certifi/cacert.pem", True),
    ],
)  # fmt: skip
def test_bundle_leaves_typelibs_and_gtk_data_to_the_system(dest, source, kept):
    assert bundle.keep_data(dest, source) is kept


def test_bundle_drops_the_runtime_hooks_that_point_gtk_into_the_bundle():
    assert not bundle.keep_script("pyi_rth_gi")
    assert not bundle.keep_script("pyi_rth_gtk")
    assert bundle.keep_script("pyi_rth_multiprocessing")
    assert bundle.keep_script("rthook_system_typelibs")


def test_spec_filters_binaries_data_and_hooks_through_bundle():
    spec = (ROOT / "app.spec").read_text()
    for call in (
        "bundle.keep_binary(b[1])",
        "bundle.keep_data(d[0], d[1])",
        "bundle.keep_script(s[0])",
    ):
        assert call in spec


def test_a_build_is_fresh_until_one_of_its_sources_changes(tmp_path):
    for name in build.INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "app.spec").write_text("")
    (tmp_path / "webapp" / "__pycache__").mkdir(parents=True)
    output = tmp_path / "dist" / "kaap" / "kaap"
    output.parent.mkdir(parents=True)
    output.write_text("")
    os.utime(tmp_path / "app.spec", (1000, 1000))
    os.utime(output, (2000, 2000))
    assert build.fresh(output, tmp_path)

    (tmp_path / "webapp" / "__pycache__" / "x.pyc").write_text("")  # caches do not count
    assert build.fresh(output, tmp_path)
    (tmp_path / "webapp" / "views.py").write_text("")
    assert not build.fresh(output, tmp_path)
    assert not build.fresh(tmp_path / "dist" / "missing", tmp_path)


def test_desktop_workflow_builds_and_self_tests_on_windows_and_macos():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "desktop.yml").read_text())
    job = workflow["jobs"]["build"]
    assert set(job["strategy"]["matrix"]["os"]) == {"windows-latest", "macos-latest"}
    steps = job["steps"]
    assert any(s.get("with", {}).get("python-version") == "3.11" for s in steps)
    runs = [s.get("run", "") for s in steps]
    assert "python build_scripts/build.py" in runs
    assert "python build_scripts/check_build.py" in runs
    assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in steps)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_check_deb_packs_then_checks_and_leaves_the_build_to_deb_py(tmp_path):
    plan = subprocess.run(
        ["make", "-n", f"VENV={tmp_path / 'venv'}", "check-deb"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert plan.index("build_scripts/deb.py") < plan.index("build_scripts/check_deb.py")
    # deb.py runs PyInstaller only when dist/kaap/ is stale: CI's check-build already built it.
    assert "build_scripts/build.py" not in plan


def test_runtime_hook_adds_the_systems_typelib_folders_after_the_users(monkeypatch, tmp_path):
    import runpy

    monkeypatch.setenv("GI_TYPELIB_PATH", str(tmp_path))
    runpy.run_path(str(ROOT / "build_scripts" / "rthook_system_typelibs.py"))
    path = os.environ["GI_TYPELIB_PATH"].split(os.pathsep)
    assert path[0] == str(tmp_path)
    assert len(path) == len(set(path))
    assert all(Path(p).is_dir() for p in path)
    debian = {str(d) for d in Path("/usr/lib").glob("*-linux-gnu*/girepository-1.0") if d.is_dir()}
    assert debian <= set(path)
