"""The registration engine: register, cancel, approve, reject, move, promote.

Every function that changes who holds a place first takes the event's lock (`lock_event`) and
then counts, so capacity, gender quotas and team caps hold however many requests arrive at once.
Functions flush; the view, job or CLI command that called them commits once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventsite.accounts.models import User
from eventsite.core import audit
from eventsite.core.notifications import notify
from eventsite.core.time import format_local, utcnow
from eventsite.events import rules
from eventsite.events.models import (
    ACTIVE_STATUSES,
    Event,
    EventKind,
    Registration,
    RegistrationStatus,
)
from eventsite.extensions import db

S = RegistrationStatus


class RegistrationError(Exception):
    """A registration action was refused; `message` is for the member, `field` for the form."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


PROBLEM_MESSAGES = {
    rules.Ineligible.UNDER_18: _l("Mixers are open to members aged 18 and over."),
    rules.Ineligible.TOO_YOUNG: _l("This mixer is for members of the stated age range; you are younger."),
    rules.Ineligible.TOO_OLD: _l("This mixer is for members of the stated age range; you are older."),
    rules.Ineligible.NOT_SINGLE: _l("Please confirm that you are single to register for a mixer."),
    rules.Ineligible.TEAM_REQUIRED: _l("Please choose a team."),
    rules.Ineligible.TEAM_UNKNOWN: _l("That team does not belong to this event."),
    rules.Ineligible.TRACK_REQUIRED: _l("Please choose a track."),
    rules.Ineligible.TRACK_UNKNOWN: _l("That track does not belong to this event."),
}


def event_path(event: Event) -> str:
    return f"/events/{event.id}"


MY_EVENTS_PATH = "/my/events"


def lock_event(event_id: int) -> Event:
    """Load the event holding its lock until the transaction ends.

    PostgreSQL: SELECT … FOR UPDATE on the event row. SQLite: write transactions already began
    with BEGIN IMMEDIATE (core.db), so the whole database is ours until commit.
    """
    stmt = sa.select(Event).where(Event.id == event_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    event = db.session.scalars(stmt).one_or_none()
    if event is None:
        raise RegistrationError(_("This event does not exist."))
    return event


def limits_of(event: Event) -> rules.Limits:
    quotas = {}
    if event.kind == EventKind.MIXER:
        quotas = {"male": event.quota_male, "female": event.quota_female}
    team_cap = event.team_cap if event.kind == EventKind.SPORTSMEET else None
    return rules.Limits(capacity=event.capacity, gender_quotas=quotas, team_cap=team_cap)


def occupancy_of(event_id: int) -> rules.Occupancy:
    """Confirmed places taken, in total, per gender and per team (two aggregate queries)."""
    confirmed = sa.and_(Registration.event_id == event_id, Registration.status == S.CONFIRMED)
    by_gender = dict(
        db.session.execute(
            sa.select(User.gender, sa.func.count(Registration.id))
            .join(User, User.id == Registration.user_id)
            .where(confirmed)
            .group_by(User.gender)
        ).all()
    )
    by_team = dict(
        db.session.execute(
            sa.select(Registration.team_id, sa.func.count(Registration.id))
            .where(confirmed, Registration.team_id.is_not(None))
            .group_by(Registration.team_id)
        ).all()
    )
    return rules.Occupancy(confirmed=sum(by_gender.values()), by_gender=by_gender, by_team=by_team)


def terms_of(event: Event) -> rules.EventTerms:
    from eventsite.core.time import to_local

    return rules.EventTerms(
        kind=event.kind,
        year=to_local(event.starts_at).year,
        min_age=event.min_age,
        max_age=event.max_age,
        team_ids=frozenset(team.id for team in event.teams),
        track_ids=frozenset(track.id for track in event.tracks),
    )


def find_registration(event_id: int, user_id: int) -> Registration | None:
    return db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event_id, Registration.user_id == user_id
        )
    ).one_or_none()


