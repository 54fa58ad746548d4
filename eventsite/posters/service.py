"""Covers as images: the uploaded one's sized copy, or the kind's default; the checks an upload
passes and the copies it is kept as."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy.orm.attributes import set_committed_value

from eventsite.core.audit import record
from eventsite.core.errors import Refused
from eventsite.events.models import Event, EventKind
from eventsite.extensions import db
from eventsite.posters import artwork, rules
from eventsite.posters.rules import COVER_SIZES
from eventsite.posters.storage import cover_storage

#: Each kind's colour (its default cover's, and what pages may tint with).
KIND_COLOURS = {
    EventKind.MIXER: (214, 69, 94),
    EventKind.COMPETITION: (29, 95, 168),
    EventKind.SPORTSMEET: (27, 127, 59),
    EventKind.GENERAL: (198, 40, 40),
}

#: Copies are JPEG at this quality: sharp on a phone, a card's about 40 KB.
JPEG_QUALITY = 86

PROBLEMS = {
    "empty": _l("The file is empty. Choose a picture to upload."),
    "too_large": _l("The picture must be at most 5 MB."),
    "format": _l("This file is not a picture we can use: upload a JPEG, PNG or WebP image."),
    "too_big_image": _l(
        "The picture has too many pixels: at most 50 megapixels and 10,000 pixels a side."
    ),
    "too_small": _l("The picture is too small: it needs at least 320 × 180 pixels."),
    "damaged": _l("The picture could not be read; the file may be damaged. Try another file."),
}


class CoverError(Refused):
    """An upload refused, with the message shown beside the file field."""

    def __init__(self, problem: str):
        super().__init__(PROBLEMS[problem], "cover")
        self.problem = problem


@dataclass(frozen=True)
class CoverChange:
    """What a change of cover replaced: the old copies go once the change is committed."""

    old_key: str | None
    new_key: str | None


def read_upload(data: bytes) -> Image.Image:
    """The uploaded picture checked (a JPEG, PNG or WebP of sensible size, whole) and cleaned:
    turned upright as its EXIF says, in sRGB, with no metadata at all; raises CoverError."""
    length = len(data)
    if length == 0 or length > rules.MAX_UPLOAD_BYTES:
        raise CoverError(rules.upload_problem(None, 0, 0, length))
    try:
        with warnings.catch_warnings():
            # Pillow warns of a possible bomb below its hard limit; the rules answer instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=rules.ACCEPTED_FORMATS)
            problem = rules.upload_problem(probe.format, *probe.size, length)
            if problem:
                raise CoverError(problem)
            probe.verify()
            image = Image.open(io.BytesIO(data), formats=rules.ACCEPTED_FORMATS)
            image.load()
    except CoverError:
        raise
    except Image.DecompressionBombError:
        raise CoverError("too_big_image") from None
    except UnidentifiedImageError:
        raise CoverError("format") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise CoverError("damaged") from None
    return clean(image)


def clean(image: Image.Image) -> Image.Image:
    """A new RGB image with the picture's pixels, upright and in sRGB, and nothing else."""
    upright = ImageOps.exif_transpose(image)
    icc = image.info.get("icc_profile")
    if upright.mode in ("RGBA", "LA", "P", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = upright.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            flat = ImageCms.profileToProfile(flat, source, ImageCms.createProfile("sRGB"))
        except (ImageCms.PyCMSError, OSError):
            pass  # an unreadable profile: the pixels as they are beat no picture at all
    # Only the pixels travel: EXIF (with GPS), XMP, comments and profiles stay behind.
    pixels = Image.new("RGB", flat.size)
    pixels.paste(flat)
    return pixels


def sized(image: Image.Image, size: str) -> Image.Image:
    """The picture cut to the size's shape around its centre and scaled to it."""
    box = COVER_SIZES[size]
    crop = rules.cover_crop(image.width, image.height, box)
    return image.resize((box.width, box.height), Image.Resampling.LANCZOS, box=crop)


def encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def store(image: Image.Image) -> str:
    """Keep the picture's sized copies under a new random key; the key."""
    key = secrets.token_urlsafe(16)
    storage = cover_storage()
    for size in COVER_SIZES:
        storage.save(rules.copy_name(key, size), encode(sized(image, size)))
    return key


def _point_at(event: Event, key: str | None) -> None:
    """Point the event at its cover's key without changing the event's version: a cover is
    not an edit of the details, so an edit form opened before the upload still saves."""
    db.session.execute(
        sa.update(Event)
        .where(Event.id == event.id)
        .values(cover_key=key, updated_at=Event.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(event, "cover_key", key)


def set_cover(event: Event, data: bytes, actor) -> CoverChange:
    """Check an uploaded picture and make it the event's cover (new copies stored, the event's
    key changed, an audit line); the old copies are discarded after the commit."""
    image = read_upload(data)
    change = CoverChange(event.cover_key, store(image))
    _point_at(event, change.new_key)
    record(
        "event.cover_upload",
        actor=actor,
        event=event,
        detail=_l(
            "%(width)s × %(height)s pixels, kept without its metadata",
            width=image.width,
            height=image.height,
        ),
    )
    return change


def give_drawn_cover(event: Event, image: Image.Image) -> CoverChange:
    """Make a picture the app drew the event's cover, kept exactly like an upload."""
    change = CoverChange(event.cover_key, store(clean(image)))
    _point_at(event, change.new_key)
    return change


def remove_cover(event: Event, actor) -> CoverChange | None:
    """Go back to the kind's default cover (an audit line); None when there was no upload."""
    if event.cover_key is None:
        return None
    change = CoverChange(event.cover_key, None)
    _point_at(event, None)
    record("event.cover_remove", actor=actor, event=event)
    return change


def discard(key: str | None) -> None:
    """Delete a cover's copies (after the change that replaced them is committed)."""
    if key is None or not rules.KEY_PATTERN.fullmatch(key):
        return
    storage = cover_storage()
    for size in COVER_SIZES:
        storage.delete(rules.copy_name(key, size))


def stored_copy(key: str, size: str) -> bytes | None:
    """A stored copy's JPEG bytes, or None when there is none by that key and size."""
    if not rules.KEY_PATTERN.fullmatch(key) or size not in COVER_SIZES:
        return None
    return cover_storage().open(rules.copy_name(key, size))


@lru_cache(maxsize=len(EventKind) * len(COVER_SIZES))
def default_cover_bytes(kind: str, size: str) -> bytes:
    """The kind's default cover at the named size as JPEG (drawn once per process)."""
    return encode(sized(artwork.default_poster(EventKind(kind)), size))


def default_cover(kind: str, size: str) -> Image.Image:
    """The kind's default cover at the named size."""
    return Image.open(io.BytesIO(default_cover_bytes(kind, size))).convert("RGB")


def cover_image(event: Event, size: str) -> Image.Image:
    """The event's cover at the named size: the organizer's upload, else the kind's default."""
    if event.cover_key:
        data = stored_copy(event.cover_key, size)
        if data is not None:
            return Image.open(io.BytesIO(data)).convert("RGB")
    return default_cover(event.kind, size)
