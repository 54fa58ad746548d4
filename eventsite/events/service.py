"""The registration engine: register, cancel, approve, reject, move, promote.

Every function that changes who holds a place first takes the event's lock (`lock_event`) and
then counts, so capacity, gender quotas and team caps hold however many requests arrive at once.
Functions flush; the view, job or CLI command that called them commits once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, lazyload

from eventsite.accounts.models import ROOT_ORGANIZATION_ID, Role, User, UserRole
from eventsite.accounts.service import AccountError, role_revoking, user_by_mobile
from eventsite.core import audit
from eventsite.core.errors import Refused
from eventsite.core.notifications import Notice, compose, notify, post
from eventsite.core.time import format_local, to_local, utcnow
from eventsite.events import notices, rules
from eventsite.events.models import (
    ACTIVE_STATUSES,
    AUDIENCE_TITLES,
    SESSION_KINDS,
    Event,
    EventKind,
    EventOrganizer,
    EventSession,
    EventStatus,
    Registration,
    RegistrationStatus,
    Team,
    Track,
)
from eventsite.extensions import db
from eventsite.sms.rules import SmsKind

S = RegistrationStatus

#: The registration table's columns: the aggregates read them without building ORM entities.
REGISTRATION = Registration.__table__.c
#: What an occupancy is counted from (see `_occupancy`), and what it is grouped by.
_OCCUPANCY_GROUPS = (
    REGISTRATION.status,
    REGISTRATION.gender,
    REGISTRATION.team_id,
    REGISTRATION.session_id,
)
_OCCUPANCY_COLUMNS = (
    *_OCCUPANCY_GROUPS,
    sa.func.count(REGISTRATION.id),
    sa.func.sum(REGISTRATION.companions),
)


class RegistrationError(Refused):
    """A registration action was refused."""


PROBLEM_MESSAGES = {
    rules.Ineligible.UNDER_18: _l("Mixers are open to members aged 18 and over."),
    rules.Ineligible.TOO_YOUNG: _l(
        "This mixer is for members of the stated age range; you are younger."
    ),
    rules.Ineligible.TOO_OLD: _l(
        "This mixer is for members of the stated age range; you are older."
    ),
    rules.Ineligible.NOT_SINGLE: _l("Please confirm that you are single to register for a mixer."),
    rules.Ineligible.TEAM_REQUIRED: _l("Please choose a team."),
    rules.Ineligible.TEAM_UNKNOWN: _l("That team does not belong to this event."),
    rules.Ineligible.TRACK_REQUIRED: _l("Please choose a track."),
    rules.Ineligible.TRACK_UNKNOWN: _l("That track does not belong to this event."),
}


@dataclass(frozen=True)
class Placement:
    """Where a registration stands: its status, team and track."""

    status: str
    team_id: int | None = None
    track_id: int | None = None


@dataclass(frozen=True)
class RegistrationChange:
    """A change the engine is about to write: one member's registration before and after
    (`registration_id` and `before` are None for a first registration)."""

    user_id: int
    registration_id: int | None
    before: Placement | None
    after: Placement


#: Sent before the engine writes any change to a registration's status, team or track, as
#: `(event, changes=(RegistrationChange, ...), actor=User | None)`, in the change's transaction
#: and under the event's lock. A feature built on events whose records depend on who is
#: registered where (a competition's published results) refuses by raising RegistrationError:
#: nothing of the change is written and the caller rolls back. Events may not import those
#: features, so they answer this signal.
registrations_changing = Namespace().signal("registrations-changing")


def placement_of(registration: Registration) -> Placement:
    """The registration's status, team and track as they are now."""
    return Placement(str(registration.status), registration.team_id, registration.track_id)


def _ask_before_changing(
    event: Event, actor: User | None, changes: Iterable[RegistrationChange]
) -> None:
    """Send `registrations_changing` for the changes that change something; a receiver that
    refuses raises RegistrationError before anything is written."""
    changing = tuple(change for change in changes if change.before != change.after)
    if changing:
        registrations_changing.send(event, changes=changing, actor=actor)


def _change(registration: Registration, **after) -> RegistrationChange:
    """The change of an existing registration to `after` (status, team_id, track_id)."""
    before = placement_of(registration)
    return RegistrationChange(
        registration.user_id,
        registration.id,
        before,
        Placement(
            str(after.get("status", before.status)),
            after.get("team_id", before.team_id),
            after.get("track_id", before.track_id),
        ),
    )


def event_path(event: Event) -> str:
    return f"/events/{event.id}"


MY_EVENTS_PATH = "/my/events"


