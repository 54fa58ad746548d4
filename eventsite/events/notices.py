"""What registered members are told when an event changes: the short event details an SMS
template takes, and the notice of an event moved or its venue changed.

Written in the organizer's transaction: one inbox message (and mail, and SMS where the member
wants it) per registered member and change, nothing if the change rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from eventsite.accounts.models import User
from eventsite.core.notifications import notify
from eventsite.core.time import format_local, to_local
from eventsite.events.models import ACTIVE_STATUSES, Event, Registration
from eventsite.extensions import db
from eventsite.sms.rules import SmsKind

#: An event's title or venue in a text message is cut to this many characters (an SMS of 70
#: Chinese characters costs one message; the template's own words take the rest).
SMS_NAME_MAX = 20


def sms_name(text: str) -> str:
    """`text` as a text message names it: at most SMS_NAME_MAX characters, "…" where cut."""
    text = " ".join((text or "").split())
    if len(text) <= SMS_NAME_MAX:
        return text
    return text[: SMS_NAME_MAX - 1] + "…"


def sms_time(moment: datetime) -> str:
    """A moment as a text message gives it, in the site's zone: 12月8日 14:00."""
    local = to_local(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def sms_event(event: Event) -> dict[str, str]:
    """The event's name, start and venue as the SMS templates take them."""
    return {
        "event": sms_name(event.title),
        "time": sms_time(event.starts_at),
        "place": sms_name(event.venue) or "—",
    }


def text_facts(user_id: int | None, event_id: int) -> dict | None:
    """What decides whether a queued text about event `event_id` to member `user_id` is still
    true (the keyword arguments of `sms.rules.still_current` but the kind and the text's own
    params); None when the event is gone."""
    event = db.session.get(Event, event_id)
    if event is None:
        return None
    registration = None
    if user_id is not None:
        # At an event held in sessions a member may hold several: an active one speaks first.
        registration = db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event_id, Registration.user_id == user_id)
            .order_by(
                Registration.status.not_in(ACTIVE_STATUSES),
                Registration.status_changed_at.desc(),
                Registration.id,
            )
            .limit(1)
        ).first()
    return {
        "event_cancelled": event.is_cancelled,
        "registration_status": registration.status if registration is not None else None,
        "offer_open": registration is not None and registration.is_offer,
        "event_params": sms_event(event),
    }


def registered_members(event: Event) -> list[User]:
    """The members with a pending, confirmed or waitlisted registration, in arrival order (a
    member holding several sessions once)."""
    users = db.session.scalars(
        sa.select(User)
        .join(Registration, Registration.user_id == User.id)
        .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
        .order_by(Registration.registered_at, Registration.id)
    )
    return list(dict.fromkeys(users))


def tell_changed(event: Event, changes: Mapping[str, tuple[object, object]]) -> int:
    """Tell every registered member that the event's time or venue changed, old → new
    (`changes` from `rules.notice_changes`); returns how many were told."""
    if not changes:
        return 0
    title = event.title
    lines = []
    for name, (old, new) in changes.items():
        lines.append((name, _shown(old), _shown(new)))
    params = sms_event(event)
    members = registered_members(event)

    def render():
        labels = {"starts_at": _("Starts"), "ends_at": _("Ends"), "venue": _("Venue")}
        details = "\n".join(f"{labels[name]}: {old} → {new}" for name, old, new in lines)
        return (
            _("Event changed: %(title)s", title=title),
            _(
                "The organizer changed %(title)s. Please check that you can still come, "
                "or cancel so that the next member gets your place.",
                title=title,
            )
            + "\n"
            + details,
        )

    for member in members:
        notify(
            member,
            render,
            link=f"/events/{event.id}",
            sms=SmsKind.EVENT_CHANGED,
            sms_params=params,
            sms_event=event,
        )
    return len(members)


def _shown(value) -> str:
    if isinstance(value, datetime):
        return format_local(value)
    return str(value or "—")
