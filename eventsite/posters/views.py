"""Covers served to pages, share cards and the share poster."""

from __future__ import annotations

import io

from flask import Blueprint, abort, send_file, url_for

from eventsite.core.permissions import public
from eventsite.events.models import Event, EventKind
from eventsite.posters import service
from eventsite.posters.rules import COVER_SIZES

bp = Blueprint("posters", __name__)


def cover_url(event: Event, size: str, external: bool = False) -> str:
    """Where a page loads the event's cover at the named size."""
    return url_for("posters.default_cover", kind=event.kind, size=size, _external=external)


@bp.get("/covers/default/<kind>/<size>.jpg")
@public
def default_cover(kind: str, size: str):
    """A kind's default cover (the same for every event of the kind: cached for a day)."""
    if kind not in set(EventKind) or size not in COVER_SIZES:
        abort(404)
    buffer = io.BytesIO()
    service.default_cover(kind, size).save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    response = send_file(buffer, mimetype="image/jpeg", max_age=86400)
    return response
