"""Decode an upload with the allowed decoders only, clean it, re-encode it, make a thumbnail.

Pillow facts this relies on (see shared/notes/security.md): ``Image.open(formats=...)``
restricts decoders; the header gives the size before any pixel is decoded; re-saving without
``exif=`` drops EXIF (GPS, camera) from JPEG, PNG and WebP; ``exif_transpose`` applies the
orientation first. Animated GIF and WebP keep their first frame only.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, BinaryIO

from webapp.errors import KaapError, ValidationError

if TYPE_CHECKING:
    from PIL import Image

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
FULL_MAX_SIDE = 4096
THUMB_MAX_SIDE = 512
# What each decoded format is stored as (GIF's first frame keeps every pixel in PNG).
STORED = {"JPEG": ("JPEG", "image/jpeg"), "PNG": ("PNG", "image/png"),
          "GIF": ("PNG", "image/png"), "WEBP": ("WEBP", "image/webp")}  # fmt: skip
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# Encoder settings of the stored files (bench/images.py's floor uses the same).
ENCODE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 82, "method": 2},
                  "PNG": {"optimize": False}}  # fmt: skip


class UnsupportedImageError(KaapError):
    status = 415
    code = "unsupported_image"


@dataclass
class Processed:
    data: bytes
    content_type: str
    width: int
    height: int
    thumb: bytes


def process(upload: BinaryIO, max_pixels: int, field: str = "file") -> Processed:
    """Turn an uploaded file into clean image bytes and a thumbnail, or raise a 4xx error."""
    Image, ImageOps = _pillow()
    try:
        image = Image.open(upload, formats=FORMATS)
    except Image.UnidentifiedImageError:
        raise UnsupportedImageError(
            "That file is not a JPEG, PNG, GIF or WebP image.",
            fields={field: "not a JPEG, PNG, GIF or WebP image"},
        ) from None
    except Image.DecompressionBombError:
        raise _too_many_pixels(field, max_pixels) from None
    with image:
        width, height = image.size
        if width * height > max_pixels:  # checked from the header, before decoding
            raise _too_many_pixels(field, max_pixels)
        try:
            image.seek(0)
            if image.format == "JPEG" and max(width, height) > FULL_MAX_SIDE:
                # libjpeg decodes at 1/2, 1/4 or 1/8 scale for a fraction of the cost: a photo
                # twice the stored size is never decoded whole (the box is square, so the
                # EXIF orientation does not change the stored size).
                image.draft(None, _fitted(image.size, FULL_MAX_SIDE))
            image.load()
            # In place: an upright photo is not copied (a 12 MP copy costs as much as a decode).
            clean = ImageOps.exif_transpose(image, in_place=True) or image
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ValidationError(
                "That image is damaged and cannot be read.", fields={field: "damaged image"}
            ) from exc
        fmt, content_type = STORED[image.format]
        # Still inside ``with``: ``clean`` may be ``image`` itself, closed on leaving it.
        clean = _normalise_mode(clean, fmt)
        clean.thumbnail((FULL_MAX_SIDE, FULL_MAX_SIDE))
        data = _encode(clean, fmt)
        # Box-reduce first (fast, and no copy of the full image), then resample the small one.
        factor = max(1, max(clean.size) // THUMB_MAX_SIDE)
        thumb = clean.reduce(factor) if factor > 1 else clean.copy()
        thumb.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE))
        return Processed(data, content_type, clean.width, clean.height, _encode(thumb, "WEBP"))


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
