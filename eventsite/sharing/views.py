"""The share page, the share poster's PNG and the share card every public event page carries."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from eventsite.core.time import utcnow
from eventsite.events.models import Event, EventStatus
from eventsite.events.permissions import event_permission
from eventsite.posters.rules import COVER_SIZES
from eventsite.posters.views import cover_url
from eventsite.sharing import service
from eventsite.sharing.poster import HEIGHT, WIDTH

bp = Blueprint("sharing", __name__)


@dataclass(frozen=True)
class ShareCard:
    """What a chat app shows for a shared link (Open Graph and description meta)."""

    title: str
    description: str
    url: str
    image: str
    image_width: int
    image_height: int
    site_name: str


def share_card(
    event: Event, page_title: str | None = None, endpoint: str = "events.detail"
) -> ShareCard | None:
    """The card for a page about `event`, the event's page at `endpoint` its canonical address
    (also when a form posted elsewhere shows it again); None for a draft, no public page."""
    if event.status == EventStatus.DRAFT:
        return None
    size = COVER_SIZES["share"]
    return ShareCard(
        title=f"{page_title} · {event.title}" if page_title else event.title,
        description=service.description(event, utcnow()),
        url=url_for(endpoint, event_id=event.id, _external=True),
        image=cover_url(event, "share", external=True),
        image_width=size.width,
        image_height=size.height,
        site_name=_("Union Member Events"),
    )


def _event_url(event: Event) -> str:
    return url_for("events.detail", event_id=event.id, _external=True)


@bp.get("/events/<int:event_id>/share")
@event_permission("view")
def share(event: Event):
    """The share poster to save and send to a group, the link to copy, the phone's own share."""
    return render_template(
        "sharing/share.html",
        event=event,
        url=_event_url(event),
        poster_width=WIDTH,
        poster_height=HEIGHT,
    )


@bp.get("/events/<int:event_id>/share-poster.png")
@event_permission("view")
def poster(event: Event):
    """The share poster as a PNG; revalidated on every view (places left change), a 304 while
    nothing it shows has changed."""
    text = service.poster_text(event, _event_url(event), utcnow())
    cover, cover_digest = service.poster_cover(event)
    version = service.poster_version(text, cover_digest)
    headers = {
        "Cache-Control": "private, no-cache",
        "ETag": f'"{version}"',
        "Vary": "Cookie, Accept-Language",
    }
    if version in request.if_none_match:
        return Response(status=304, headers=headers)
    headers["Content-Disposition"] = f'inline; filename="event-{event.id}-poster.png"'
    return Response(
        service.drawn_poster(version, text, cover), mimetype="image/png", headers=headers
    )
