"""An event's values for its share card and share poster, in the viewer's language."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _

from eventsite.core.time import to_local
from eventsite.events import service as events_service
from eventsite.events import sessions
from eventsite.events.models import Event
from eventsite.posters.service import cover_image
from eventsite.sharing import rules
from eventsite.sharing.poster import PosterText, render_poster

#: A chat card shows two or three lines of its description.
DESCRIPTION_LIMIT = 120

#: Posters kept drawn per process, by version (about 100 kB each): a group opening the same
#: poster draws it once.
KEPT_POSTERS = 32
_drawn: OrderedDict[str, bytes] = OrderedDict()
_drawn_lock = threading.Lock()


def event_time(event: Event, now: datetime) -> str:
    """The event's time in the site's zone, days named in the viewer's language."""
    local_now = to_local(now)
    locale = get_locale()

    def day(moment: datetime) -> str:
        return format_skeleton(rules.day_skeleton(moment, local_now), moment, locale=locale)

    return rules.time_span(to_local(event.starts_at), to_local(event.ends_at), day)


def description(event: Event, now: datetime) -> str:
    """The share card's description: time, place and the start of the event's own text."""
    return rules.summary(
        [event_time(event, now), event.venue, event.description], DESCRIPTION_LIMIT
    )


def places_text(event: Event, now: datetime) -> tuple[str, bool]:
    """What the poster says about places, from the event page's figures (one aggregate query),
    and whether a member may still get one (a place or the waitlist)."""
    figures = sessions.session_figures(event)
    _counts, left, _full_teams = events_service.page_figures(
        event, {event.id: {f.session.id: f.session.capacity for f in figures}}
    )
    places = rules.places_standing(event.registration_state(now), left.overall)
    S = rules.PlacesStanding
    if places.standing == S.LEFT:
        if event.capacity is not None:
            text = _("%(n)s of %(total)s places left", n=places.left, total=event.capacity)
        else:
            text = _("%(n)s places left", n=places.left)
    else:
        text = {
            S.CANCELLED: _("This event has been cancelled"),
            S.DRAFT: _("Draft: not public"),
            S.NOT_YET: _(
                "Registration opens %(when)s", when=event_time_at(event.registration_opens_at, now)
            ),
            S.CLOSED: _("Registration closed"),
            S.NO_LIMIT: _("No limit on places"),
            S.WAITLIST: _("Full: register to join the waitlist"),
        }[places.standing]
    return text, places.standing in (S.LEFT, S.NO_LIMIT, S.WAITLIST)


def event_time_at(moment: datetime, now: datetime) -> str:
    """One moment as the poster gives it: the day in the viewer's language and the hour."""
    local = to_local(moment)
    skeleton = rules.day_skeleton(local, to_local(now))
    return f"{format_skeleton(skeleton, local, locale=get_locale())} {local:%H:%M}"


def host(event: Event) -> str:
    """The organizing union, and the co-hosts where the event names them."""
    if event.co_hosts:
        return event.organization.name + _("; co-hosted by %(co_hosts)s", co_hosts=event.co_hosts)
    return event.organization.name


def poster_text(event: Event, url: str, now: datetime) -> PosterText:
    """Everything the share poster of `event` says, the QR code holding `url`."""
    places, places_open = places_text(event, now)
    return PosterText(
        title=event.title,
        kind=event.kind_enum.title,
        time=event_time(event, now),
        place=event.venue,
        places=places,
        places_open=places_open,
        host=host(event),
        url=url,
        site_name=_("Union Member Events"),
        time_label=_("Time"),
        place_label=_("Venue"),
        places_label=_("Places"),
        host_label=_("Held by"),
        scan=_("Scan to register") if places_open else _("Scan to view"),
        scan_hint=_("Long-press the code to open the event and register")
        if places_open
        else _("Long-press the code to open the event's page"),
    )


def poster_version(text: PosterText, cover_digest: str) -> str:
    """A tag that changes whenever anything the poster shows changes (its ETag)."""
    digest = hashlib.sha256(repr(text).encode())
    digest.update(cover_digest.encode())
    return digest.hexdigest()[:32]


def poster_cover(event: Event):
    """The cover the poster shows (the event page's size) and a digest of its pixels."""
    cover = cover_image(event, "detail")
    return cover, hashlib.sha256(cover.tobytes()).hexdigest()


def drawn_poster(version: str, text: PosterText, cover) -> bytes:
    """The poster's PNG, drawn once per version and process (the version names everything it
    shows, so a kept one is never stale)."""
    with _drawn_lock:
        if version in _drawn:
            _drawn.move_to_end(version)
            return _drawn[version]
    png = render_poster(text, cover)
    with _drawn_lock:
        _drawn[version] = png
        while len(_drawn) > KEPT_POSTERS:
            _drawn.popitem(last=False)
    return png