def lock_event(event_id: int) -> Event:
    """Load the event holding its lock until the transaction ends.

    PostgreSQL: SELECT … FOR NO KEY UPDATE on the event row (it serialises every caller of this
    function, yet lets unrelated rows that merely reference the event be inserted meanwhile).
    SQLite: write transactions already began with BEGIN IMMEDIATE (core.db), so the whole
    database is ours until commit.

    Never lock an event row `FOR UPDATE` (nor `FOR NO KEY UPDATE` on it from a transaction that
    then waits for this one): a registration writes its message, whose text names the event,
    before it takes this lock, which holds the event's key-share lock until it commits.
    """
    # The organizers are not part of any invariant: leave them out of the locked read.
    stmt = (
        sa.select(Event)
        .where(Event.id == event_id)
        .options(lazyload(Event.organizers), lazyload(Event.organization))
        .execution_options(populate_existing=True)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Only the event row: never its organization's, which every event there shares.
        stmt = stmt.with_for_update(key_share=True, of=Event)
    event = db.session.scalars(stmt).one_or_none()
    if event is None:
        raise RegistrationError(_("This event does not exist."))
    return event


def limits_of(
    event: Event, session_caps: dict[int, dict[int, int | None]] | None = None
) -> rules.Limits:
    """The event's limits on confirmed places, as the rules see them; an event that may have
    sessions reads their capacities (one query) unless `session_caps` (`session_caps_of`)
    already holds them."""
    quotas: dict[str, int | None] = {}
    if event.kind == EventKind.MIXER:
        quotas = {"male": event.quota_male, "female": event.quota_female}
    team_cap = event.team_cap if event.kind == EventKind.SPORTSMEET else None
    caps: dict[int, int | None] = {}
    if event.kind in SESSION_KINDS:
        if session_caps is None:
            session_caps = session_caps_of([event.id])
        caps = session_caps.get(event.id, {})
    return rules.Limits(
        capacity=event.capacity, gender_quotas=quotas, team_cap=team_cap, session_caps=caps
    )


def session_caps_of(event_ids: Iterable[int]) -> dict[int, dict[int, int | None]]:
    """{event_id: {session_id: capacity}} for the events' sessions, in one query."""
    ids = list(dict.fromkeys(event_ids))
    caps: dict[int, dict[int, int | None]] = {event_id: {} for event_id in ids}
    if not ids:
        return caps
    rows = db.session.execute(
        sa.select(EventSession.event_id, EventSession.id, EventSession.capacity).where(
            EventSession.event_id.in_(ids)
        )
    ).all()
    for event_id, session_id, capacity in rows:
        caps[event_id][session_id] = capacity
    return caps


def occupancies_of(event_ids: Iterable[int]) -> dict[int, rules.Occupancy]:
    """{event_id: confirmed places taken, in total, per gender and per team}, in one aggregate
    query; genders are the ones members registered with, whatever their profiles say now. The
    total counts seats (each member's and their companions'); genders and teams count members."""
    ids = list(dict.fromkeys(event_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(REGISTRATION.event_id, *_OCCUPANCY_COLUMNS)
        .where(
            REGISTRATION.event_id.in_(ids),
            REGISTRATION.status.in_((S.CONFIRMED, S.WAITLISTED)),
        )
        .group_by(REGISTRATION.event_id, *_OCCUPANCY_GROUPS)
    ).all()
    return {event_id: _occupancy(row[1:] for row in rows if row[0] == event_id) for event_id in ids}


@dataclass(frozen=True)
class OwnRegistration:
    """One of the member's own registrations for an event, as the lock found it."""

    id: int
    status: str
    session_id: int | None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def _occupancy_and_own(
    event_id: int, user_id: int
) -> tuple[rules.Occupancy, list[OwnRegistration]]:
    """The event's occupancy and the member's own registrations in any status, in one aggregate
    query (the statement a registration runs under the lock besides the lock and its writes).

    The member's rows join the confirmed and waitlisted ones; each group names the member's
    registration in it, if any: a member holds at most one registration per session, and the
    groups are per session and status. `_occupancy` counts only confirmed and waitlisted groups.
    """
    rows = db.session.execute(_OCCUPANCY_AND_OWN, {"event_id": event_id, "user_id": user_id}).all()
    own = [OwnRegistration(row[-1], row[0], row[3]) for row in rows if row[-1] is not None]
    return _occupancy(row[:-1] for row in rows), own


# Built once: the registration runs it under the lock.
_OCCUPANCY_AND_OWN = (
    sa.select(
        *_OCCUPANCY_COLUMNS,
        sa.func.max(sa.case((REGISTRATION.user_id == sa.bindparam("user_id"), REGISTRATION.id))),
    )
    .where(
        REGISTRATION.event_id == sa.bindparam("event_id"),
        sa.or_(
            REGISTRATION.status.in_((S.CONFIRMED, S.WAITLISTED)),
            REGISTRATION.user_id == sa.bindparam("user_id"),
        ),
    )
    .group_by(*_OCCUPANCY_GROUPS)
)


def _occupancy(rows: Iterable[tuple]) -> rules.Occupancy:
    """An event's occupancy from (status, gender, team id, session id, count, companions) rows;
    other statuses than confirmed and waitlisted are left out. The total and the sessions count
    seats (members and their companions); genders and teams count members."""
    by_gender: Counter[str] = Counter()
    by_team: Counter[int] = Counter()
    by_session: Counter[int] = Counter()
    waiting = companions = 0
    waiting_groups = set()
    for status, gender, team_id, session_id, count, brought in rows:
        if status == S.WAITLISTED:
            waiting += count
            waiting_groups.add((gender, team_id, session_id))
        elif status == S.CONFIRMED:
            by_gender[gender] += count
            companions += brought or 0
            if team_id is not None:
                by_team[team_id] += count
            if session_id is not None:
                by_session[session_id] += count + (brought or 0)
    return rules.Occupancy(
        confirmed=by_gender.total() + companions,
        by_gender=dict(by_gender),
        by_team=dict(by_team),
        by_session=dict(by_session),
        waitlisted=waiting,
        waiting_groups=frozenset(waiting_groups),
    )


def page_figures(
    event: Event, session_caps: dict[int, dict[int, int | None]] | None = None
) -> tuple[dict[str, int], rules.PlacesLeft, frozenset[int]]:
    """The event page's figures from one aggregate query: registrations by status (every status
    present), the places left (overall, per gender and per session) and the full teams;
    `session_caps` as `limits_of` takes it."""
    rows = db.session.execute(
        sa.select(
            Registration.status,
            Registration.gender,
            Registration.team_id,
            Registration.session_id,
            sa.func.count(Registration.id),
            sa.func.sum(Registration.companions),
        )
        .where(Registration.event_id == event.id)
        .group_by(
            Registration.status,
            Registration.gender,
            Registration.team_id,
            Registration.session_id,
        )
    ).all()
    counts = {status.value: 0 for status in S}
    for status, _gender, _team_id, _session_id, count, _brought in rows:
        counts[status] += count
    limits, occupancy = limits_of(event, session_caps), _occupancy(rows)
    return counts, rules.places_left(limits, occupancy), rules.full_teams(limits, occupancy)


def occupancy_of(event_id: int) -> rules.Occupancy:
    """Confirmed places taken at one event, in total, per gender and per team (one query)."""
    return occupancies_of([event_id])[event_id]


def status_counts(event_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{event_id: {status: count}} with every status present (0 when none), in one query."""
    ids = list(dict.fromkeys(event_ids))
    counts = {event_id: {status.value: 0 for status in S} for event_id in ids}
    if not ids:
        return counts
    rows = db.session.execute(
        sa.select(Registration.event_id, Registration.status, sa.func.count(Registration.id))
        .where(Registration.event_id.in_(ids))
        .group_by(Registration.event_id, Registration.status)
    ).all()
    for event_id, status, count in rows:
        counts[event_id][status] = count
    return counts


def full_teams_of(event: Event) -> frozenset[int]:
    """The event's teams whose cap is reached (no query when the event has no team cap)."""
    limits = limits_of(event)
    if limits.team_cap is None:
        return frozenset()
    return rules.full_teams(limits, occupancy_of(event.id))


def places_and_full_teams(
    event: Event, session_caps: dict[int, dict[int, int | None]] | None = None
) -> tuple[rules.PlacesLeft, frozenset[int]]:
    """The places left (overall, per gender and per session) and the full teams, from one
    aggregate query (and one for the sessions' capacities unless `session_caps` has them)."""
    limits, occupancy = limits_of(event, session_caps), occupancy_of(event.id)
    return rules.places_left(limits, occupancy), rules.full_teams(limits, occupancy)


def terms_of(event: Event) -> rules.EventTerms:
    """What the event asks of registrants, as the rules see it; ages count in its local start year.

    Teams and tracks are loaded only for the kinds that choose them.
    """
    with_teams = event.kind in (EventKind.COMPETITION, EventKind.SPORTSMEET)
    return rules.EventTerms(
        kind=event.kind,
        year=to_local(event.starts_at).year,
        min_age=event.min_age,
        max_age=event.max_age,
        team_ids=frozenset(team.id for team in event.teams) if with_teams else frozenset(),
        track_ids=frozenset(track.id for track in event.tracks)
        if event.kind == EventKind.COMPETITION
        else frozenset(),
    )


_OUTSIDE_AUDIENCE_MESSAGES = {
    rules.OutsideAudience.NO_UNION: _l(
        "This event is open to the verified members of 「%(organization)s」 and the unions "
        "below it. Choose your union under “My union” to ask it to verify you."
    ),
    rules.OutsideAudience.NOT_VERIFIED: _l(
        "This event is open to the verified members of 「%(organization)s」 and the unions "
        "below it; your union has yet to verify your membership."
    ),
    rules.OutsideAudience.OTHER_UNION: _l(
        "This event is open to the verified members of 「%(organization)s」 and the unions "
        "below it; your union is not one of them."
    ),
}


def audience_problem(event: Event, user: User) -> str | None:
    """Why `user` is outside the event's audience, in their words; None if they are inside it.

    One query for a members-only event (is the member's union inside the event's organization's
    subtree); none for an event open to everyone.
    """
    if event.audience == rules.Audience.EVERYONE:
        return None
    from eventsite.organizations.service import is_within

    within = user.organization_id is not None and is_within(
        user.organization_id, event.organization_id
    )
    problem = rules.audience_problem(event.audience, user.membership_status, within)
    if problem is None:
        return None
    return _OUTSIDE_AUDIENCE_MESSAGES[problem] % {"organization": event.organization.name}


def open_to(user) -> sa.ColumnElement[bool]:
    """An SQL condition on `Event`: the events `user` (signed in or not) may register for by
    audience: every event for everyone, and for a verified member the members-only events of
    their union and of every organization above it (one indexed subquery on the closure table)."""
    for_everyone = Event.audience == rules.Audience.EVERYONE
    union_id = user.verified_organization_id if user.is_authenticated else None
    if union_id is None:
        return for_everyone
    from eventsite.organizations.service import ancestor_ids

    return sa.or_(
        for_everyone,
        sa.and_(
            Event.audience == rules.Audience.MEMBERS,
            Event.organization_id.in_(ancestor_ids(union_id)),
        ),
    )


def standing_problems(event: Event, user: User) -> list[str]:
    """Why the member cannot register whatever they enter in the form (the event's audience, a
    mixer's age rules)."""
    problems = [problem for problem in [audience_problem(event, user)] if problem]
    if event.kind != EventKind.MIXER:
        return problems
    applicant = rules.Applicant(birth_year=user.birth_year, single_declared=True)
    return problems + [
        str(PROBLEM_MESSAGES[problem])
        for problem in rules.eligibility_problems(terms_of(event), applicant)
        if rules.PROBLEM_FIELD[problem] is None
    ]


def find_registration(
    event_id: int, user_id: int, session_id: int | None = None
) -> Registration | None:
    """The member's registration for the event in any status, or None.

    At an event held in sessions a member may hold one per session: with `session_id`, the one
    in that session; without, an active one before an inactive one (the earliest session first),
    so that where a member may hold only one, this is it.
    """
    stmt = (
        sa.select(Registration)
        .where(Registration.event_id == event_id, Registration.user_id == user_id)
        # The event page shows them.
        .options(joinedload(Registration.team), joinedload(Registration.track))
    )
    if session_id is not None:
        stmt = stmt.where(Registration.session_id == session_id)
    return db.session.scalars(
        stmt.order_by(
            Registration.status.not_in(ACTIVE_STATUSES),
            Registration.status_changed_at.desc(),
            Registration.id,
        ).limit(1)
    ).first()


def registrations_of(event_id: int, user_id: int) -> list[Registration]:
    """Every registration of the member for the event (several only where it has sessions),
    by their sessions' start."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .outerjoin(EventSession, EventSession.id == Registration.session_id)
            .where(Registration.event_id == event_id, Registration.user_id == user_id)
            .order_by(EventSession.starts_at, Registration.id)
        )
    )


def register(
    event: Event,
    user: User,
    *,
    team_id: int | None = None,
    track_id: int | None = None,
    session_id: int | None = None,
    single_declared: bool = False,
    companions: int = 0,
    now: datetime | None = None,
    announce: bool = True,
    actor: User | None = None,
    answers_check: Callable[[Event], None] | None = None,
) -> Registration:
    """Register `user`: confirmed if a place fits them, else waitlisted; pending if approval is on.

    `companions`: the companions (家属) the member brings, each taking a seat. At an event held
    in sessions, for the session `session_id`: a place in it, else its waitlist; a member holds
    one session, or one registration per session where the event allows several.

    `announce=False` leaves telling the member to the caller (an import approves at once and
    tells them only the outcome). `actor` is who registers them: the member themself unless
    given (an organizer's import). `answers_check(event)` runs under the lock once the member
    may register, and refuses with RegistrationError (a choice of a registration question whose
    stock ran out meanwhile): the caller writes the answers in the same transaction.
    """
    actor = actor or user
    kind = event.kind
    applicant = rules.Applicant(
        birth_year=user.birth_year,
        single_declared=single_declared,
        team_id=team_id if kind in (EventKind.COMPETITION, EventKind.SPORTSMEET) else None,
        track_id=track_id if kind == EventKind.COMPETITION else None,
    )

    def worked_out(event: Event):
        """What the event asks of the member (audience, teams, tracks, ages) and the message
        each outcome sends."""
        problems = rules.eligibility_problems(terms_of(event), applicant)
        messages = _arrival_notices(event, user) if announce else {}
        return audience_problem(event, user), problems, messages

    # Only the capacity decision and its writes hold the lock: the rest is worked out before
    # it, from the event as the caller loaded it; refusals still come in the order below.
    seen = event.updated_at
    outside, problems, messages = worked_out(event)
    # The message of the likely outcome is written before the lock too (`_likely_arrival`):
    # under it only the registration is, unless the outcome turns out otherwise.
    written = None
    group = _arrival_group(event, user.gender, applicant.team_id, session_id)
    if announce and outside is None and not problems:
        written = messages.get(_likely_arrival(event, group))
        if written is not None:
            post(written)
            db.session.flush()
    try:
        event = lock_event(event.id)
        if event.updated_at != seen:
            # Edited while this waited for the lock (its time, place, audience or terms): worked
            # out again from the event as it is now, so no message tells an older time or place.
            outside, problems, messages = worked_out(event)
        # Read the clock only under the lock, so arrival times follow the order the lock was granted.
        now = now or utcnow()
        if not event.registration_open(now):
            raise RegistrationError(_closed_message(event, now))
        session = _session_to_register(event, session_id, now)
        occupancy, mine = _occupancy_and_own(event.id, user.id)
        active = [registration for registration in mine if registration.is_active]
        if session is not None and event.multiple_sessions:
            if any(registration.session_id == session.id for registration in active):
                raise RegistrationError(
                    _("You are already registered for this session."), "session_id"
                )
        elif active:
            raise RegistrationError(
                _(
                    "You are already registered for this event; to change the session, move to another one."
                )
                if session is not None
                else _("You are already registered for this event.")
            )
        if any(registration.status == S.REJECTED for registration in mine):
            raise RegistrationError(
                _("The organizer has declined your registration for this event.")
            )
        # A member's earlier (cancelled) registration for the same session arrives anew.
        earlier = next(
            (
                registration
                for registration in mine
                if registration.session_id == (session.id if session else None)
            ),
            None,
        )
        if outside is not None:
            raise RegistrationError(outside)
        if problems:
            first = problems[0]
            raise RegistrationError(str(PROBLEM_MESSAGES[first]), rules.PROBLEM_FIELD[first])
        _check_companions(event, companions)
        if answers_check is not None:
            answers_check(event)

        seeker = rules.Seeker(
            None,
            user.gender,
            applicant.team_id,
            seats=1 + companions,
            session_id=session.id if session else None,
        )
        status = rules.status_on_arrival(
            approval_required=event.approval_required,
            has_place=not event.approval_required
            and _place_for(event, seeker, now, actor, occupancy=occupancy),
        )
        existing = db.session.get(Registration, earlier.id) if earlier else None
        after = Placement(str(status), applicant.team_id, applicant.track_id)
        _ask_before_changing(
            event,
            actor,
            [
                RegistrationChange(
                    user.id,
                    existing.id if existing else None,
                    placement_of(existing) if existing else None,
                    after,
                )
            ],
        )
        registration = existing or Registration(event_id=event.id, user_id=user.id)
        registration.status = status
        # A re-registration arrives anew, with the member as they are now.
        registration.gender = user.gender
        registration.birth_year = user.birth_year
        registration.team_id = applicant.team_id
        registration.track_id = applicant.track_id
        registration.companions = companions
        registration.session_id = session.id if session else None
        registration.single_declared_at = now if kind == EventKind.MIXER else None
        registration.registered_at = now
        registration.status_changed_at = now
        registration.waitlisted_at = now if status == S.WAITLISTED else None
        registration.offer_expires_at = None
        registration.checked_in_at = None
        registration.checked_in_by_id = None
        registration.status_reason = ""
        db.session.add(registration)
        _remember_arrival(group, status)
        notice = messages.get(status)
        if announce and (notice is None or notice is not written):
            # Another outcome than the likely one, or the event edited while this waited: the
            # message written before the lock goes and this one's is written instead (rendered
            # before the lock, or now for an outcome the event did not lead us to expect then).
            _withdraw(written)
            post(notice or _announcement(event, user, status))
        db.session.flush()  # the registration (and its message, when it was not written yet)
        return registration
    except Exception:
        # Refused under the lock (or failed): the message written for an outcome that never
        # came goes, whatever the caller does next.
        _withdraw(written)
        raise


#: The status the last new registration got, by the places it competed for (see
#: `_arrival_group`), in this process: in a rush nearly every registration before those places
#: are gone is confirmed, and every one after them waitlisted.
_last_arrival: dict[tuple, str] = {}


def _arrival_group(
    event: Event, gender: str | None, team_id: int | None, session_id: int | None
) -> tuple:
    """The places an arrival competes for: the event's, or its session's, and the quota of the
    member's gender on a mixer that has quotas, and their team's on a meet with a team cap."""
    quotas = event.kind == EventKind.MIXER and (
        event.quota_male is not None or event.quota_female is not None
    )
    capped = event.kind == EventKind.SPORTSMEET and event.team_cap is not None
    return (event.id, session_id, gender if quotas else None, team_id if capped else None)


def _likely_arrival(event: Event, group: tuple) -> str:
    """The status a new registration for `event` most likely gets: pending where the organizer
    approves, else the one the last arrival competing for the same places (`group`) got in this
    process (confirmed when none did yet). Its message is written before the lock and replaced
    only when it turns out wrong."""
    if event.approval_required:
        return S.PENDING
    return _last_arrival.get(group, S.CONFIRMED)


def _remember_arrival(group: tuple, status: str) -> None:
    if len(_last_arrival) >= 10_000:  # a long-running process sees many events: start over
        _last_arrival.clear()
    _last_arrival[group] = str(status)


def _withdraw(notice: Notice | None) -> None:
    """Take back a message `post` wrote in this transaction that no longer applies."""
    if notice is not None:
        for row in (notice.note, notice.mail, notice.text):
            if row is not None:
                db.session.delete(row)


def _check_companions(event: Event, companions: int) -> None:
    """Refuse more companions than the event admits (none, on a kind that admits none)."""
    if not rules.companions_allowed(event.kind, event.max_companions, companions):
        if event.kind in rules.COMPANION_KINDS and event.max_companions:
            message = _("You may bring from 0 to %(max)d companions.", max=event.max_companions)
        else:
            message = _("This event admits no companions.")
        raise RegistrationError(message, "companions")


def change_companions(
    registration: Registration,
    companions: int,
    *,
    actor: User,
    now: datetime | None = None,
) -> list[Registration]:
    """The member changes how many companions they bring, until registration closes: more seats
    only if they fit (else nothing changes), fewer seats free places for the waitlist at once.
    Returns those promoted."""
    event, registration = _locked_registration(registration)
    now = now or utcnow()
    if actor.id != registration.user_id:
        raise RegistrationError(_("You can only change your own registration."))
    if not rules.member_may_change_companions(event.registration_state(now), registration.status):
        raise RegistrationError(
            _("Companions can be changed only while registration is open."), "companions"
        )
    _check_companions(event, companions)
    before = registration.companions
    extra = companions - before
    if extra == 0:
        return []
    if (
        extra > 0
        and registration.status == S.CONFIRMED
        and not rules.more_seats_fit(
            limits_of(event), occupancy_of(event.id), extra, registration.session_id
        )
    ):
        raise RegistrationError(
            ngettext(
                "Not enough places are left for %(num)d more companion; nothing was changed.",
                "Not enough places are left for %(num)d more companions; nothing was changed.",
                extra,
            ),
            "companions",
        )
    registration.companions = companions
    db.session.flush()
    audit.record(
        "registration.companions",
        actor=actor,
        event=event,
        detail=f"{registration.user.name}: {before} → {companions}",
    )
    # Fewer seats held, or a waiting member now needing fewer: the waitlist may move.
    if extra < 0 or registration.status == S.WAITLISTED:
        return promote_waitlist(event, now, actor=actor)
    return []


def sessions_of(event: Event) -> list[EventSession]:
    """The event's sessions by start (none for a kind that has no sessions, without a query)."""
    if event.kind not in SESSION_KINDS:
        return []
    return list(
        db.session.scalars(
            sa.select(EventSession)
            .where(EventSession.event_id == event.id)
            .order_by(EventSession.starts_at, EventSession.position, EventSession.id)
        )
    )


def _session_to_register(
    event: Event, session_id: int | None, now: datetime
) -> EventSession | None:
    """The session a member registers for: one of the event's that has not started; None at an
    event without sessions."""
    sessions = sessions_of(event)
    if not sessions:
        return None
    if session_id is None:
        raise RegistrationError(_("Please choose a session."), "session_id")
    session = next((session for session in sessions if session.id == session_id), None)
    if session is None:
        raise RegistrationError(_("That session does not belong to this event."), "session_id")
    if now >= session.starts_at:
        raise RegistrationError(
            _("This session has already started; please choose another."), "session_id"
        )
    return session


def _closed_message(event: Event, now: datetime) -> str:
    """Why registration is not open now, in the member's words."""
    if event.status == EventStatus.CANCELLED:
        return _("This event has been cancelled.")
    if event.status != EventStatus.PUBLISHED:
        return _("This event is not open for registration.")
    if now < event.registration_opens_at:
        return _("Registration opens at %(time)s.", time=format_local(event.registration_opens_at))
    return _("Registration for this event has closed.")


def _place_for(
    event: Event,
    seeker: rules.Seeker,
    now: datetime,
    actor: User | None,
    *,
    occupancy: rules.Occupancy | None = None,
) -> bool:
    """A confirmed place fits `seeker` once every waitlisted member who fits has been served;
    `occupancy`: the event's, when the caller has just counted it under the lock."""
    limits = limits_of(event)
    if occupancy is None:
        occupancy = occupancy_of(event.id)
    if not rules.fits(limits, occupancy, seeker):
        return False
    # Normally nobody on the waitlist fits (every freed place promotes at once); should a
    # change elsewhere have left a place they fit, they take it before a newcomer does. Where
    # none of the waiting groups fits (their quota, team or session full) nobody is looked for.
    if rules.waiting_may_fit(limits, occupancy) and promote_waitlist(event, now, actor=actor):
        return rules.fits(limits, occupancy_of(event.id), seeker)
    return True


def _announce(registration: Registration, event: Event, user: User) -> None:
    """Tell the member where their registration stands now."""
    notice = _announcement(event, user, registration.status, registration.status_reason)
    if notice is not None:
        post(notice)


def _arrival_notices(event: Event, user: User) -> dict[str, Notice]:
    """The message for each status a new registration for `event` may get, rendered for `user`
    (before the lock, so that only the choice among them is left under it)."""
    arrivals = (S.PENDING,) if event.approval_required else (S.CONFIRMED, S.WAITLISTED)
    return {status: _announcement(event, user, status) for status in arrivals}


def _announcement(event: Event, user: User, status: str, reason: str = "") -> Notice | None:
    """The message telling `user` their registration for `event` now stands at `status` (with
    the organizer's `reason`, for a decline or a cancellation); None for no such status."""
    title = event.title
    if status == S.CONFIRMED:
        render = lambda: (  # noqa: E731
            _("Registration confirmed: %(title)s", title=title),
            _(
                "Your place at %(title)s is confirmed. It starts at %(start)s at %(venue)s. Your check-in code is under My events.",
                title=title,
                start=format_local(event.starts_at),
                venue=event.venue,
            ),
        )
    elif status == S.WAITLISTED:
        render = lambda: (  # noqa: E731
            _("On the waitlist: %(title)s", title=title),
            _(
                "%(title)s is full, so you are on the waitlist. If a place frees up, it goes to the waitlist in order and we will tell you at once.",
                title=title,
            ),
        )
    elif status == S.PENDING:
        render = lambda: (  # noqa: E731
            _("Registration received: %(title)s", title=title),
            _("Your registration for %(title)s awaits the organizer's approval.", title=title),
        )
    elif status == S.REJECTED:
        render = lambda: (  # noqa: E731
            _("Registration declined: %(title)s", title=title),
            _("The organizer declined your registration for %(title)s.", title=title)
            + (" " + _("Reason: %(reason)s", reason=reason) if reason else ""),
        )
    elif status == S.CANCELLED:
        render = lambda: (  # noqa: E731
            _("Registration cancelled: %(title)s", title=title),
            _("Your registration for %(title)s has been cancelled.", title=title)
            + (" " + _("Reason: %(reason)s", reason=reason) if reason else ""),
        )
    else:  # pragma: no cover - every status is listed above
        return None
    confirmed = status == S.CONFIRMED
    return compose(
        user,
        render,
        link=MY_EVENTS_PATH if confirmed else event_path(event),
        sms=SmsKind.REGISTRATION_CONFIRMED if confirmed else None,
        sms_params=notices.sms_event(event) if confirmed else None,
        sms_event=event,
    )


def promote_waitlist(
    event: Event, now: datetime | None = None, *, actor: User | None = None
) -> list[Registration]:
    """Fill free places from the waitlist, first come first served; the caller holds the lock.

    Each place is offered: held for the member until the deadline `rules.offer_deadline` sets
    (the scheduler's `offers.lapse_offers` passes it on if they do not confirm), or theirs at once
    when the event asks no confirmation or too little time is left. `actor` is whose action
    freed the places (None for the engine itself).
    """
    now = now or utcnow()
    if event.is_cancelled or event.has_ended(now):
        return []  # nobody is offered a place at an event that will not (or no longer) happen
    waiting = db.session.execute(
        sa.select(Registration, User)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event.id, Registration.status == S.WAITLISTED)
        .order_by(Registration.waitlisted_at, Registration.id)
    ).all()
    if not waiting:
        return []
    seekers = [
        rules.Seeker(reg.id, reg.gender, reg.team_id, seats=reg.seats, session_id=reg.session_id)
        for reg, _user in waiting
    ]
    chosen = {
        s.registration_id
        for s in rules.promotions(limits_of(event), occupancy_of(event.id), seekers)
    }
    _ask_before_changing(
        event,
        actor,
        [_change(reg, status=S.CONFIRMED) for reg, _user in waiting if reg.id in chosen],
    )
    deadline = rules.offer_deadline(now, event.starts_at, event.promotion_confirm_hours)
    promoted = []
    for registration, user in waiting:
        if registration.id not in chosen:
            continue
        registration.status = S.CONFIRMED
        registration.status_changed_at = now
        registration.offer_expires_at = deadline
        promoted.append(registration)
        if deadline is None:
            _tell_promoted(event, user)
            audit.record("registration.promote", event=event, detail=user.name)
        else:
            _tell_offered(event, user, deadline)
            audit.record(
                "registration.offer",
                event=event,
                detail=f"{user.name} ({format_local(deadline)})",
            )
    db.session.flush()
    return promoted


def _tell_promoted(event: Event, user: User) -> None:
    """Tell a member a freed place is theirs outright."""
    title = event.title
    notify(
        user,
        lambda: (
            _("A place is yours: %(title)s", title=title),
            _(
                "A place at %(title)s has freed up and is now yours: your registration is confirmed. If you can no longer come, please cancel so the next member gets it.",
                title=title,
            ),
        ),
        link=MY_EVENTS_PATH,
        sms=SmsKind.REGISTRATION_CONFIRMED,
        sms_params=notices.sms_event(event),
        sms_event=event,
    )


def _tell_offered(event: Event, user: User, deadline: datetime) -> None:
    """Tell a member a freed place is held for them until `deadline`, if they confirm it."""
    title = event.title
    notify(
        user,
        lambda: (
            _("A place is offered to you: %(title)s", title=title),
            _(
                "A place at %(title)s has freed up and is held for you until %(deadline)s. Please confirm it on the event's page by then; if you do not, it goes to the next member on the waitlist.",
                title=title,
                deadline=format_local(deadline),
            ),
        ),
        link=event_path(event),
        sms=SmsKind.WAITLIST_PROMOTED,
        sms_params={
            "event": notices.sms_name(event.title),
            "deadline": notices.sms_time(deadline),
        },
        sms_event=event,
    )


def _locked_registration(registration: Registration) -> tuple[Event, Registration]:
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    return event, registration


def cancel_registration(
    registration: Registration,
    *,
    actor: User,
    reason: str = "",
    by_organizer: bool = False,
    now: datetime | None = None,
) -> list[Registration]:
    """Cancel a registration (a member their own until the event starts, an organizer any time)
    and return those promoted into the freed place."""
    event, registration = _locked_registration(registration)
    now = now or utcnow()
    by_member = not by_organizer
    if by_member and actor.id != registration.user_id:
        raise RegistrationError(_("You can only cancel your own registration."))
    if not registration.is_active:
        raise RegistrationError(_("This registration is no longer active."))
    if by_member and not rules.member_may_cancel(registration.status, event.starts_at, now):
        raise RegistrationError(_("The event has started; please contact the organizer."))
    _ask_before_changing(event, actor, [_change(registration, status=S.CANCELLED)])
    held_place = registration.status == S.CONFIRMED
    registration.status = S.CANCELLED
    registration.status_changed_at = now
    registration.status_reason = "" if by_member else reason
    registration.waitlisted_at = None
    registration.offer_expires_at = None
    db.session.flush()
    if not by_member:
        audit.record(
            "registration.cancel",
            actor=actor,
            event=event,
            detail=_audit_detail(registration, reason),
        )
        _announce(registration, event, registration.user)
    promoted = promote_waitlist(event, now, actor=actor) if held_place else []
    return promoted


def approve(
    registration: Registration, *, actor: User, now: datetime | None = None
) -> Registration:
    """Approve a pending registration: a place if one fits, else the back of the waitlist."""
    event, registration = _locked_registration(registration)
    now = now or utcnow()
    if rules.RosterAction.APPROVE not in rules.roster_actions(registration.status):
        raise RegistrationError(_("Only registrations awaiting approval can be approved."))
    seeker = rules.Seeker(
        registration.id,
        registration.gender,
        registration.team_id,
        seats=registration.seats,
        session_id=registration.session_id,
    )
    has_place = _place_for(event, seeker, now, actor)
    status = S.CONFIRMED if has_place else S.WAITLISTED
    _ask_before_changing(event, actor, [_change(registration, status=status)])
    registration.status = status
    registration.waitlisted_at = None if has_place else now
    registration.status_changed_at = now
    db.session.flush()
    audit.record(
        "registration.approve", actor=actor, event=event, detail=_audit_detail(registration)
    )
    _announce(registration, event, registration.user)
    return registration


def reject(
    registration: Registration, *, actor: User, reason: str = "", now: datetime | None = None
) -> Registration:
    """Decline a pending or waitlisted registration, with an optional reason shown to the member."""
    event, registration = _locked_registration(registration)
    now = now or utcnow()
    if rules.RosterAction.REJECT not in rules.roster_actions(registration.status):
        raise RegistrationError(
            _(
                "Only registrations awaiting approval or on the waitlist can be rejected; cancel a confirmed one instead."
            )
        )
    _ask_before_changing(event, actor, [_change(registration, status=S.REJECTED)])
    registration.status = S.REJECTED
    registration.status_reason = reason
    registration.waitlisted_at = None
    registration.status_changed_at = now
    db.session.flush()
    audit.record(
        "registration.reject", actor=actor, event=event, detail=_audit_detail(registration, reason)
    )
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
    """Move a registration to another team or track of its event: a confirmed member only into a
    team with room, and the place left behind goes to the waitlist."""
    event, registration = _locked_registration(registration)
    now = now or utcnow()
    if rules.RosterAction.MOVE not in rules.roster_actions(registration.status):
        raise RegistrationError(_("This registration is no longer active."))
    team_ids = {team.id for team in event.teams}
    track_ids = {track.id for track in event.tracks}
    if team_id is not None and team_id not in team_ids:
        raise RegistrationError(str(PROBLEM_MESSAGES[rules.Ineligible.TEAM_UNKNOWN]), "team_id")
    if track_id is not None and track_id not in track_ids:
        raise RegistrationError(str(PROBLEM_MESSAGES[rules.Ineligible.TRACK_UNKNOWN]), "track_id")
    old = _placement(registration)
    new_team = team_id if team_id is not None else registration.team_id
    if registration.status == S.CONFIRMED and new_team != registration.team_id:
        limits = limits_of(event)
        occupancy = occupancy_of(event.id)
        seeker = rules.Seeker(registration.id, registration.gender, new_team)
        if limits.team_cap is not None and not rules.fits(
            rules.Limits(team_cap=limits.team_cap), occupancy, seeker
        ):
            raise RegistrationError(_("That team is full."), "team_id")
    new_track = track_id if track_id is not None else registration.track_id
    _ask_before_changing(
        event, actor, [_change(registration, team_id=new_team, track_id=new_track)]
    )
    registration.team_id = new_team
    registration.track_id = new_track
    db.session.flush()
    db.session.expire(registration, ["team", "track"])
    placement = _placement(registration)
    detail = f"{registration.user.name}: {old} → {placement}"
    audit.record("registration.move", actor=actor, event=event, detail=detail)
    if placement != old and actor.id != registration.user_id:
        _tell_moved(registration, event, placement)
    return promote_waitlist(event, now, actor=actor)


def _tell_moved(registration: Registration, event: Event, placement: str) -> None:
    """Tell the member the organizer moved their registration to another team or track."""
    title = event.title
    notify(
        registration.user,
        lambda: (
            _("Registration changed: %(title)s", title=title),
            _(
                "The organizer moved your registration for %(title)s to %(placement)s. If you have questions, please contact the organizer.",
                title=title,
                placement=placement,
            ),
        ),
        link=event_path(event),
    )


def _placement(registration: Registration) -> str:
    """The registration's team and track as the audit log shows them."""
    names = [part.name for part in (registration.team, registration.track) if part is not None]
    return " / ".join(names) or "—"


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
            # Each session has its own waitlist.
            sa.func.coalesce(Registration.session_id, 0) == (registration.session_id or 0),
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
    "EventError",
    "add_organizer",
    "cancel_event",
    "create_event",
    "publish_event",
    "remove_organizer",
    "set_teams",
    "set_tracks",
    "update_event",
    "RegistrationError",
    "approve",
    "cancel_registration",
    "change_companions",
    "find_registration",
    "registrations_of",
    "sessions_of",
    "session_caps_of",
    "full_teams_of",
    "lock_event",
    "move",
    "occupancies_of",
    "occupancy_of",
    "places_and_full_teams",
    "placement_of",
    "Placement",
    "RegistrationChange",
    "registrations_changing",
    "promote_waitlist",
    "register",
    "reject",
    "standing_problems",
    "status_counts",
    "waitlist_position",
]


# --- Event management: create, edit, publish, cancel, organizers, teams and tracks -----------


class EventError(RegistrationError):
    """An organizer's change to an event was refused; `field` names the form field it concerns."""


#: What an organizer sets on an event; the kind is fixed when the event is created.
EVENT_FIELDS = (
    "title",
    "description",
    "venue",
    "co_hosts",
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
    "capacity",
    "approval_required",
    "audience",
    "promotion_confirm_hours",
    "min_age",
    "max_age",
    "quota_male",
    "quota_female",
    "team_cap",
    "max_companions",
)

#: Fields that only one kind of event uses; the others keep them empty.
KIND_ONLY_FIELDS = {
    "min_age": EventKind.MIXER,
    "max_age": EventKind.MIXER,
    "quota_male": EventKind.MIXER,
    "quota_female": EventKind.MIXER,
    "team_cap": EventKind.SPORTSMEET,
    "max_companions": EventKind.GENERAL,
}

#: What a kind-only field holds on the other kinds, where not empty.
KIND_ONLY_OFF = {"max_companions": 0}

#: Limits whose loosening can free places for the waitlist.
LIMIT_FIELDS = ("capacity", "quota_male", "quota_female", "team_cap")

#: How the audit log names each field: the edit form's own labels.
FIELD_TITLES = {
    "title": _l("Title"),
    "description": _l("Description"),
    "venue": _l("Venue"),
    "co_hosts": _l("Co-hosts"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "registration_opens_at": _l("Registration opens"),
    "registration_closes_at": _l("Registration closes"),
    "capacity": _l("Places"),
    "approval_required": _l("The organizer approves each registration"),
    "audience": _l("Open to"),
    "promotion_confirm_hours": _l("Hours to confirm a place offered from the waitlist"),
    "min_age": _l("Youngest age admitted"),
    "max_age": _l("Oldest age admitted"),
    "quota_male": _l("Places for men"),
    "quota_female": _l("Places for women"),
    "team_cap": _l("Members per team"),
    "max_companions": _l("Companions each member may bring"),
}


def _event_fields(kind: str, fields: dict) -> dict:
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"not event fields: {sorted(unknown)}")
    return {
        name: (KIND_ONLY_OFF.get(name) if KIND_ONLY_FIELDS.get(name, kind) != kind else value)
        for name, value in fields.items()
    }


def create_event(
    organizer: User, *, kind: str, organization_id: int = ROOT_ORGANIZATION_ID, **fields
) -> Event:
    """Create a draft event of `kind` held by `organization_id` (the caller checked the
    organizer may organize for it); its creator becomes its first organizer."""
    kind = EventKind(kind)
    event = Event(
        kind=kind.value,
        status=EventStatus.DRAFT.value,
        created_by_id=organizer.id,
        organization_id=organization_id,
    )
    for name, value in _event_fields(kind, fields).items():
        setattr(event, name, value)
    event.organizers.append(EventOrganizer(user_id=organizer.id))
    db.session.add(event)
    db.session.flush()
    audit.record("event.create", actor=organizer, event=event, detail=event.title)
    return event


def _check_limits_hold(event: Event, fields: dict) -> None:
    """Refuse a limit below the confirmed places it already covers (cancel on the roster first)."""
    occupancy = occupancy_of(event.id)
    taken = {
        "capacity": occupancy.confirmed,
        "quota_male": (occupancy.by_gender or {}).get("male", 0),
        "quota_female": (occupancy.by_gender or {}).get("female", 0),
        "team_cap": max((occupancy.by_team or {}).values(), default=0),
    }
    members = sum((occupancy.by_gender or {}).values())
    capacity = fields.get("capacity")
    if capacity is not None and capacity < occupancy.confirmed != members:
        raise EventError(
            _(
                "Members and their companions already hold %(count)d confirmed places here, so "
                "this cannot be lower than %(count)d. Cancel registrations on the roster first.",
                count=occupancy.confirmed,
            ),
            "capacity",
        )
    for name in LIMIT_FIELDS:
        value = fields.get(name)
        if value is not None and value < taken[name]:
            raise EventError(
                _(
                    "%(count)d members already hold a confirmed place here, so this cannot be "
                    "lower than %(count)d. Cancel registrations on the roster first.",
                    count=taken[name],
                ),
                name,
            )


def _loosened(event: Event, fields: dict) -> bool:
    """A limit was raised or removed, so waiting members may now fit."""
    for name in LIMIT_FIELDS:
        if name not in fields:
            continue
        old, new = getattr(event, name), fields[name]
        if old is not None and (new is None or new > old):
            return True
    return False


def _shown(value) -> str:
    if isinstance(value, datetime):
        return format_local(value)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def _changes_detail(changes: list[tuple[str, object, object]]) -> LazyString:
    """“Places: 10 → 12; …” with the form's labels (the description too, old and new text in
    full), written in the site's language."""
    return audit.field_changes(
        changes,
        FIELD_TITLES,
        lambda name, value: (
            str(AUDIENCE_TITLES[rules.Audience(value)]) if name == "audience" else _shown(value)
        ),
    )


class StaleEventError(EventError):
    """The event changed after the organizer opened the edit form."""


def update_event(
    event: Event,
    actor: User,
    *,
    now: datetime | None = None,
    loaded_version: str | None = None,
    **fields,
) -> list[Registration]:
    """Change an event's details; raised or removed limits promote the waitlist at once.

    `loaded_version` is the event's `version` when the form was loaded: if someone saved in
    between, nothing is changed (StaleEventError). Returns the registrations promoted off the
    waitlist.
    """
    now = now or utcnow()
    event = lock_event(event.id)
    if event.is_cancelled:
        raise EventError(_("A cancelled event cannot be changed."))
    if loaded_version is not None and loaded_version != event.version:
        raise StaleEventError(
            _(
                "Someone else changed this event at %(time)s, after you opened this form. "
                "Nothing was saved. Your entries are kept below; check them against the "
                "current values and save again.",
                time=format_local(event.updated_at),
            )
        )
    fields = _event_fields(event.kind, fields)
    _check_limits_hold(event, fields)
    loosened = _loosened(event, fields)
    noticed = rules.notice_changes(
        {name: getattr(event, name) for name in rules.NOTICED_FIELDS}, fields
    )
    changes: list[tuple[str, object, object]] = []
    for name, value in fields.items():
        old = getattr(event, name)
        if old == value:
            continue
        changes.append((name, old, value))
        setattr(event, name, value)
    if not changes:
        return []
    # Strictly later than the last stamp, so two saves within one clock tick still differ.
    event.updated_at = max(now, event.updated_at + timedelta(microseconds=1))
    db.session.flush()
    audit.record("event.update", actor=actor, event=event, detail=_changes_detail(changes))
    if "starts_at" in noticed:
        # An offer's deadline never falls after the start, wherever the start moves.
        db.session.execute(
            sa.update(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == S.CONFIRMED,
                Registration.offer_expires_at > event.starts_at,
            )
            .values(offer_expires_at=event.starts_at)
        )
    if event.is_published:
        notices.tell_changed(event, noticed)
    return promote_waitlist(event, now, actor=actor) if loosened else []


def publish_event(event: Event, actor: User, *, now: datetime | None = None) -> Event:
    """Publish a draft: it appears in the public list and opens by its registration window."""
    now = now or utcnow()
    event = lock_event(event.id)
    if event.status != EventStatus.DRAFT:
        raise EventError(_("Only a draft can be published."))
    if event.kind in (EventKind.COMPETITION, EventKind.SPORTSMEET) and not event.teams:
        raise EventError(_("Add at least one team before publishing."), "teams")
    if event.kind == EventKind.COMPETITION and not event.tracks:
        raise EventError(_("Add at least one track before publishing."), "tracks")
    event.status = EventStatus.PUBLISHED.value
    event.published_at = now
    db.session.flush()
    audit.record("event.publish", actor=actor, event=event, detail=event.title)
    return event


#: Longest cancellation reason (the column's size).
REASON_MAX = 500


def cancel_event(
    event: Event, actor: User, reason: str, *, now: datetime | None = None
) -> list[Registration]:
    """Cancel an event: every active registration is cancelled and its member told why.

    Registration closes by itself, since only published events are open. Returns the
    registrations cancelled.
    """
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise EventError(_("Please give a reason; every registered member will read it."), "reason")
    if len(reason) > REASON_MAX:
        raise EventError(_("At most %(max)d characters.", max=REASON_MAX), "reason")
    event = lock_event(event.id)
    if event.is_cancelled:
        raise EventError(_("This event is already cancelled."))
    rows = db.session.execute(
        sa.select(Registration, User)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
        .order_by(Registration.id)
    ).all()
    _ask_before_changing(
        event, actor, [_change(registration, status=S.CANCELLED) for registration, _user in rows]
    )
    title, start = event.title, event.starts_at
    for registration, user in rows:
        registration.status = S.CANCELLED.value
        registration.status_reason = reason
        registration.waitlisted_at = None
        registration.offer_expires_at = None
        registration.status_changed_at = now
        notify(
            user,
            lambda: (
                _("Event cancelled: %(title)s", title=title),
                _(
                    "We are sorry: %(title)s, planned for %(start)s, has been cancelled, and "
                    "your registration with it. Reason: %(reason)s",
                    title=title,
                    start=format_local(start),
                    reason=reason,
                ),
            ),
            link=event_path(event),
            sms=SmsKind.EVENT_CANCELLED,
            sms_params={"event": notices.sms_name(title)},
            sms_event=event,
        )
    event.status = EventStatus.CANCELLED.value
    event.cancelled_at = now
    event.cancel_reason = reason
    db.session.flush()
    audit.record(
        "event.cancel",
        actor=actor,
        event=event,
        detail=_l("%(reason)s (%(n)s registrations cancelled)", reason=reason, n=len(rows)),
    )
    return [registration for registration, _user in rows]


def add_organizer(event: Event, mobile: str, actor: User) -> EventOrganizer:
    """Make the member with this mobile number a co-organizer; they must hold the organizer role."""
    event = lock_event(event.id)
    user = user_by_mobile(mobile or "")
    # One answer whether the number is unknown, inactive or lacks the role: the error must not
    # tell an organizer whose number it is.
    if user is None or not user.active or not _may_organize(user.roles):
        raise EventError(
            _(
                "No member with the organizer role has this mobile number. An administrator "
                "grants the role."
            ),
            "mobile",
        )
    if user.id in event.organizer_ids:
        raise EventError(_("This member already organizes this event."), "mobile")
    link = EventOrganizer(user_id=user.id)
    event.organizers.append(link)
    db.session.flush()
    audit.record("event.organizer_add", actor=actor, event=event, detail=user.name)
    return link


def remove_organizer(event: Event, user_id: int, actor: User) -> None:
    """Remove a co-organizer; the last one stays, so every event keeps someone in charge."""
    event = lock_event(event.id)
    link = next((link for link in event.organizers if link.user_id == user_id), None)
    if link is None:
        raise EventError(_("That member does not organize this event."))
    if not _managers_besides([event.id], user_id).get(event.id):
        raise EventError(
            _("An event needs at least one organizer; add another before removing this one.")
        )
    name = link.user.name
    event.organizers.remove(link)
    db.session.flush()
    audit.record("event.organizer_remove", actor=actor, event=event, detail=name)


def _may_organize(roles) -> bool:
    """A member on an event's organizer list manages it while holding one of these roles."""
    return Role.ORGANIZER in roles or Role.ADMIN in roles


def _managers_besides(event_ids: list[int], user_id: int) -> dict[int, int]:
    """{event_id: active members other than `user_id` on its organizer list who may manage it}."""
    managing = sa.select(UserRole.user_id).where(
        UserRole.role.in_([str(Role.ORGANIZER), str(Role.ADMIN)])
    )
    rows = db.session.execute(
        sa.select(EventOrganizer.event_id, sa.func.count(EventOrganizer.user_id))
        .join(User, User.id == EventOrganizer.user_id)
        .where(
            EventOrganizer.event_id.in_(event_ids),
            EventOrganizer.user_id != user_id,
            EventOrganizer.user_id.in_(managing),
            User.active.is_(True),
        )
        .group_by(EventOrganizer.event_id)
    ).all()
    return dict(rows)


#: Events named in the refusal below; the count covers the rest.
ORPHANS_NAMED = 5


def release_organizer(user: User, actor: User | None) -> int:
    """Take `user` off every event's organizer list (one audit entry per event); refused, with
    nothing changed, while any of those events has no other active organizer to run it."""
    links = db.session.scalars(
        sa.select(EventOrganizer)
        .where(EventOrganizer.user_id == user.id)
        .order_by(EventOrganizer.event_id)
    ).all()
    if not links:
        return 0
    event_ids = [link.event_id for link in links]
    # Lock the events (in id order, as every locker does) so that two admins revoking the last
    # two organizers of one event at once cannot both pass the check below.
    stmt = (
        sa.select(Event)
        .where(Event.id.in_(event_ids))
        .order_by(Event.id)
        .options(lazyload(Event.organization))
        .execution_options(populate_existing=True)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True, of=Event)
    events = {event.id: event for event in db.session.scalars(stmt)}
    others = _managers_besides(event_ids, user.id)
    orphans = sorted(
        (events[event_id] for event_id in event_ids if not others.get(event_id)),
        key=lambda event: (event.starts_at, event.id),
    )
    if orphans:
        titles = ", ".join(f"“{event.title}”" for event in orphans[:ORPHANS_NAMED])
        if len(orphans) > ORPHANS_NAMED:
            titles += ", …"
        raise AccountError(
            ngettext(
                "%(num)d event has no other organizer: %(titles)s. Add another organizer to it "
                "before revoking this role.",
                "%(num)d events have no other organizer: %(titles)s. Add another organizer to "
                "each before revoking this role.",
                len(orphans),
                titles=titles,
            ),
            "role",
        )
    for link in links:
        event = events[link.event_id]
        event.organizers.remove(link)
        audit.record("event.organizer_release", actor=actor, event=event, detail=user.name)
    db.session.flush()
    return len(links)


@role_revoking.connect
def _on_role_revoking(user: User, *, role: Role, actor: User | None, **_extra) -> None:
    """A member left without the organizer and admin roles no longer organizes any event."""
    if not _may_organize(user.roles - {role}):
        release_organizer(user, actor)


#: Longest team or track name (the column's size).
NAME_MAX = 100

#: The kinds of event whose members choose a team (a competition a track too).
TEAM_KINDS = frozenset({EventKind.COMPETITION, EventKind.SPORTSMEET})


def set_teams(
    event: Event,
    actor: User,
    *,
    rename: dict[int, str] | None = None,
    remove: set[int] | frozenset[int] = frozenset(),
    add: list[str] | tuple[str, ...] = (),
) -> None:
    """Rename, remove and add an event's teams; a team with active registrations stays.

    Errors name the field "item-<id>" for an existing team and "new_names" for new ones.
    """
    _set_choices(event, actor, Team, rename or {}, set(remove), list(add))


#: How far below the event's organization the teams' parent organization may be chosen, and how
#: many organizations the choice lists at most.
TEAM_SOURCE_DEPTH = 2
TEAM_SOURCE_LIMIT = 200


def team_source_organizations(event: Event) -> list[tuple[int, str]]:
    """The organizations whose children can become the event's teams, as (id, label): the
    event's organization and those up to `TEAM_SOURCE_DEPTH` levels below it that have
    organizations below them, indented by level (one query)."""
    from eventsite.organizations.models import Organization, OrganizationLink

    child = sa.orm.aliased(Organization)
    rows = db.session.execute(
        sa.select(Organization.id, Organization.name, OrganizationLink.depth)
        .join(OrganizationLink, OrganizationLink.descendant_id == Organization.id)
        .where(
            OrganizationLink.ancestor_id == event.organization_id,
            OrganizationLink.depth <= TEAM_SOURCE_DEPTH,
            sa.exists().where(child.parent_id == Organization.id),
        )
        .order_by(OrganizationLink.depth, Organization.name, Organization.id)
        .limit(TEAM_SOURCE_LIMIT)
    ).all()
    return [(row.id, "　" * row.depth + row.name) for row in rows]


def teams_from_organization(event: Event, actor: User, organization_id: int) -> int:
    """Add a team for each organization directly below `organization_id` (the provincial unions
    of a national final, the community unions of a street's meet) that the event has no team for
    yet; each team remembers its organization. The organization is the event's or one below it.
    Returns how many teams were added."""
    from eventsite.organizations.models import Organization
    from eventsite.organizations.service import is_within

    event = lock_event(event.id)
    if event.is_cancelled:
        raise EventError(_("A cancelled event cannot be changed."))
    if event.kind not in TEAM_KINDS:
        raise EventError(_("This kind of event has no such list."))
    organization = db.session.get(Organization, organization_id)
    if organization is None or not is_within(organization_id, event.organization_id):
        raise EventError(_("Choose the event's organization or one below it."), "organization_id")
    children = db.session.execute(
        sa.select(Organization.id, Organization.name)
        .where(Organization.parent_id == organization_id)
        .order_by(Organization.name, Organization.id)
    ).all()
    if not children:
        raise EventError(
            _(
                "「%(organization)s」 has no organizations below it.",
                organization=organization.name,
            ),
            "organization_id",
        )
    added = rules.teams_to_add(
        [(child.id, child.name) for child in children],
        [(team.organization_id, team.name) for team in event.teams],
    )
    if not added:
        raise EventError(
            _(
                "Every organization below 「%(organization)s」 already has its team.",
                organization=organization.name,
            ),
            "organization_id",
        )
    position = max((team.position for team in event.teams), default=-1) + 1
    for offset, (child_id, name) in enumerate(added):
        event.teams.append(Team(name=name, position=position + offset, organization_id=child_id))
    db.session.flush()
    audit.record(
        "event.teams",
        actor=actor,
        event=event,
        detail="; ".join(f"+ {name}" for _child_id, name in added),
    )
    return len(added)


def set_tracks(
    event: Event,
    actor: User,
    *,
    rename: dict[int, str] | None = None,
    remove: set[int] | frozenset[int] = frozenset(),
    add: list[str] | tuple[str, ...] = (),
) -> None:
    """Rename, remove and add a competition's tracks; a track with active registrations stays."""
    _set_choices(event, actor, Track, rename or {}, set(remove), list(add))


def _set_choices(event: Event, actor: User, model, rename: dict, remove: set, add: list) -> None:
    is_team = model is Team
    event = lock_event(event.id)
    if event.is_cancelled:
        raise EventError(_("A cancelled event cannot be changed."))
    if event.kind not in TEAM_KINDS or (not is_team and event.kind != EventKind.COMPETITION):
        raise EventError(_("This kind of event has no such list."))
    items = {item.id: item for item in (event.teams if is_team else event.tracks)}
    for item_id in set(rename) | remove:
        if item_id not in items:
            raise EventError(
                _("That team does not belong to this event.")
                if is_team
                else _("That track does not belong to this event.")
            )
    final = {item_id: item.name for item_id, item in items.items() if item_id not in remove}
    for item_id, name in rename.items():
        if item_id in final:
            final[item_id] = (name or "").strip()
    seen: dict[str, str] = {}
    for item_id, name in final.items():
        field = f"item-{item_id}"
        _check_choice_name(name, field, seen)
    added = [name.strip() for name in add if name and name.strip()]
    for name in added:
        _check_choice_name(name, "new_names", seen)
    if event.status == EventStatus.PUBLISHED and not final and not added:
        raise EventError(
            _("A published event needs at least one team.")
            if is_team
            else _("A published competition needs at least one track."),
            "new_names",
        )

    column = Registration.team_id if is_team else Registration.track_id
    if remove:
        in_use = db.session.execute(
            sa.select(column, sa.func.count(Registration.id))
            .where(
                Registration.event_id == event.id,
                Registration.status.in_(ACTIVE_STATUSES),
                column.in_(remove),
            )
            .group_by(column)
        ).all()
        if in_use:
            item_id, count = min(in_use)
            raise EventError(
                _(
                    "%(name)s has %(count)d active registrations and cannot be removed; move or "
                    "cancel them on the roster first.",
                    name=items[item_id].name,
                    count=count,
                ),
                f"item-{item_id}",
            )

    changes = []
    collection = event.teams if is_team else event.tracks
    for item_id in sorted(remove):
        changes.append(f"− {items[item_id].name}")
        collection.remove(items[item_id])
        db.session.delete(items[item_id])
    db.session.flush()
    renamed = {item_id: name for item_id, name in final.items() if items[item_id].name != name}
    # Swapping two names would trip the unique constraint midway, so rename in two steps.
    for item_id, name in renamed.items():
        changes.append(f"{items[item_id].name} → {name}")
        items[item_id].name = f"~{item_id}~"
    db.session.flush()
    for item_id, name in renamed.items():
        items[item_id].name = name
    position = max((item.position for item in collection), default=-1) + 1
    for offset, name in enumerate(added):
        collection.append(model(name=name, position=position + offset))
        changes.append(f"+ {name}")
    db.session.flush()
    if changes:
        audit.record(
            "event.teams" if is_team else "event.tracks",
            actor=actor,
            event=event,
            detail="; ".join(changes),
        )


def _check_choice_name(name: str, field: str, seen: dict[str, str]) -> None:
    if not name:
        raise EventError(_("Please enter a name."), field)
    if len(name) > NAME_MAX:
        raise EventError(_("At most %(max)d characters.", max=NAME_MAX), field)
    key = name.casefold()
    if key in seen:
        raise EventError(_("%(name)s appears twice.", name=name), field)
    seen[key] = field
