"""Decode an upload with the allowed decoders only, clean it, re-encode it, make a thumbnail.

Pillow facts this relies on (see shared/notes/security.md): ``Image.open(formats=...)``
restricts decoders; the header gives the size before any pixel is decoded; re-saving without
``exif=`` drops EXIF (GPS, camera) from JPEG, PNG and WebP; ``exif_transpose`` applies the
orientation first. Animated GIF and WebP, and MPO (a phone's JPEG with a second picture),
keep their first frame only.

Nothing here touches the database: callers run it before their transaction, so a slow image
never holds SQLite's write lock (see ``ImageWork``).
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from webapp.errors import KaapError, ValidationError

if TYPE_CHECKING:
    import threading

    from PIL import Image

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
FULL_MAX_SIDE = 4096
THUMB_MAX_SIDE = 512
# What each decoded format is stored as (GIF's first frame keeps every pixel in PNG; an MPO's
# first frame is the JPEG every viewer shows).
STORED = {"JPEG": ("JPEG", "image/jpeg"), "MPO": ("JPEG", "image/jpeg"),
          "PNG": ("PNG", "image/png"), "GIF": ("PNG", "image/png"),
          "WEBP": ("WEBP", "image/webp")}  # fmt: skip
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# Encoder settings of the stored files (bench/images.py's floor uses the same).
ENCODE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 82, "method": 2},
                  "PNG": {"optimize": False}}  # fmt: skip
# What decoders raise on hostile or damaged input (besides Pillow's own errors): a truncated
# header is an OSError, a PNG text chunk over Pillow's cap a ValueError, a broken MPO index a
# KeyError or IndexError, a short read EOFError or struct.error.
DECODER_ERRORS = (OSError, ValueError, SyntaxError, KeyError, IndexError, EOFError,
                  struct.error)  # fmt: skip
# Bytes of memory one decoded pixel may take at the peak (the canvas, its converted copy, the
# allocator keeping freed blocks: 1.5 GB for two 50 MP GIFs at once in bench/images.py):
# what ``work_slots`` sizes the concurrency by.
BYTES_PER_PIXEL = 16
# A container's memory limit (cgroup v2): the machine's memory is not what it may use.
CGROUP_MEMORY = Path("/sys/fs/cgroup/memory.max")


class UnsupportedImageError(KaapError):
    status = 415
    code = "unsupported_image"


class ImagesBusyError(KaapError):
    status = 503
    code = "busy"
    headers = {"Retry-After": "5"}


@dataclass(frozen=True)
class Limits:
    """What one image and one request may cost, checked from the headers before decoding."""

    pixels: int  # one image's canvas, width x height
    side: int  # one side of the declared canvas
    frames: int  # frames of an animation (only the first is kept)
    request_pixels: int  # every image of one request together

    @classmethod
    def from_config(cls, config) -> Limits:
        """The ``IMAGE_MAX_*`` settings."""
        return cls(
            pixels=int(config["IMAGE_MAX_PIXELS"]),
            side=int(config["IMAGE_MAX_SIDE"]),
            frames=int(config["IMAGE_MAX_FRAMES"]),
            request_pixels=int(config["IMAGE_MAX_REQUEST_PIXELS"]),
        )


def work_slots(max_pixels: int, cgroup: Path = CGROUP_MEMORY) -> int:
    """How many images may be decoded at once: one per CPU, fewer if the worst images of that
    many would not fit in half the memory (the container's, if it has a limit)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    slots = cpus or 1
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):  # Windows has no sysconf
        return max(1, slots)
    try:
        limit = cgroup.read_text().strip()  # "max" when unlimited
    except OSError:
        limit = ""
    if limit.isdigit():
        memory = min(memory, int(limit))
    return max(1, min(slots, memory // 2 // (max_pixels * BYTES_PER_PIXEL)))


class ImageWork:
    """The pipeline under the limits, one image per slot of a semaphore (bounding memory).

    The app's uploads and imports share its slots (``webapp.images.work``); an upload that
    waits ``wait`` seconds for a slot gets 503 instead of tying up its thread.
    """

    def __init__(self, limits: Limits, slots: threading.Semaphore, wait: float):
        self.limits = limits
        self.wait = wait
        self._slots = slots

    def process(self, upload: BinaryIO, field: str = "file", *, queue: bool = False) -> Processed:
        """One image through the pipeline, in a slot; ``queue`` waits for one as long as it
        takes (an import in the background), else 503 after ``wait`` seconds."""
        if not self._slots.acquire(timeout=None if queue else self.wait):
            raise ImagesBusyError("The server is busy with other images; try again shortly.")
        try:
            return process(upload, self.limits, field)
        finally:
            self._slots.release()

    def check_request(self, uploads: Sequence[BinaryIO], field: str = "file") -> None:
        """Refuse a request whose images' headers declare too much, before decoding any."""
        total = 0
        for i, upload in enumerate(uploads):
            total += declared_pixels(upload, self.limits, f"{field}.{i}")
        if total > self.limits.request_pixels:
            megapixels = self.limits.request_pixels / 1_000_000
            raise ValidationError(
                f"These images have more than {megapixels:g} megapixels together; "
                "send them in several requests.",
                fields={field: f"at most {megapixels:g} megapixels per request"},
                code="too_many_pixels",
            )


@dataclass
class Processed:
    data: bytes
    content_type: str
    width: int
    height: int
    thumb: bytes


def declared_pixels(upload: BinaryIO, limits: Limits, field: str = "file") -> int:
    """The pixels an upload's header declares, checked against the limits; nothing decoded."""
    with _open(upload, limits, field) as image:
        width, height = image.size
    upload.seek(0)
    return width * height


def process(upload: BinaryIO, limits: Limits, field: str = "file") -> Processed:
    """Turn an uploaded file into clean image bytes and a thumbnail, or raise a 4xx error."""
    Image, ImageOps = _pillow()
    with _open(upload, limits, field) as image:
        width, height = image.size
        try:
            image.seek(0)
            if image.format in ("JPEG", "MPO") and max(width, height) > FULL_MAX_SIDE:
                # libjpeg decodes at 1/2, 1/4 or 1/8 scale for a fraction of the cost: a photo
                # twice the stored size is never decoded whole (the box is square, so the
                # EXIF orientation does not change the stored size).
                image.draft(None, _fitted(image.size, FULL_MAX_SIDE))
            image.load()
            # In place: an upright photo is not copied (a 12 MP copy costs as much as a decode).
            clean = ImageOps.exif_transpose(image, in_place=True) or image
            fmt, content_type = STORED[image.format]
            # Still inside ``with``: ``clean`` may be ``image`` itself, closed on leaving it.
            clean = _normalise_mode(clean, fmt)
            clean.thumbnail((FULL_MAX_SIDE, FULL_MAX_SIDE))
            data = _encode(clean, fmt)
            # Box-reduce first (fast, and no copy of the full image), then resample the small one.
            factor = max(1, max(clean.size) // THUMB_MAX_SIDE)
            thumb = clean.reduce(factor) if factor > 1 else clean.copy()
            thumb.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE))
            thumb_data = _encode(thumb, "WEBP")
        except (
            *DECODER_ERRORS,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as exc:
            raise _damaged(field) from exc
        return Processed(data, content_type, clean.width, clean.height, thumb_data)


def _open(upload: BinaryIO, limits: Limits, field: str) -> Image.Image:
    """The upload opened with the allowed decoders and its header checked: canvas, frames."""
    Image, _ = _pillow()
    try:
        image = Image.open(upload, formats=FORMATS)
    except Image.UnidentifiedImageError:
        raise UnsupportedImageError(
            "That file is not a JPEG, PNG, GIF or WebP image.",
            fields={field: "not a JPEG, PNG, GIF or WebP image"},
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own cap (89 MP), met first only when IMAGE_MAX_PIXELS is set above it.
        raise _too_many_pixels(field, limits.pixels) from None
    except DECODER_ERRORS as exc:  # the header itself is cut short or hostile
        raise _damaged(field) from exc
    try:
        _check_declared(image, limits, field)
    except BaseException:
        image.close()
        raise
    return image


def _check_declared(image: Image.Image, limits: Limits, field: str) -> None:
    """Refuse, before decoding, what the header says would cost too much."""
    Image, _ = _pillow()
    width, height = image.size  # the canvas: a GIF's screen, grown to its first frame
    if width * height > limits.pixels:
        raise _too_many_pixels(field, limits.pixels)
    if max(width, height) > limits.side:
        raise ValidationError(
            f"That image is more than {limits.side} pixels wide or high.",
            fields={field: f"at most {limits.side} pixels on a side"},
            code="too_many_pixels",
        )
    try:
        # A GIF counts its frames by walking their headers (no decoding), bounded by its bytes.
        frames = getattr(image, "n_frames", 1)
    except (*DECODER_ERRORS, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _damaged(field) from exc
    if frames > limits.frames:
        raise ValidationError(
            f"That animation has more than {limits.frames} frames.",
            fields={field: f"at most {limits.frames} frames"},
            code="too_many_frames",
        )


@cache
def _pillow():
    """Pillow's ``Image`` and ``ImageOps``, imported on the first image, not at start-up
    (Pillow costs 20-30 ms of the app's start and is needed only when an image arrives)."""
    from PIL import (
        GifImagePlugin,  # noqa: F401 (the allowed formats' plugins: see below)
        Image,
        ImageOps,
        JpegImagePlugin,  # noqa: F401
        PngImagePlugin,  # noqa: F401
        WebPImagePlugin,  # noqa: F401
    )

    # Imported above, the allowed formats' plugins are registered: else the first WebP save
    # makes Pillow import every plugin it has (about 40, 0.1-0.2 s) during someone's upload.
    # Pillow only warns about a decompression bomb below twice its limit: make it an error.
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
    return Image, ImageOps


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled down to fit a ``side`` x ``side`` box."""
    scale = side / max(size)
    return max(1, int(size[0] * scale)), max(1, int(size[1] * scale))


def _damaged(field: str) -> ValidationError:
    return ValidationError("That image is damaged and cannot be read.",
                           fields={field: "damaged image"})  # fmt: skip


def _too_many_pixels(field: str, max_pixels: int) -> ValidationError:
    megapixels = max_pixels / 1_000_000
    return ValidationError(
        f"That image has more than {megapixels:g} megapixels.",
        fields={field: f"at most {megapixels:g} megapixels"},
        code="too_many_pixels",
    )


def _normalise_mode(image: Image.Image, fmt: str) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if fmt == "JPEG":
        return image.convert("RGB") if image.mode not in ("RGB", "L") else image
    return (
        image.convert("RGBA" if has_alpha else "RGB")
        if image.mode not in ("RGB", "RGBA", "L")
        else image
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **ENCODE_OPTIONS[fmt])
    return out.getvalue()