def register(
    event: Event,
    user: User,
    *,
    team_id: int | None = None,
    track_id: int | None = None,
    single_declared: bool = False,
    now: datetime | None = None,
) -> Registration:
    """Register `user`: confirmed if a place fits them, else waitlisted; pending if approval is on."""
    now = now or utcnow()
    event = lock_event(event.id)
    if not event.registration_open(now):
        raise RegistrationError(_("Registration for this event is not open."))
    existing = find_registration(event.id, user.id)
    if existing is not None and existing.is_active:
        raise RegistrationError(_("You are already registered for this event."))
    if existing is not None and existing.status == S.REJECTED:
        raise RegistrationError(_("The organizer has declined your registration for this event."))
    kind = event.kind
    applicant = rules.Applicant(
        birth_year=user.birth_year,
        single_declared=single_declared,
        team_id=team_id if kind in (EventKind.COMPETITION, EventKind.SPORTSMEET) else None,
        track_id=track_id if kind == EventKind.COMPETITION else None,
    )
    problems = rules.eligibility_problems(terms_of(event), applicant)
    if problems:
        first = problems[0]
        raise RegistrationError(str(PROBLEM_MESSAGES[first]), rules.PROBLEM_FIELD[first])

    seeker = rules.Seeker(None, user.gender, applicant.team_id)
    status = rules.status_on_arrival(
        approval_required=event.approval_required,
        has_place=rules.fits(limits_of(event), occupancy_of(event.id), seeker),
    )
    registration = existing or Registration(event_id=event.id, user_id=user.id)
    registration.status = status
    registration.team_id = applicant.team_id
    registration.track_id = applicant.track_id
    registration.single_declared_at = now if kind == EventKind.MIXER else None
    registration.registered_at = now
    registration.status_changed_at = now
    registration.waitlisted_at = now if status == S.WAITLISTED else None
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    registration.status_reason = ""
    db.session.add(registration)
    db.session.flush()
    _announce(registration, event, user)
    return registration


def _announce(registration: Registration, event: Event, user: User) -> None:
    """Tell the member where their registration stands now."""
    title = event.title
    status = registration.status
    if status == S.CONFIRMED:
        render = lambda: (  # noqa: E731
            _("Registration confirmed: %(title)s", title=title),
            _("Your place at %(title)s is confirmed. It starts at %(start)s at %(venue)s. Your check-in code is under My events.",
              title=title, start=format_local(event.starts_at), venue=event.venue),
        )
    elif status == S.WAITLISTED:
        render = lambda: (  # noqa: E731
            _("On the waitlist: %(title)s", title=title),
            _("%(title)s is full, so you are on the waitlist. If a place frees up, it goes to the waitlist in order and we will tell you at once.",
              title=title),
        )
    elif status == S.PENDING:
        render = lambda: (  # noqa: E731
            _("Registration received: %(title)s", title=title),
            _("Your registration for %(title)s awaits the organizer's approval.", title=title),
        )
    elif status == S.REJECTED:
        reason = registration.status_reason
        render = lambda: (  # noqa: E731
            _("Registration declined: %(title)s", title=title),
            _("The organizer declined your registration for %(title)s.", title=title)
            + (" " + _("Reason: %(reason)s", reason=reason) if reason else ""),
        )
    elif status == S.CANCELLED:
        reason = registration.status_reason
        render = lambda: (  # noqa: E731
            _("Registration cancelled: %(title)s", title=title),
            _("Your registration for %(title)s has been cancelled.", title=title)
            + (" " + _("Reason: %(reason)s", reason=reason) if reason else ""),
        )
    else:  # pragma: no cover - every status is listed above
        return
    notify(user, render, link=event_path(event) if status != S.CONFIRMED else MY_EVENTS_PATH)


def promote_waitlist(event: Event, now: datetime | None = None) -> list[Registration]:
    """Fill free places from the waitlist, first come first served; the caller holds the lock."""
    now = now or utcnow()
    waiting = db.session.execute(
        sa.select(Registration, User)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event.id, Registration.status == S.WAITLISTED)
        .order_by(Registration.waitlisted_at, Registration.id)
    ).all()
    if not waiting:
        return []
    seekers = [rules.Seeker(reg.id, user.gender, reg.team_id) for reg, user in waiting]
    chosen = {s.registration_id for s in rules.promotions(limits_of(event), occupancy_of(event.id), seekers)}
    promoted = []
    for registration, user in waiting:
        if registration.id not in chosen:
            continue
        registration.status = S.CONFIRMED
        registration.status_changed_at = now
        promoted.append(registration)
        title = event.title
        notify(
            user,
            lambda title=title: (
                _("A place is yours: %(title)s", title=title),
                _("A place at %(title)s has freed up and is now yours: your registration is confirmed. If you can no longer come, please cancel so the next member gets it.",
                  title=title),
            ),
            link=MY_EVENTS_PATH,
        )
        audit.record("registration.promote", event=event, detail=user.name)
    db.session.flush()
    return promoted


def _locked_registration(registration: Registration) -> tuple[Event, Registration]:
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    return event, registration


def cancel_registration(
    registration: Registration, *, actor: User, reason: str = "", now: datetime | None = None
) -> list[Registration]:
    """Cancel a registration (the member's own, or by an organizer) and promote the waitlist.

    A member may cancel until the event starts, leaving the waitlist included; an organizer at
    any time. Returns the registrations promoted into the freed place.
    """
    now = now or utcnow()
    event, registration = _locked_registration(registration)
    by_member = actor.id == registration.user_id
    if not registration.is_active:
        raise RegistrationError(_("This registration is no longer active."))
    if by_member and now >= event.starts_at:
        raise RegistrationError(_("The event has started; please contact the organizer."))
    held_place = registration.status == S.CONFIRMED
    registration.status = S.CANCELLED
    registration.status_changed_at = now
    registration.status_reason = "" if by_member else reason
    registration.waitlisted_at = None
    db.session.flush()
    if not by_member:
        audit.record("registration.cancel", actor=actor, event=event,
                     detail=_audit_detail(registration, reason))
        _announce(registration, event, registration.user)
    promoted = promote_waitlist(event, now) if held_place else []
    return promoted


