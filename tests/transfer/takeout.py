"""A synthetic Google Keep Takeout with the quirks real ones have."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

from PIL import Image

KEEP = "Takeout/Google Notizen"  # a localized folder name: never rely on "Keep"
COLORS = [
    "DEFAULT",
    "RED",
    "ORANGE",
    "YELLOW",
    "GREEN",
    "TEAL",
    "BLUE",
    "CERULEAN",
    "PURPLE",
    "PINK",
    "BROWN",
    "GRAY",
]
T0 = 1_618_528_050_144_000  # microseconds since the epoch


def image_bytes(fmt="JPEG", size=(30, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 40, 200)).save(out, fmt)
    return out.getvalue()


def notes() -> dict[str, dict | str]:
    """File name -> JSON object (or raw text for broken files)."""
    files: dict[str, dict | str] = {
        "Weekly.json": {
            "title": "주간회의록",
            "textContent": "회의 내용 정리",
            "color": "YELLOW",
            "isPinned": True,
            "isArchived": False,
            "isTrashed": False,
            "createdTimestampUsec": T0,
            "userEditedTimestampUsec": T0 + 5_000_000,
            "labels": [{"name": "Work"}],
            "annotations": [
                {
                    "title": "Kaap",
                    "url": "https://example.org/kaap",
                    "description": "",
                    "source": "WEBLINK",
                }
            ],
        },
        "Groceries.json": {
            "title": "Groceries",
            "color": "GREEN",
            "isPinned": False,
            "isArchived": False,
            "isTrashed": False,
            "createdTimestampUsec": T0 + 1,
            "userEditedTimestampUsec": T0 + 2,
            "listContent": [
                {"text": "milk", "isChecked": True},
                {"text": "eggs", "isChecked": False},
            ],
        },
        "Archived.json": {
            "title": "Old",
            "textContent": "archived",
            "isArchived": True,
            "createdTimestampUsec": T0 + 3,
            "userEditedTimestampUsec": T0 + 4,
        },
        "Trashed.json": {
            "title": "Bin",
            "textContent": "trashed",
            "isTrashed": True,
            "createdTimestampUsec": T0 + 5,
            "userEditedTimestampUsec": T0 + 6,
        },
        "Photo.json": {
            "title": "Photo",
            "textContent": "",
            "createdTimestampUsec": T0 + 7,
            "userEditedTimestampUsec": T0 + 8,
            "attachments": [
                {"filePath": "photo.jpeg", "mimetype": "image/jpeg"},  # on disk as .jpg
                {"filePath": "gone.png", "mimetype": "image/png"},  # missing
                {"filePath": "voice.3gp", "mimetype": "audio/3gpp"},  # audio
            ],
        },
        "LabelOnly.json": {
            "title": "",
            "textContent": "",
            "labels": [{"name": "Ideas"}],
            "createdTimestampUsec": T0 + 9,
            "userEditedTimestampUsec": T0 + 9,
        },
        "Empty.json": {"title": "", "textContent": "", "createdTimestampUsec": T0 + 10},
        "Broken.json": "{not json",
        "Other.json": {"something": "else"},
    }
    for i, color in enumerate(COLORS):
        files[f"Color {color}.json"] = {
            "title": color.title(),
            "textContent": "c",
            "color": color,
            "createdTimestampUsec": T0 + 100 + i,
            "userEditedTimestampUsec": T0 + 100 + i,
        }
    return files


def write_folder(root: Path) -> Path:
    keep = root / KEEP
    keep.mkdir(parents=True)
    for name, content in notes().items():
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        (keep / name).write_text(text, encoding="utf-8")
        (keep / name.replace(".json", ".html")).write_text("<html></html>")
    (keep / "photo.jpg").write_bytes(image_bytes())
    (keep / "voice.3gp").write_bytes(b"\0" * 100)
    (keep / "Labels.txt").write_text("Work\nIdeas\nUnused label\n")
    return root


def write_zip(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    folder = write_folder(path.parent / (path.stem + "-src"))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def add_symlink(path: Path, name: str, target: str) -> None:
    with zipfile.ZipFile(path, "a") as archive:
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)


def patch_member(path: Path, name: str, *, method=None, flags=None, corrupt=False) -> None:
    """Rewrite a member's headers in place: what zipfile itself would never write (an
    encryption flag, deflate64) or a byte changed under its CRC."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(name).header_offset
    encoded = name.encode()
    starts = [offset]  # the local header, then the central directory's entry
    at = data.find(b"PK\x01\x02")
    while at != -1:
        size = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + size] == encoded:
            starts.append(at + 2)  # the central entry has "version made by" first
        at = data.find(b"PK\x01\x02", at + 4)
    for start in starts:
        if flags is not None:
            data[start + 6 : start + 8] = flags.to_bytes(2, "little")
        if method is not None:
            data[start + 8 : start + 10] = method.to_bytes(2, "little")
    if corrupt:
        extra = int.from_bytes(data[offset + 28 : offset + 30], "little")
        data[offset + 30 + len(encoded) + extra] ^= 0xFF
    path.write_bytes(bytes(data))
