"""What a cover looks like at each size; no Flask, no database."""

from __future__ import annotations

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
