"""Registration rules: who may register, who gets a place, who leaves the waitlist.

Plain functions over plain values: no Flask, no database. `service.py` loads the facts, calls
these, and writes the outcome.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

#: Nobody under this age takes part in a mixer, whatever the event's own age range says.
MIXER_MINIMUM_AGE = 18


class Ineligible(enum.StrEnum):
    """Why a member may not register; `forms`/`service` turn these into messages."""

    UNDER_18 = "under_18"
    TOO_YOUNG = "too_young"
    TOO_OLD = "too_old"
    NOT_SINGLE = "not_single"
    TEAM_REQUIRED = "team_required"
    TEAM_UNKNOWN = "team_unknown"
    TRACK_REQUIRED = "track_required"
    TRACK_UNKNOWN = "track_unknown"


#: The form field each problem belongs beside.
PROBLEM_FIELD = {
    Ineligible.UNDER_18: None,
    Ineligible.TOO_YOUNG: None,
    Ineligible.TOO_OLD: None,
    Ineligible.NOT_SINGLE: "single_declared",
    Ineligible.TEAM_REQUIRED: "team_id",
    Ineligible.TEAM_UNKNOWN: "team_id",
    Ineligible.TRACK_REQUIRED: "track_id",
    Ineligible.TRACK_UNKNOWN: "track_id",
}


@dataclass(frozen=True)
class EventTerms:
    """What an event asks of its registrants."""

    kind: str  # "mixer", "competition", "sportsmeet" or "general"
    year: int  # the year the event starts in; ages are counted in it
    min_age: int | None = None
    max_age: int | None = None
    team_ids: frozenset[int] = frozenset()
    track_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Applicant:
    """What a member brings to one registration."""

    birth_year: int
    single_declared: bool = False
    team_id: int | None = None
    track_id: int | None = None


def age_in_year(birth_year: int, year: int) -> int:
    """A member's age, counted as the age they reach during `year` (we keep birth years only)."""
    return year - birth_year


def eligibility_problems(terms: EventTerms, applicant: Applicant) -> list[Ineligible]:
    """Why `applicant` may not register: a mixer asks 18+, the age range and a single
    declaration, a competition a team and a track of its own, a sports meet a team of its own."""
    problems: list[Ineligible] = []
    if terms.kind == "mixer":
        age = age_in_year(applicant.birth_year, terms.year)
        if age < MIXER_MINIMUM_AGE:
            problems.append(Ineligible.UNDER_18)
        elif terms.min_age is not None and age < terms.min_age:
            problems.append(Ineligible.TOO_YOUNG)
        if terms.max_age is not None and age > terms.max_age:
            problems.append(Ineligible.TOO_OLD)
        if not applicant.single_declared:
            problems.append(Ineligible.NOT_SINGLE)
    if terms.kind in ("competition", "sportsmeet"):
        if applicant.team_id is None:
            problems.append(Ineligible.TEAM_REQUIRED)
        elif applicant.team_id not in terms.team_ids:
            problems.append(Ineligible.TEAM_UNKNOWN)
    if terms.kind == "competition":
        if applicant.track_id is None:
            problems.append(Ineligible.TRACK_REQUIRED)
        elif applicant.track_id not in terms.track_ids:
            problems.append(Ineligible.TRACK_UNKNOWN)
    return problems


