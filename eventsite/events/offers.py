"""Places offered from the waitlist: the member confirms or declines; an unanswered offer lapses.

An offered place is a confirmed registration with `offer_expires_at` set: it counts against
capacity, quotas and team caps like any confirmed place, so nobody else takes it meanwhile.
Confirming clears the deadline; declining cancels the registration; once the deadline has come,
`lapse_offers` (the scheduler's notices run) cancels it, tells the member, and offers the place
to the next in line. Each of these takes the event's lock and reads the registration again
under it, so a confirmation and a lapse arriving together end one way only: whichever takes the
lock first decides, and the other finds the offer gone (or the deadline past) and is refused or
does nothing. That is also what makes the lapse idempotent across ticks and schedulers.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from eventsite.accounts.models import User
from eventsite.core import audit
from eventsite.core.notifications import notify
from eventsite.core.time import format_local, utcnow
from eventsite.events import rules
from eventsite.events.models import Event, EventStatus, Registration, RegistrationStatus
from eventsite.events.service import (
    RegistrationError,
    _ask_before_changing,
    _change,
    cancel_registration,
    event_path,
    lock_event,
    promote_waitlist,
)
from eventsite.extensions import db

S = RegistrationStatus


def _locked_offer(registration: Registration, actor: User) -> tuple[Event, Registration]:
    """The event (locked) and the registration as it is now; refused unless it is the actor's
    offer."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.user_id != actor.id:
        raise RegistrationError(_("You can only answer an offer made to you."))
    if not registration.is_offer:
        raise RegistrationError(_("There is no offered place waiting for your answer."))
    return event, registration


def confirm_offer(
    registration: Registration, *, actor: User, now: datetime | None = None
) -> Registration:
    """The member takes the place offered to them; refused once its deadline has come."""
    event, registration = _locked_offer(registration, actor)
    now = now or utcnow()
    if not rules.offer_open(registration.offer_expires_at, now):
        raise RegistrationError(
            _("The time to confirm this place ran out; it has gone to the next in line.")
        )
    registration.offer_expires_at = None
    registration.status_changed_at = now
    db.session.flush()
    audit.record("registration.offer_confirm", actor=actor, event=event, detail=actor.name)
    return registration


def decline_offer(
    registration: Registration, *, actor: User, now: datetime | None = None
) -> list[Registration]:
    """The member turns the offered place down: their registration is cancelled and the place
    is offered to the next in line (returned)."""
    event, registration = _locked_offer(registration, actor)
    audit.record("registration.offer_decline", actor=actor, event=event, detail=actor.name)
    return cancel_registration(registration, actor=actor, now=now)


def events_with_lapsed_offers(now: datetime) -> list[Event]:
    """Published events holding an offer whose deadline has come."""
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(
                Event.status == EventStatus.PUBLISHED,
                sa.exists().where(
                    Registration.event_id == Event.id,
                    Registration.status == S.CONFIRMED,
                    Registration.offer_expires_at <= now,
                ),
            )
            .order_by(Event.id)
        )
    )


def lapse_offers(event: Event, now: datetime) -> int:
    """Pass on every unanswered offer of `event` whose deadline has come: the member's
    registration is cancelled and they are told, and the places go to the next in line (who are
    told by the offer). Returns how many lapsed; none when another run got there first."""
    event = lock_event(event.id)
    lapsed = db.session.execute(
        sa.select(Registration, User)
        .join(User, User.id == Registration.user_id)
        .where(
            Registration.event_id == event.id,
            Registration.status == S.CONFIRMED,
            Registration.offer_expires_at <= now,
        )
        .order_by(Registration.offer_expires_at, Registration.id)
        # The rows too: a check-in (which takes no event lock) that answered an offer meanwhile
        # takes it out of this list, and one that comes after waits and finds it cancelled.
        .with_for_update(of=Registration)
        .execution_options(populate_existing=True)
    ).all()
    if not lapsed or event.is_cancelled:
        return 0
    # The engine's own announcement of a change (competitions refuse some): offers are part of it.
    _ask_before_changing(
        event, None, [_change(registration, status=S.CANCELLED) for registration, _u in lapsed]
    )
    title = event.title
    for registration, user in lapsed:
        deadline = registration.offer_expires_at
        registration.status = S.CANCELLED
        registration.status_changed_at = now
        registration.status_reason = _(
            "Not confirmed by %(deadline)s", deadline=format_local(deadline)
        )
        registration.offer_expires_at = None
        audit.record(
            "registration.offer_lapse",
            event=event,
            detail=f"{user.name} ({format_local(deadline)})",
        )
        notify(
            user,
            lambda deadline=deadline: (
                _("Offered place passed on: %(title)s", title=title),
                _(
                    "You did not confirm the place at %(title)s offered to you by %(deadline)s, so it has gone to the next member on the waitlist. You may register again while registration is open.",
                    title=title,
                    deadline=format_local(deadline),
                ),
            ),
            link=event_path(event),
        )
    db.session.flush()
    promote_waitlist(event, now)
    db.session.flush()
    return len(lapsed)


__all__ = ["confirm_offer", "decline_offer", "events_with_lapsed_offers", "lapse_offers"]
