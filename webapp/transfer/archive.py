"""Reading an uploaded archive or folder without ever writing outside the data directory.

Nothing is extracted: zip members are read into memory one at a time, after checks against
paths that escape (``..``, absolute), symlinks, and zip bombs (sizes and ratios).
"""

from __future__ import annotations

import lzma
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

MEMBER_MAX_BYTES = 64 * 1024 * 1024
TOTAL_MAX_BYTES = 4 * 1024 * 1024 * 1024  # the default of IMPORT_MAX_UNCOMPRESSED_BYTES
RATIO_MAX = 200  # uncompressed / compressed, for members over 1 MB
# What zipfile can decompress here; deflate64, implode and the rest raise only when read.
METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# What reading one damaged member can raise: a bad CRC, a truncated or corrupt stream.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)


class ArchiveError(Exception):
    """The archive as a whole cannot be read."""


@dataclass
class Entry:
    path: str  # POSIX, relative to the archive root
    size: int


@dataclass
class Refusal:
    path: str
    reason: str


class Source:
    """Files of a Takeout or Kaap export, from a ``.zip`` or an unpacked folder."""

    def __init__(self, location: Path | BinaryIO, max_total: int = TOTAL_MAX_BYTES):
        """``location``: a folder, a zip file, or an open (seekable) zip such as an upload."""
        self.location = location
        self.max_total = max_total
        self.refused: list[Refusal] = []
        self._entries: dict[str, Entry] = {}
        self._zip: zipfile.ZipFile | None = None
        if isinstance(location, Path) and location.is_dir():
            self._scan_folder()
        else:
            try:
                self._zip = zipfile.ZipFile(location)
            except UnicodeDecodeError as exc:
                # zipfile decodes every name up front: one bad name fails the whole list.
                raise ArchiveError(
                    "The archive's list of files is damaged (a name that is not valid UTF-8)."
                ) from exc
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise ArchiveError("This file is not a zip archive or a folder.") from exc
            self._scan_zip()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def entries(self) -> Iterator[Entry]:
        return iter(list(self._entries.values()))

    def exists(self, path: str) -> bool:
        return path in self._entries

    def read(self, path: str) -> bytes:
        """The bytes of one entry (checked again while reading: sizes can lie)."""
        entry = self._entries[path]
        try:
            if self._zip is not None:
                with self._zip.open(path) as fh:
                    data = fh.read(MEMBER_MAX_BYTES + 1)
            else:
                with open(self.location / path, "rb") as fh:
                    data = fh.read(MEMBER_MAX_BYTES + 1)
        except _READ_ERRORS as exc:
            # zipfile's own words ("Bad CRC-32 for file ...") name no path of this machine.
            why = str(exc) if isinstance(exc, zipfile.BadZipFile | zlib.error) else "damaged"
            raise ArchiveError(f"{path} could not be read ({why}).") from exc
        if len(data) > MEMBER_MAX_BYTES or len(data) > entry.size + 1024:
            raise ArchiveError(f"{path} is larger than it says or than {MEMBER_MAX_BYTES} bytes.")
        return data

    def _scan_zip(self) -> None:
        total = 0
        for info in self._zip.infolist():
            if info.is_dir():
                continue
            reason = _bad_path(info.filename)
            mode = info.external_attr >> 16
            if reason is None and stat.S_ISLNK(mode):
                reason = "a symbolic link"
            if reason is None and info.flag_bits & 0x1:
                reason = "encrypted"
            if reason is None and info.compress_type not in METHODS:
                method = zipfile.compressor_names.get(info.compress_type, info.compress_type)
                reason = f"compressed with a method Kaap cannot read ({method})"
            if reason is None and info.file_size > MEMBER_MAX_BYTES:
                reason = f"larger than {MEMBER_MAX_BYTES // (1024 * 1024)} MB"
            if (
                reason is None
                and info.file_size > 1024 * 1024
                and info.file_size > RATIO_MAX * max(info.compress_size, 1)
            ):
                reason = "compressed suspiciously well (a zip bomb?)"
            if reason is None and total + info.file_size > self.max_total:
                reason = _over_total(self.max_total)
            if reason:
                self.refused.append(Refusal(info.filename, reason))
                continue
            total += info.file_size
            self._entries[info.filename] = Entry(info.filename, info.file_size)

    def _scan_folder(self) -> None:
        root = self.location.resolve()
        total = 0
        for folder, dirs, files in os.walk(root, followlinks=False):
            for name in list(dirs):
                if (Path(folder) / name).is_symlink():
                    dirs.remove(name)
                    self.refused.append(Refusal(_rel(root, Path(folder) / name), "a symbolic link"))
            for name in files:
                path = Path(folder) / name
                rel = _rel(root, path)
                if path.is_symlink():
                    self.refused.append(Refusal(rel, "a symbolic link"))
                    continue
                size = path.stat().st_size
                if size > MEMBER_MAX_BYTES:
                    self.refused.append(Refusal(rel, "larger than 64 MB"))
                    continue
                if total + size > self.max_total:
                    self.refused.append(Refusal(rel, _over_total(self.max_total)))
                    continue
                total += size
                self._entries[rel] = Entry(rel, size)


def _over_total(limit: int) -> str:
    return f"the archive unpacks to more than {megabytes(limit)} (IMPORT_MAX_UNCOMPRESSED_BYTES)"


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB" if size >= 1_000_000 else f"{size:,} bytes"


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _bad_path(name: str) -> str | None:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "a path that leaves the archive (..)"
    return None