def approve(registration: Registration, *, actor: User, now: datetime | None = None) -> Registration:
    """Approve a pending registration: a place if one fits, else the waitlist."""
    now = now or utcnow()
    event, registration = _locked_registration(registration)
    if registration.status != S.PENDING:
        raise RegistrationError(_("Only registrations awaiting approval can be approved."))
    seeker = rules.Seeker(registration.id, registration.user.gender, registration.team_id)
    has_place = rules.fits(limits_of(event), occupancy_of(event.id), seeker)
    registration.status = S.CONFIRMED if has_place else S.WAITLISTED
    registration.waitlisted_at = None if has_place else now
    registration.status_changed_at = now
    db.session.flush()
    audit.record("registration.approve", actor=actor, event=event,
                 detail=_audit_detail(registration))
    _announce(registration, event, registration.user)
    return registration


def reject(
    registration: Registration, *, actor: User, reason: str = "", now: datetime | None = None
) -> Registration:
    """Decline a pending or waitlisted registration, with an optional reason shown to the member."""
    now = now or utcnow()
    event, registration = _locked_registration(registration)
    if registration.status not in (S.PENDING, S.WAITLISTED):
        raise RegistrationError(_("Only registrations awaiting approval or on the waitlist can be rejected; cancel a confirmed one instead."))
    registration.status = S.REJECTED
    registration.status_reason = reason
    registration.waitlisted_at = None
    registration.status_changed_at = now
    db.session.flush()
    audit.record("registration.reject", actor=actor, event=event,
                 detail=_audit_detail(registration, reason))
    _announce(registration, event, registration.user)
    return registration


def move(
    registration: Registration,
    *,
    actor: User,
    team_id: int | None = None,
    track_id: int | None = None,
    now: datetime | None = None,
) -> list[Registration]:
    """Move a registration to another team and/or track of the same event.

    A confirmed member moves only into a team with room under the team cap. Moving out of a
    full team frees a place there, so the waitlist is promoted.
    """
    now = now or utcnow()
    event, registration = _locked_registration(registration)
    team_ids = {team.id for team in event.teams}
    track_ids = {track.id for track in event.tracks}
    if team_id is not None and team_id not in team_ids:
        raise RegistrationError(str(PROBLEM_MESSAGES[rules.Ineligible.TEAM_UNKNOWN]), "team_id")
    if track_id is not None and track_id not in track_ids:
        raise RegistrationError(str(PROBLEM_MESSAGES[rules.Ineligible.TRACK_UNKNOWN]), "track_id")
    old = (registration.team.name if registration.team else "", registration.track.name if registration.track else "")
    new_team = team_id if team_id is not None else registration.team_id
    if registration.status == S.CONFIRMED and new_team != registration.team_id:
        limits = limits_of(event)
        occupancy = occupancy_of(event.id)
        seeker = rules.Seeker(registration.id, registration.user.gender, new_team)
        if limits.team_cap is not None and not rules.fits(
            rules.Limits(team_cap=limits.team_cap), occupancy, seeker
        ):
            raise RegistrationError(_("That team is full."), "team_id")
    registration.team_id = new_team
    if track_id is not None:
        registration.track_id = track_id
    db.session.flush()
    db.session.refresh(registration)
    new = (registration.team.name if registration.team else "", registration.track.name if registration.track else "")
    audit.record("registration.move", actor=actor, event=event,
                 detail=f"{registration.user.name}: {' / '.join(filter(None, old)) or '—'} → {' / '.join(filter(None, new)) or '—'}")
    return promote_waitlist(event, now)


def _audit_detail(registration: Registration, reason: str = "") -> str:
    text = registration.user.name
    return f"{text} ({reason})" if reason else text


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next member to be promoted; None when not waitlisted."""
    if registration.status != S.WAITLISTED:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == S.WAITLISTED,
            sa.or_(
                Registration.waitlisted_at < registration.waitlisted_at,
                sa.and_(
                    Registration.waitlisted_at == registration.waitlisted_at,
                    Registration.id < registration.id,
                ),
            ),
        )
    )
    return ahead + 1


__all__ = [
    "ACTIVE_STATUSES",
    "RegistrationError",
    "approve",
    "cancel_registration",
    "find_registration",
    "lock_event",
    "move",
    "promote_waitlist",
    "register",
    "reject",
    "waitlist_position",
]
