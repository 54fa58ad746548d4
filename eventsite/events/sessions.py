"""Sessions (场次): an event held in several time slots, each with its own places and waitlist.

An organizer adds, edits and removes a general event's sessions (a mixer, a competition and a
sports meet have their own structure and no sessions: `models.SESSION_KINDS`). A member
registers for a session through `service.register`; the capacity rule is `rules.fits`, which
counts each session's confirmed places, and `service.promote_waitlist` serves each session's
waitlist first come first served. Moving between sessions is one action under the event's lock
that never loses the place held. Functions flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from eventsite.accounts.models import User
from eventsite.core import audit
from eventsite.core.inputs import storable_integer
from eventsite.core.notifications import notify
from eventsite.core.time import format_local, utcnow
from eventsite.events import rules, service
from eventsite.events.models import (
    ACTIVE_STATUSES,
    SESSION_KINDS,
    Event,
    EventSession,
    Registration,
    RegistrationStatus,
)
from eventsite.events.service import (
    EventError,
    RegistrationError,
    event_path,
    limits_of,
    occupancy_of,
    promote_waitlist,
)
from eventsite.extensions import db

S = RegistrationStatus

#: Longest session label (the column's size).
LABEL_MAX = 100


@dataclass(frozen=True)
class SessionFigures:
    """One session as its pages show it: places taken, left and waiting."""

    session: EventSession
    confirmed: int
    waitlisted: int
    pending: int
    #: Places left in the session (its own and the event's); None: no limit.
    left: int | None
    #: Places left under the session's own capacity alone (what a confirmed place moving in
    #: needs); None: no limit.
    own_left: int | None = None


def session_figures(event: Event) -> list[SessionFigures]:
    """The event's sessions by start, with confirmed, waitlisted and pending counts and places
    left (two queries, however many sessions and registrations)."""
    from eventsite.events.service import sessions_of

    sessions = sessions_of(event)
    if not sessions:
        return []
    rows = db.session.execute(
        sa.select(
            Registration.session_id,
            Registration.status,
            sa.func.count(Registration.id),
            sa.func.coalesce(sa.func.sum(Registration.companions), 0),
        )
        .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
        .group_by(Registration.session_id, Registration.status)
    ).all()
    counts: dict[tuple[int | None, str], int] = {(sid, st): n for sid, st, n, _c in rows}
    #: Seats, companions included: what capacities count.
    seats: dict[tuple[int | None, str], int] = {(sid, st): n + c for sid, st, n, c in rows}
    caps = {session.id: session.capacity for session in sessions}
    occupancy = rules.Occupancy(
        confirmed=sum(n for (_sid, st), n in seats.items() if st == S.CONFIRMED),
        by_session={sid: n for (sid, st), n in seats.items() if st == S.CONFIRMED and sid},
    )
    places = rules.places_left(
        rules.Limits(capacity=event.capacity, session_caps=caps), occupancy
    ).by_session
    return [
        SessionFigures(
            session=session,
            confirmed=counts.get((session.id, S.CONFIRMED), 0),
            waitlisted=counts.get((session.id, S.WAITLISTED), 0),
            pending=counts.get((session.id, S.PENDING), 0),
            left=places.get(session.id),
            own_left=None
            if session.capacity is None
            else max(0, session.capacity - occupancy.by_session.get(session.id, 0)),
        )
        for session in sessions
    ]


def _session_of(event: Event, session_id: int | None) -> EventSession:
    session = (
        db.session.get(EventSession, session_id)
        if session_id is not None and storable_integer(session_id)
        else None
    )
    if session is None or session.event_id != event.id:
        raise RegistrationError(_("That session does not belong to this event."), "session_id")
    return session


def _locked_event_with_sessions(event: Event) -> Event:
    event = service.lock_event(event.id)
    if event.kind not in SESSION_KINDS:
        raise EventError(_("Only a union activity can be held in sessions."))
    if event.is_cancelled:
        raise EventError(_("A cancelled event cannot be changed."))
    return event


def _session_text(session: EventSession) -> str:
    cap = "—" if session.capacity is None else str(session.capacity)
    return f"{session.label} ({format_local(session.starts_at)}–{format_local(session.ends_at)}, {cap})"


def save_session(
    event: Event,
    actor: User,
    *,
    label: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int | None,
    session_id: int | None = None,
    now: datetime | None = None,
) -> tuple[EventSession, list[Registration]]:
    """Add a session to a general event, or change one; a capacity raised or removed promotes
    its waitlist at once, one below the confirmed places it holds is refused. Returns the
    session and the registrations promoted."""
    now = now or utcnow()
    event = _locked_event_with_sessions(event)
    label = (label or "").strip()
    if not label:
        raise EventError(_("Please enter a name."), "label")
    if len(label) > LABEL_MAX:
        raise EventError(_("At most %(max)d characters.", max=LABEL_MAX), "label")
    if ends_at <= starts_at:
        raise EventError(_("The session must end after it starts."), "ends_at")
    if starts_at < event.starts_at or ends_at > event.ends_at:
        raise EventError(
            _(
                "A session lies within the event's own time (%(start)s – %(end)s); change the "
                "event's time first if need be.",
                start=format_local(event.starts_at),
                end=format_local(event.ends_at),
            ),
            "starts_at" if starts_at < event.starts_at else "ends_at",
        )
    if capacity is not None and capacity < 1:
        raise EventError(_("Enter a whole number of at least 1, or leave empty."), "capacity")
    loosened = False
    if session_id is None:
        unplaced = db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(
                Registration.event_id == event.id,
                Registration.session_id.is_(None),
                Registration.status.in_(ACTIVE_STATUSES),
            )
        )
        if unplaced:
            raise EventError(
                _(
                    "%(count)d members registered for the event before it had sessions; an event "
                    "gets its sessions before registration, or after those registrations are "
                    "cancelled.",
                    count=unplaced,
                ),
                "label",
            )
        position = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(EventSession.position), -1) + 1).where(
                EventSession.event_id == event.id
            )
        )
        session = EventSession(
            event_id=event.id,
            label=label,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            position=position,
        )
        db.session.add(session)
        action = "+ "
    else:
        session = _session_of(event, session_id)
        taken = occupancy_of(event.id).by_session.get(session.id, 0)
        if capacity is not None and capacity < taken:
            raise EventError(
                _(
                    "Members and their companions already hold %(count)d confirmed places here, so "
                    "this cannot be lower than %(count)d. Cancel registrations on the roster first.",
                    count=taken,
                ),
                "capacity",
            )
        old = session.capacity
        loosened = old is not None and (capacity is None or capacity > old)
        action = _session_text(session) + " → "
        session.label, session.starts_at, session.ends_at = label, starts_at, ends_at
        session.capacity = capacity
    db.session.flush()
    audit.record("event.sessions", actor=actor, event=event, detail=action + _session_text(session))
    promoted = promote_waitlist(event, now, actor=actor) if loosened else []
    return session, promoted


def remove_session(event: Event, actor: User, session_id: int | None) -> None:
    """Remove a session nobody holds, waits for or awaits approval in; the cancelled and
    rejected registrations it had go with it (the audit log keeps what happened to them)."""
    event = _locked_event_with_sessions(event)
    session = _session_of(event, session_id)
    active = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.session_id == session.id, Registration.status.in_(ACTIVE_STATUSES)
        )
    )
    if active:
        raise EventError(
            _(
                "%(name)s has %(count)d active registrations and cannot be removed; move or "
                "cancel them on the roster first.",
                name=session.label,
                count=active,
            ),
            "session_id",
        )
    db.session.execute(sa.delete(Registration).where(Registration.session_id == session.id))
    detail = "− " + _session_text(session)
    db.session.delete(session)
    db.session.flush()
    audit.record("event.sessions", actor=actor, event=event, detail=detail)


def set_multiple_sessions(event: Event, actor: User, allowed: bool) -> None:
    """Let members register for several sessions, or for one only: refused while a member
    holds more than one."""
    event = _locked_event_with_sessions(event)
    if event.multiple_sessions == allowed:
        return
    if not allowed:
        holding = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(Registration.user_id)
                .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
                .group_by(Registration.user_id)
                .having(sa.func.count(Registration.id) > 1)
                .subquery()
            )
        )
        if holding:
            raise EventError(
                _(
                    "%(count)d members hold more than one session; cancel their extra "
                    "registrations on the roster first.",
                    count=holding,
                ),
                "multiple_sessions",
            )
    event.multiple_sessions = allowed
    db.session.flush()
    audit.record(
        "event.sessions",
        actor=actor,
        event=event,
        detail=_("Members may register for several sessions")
        if allowed
        else _("Members register for one session"),
    )


def move_to_session(
    registration: Registration,
    session_id: int | None,
    *,
    actor: User,
    by_organizer: bool = False,
    now: datetime | None = None,
) -> list[Registration]:
    """Move a registration to another session of its event in one step under the event's lock,
    never losing the place held (`rules.may_move_to_session`): a confirmed place moves only into
    a session with a free place, and the place left behind goes to the old session's waitlist
    in the same transaction; a full target is refused and the member keeps their place. A
    member moves their own registration until the event starts, an organizer any. Returns those
    promoted into the freed place."""
    event = service.lock_event(registration.event_id)
    db.session.refresh(registration)
    now = now or utcnow()
    if not by_organizer and actor.id != registration.user_id:
        raise RegistrationError(_("You can only change your own registration."))
    if not registration.is_active:
        raise RegistrationError(_("This registration is no longer active."))
    if not by_organizer and not rules.member_may_cancel(registration.status, event.starts_at, now):
        raise RegistrationError(_("The event has started; please contact the organizer."))
    target = _session_of(event, session_id)
    if target.id == registration.session_id:
        raise RegistrationError(_("This registration is already in that session."), "session_id")
    if not by_organizer and now >= target.starts_at:
        raise RegistrationError(
            _("This session has already started; please choose another."), "session_id"
        )
    if event.multiple_sessions:
        held = db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(
                Registration.event_id == event.id,
                Registration.user_id == registration.user_id,
                Registration.session_id == target.id,
                Registration.status.in_(ACTIVE_STATUSES),
            )
        )
        if held:
            raise RegistrationError(
                _("This member is already registered for that session."), "session_id"
            )
    limits, occupancy = limits_of(event), occupancy_of(event.id)
    seeker = rules.Seeker(
        registration.id,
        registration.gender,
        registration.team_id,
        seats=registration.seats,
        session_id=registration.session_id,
    )
    if not rules.may_move_to_session(limits, occupancy, registration.status, seeker, target.id):
        raise RegistrationError(
            _(
                "「%(session)s」 is full; the registration stays where it is, with its place.",
                session=target.label,
            )
            if registration.status == S.CONFIRMED
            else _(
                "「%(session)s」 has no place free; the registration stays where it is, with its "
                "turn on the waitlist.",
                session=target.label,
            ),
            "session_id",
        )
    # A cancelled registration of the member's in the target session would collide with the
    # moved one (one registration per member per session): the moved one takes its place.
    db.session.execute(
        sa.delete(Registration).where(
            Registration.event_id == event.id,
            Registration.user_id == registration.user_id,
            Registration.session_id == target.id,
            Registration.id != registration.id,
            Registration.status.not_in(ACTIVE_STATUSES),
        )
    )
    source = registration.session
    was_waiting = registration.status == S.WAITLISTED
    registration.session_id = target.id
    if was_waiting:
        registration.status = S.CONFIRMED
        registration.waitlisted_at = None
        registration.status_changed_at = now
    db.session.flush()
    db.session.expire(registration, ["session"])
    detail = f"{registration.user.name}: {source.label if source else '—'} → {target.label}"
    audit.record("registration.session_move", actor=actor, event=event, detail=detail)
    if by_organizer and actor.id != registration.user_id:
        _tell_moved(registration, event, target)
    return promote_waitlist(event, now, actor=actor)


def _tell_moved(registration: Registration, event: Event, target: EventSession) -> None:
    """Tell the member the organizer moved their registration to another session."""
    title, label, start = event.title, target.label, target.starts_at
    notify(
        registration.user,
        lambda: (
            _("Session changed: %(title)s", title=title),
            _(
                "The organizer moved your registration for %(title)s to the session "
                "「%(session)s」, starting %(start)s.",
                title=title,
                session=label,
                start=format_local(start),
            ),
        ),
        link=event_path(event),
    )


def session_time(session: EventSession) -> str:
    """“2026-11-11 09:00–11:00”, or both dates when it runs past midnight (local time)."""
    start = format_local(session.starts_at)
    same_day = format_local(session.starts_at, "%Y-%m-%d") == format_local(
        session.ends_at, "%Y-%m-%d"
    )
    end = format_local(session.ends_at, "%H:%M" if same_day else "%Y-%m-%d %H:%M")
    return f"{start}–{end}"


def _choice_label(figures: SessionFigures, approval_required: bool = False) -> str:
    left = figures.left
    if left is None:
        places = _("no limit on places")
    elif left == 0:
        places = _("full: you join its waitlist")
    else:
        places = _("%(n)s places left", n=left)
    return f"{figures.session.label} · {session_time(figures.session)} · {places}"


def choices_to_register(
    figures: list[SessionFigures],
    held: list[Registration],
    multiple: bool,
    now: datetime,
) -> list[tuple[int, str]]:
    """The sessions a member may register for, as (id, label with time and places left): those
    not started yet and, where several may be held, not held already."""
    taken = {reg.session_id for reg in held if reg.is_active} if multiple else set()
    return [
        (figure.session.id, _choice_label(figure))
        for figure in figures
        if now < figure.session.starts_at and figure.session.id not in taken
    ]


def move_choices(
    figures: list[SessionFigures], registration: Registration, now: datetime | None = None
) -> list[tuple[int, str]]:
    """The sessions a registration may be moved to, with time and places left: every other one
    (for a member, only those not started yet); one too full to take it is shown disabled, as
    full (`rules.session_full_for`)."""
    choices: list[tuple] = []
    for figure in figures:
        if figure.session.id == registration.session_id:
            continue
        if now is not None and now >= figure.session.starts_at:
            continue
        if rules.session_full_for(
            registration.status, figure.left, figure.own_left, registration.seats
        ):
            label = f"{figure.session.label} · {session_time(figure.session)} · {_('Full')}"
            choices.append((figure.session.id, label, {"disabled": True}))
        else:
            choices.append((figure.session.id, _choice_label(figure)))
    return choices


def member_move_form(event: Event, figures: list[SessionFigures], mine: Registration | None, now):
    """The member's “move to another session” form, or None when there is nothing to move: an
    event without sessions, no active registration, the event started, no other session open.
    Where several sessions may be held there is no move: a member adds one and cancels another."""
    from eventsite.events.session_forms import MoveSessionForm

    if not figures or event.multiple_sessions or mine is None or not mine.is_active:
        return None
    if not rules.member_may_cancel(mine.status, event.starts_at, now):
        return None
    choices = move_choices(figures, mine, now)
    return MoveSessionForm(formdata=None, choices=choices) if choices else None
