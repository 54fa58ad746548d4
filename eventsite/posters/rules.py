"""What a cover looks like at each size; no Flask, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CoverSize:
    name: str
    width: int
    height: int


#: Every cover is kept at these sizes (16:9 on cards and the event page; 1.91:1, the size
#: chat apps and Open Graph cards expect, for sharing).
COVER_SIZES: dict[str, CoverSize] = {
    "card": CoverSize("card", 640, 360),
    "detail": CoverSize("detail", 1200, 675),
    "share": CoverSize("share", 1200, 630),
}


#: Formats an upload may be, as Pillow names them when it reads the bytes (never the file name).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
#: The largest upload the form takes.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: Smaller than a card's copy would have to be blown up past recognition.
MIN_WIDTH, MIN_HEIGHT = 320, 180
#: A phone's photo fits (a 48-megapixel camera's is 8000 × 6000); more could be a
#: decompression bomb, a few bytes that fill the server's memory once decoded.
MAX_SIDE = 10_000
MAX_PIXELS = 50_000_000

#: A stored cover's key: 16 random bytes, URL-safe base64 (never anything a person typed).
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
#: The name of one stored copy: "<key>-<size>.jpg".
COPY_PATTERN = re.compile(r"(?P<key>[A-Za-z0-9_-]{22})-(?P<size>card|detail|share)\.jpg")


def upload_problem(format_: str | None, width: int, height: int, length: int) -> str | None:
    """What is wrong with an upload that Pillow read as `format_` at `width` × `height` from
    `length` bytes ("empty", "too_large", "format", "too_big_image", "too_small"), or None."""
    if length == 0:
        return "empty"
    if length > MAX_UPLOAD_BYTES:
        return "too_large"
    if format_ not in ACCEPTED_FORMATS:
        return "format"
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        return "too_big_image"
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return "too_small"
    return None


def cover_crop(width: int, height: int, target: CoverSize) -> tuple[int, int, int, int]:
    """The largest box of the target's shape centred in a `width` × `height` image (left, top,
    right, bottom): what is cut so the picture covers the target without stretching."""
    if width * target.height > height * target.width:
        # Wider than the target: keep the full height, cut the sides evenly.
        kept = max(1, round(height * target.width / target.height))
        left = (width - kept) // 2
        return left, 0, left + kept, height
    kept = max(1, round(width * target.height / target.width))
    top = (height - kept) // 2
    return 0, top, width, top + kept


def copy_name(key: str, size: str) -> str:
    """The file name of the cover `key`'s copy at the named size."""
    if not KEY_PATTERN.fullmatch(key) or size not in COVER_SIZES:
        raise ValueError("not a cover key or size")
    return f"{key}-{size}.jpg"


def is_copy_name(name: str) -> bool:
    """A name is a stored copy's iff it is a valid key and a known size, nothing else."""
    return COPY_PATTERN.fullmatch(name) is not None
