"""Hostile and unusual image files, built byte by byte where Pillow would not write them."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def png(size=(40, 20), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def mpo(size=(40, 20)) -> bytes:
    """What many phone cameras write: a JPEG with a second picture, opened as format MPO."""
    out = io.BytesIO()
    first, second = Image.new("RGB", size, (10, 200, 10)), Image.new("RGB", size, (0, 0, 250))
    first.save(out, "MPO", save_all=True, append_images=[second])
    return out.getvalue()


def jpeg_cut_in_header() -> bytes:
    """A JPEG that ends inside its header (Pillow's open raises OSError, not its own error)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 20)).save(out, "JPEG")
    return out.getvalue()[:30]


def png_with_huge_text(size: int = 2_000_000) -> bytes:
    """A PNG whose compressed text chunk inflates past Pillow's cap (a ValueError on open)."""
    data = png()
    body = b"k\0\0" + zlib.compress(b"a" * size)
    chunk = struct.pack(">I", len(body)) + b"zTXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"zTXt" + body))
    return data[:33] + chunk + data[33:]


def gif(frames: int = 1, size=(10, 10)) -> bytes:
    # Frames that differ, or Pillow merges them into one.
    images = [Image.new("RGB", size, (i % 256, i // 256 % 256, 0)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:])
    return out.getvalue()


def gif_declaring(width: int, height: int, *, frame: tuple[int, int] | None = None) -> bytes:
    """A one-pixel GIF whose screen (or, with ``frame``, whose first frame) declares a size:
    tens of bytes that cost a canvas of width x height pixels to decode."""
    data = bytearray(gif(size=(1, 1)))
    data[6:10] = struct.pack("<HH", width, height)
    if frame is not None:
        data[6:10] = struct.pack("<HH", 1, 1)
        descriptor = data.index(b",", 13)  # after the header and the global colour table
        data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", *frame)
    return bytes(data)