@dataclass(frozen=True)
class Limits:
    """An event's limits on confirmed places; None means no limit."""

    capacity: int | None = None
    #: Per-gender quota, e.g. {"male": 30, "female": 30}; a gender not listed (or None) is unlimited.
    gender_quotas: Mapping[str, int | None] = field(default_factory=dict)
    #: Confirmed members per team.
    team_cap: int | None = None
    #: Confirmed seats per session of an event held in sessions (场次); None: no limit.
    session_caps: Mapping[int, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Occupancy:
    """Confirmed places taken: in total, per gender, per team and per session."""

    #: Seats taken: each confirmed member's own and their companions' (capacity counts seats;
    #: quotas and team caps count members).
    confirmed: int = 0
    by_gender: Mapping[str, int] = field(default_factory=dict)
    by_team: Mapping[int, int] = field(default_factory=dict)
    #: Seats taken per session (场次), companions included.
    by_session: Mapping[int, int] = field(default_factory=dict)
    #: Registrations on the waitlist (they hold no place).
    waitlisted: int = 0
    #: The (gender, team id, session id) of every group with members on the waitlist: enough
    #: to tell whether any of them could take a place (`waiting_may_fit`).
    waiting_groups: frozenset[tuple[str, int | None, int | None]] = frozenset()


@dataclass(frozen=True)
class Seeker:
    """Someone who wants a confirmed place: a new registrant or a waitlisted one."""

    registration_id: int | None
    gender: str
    team_id: int | None = None
    #: The member's seat and one per companion (家属) they bring.
    seats: int = 1
    #: The session (场次) the seeker registered for; None at an event without sessions.
    session_id: int | None = None


def fits(limits: Limits, occupancy: Occupancy, seeker: Seeker) -> bool:
    """A confirmed place is free for `seeker`: their seats within capacity and their session's
    capacity, under their gender's quota and team cap."""
    if limits.capacity is not None and occupancy.confirmed + seeker.seats > limits.capacity:
        return False
    if not session_has_room(limits, occupancy, seeker.session_id, seeker.seats):
        return False
    quota = limits.gender_quotas.get(seeker.gender)
    if quota is not None and occupancy.by_gender.get(seeker.gender, 0) >= quota:
        return False
    return not (
        limits.team_cap is not None
        and seeker.team_id is not None
        and occupancy.by_team.get(seeker.team_id, 0) >= limits.team_cap
    )


def waiting_may_fit(limits: Limits, occupancy: Occupancy) -> bool:
    """Someone on the waitlist may fit a confirmed place: a member of some waiting group
    (`Occupancy.waiting_groups`) coming alone would fit. More seats never fit where one does
    not, and `promotions` only fills places, so when this is false it promotes nobody: an
    arrival need not look at the waitlist (a mixer whose one gender's quota is full, with
    that gender waiting, while the other gender's members keep arriving)."""
    return any(
        fits(limits, occupancy, Seeker(None, gender, team_id, seats=1, session_id=session_id))
        for gender, team_id, session_id in occupancy.waiting_groups
    )


def status_on_arrival(*, approval_required: bool, has_place: bool) -> str:
    """A new registration waits for approval, takes a free place, or joins the waitlist."""
    if approval_required:
        return "pending"
    return "confirmed" if has_place else "waitlisted"


def take_place(occupancy: Occupancy, seeker: Seeker) -> Occupancy:
    """Occupancy after `seeker` takes a confirmed place."""
    by_gender = dict(occupancy.by_gender)
    by_gender[seeker.gender] = by_gender.get(seeker.gender, 0) + 1
    by_team = dict(occupancy.by_team)
    if seeker.team_id is not None:
        by_team[seeker.team_id] = by_team.get(seeker.team_id, 0) + 1
    by_session = dict(occupancy.by_session)
    if seeker.session_id is not None:
        by_session[seeker.session_id] = by_session.get(seeker.session_id, 0) + seeker.seats
    return Occupancy(
        confirmed=occupancy.confirmed + seeker.seats,
        by_gender=by_gender,
        by_team=by_team,
        by_session=by_session,
    )


def session_has_room(
    limits: Limits, occupancy: Occupancy, session_id: int | None, seats: int = 1
) -> bool:
    """A session has `seats` confirmed places free: it has no limit, or its seats taken and these
    stay within its capacity (an event without sessions, `session_id` None, always has room by
    this rule)."""
    if session_id is None:
        return True
    cap = limits.session_caps.get(session_id)
    return cap is None or occupancy.by_session.get(session_id, 0) + seats <= cap


def may_move_to_session(
    limits: Limits, occupancy: Occupancy, status: str, seeker: Seeker, to_session: int
) -> bool:
    """A registration (`seeker`, in its present session) moves to another session only if it
    keeps what it holds: a confirmed place moves only into a session with a free place (the total
    is unchanged, so only that session's capacity counts); a waitlisted one only into a place
    that fits it (its turn in one session's line is no turn in another's); a pending one, which
    holds nothing yet, anywhere."""
    if to_session == seeker.session_id:
        return False
    if status == "pending":
        return True
    if status == "confirmed":
        return session_has_room(limits, occupancy, to_session, seeker.seats)
    if status == "waitlisted":
        return fits(limits, occupancy, replace(seeker, session_id=to_session))
    return False


def session_full_for(status: str, left: int | None, own_left: int | None, seats: int) -> bool:
    """A session is full for a registration that would move there (`may_move_to_session`): a
    confirmed one when the session's own places left are fewer than its seats, a waitlisted one
    when the places left (the session's and the event's) are, a pending one never."""
    if status == "confirmed":
        return own_left is not None and own_left < seats
    if status == "waitlisted":
        return left is not None and left < seats
    return False


def promotions(limits: Limits, occupancy: Occupancy, waitlist: Sequence[Seeker]) -> list[Seeker]:
    """Walk the waitlist in order, promoting everyone who fits and passing over (never stopping
    at) those whose quota or team is full or who bring more seats than are free, until capacity
    is reached."""
    promoted: list[Seeker] = []
    for seeker in waitlist:
        if limits.capacity is not None and occupancy.confirmed >= limits.capacity:
            break
        if fits(limits, occupancy, seeker):
            promoted.append(seeker)
            occupancy = take_place(occupancy, seeker)
    return promoted


# --- Companions (家属) ---------------------------------------------------------------------------

#: The kinds of event a member may bring companions to: a union activity. A mixer's place is
#: personal, and a competition's and a sports meet's places are contestants'.
COMPANION_KINDS = frozenset({"general"})
#: The most companions an organizer may let each member bring.
MAX_COMPANIONS = 10


def companions_allowed(kind: str, max_companions: int, companions: int) -> bool:
    """A member may bring from 0 up to the event's maximum of companions, and only to a kind of
    event that admits them."""
    limit = max_companions if kind in COMPANION_KINDS else 0
    return 0 <= companions <= limit


def more_seats_fit(
    limits: Limits, occupancy: Occupancy, extra: int, session_id: int | None = None
) -> bool:
    """`extra` more seats for a member who holds a confirmed place fit within capacity and their
    session's (quotas and team caps count members, so bringing more companions never touches
    them)."""
    if limits.capacity is not None and occupancy.confirmed + extra > limits.capacity:
        return False
    return session_has_room(limits, occupancy, session_id, extra)


def member_may_change_companions(state: str, status: str | None) -> bool:
    """A member may change how many companions they bring while registration is open and their
    registration is active (confirmed, waiting or awaiting approval)."""
    return state == RegistrationState.OPEN and status in ACTIVE_STATUSES


# --- What members and organizers may do, and what the pages say ------------------------------

#: Every gender a member can declare (the values of accounts.models.Gender).
GENDERS = ("male", "female")

#: Registration statuses that still hold or wait for a place (the same as models.ACTIVE_STATUSES).
ACTIVE_STATUSES = frozenset({"pending", "confirmed", "waitlisted"})


class Audience(enum.StrEnum):
    """Who may register for an event."""

    #: Every member with an account.
    EVERYONE = "everyone"
    #: The verified members of the event's organization and of every organization below it.
    MEMBERS = "members"


class OutsideAudience(enum.StrEnum):
    """Why a member is outside a members-only event's audience."""

    #: The member has named no union.
    NO_UNION = "no_union"
    #: The member's union is one inside the audience, but the union has yet to verify them.
    NOT_VERIFIED = "not_verified"
    #: The member belongs to a union outside the event's organization's subtree.
    OTHER_UNION = "other_union"


def audience_problem(
    audience: str, membership_status: str, union_within: bool
) -> OutsideAudience | None:
    """Why a member may not register for an event of `audience`, or None if they may.

    `membership_status` is the member's (`accounts.models.MembershipStatus` value: none,
    requested, verified); `union_within`: the member's union (verified or not) is the event's
    organization or below it. Everyone may register for an event for everyone; a members-only
    event takes only a verified member of a union inside its organization's subtree.
    """
    if audience == Audience.EVERYONE:
        return None
    if membership_status == "none":
        return OutsideAudience.NO_UNION
    if not union_within:
        return OutsideAudience.OTHER_UNION
    if membership_status != "verified":
        return OutsideAudience.NOT_VERIFIED
    return None


def _same_team_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def teams_to_add(
    children: Sequence[tuple[int, str]], teams: Sequence[tuple[int | None, str]]
) -> list[tuple[int, str]]:
    """The organizations (id, name) among `children` that become new teams, in their order: each
    child an event has no team for yet, neither one made from it nor one of the same name
    (`teams`: the event's teams as (organization id or None, name)). Taking the teams from an
    organization twice, or after adding one by hand, adds only what is missing."""
    taken_ids = {organization_id for organization_id, _name in teams if organization_id}
    names = [name for _organization_id, name in teams]
    added: list[tuple[int, str]] = []
    for organization_id, name in children:
        if organization_id in taken_ids or any(_same_team_name(name, n) for n in names):
            continue
        added.append((organization_id, name))
        names.append(name)
    return added


class RegistrationState(enum.StrEnum):
    """Where an event's registration stands."""

    DRAFT = "draft"
    CANCELLED = "cancelled"
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"


def registration_state(
    status: str, opens_at: datetime, closes_at: datetime, now: datetime
) -> RegistrationState:
    """A published event's registration is not yet open before `opens_at`, open until
    `closes_at` (exclusive) and closed after; a draft or cancelled event is just that."""
    if status == "cancelled":
        return RegistrationState.CANCELLED
    if status != "published":
        return RegistrationState.DRAFT
    if now < opens_at:
        return RegistrationState.NOT_YET
    return RegistrationState.OPEN if now < closes_at else RegistrationState.CLOSED


def member_may_register(state: str, status: str | None) -> bool:
    """A member may register while registration is open and they hold no registration, or only
    a cancelled one (a rejected member may not come back)."""
    return state == RegistrationState.OPEN and status in (None, "cancelled")


def member_may_add_session(state: str, sessions_open: int, statuses: Iterable[str]) -> bool:
    """Where a member may hold several sessions, they may register for one more while
    registration is open, a session they do not hold is still open to them, and none of their
    registrations for the event was rejected."""
    return state == RegistrationState.OPEN and sessions_open > 0 and "rejected" not in statuses


def member_may_cancel(status: str, starts_at: datetime, now: datetime) -> bool:
    """A member may cancel their own registration (or leave the waitlist) while it is active
    and the event has not started."""
    return status in ACTIVE_STATUSES and now < starts_at


class RosterAction(enum.StrEnum):
    """What an organizer may do to one registration on the roster."""

    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    MOVE = "move"


_ROSTER_ACTIONS = {
    "pending": frozenset(RosterAction),
    "waitlisted": frozenset({RosterAction.REJECT, RosterAction.CANCEL, RosterAction.MOVE}),
    "confirmed": frozenset({RosterAction.CANCEL, RosterAction.MOVE}),
}


def roster_actions(status: str) -> frozenset[RosterAction]:
    """An organizer approves only a pending registration, rejects a pending or waitlisted one,
    cancels or moves any active one, and does nothing to a cancelled or rejected one."""
    return _ROSTER_ACTIONS.get(status, frozenset())


def _left(limit: int | None, taken: int) -> int | None:
    return None if limit is None else max(limit - taken, 0)


def _least(*values: int | None) -> int | None:
    bounded = [value for value in values if value is not None]
    return min(bounded) if bounded else None


@dataclass(frozen=True)
class PlacesLeft:
    """Confirmed places still free: overall, per gender and per session; None means no limit."""

    overall: int | None
    #: Every gender the limits name a quota for (a mixer names both), with the places it has left.
    by_gender: Mapping[str, int | None] = field(default_factory=dict)
    #: Every session of the event, with the places it has left (its own and the event's).
    by_session: Mapping[int, int | None] = field(default_factory=dict)

    def for_gender(self, gender: str | None) -> int | None:
        """The places a member of `gender` could take: their gender's, where it has a quota."""
        if gender is not None and gender in self.by_gender:
            return self.by_gender[gender]
        return self.overall

    @property
    def gender_limited(self) -> bool:
        """Some gender has fewer places left than the event overall (a quota binds)."""
        return any(left is not None and left != self.overall for left in self.by_gender.values())


def places_left(limits: Limits, occupancy: Occupancy) -> PlacesLeft:
    """A gender has the places its quota and the capacity both leave, and so has a session;
    overall, the capacity left, but never more than the places of every gender together, nor of
    every session together."""
    capacity_left = _left(limits.capacity, occupancy.confirmed)
    by_session = {
        session_id: _least(capacity_left, _left(cap, occupancy.by_session.get(session_id, 0)))
        for session_id, cap in limits.session_caps.items()
    }
    by_gender = {
        gender: _least(capacity_left, _left(quota, occupancy.by_gender.get(gender, 0)))
        for gender, quota in limits.gender_quotas.items()
    }
    each = [by_gender.get(gender, capacity_left) for gender in GENDERS]
    overall = capacity_left
    if all(left is not None for left in each):
        overall = _least(capacity_left, sum(each))
    if by_session and all(left is not None for left in by_session.values()):
        overall = _least(overall, sum(by_session.values()))
    return PlacesLeft(overall=overall, by_gender=by_gender, by_session=by_session)


def full_teams(limits: Limits, occupancy: Occupancy) -> frozenset[int]:
    """The teams whose confirmed members have reached the team cap."""
    if limits.team_cap is None:
        return frozenset()
    return frozenset(
        team_id for team_id, taken in occupancy.by_team.items() if taken >= limits.team_cap
    )


def session_check_in_time(
    starts_at: datetime, ends_at: datetime, now: datetime, opens_before: timedelta
) -> bool:
    """A member arriving at `now` comes at their session's time: from when its check-in opens
    (`opens_before` its start) until it ends; at any other moment the desk is told they hold
    another session (checking them in is still allowed: the organizer decides)."""
    return starts_at - opens_before <= now < ends_at


# --- Scheduled notices -------------------------------------------------------------------------

#: Confirmed members are reminded this long before their event starts.
REMINDER_LEAD = timedelta(hours=24)
#: Organizers hear where registration stands this long before it closes.
CLOSING_NOTICE_LEAD = timedelta(hours=24)


def notice_window(now: datetime, lead: timedelta) -> tuple[datetime, datetime]:
    """The moments a notice sent `lead` ahead is due for at `now`: after `now`, up to `now + lead`."""
    return now, now + lead


def notice_due(moment: datetime, now: datetime, lead: timedelta) -> bool:
    """A notice `lead` ahead of `moment` is due from `lead` before it until the moment itself."""
    after, until = notice_window(now, lead)
    return after < moment <= until


# --- Places offered from the waitlist ----------------------------------------------------------

#: Hours a member offered a freed place has to confirm it, unless the organizer sets otherwise.
DEFAULT_CONFIRM_HOURS = 24
#: The longest confirmation time an organizer may set (a week).
MAX_CONFIRM_HOURS = 168
#: A member is never asked to confirm in less time than this (or than the event's own
#: confirmation time, if shorter): with less left before the event starts, the place is theirs
#: at once, since a place nobody could take in time helps no one.
MIN_OFFER_WINDOW = timedelta(hours=2)


def offer_deadline(now: datetime, starts_at: datetime, confirm_hours: int) -> datetime | None:
    """By when a member offered a freed place at `now` must confirm it: `confirm_hours` later but
    never after the event starts; None (the place is theirs outright) when the event asks for no
    confirmation or less than the shorter of MIN_OFFER_WINDOW and `confirm_hours` would be left."""
    if confirm_hours <= 0:
        return None
    wanted = timedelta(hours=confirm_hours)
    deadline = min(now + wanted, starts_at)
    if deadline - now < min(wanted, MIN_OFFER_WINDOW):
        return None
    return deadline


def offer_open(expires_at: datetime | None, now: datetime) -> bool:
    """An offered place may still be confirmed: it has a deadline and `now` is before it."""
    return expires_at is not None and now < expires_at


def offer_lapsed(expires_at: datetime | None, now: datetime) -> bool:
    """An offered place goes to the next in line once its deadline has come unanswered."""
    return expires_at is not None and now >= expires_at


def notice_changes(
    before: Mapping[str, object], after: Mapping[str, object]
) -> dict[str, tuple[object, object]]:
    """What registered members are told of an edit: the start, end or venue that changed
    ({field: (old, new)}); other details change without a notice."""
    return {
        name: (before[name], after[name])
        for name in NOTICED_FIELDS
        if name in after and before.get(name) != after[name]
    }


#: The event details whose change every registered member hears of.
NOTICED_FIELDS = ("starts_at", "ends_at", "venue")


#: The kinds of event (the values of models.EventKind).
KINDS = frozenset({"mixer", "competition", "sportsmeet", "general"})

#: The public list's query arguments a kept page may be kept for, and the values each may take
#: (anything else, such as a made-up argument, is rendered but not kept, so no one fills the
#: store with variants).
KEPT_LIST_ARGUMENTS = {
    "kind": lambda value: value in KINDS,
    "when": lambda value: value in ("upcoming", "past"),
    "page": lambda value: value.isdigit() and len(value) <= 4,
    "org": lambda value: value.isdigit() and len(value) <= 10,
}


def shares_public_list(
    signed_in: bool, message_waiting: bool, arguments: Mapping[str, Sequence[str]]
) -> bool:
    """A request sees the event list everyone sees (and may get the kept page): nobody signed
    in, no message waiting for it, and only the list's own `arguments` (name → its values),
    each once and well formed."""
    return (
        not signed_in
        and not message_waiting
        and all(
            name in KEPT_LIST_ARGUMENTS
            and len(values) == 1
            and KEPT_LIST_ARGUMENTS[name](values[0])
            for name, values in arguments.items()
        )
    )


def listing_changes_at(now: datetime, moments: Iterable[datetime | None]) -> datetime | None:
    """When an event list rendered at `now` changes by the clock alone: the earliest of
    `moments` (listed events' starts, ends and registration windows) not yet past (one equal to
    `now` changes the list right after it); None when none is."""
    return min((moment for moment in moments if moment is not None and moment >= now), default=None)
