"""A union's figures for one year: the organization and everything below it, by month, by event
kind and by sub-organization (each direct child with its subtree rolled up).

Every figure is an SQL aggregate (COUNT, SUM, GROUP BY in the database): no query here returns
a row per event, registration or person, so the page costs the same fixed number of statements
for a grassroots union with ten events as for a province with thousands.

Scope. An event counts once it has been *held*: published and ended by now, starting within
the chosen year (local time). Which organization's subtree it belongs to comes from the closure
table (`organization_link`): `subtree_ids` for the whole, and for the sub-organizations the
one link row that ties the event's organization either to the viewed organization itself
(depth 0) or to the child of it above it.

Months are the local months of the configured zone: their 13 bounds are computed in Python
(`rules.month_starts`) and the month is a CASE over them in SQL, so SQLite and PostgreSQL agree
without time zone arithmetic in SQL.

Mixers count only once their exchange window has closed (as in `mixers.stats`): before that,
matches are not revealed and marks may still change, and a figure that moved while an attendee
marked would tell whom they marked. Their counts are `mixers.stats.count_columns` (revealed
mutual matches, accepted introductions) or, for a purged mixer, its `MixerTally`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from eventsite.competitions.models import AwardBasis, AwardRounding, AwardTier, Round
from eventsite.core.models import UTCDateTime
from eventsite.core.time import local_zone, to_local
from eventsite.events.models import (
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
    Team,
)
from eventsite.extensions import db
from eventsite.feedback import rules as feedback_rules
from eventsite.feedback.models import FeedbackResponse
from eventsite.mixers.models import MixerSettings, MixerTally
from eventsite.mixers.rules import DEFAULT_WINDOW_HOURS
from eventsite.mixers.stats import COUNTS, count_columns
from eventsite.organizations.models import Organization, OrganizationLink
from eventsite.organizations.service import subtree_ids
from eventsite.sportsmeet.models import Entry, Item
from eventsite.statistics import rules

CONFIRMED = RegistrationStatus.CONFIRMED
FEEDBACK_COUNTS = ("surveys", "responses", "rating_total", "surveys_too_few")
MONTHS = range(1, 13)


class _plus_hours(FunctionElement):
    """`moment` + `hours` hours, in SQL (the mixer's window closes `window_hours` after its end)."""

    type = sa.DateTime()
    inherit_cache = True
    name = "plus_hours"


@compiles(_plus_hours)
def _plus_hours_sqlite(element, compiler, **kw):
    moment, hours = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"datetime({moment}, '+' || ({hours}) || ' hours')"


@compiles(_plus_hours, "postgresql")
def _plus_hours_postgresql(element, compiler, **kw):
    moment, hours = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"({moment} + make_interval(hours => {hours}))"


class _floor(FunctionElement):
    """The largest whole number not above a non-negative number (SQLite may lack floor())."""

    type = sa.Integer()
    inherit_cache = True
    name = "floor_of"


@compiles(_floor)
def _floor_sqlite(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(_floor, "postgresql")
def _floor_postgresql(element, compiler, **kw):
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS INTEGER)"


# --- What the page and the report show ------------------------------------------------------


@dataclass
class Figures:
    """Every kind of event: what was held and how it was attended."""

    events: int = 0
    registrations: int = 0
    #: Distinct members who checked in at one or more of the events (not a sum over months).
    participants: int = 0
    confirmed: int = 0
    checked_in: int = 0
    #: Registrations that waited on the waitlist and got a place.
    waitlist_served: int = 0

    @property
    def attendance_rate(self) -> float | None:
        return rules.attendance_rate(self.checked_in, self.confirmed)

    @property
    def no_show_rate(self) -> float | None:
        return rules.no_show_rate(self.checked_in, self.confirmed)


@dataclass
class MixerFigures:
    """Mixers whose exchange window has closed: revealed matches only."""

    mixers: int = 0
    participants: int = 0
    matches: int = 0
    matched_members: int = 0
    introductions_accepted: int = 0

    @property
    def match_rate(self) -> float | None:
        """Share of participants with at least one match (mutual or by introduction)."""
        return rules.rate(self.matched_members, self.participants)

    def masked(self) -> dict[str, int | str | float | None]:
        """The figures as every table shows them: counts of 1 to 4 as "<5"."""
        return {
            "mixers": self.mixers,
            "participants": rules.masked(self.participants),
            "matches": rules.masked(self.matches),
            "matched_members": rules.masked(self.matched_members),
            "introductions_accepted": rules.masked(self.introductions_accepted),
            "match_rate": rules.masked_rate(self.matched_members, self.participants),
        }


@dataclass
class FeedbackFigures:
    """Feedback surveys of held events with at least 5 responses (`feedback.rules
    .RESULTS_SHOWN_FROM`): a survey with fewer is not counted at all, neither its responses nor
    its ratings, so that no figure here less those on surveys' own pages gives its answers away."""

    surveys: int = 0
    responses: int = 0
    rating_total: int = 0
    #: Held events with 1 to 4 responses, left out of every other figure.
    surveys_too_few: int = 0

    @property
    def average(self) -> Decimal | None:
        return feedback_rules.average(self.rating_total, self.responses)

    def masked(self) -> dict[str, int | str | Decimal | None]:
        """As every table shows them: counts of 1 to 4 as "<5", the average with them."""
        responses = rules.masked(self.responses)
        return {
            "surveys": self.surveys,
            "responses": responses,
            "average": rules.MASKED if responses == rules.MASKED else self.average,
            "surveys_too_few": self.surveys_too_few,
        }


@dataclass
class Unit:
    """A row of the sub-organization table: a direct child with its subtree, or the viewed
    organization's own events (`own`)."""

    organization: Organization
    own: bool
    figures: Figures
    mixers: MixerFigures


@dataclass
class Award:
    tier: str
    places: int


@dataclass
class Statistics:
    organization: Organization
    year: int
    years: list[int]
    total: Figures
    months: dict[int, Figures]
    kinds: dict[str, Figures]
    kind_months: dict[str, dict[int, Figures]]
    mixers: MixerFigures
    mixer_months: dict[int, MixerFigures]
    units: list[Unit]
    #: Mixers held whose exchange window is still open: counted once it closes.
    mixers_in_window: int = 0
    contestants: int = 0
    awards: list[Award] = field(default_factory=list)
    teams: int = 0
    entries: int = 0
    #: Feedback by event kind, and over all kinds.
    feedback: dict[str, FeedbackFigures] = field(default_factory=dict)
    feedback_total: FeedbackFigures = field(default_factory=FeedbackFigures)


# --- Queries ----------------------------------------------------------------------------------


def _held(organization_id: int, bounds: list[datetime], now: datetime):
    """The events held in the year below `organization_id` (a CTE): event_id, kind, month (1–12)
    and unit_id (the child of the organization above the event's, or the organization itself:
    exactly one link row of the closure table per event)."""
    month = sa.case(*((Event.starts_at < bounds[m], m) for m in MONTHS[:-1]), else_=12).label(
        "month"
    )
    columns = [Event.id.label("event_id"), Event.kind.label("kind"), month]
    query = sa.select(*columns).where(
        Event.status == EventStatus.PUBLISHED,
        Event.ends_at <= now,
        Event.starts_at >= bounds[0],
        Event.starts_at < bounds[12],
        Event.organization_id.in_(subtree_ids(organization_id)),
    )
    link = OrganizationLink
    children = sa.select(Organization.id).where(Organization.parent_id == organization_id)
    query = query.add_columns(link.ancestor_id.label("unit_id")).join(
        link,
        sa.and_(
            link.descendant_id == Event.organization_id,
            sa.or_(
                sa.and_(link.ancestor_id == organization_id, link.depth == 0),
                link.ancestor_id.in_(children),
            ),
        ),
    )
    return query.cte("held")


def _grouped(source, groupings: dict[str, tuple[str, ...]], aggregates) -> dict[str, dict]:
    """One statement: `aggregates(source)` over `source` grouped each way of `groupings`
    ({name: column names}; no columns: the whole), put together with UNION ALL. Returns
    {name: {key tuple: aggregate tuple}}; the rows are the groups, never the data."""
    names = list(dict.fromkeys(k for keys in groupings.values() for k in keys))
    selects = []
    for grouping, keys in groupings.items():
        columns = [sa.literal(grouping, sa.String).label("grouping")]
        columns += [
            source.c[n] if n in keys else sa.cast(sa.null(), source.c[n].type).label(n)
            for n in names
        ]
        selects.append(
            sa.select(*columns, *aggregates(source))
            .select_from(source)
            .group_by(*(source.c[k] for k in keys))
        )
    found: dict[str, dict] = {grouping: {} for grouping in groupings}
    for row in db.session.execute(sa.union_all(*selects)).all():
        keys = groupings[row[0]]
        key = tuple(row[1 + names.index(k)] for k in keys)
        found[row[0]][key] = tuple(int(v or 0) for v in row[1 + len(names) :])
    return found


def _sum(column):
    return sa.func.coalesce(sa.func.sum(column), 0)


def _attendance(held, groupings) -> dict[str, dict[tuple, tuple]]:
    """Events, registrations, confirmed, checked in and waitlist served per grouping: the
    registrations are added up per event first (one pass, no DISTINCT), then per group."""
    r = Registration

    def tally(condition):
        return _sum(sa.case((condition, 1), else_=0))

    per_registrations = (
        sa.select(
            r.event_id,
            sa.func.count(r.id).label("registrations"),
            tally(r.status == CONFIRMED).label("confirmed"),
            tally(sa.and_(r.status == CONFIRMED, r.checked_in_at.is_not(None))).label("checked_in"),
            tally(sa.and_(r.status == CONFIRMED, r.waitlisted_at.is_not(None))).label("served"),
        )
        .where(r.event_id.in_(sa.select(held.c.event_id)))
        .group_by(r.event_id)
        .subquery("per_registrations")
    )
    per_event = (
        sa.select(
            held.c.kind,
            held.c.month,
            held.c.unit_id,
            *(
                per_registrations.c[n]
                for n in ("registrations", "confirmed", "checked_in", "served")
            ),
        )
        .select_from(held)
        .outerjoin(per_registrations, per_registrations.c.event_id == held.c.event_id)
        .cte("per_event")
    )
    return _grouped(
        per_event,
        groupings,
        lambda s: [
            sa.func.count(),
            _sum(s.c.registrations),
            _sum(s.c.confirmed),
            _sum(s.c.checked_in),
            _sum(s.c.served),
        ],
    )


class _bits_or(FunctionElement):
    """The bitwise OR of a group's values: `bit_or` on PostgreSQL; on SQLite, which lacks it,
    the sum of the distinct values, the same thing for values that are single bits."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "bits_or"


@compiles(_bits_or)
def _bits_or_sqlite(element, compiler, **kw):
    return f"sum(DISTINCT {compiler.process(element.clauses, **kw)})"


@compiles(_bits_or, "postgresql")
def _bits_or_postgresql(element, compiler, **kw):
    return f"bit_or({compiler.process(element.clauses, **kw)})"


def _bit(n: int):
    return sa.literal(1 << n, sa.BigInteger)


def _participants(held) -> dict[str, dict[tuple, int]]:
    """Distinct members who checked in: in the whole year, each month, each kind, each kind's
    month, and each unit: one statement.

    It groups the year's check-ins by member inside the database, each member becoming three
    bit masks (months, kinds, kinds' months: 12 + 4 + 48 bits) OR-ed together; members with the
    same masks are counted together, and a bit's count is the sum over the masks that hold it;
    each unit counts its distinct (unit, member) pairs. The check-ins are read once (a CTE) for
    both, where a COUNT(DISTINCT) per grouping would read and sort them five times."""
    r = Registration
    kinds = [str(k) for k in EventKind]
    one = sa.literal(1, sa.BigInteger)
    kind_index = sa.case(*((held.c.kind == k, i) for i, k in enumerate(kinds)), else_=0)
    month_bit = one.op("<<")(held.c.month - 1)
    kind_bit = one.op("<<")(kind_index)
    kind_month_bit = one.op("<<")(kind_index * 12 + held.c.month - 1)
    checkins = (
        sa.select(
            r.user_id,
            held.c.unit_id,
            month_bit.label("month_bit"),
            kind_bit.label("kind_bit"),
            kind_month_bit.label("kind_month_bit"),
        )
        .select_from(held)
        .join(r, r.event_id == held.c.event_id)
        .where(r.status == CONFIRMED, r.checked_in_at.is_not(None))
        .cte("checkins")
    )
    per_member = (
        sa.select(
            _bits_or(checkins.c.month_bit).label("months"),
            _bits_or(checkins.c.kind_bit).label("kinds"),
            _bits_or(checkins.c.kind_month_bit).label("kind_months"),
        )
        .group_by(checkins.c.user_id)
        .subquery("per_member")
    )
    masks = (
        sa.select(
            per_member.c.months,
            per_member.c.kinds,
            per_member.c.kind_months,
            sa.func.count().label("members"),
        )
        .group_by(per_member.c.months, per_member.c.kinds, per_member.c.kind_months)
        .subquery("masks")
    )

    def holding(mask, bit: int):
        return _sum(sa.case((mask.op("&")(_bit(bit)) != 0, masks.c.members), else_=0))

    wanted = {("total", ()): _sum(masks.c.members)}
    wanted |= {("month", (m,)): holding(masks.c.months, m - 1) for m in MONTHS}
    wanted |= {("kind", (k,)): holding(masks.c.kinds, i) for i, k in enumerate(kinds)}
    wanted |= {
        ("kind_month", (k, m)): holding(masks.c.kind_months, 12 * i + m - 1)
        for i, k in enumerate(kinds)
        for m in MONTHS
    }
    pairs = sa.select(checkins.c.unit_id, checkins.c.user_id).distinct().subquery("pairs")
    # One statement, the check-ins read once: the masks' sums as one row, then a row per unit
    # (its count in the first value column).
    blanks = [sa.cast(sa.null(), sa.BigInteger)] * (len(wanted) - 1)
    rows = db.session.execute(
        sa.union_all(
            sa.select(
                sa.literal("masks", sa.String),
                sa.cast(sa.null(), sa.Integer).label("unit_id"),
                *wanted.values(),
            ),
            sa.select(sa.literal("unit", sa.String), pairs.c.unit_id, sa.func.count(), *blanks)
            .select_from(pairs)
            .group_by(pairs.c.unit_id),
        )
    ).all()
    found: dict[str, dict[tuple, int]] = {"unit": {}}
    for row in rows:
        if row[0] == "masks":
            for (grouping, key), value in zip(wanted, row[2:], strict=True):
                found.setdefault(grouping, {})[key] = int(value or 0)
        else:
            found["unit"][(row[1],)] = int(row[2])
    return found


def _window_closed(now: datetime):
    hours = sa.func.coalesce(MixerSettings.window_hours, DEFAULT_WINDOW_HOURS)
    return _plus_hours(Event.ends_at, hours) <= sa.literal(now, UTCDateTime)


def _mixer_figures(held, now: datetime, groupings) -> dict[str, dict[tuple, MixerFigures]]:
    """Closed mixers' counts, one row per mixer inside the database, summed per grouping."""
    live = count_columns()
    per_mixer = (
        sa.select(
            held.c.month,
            held.c.unit_id,
            *(sa.func.coalesce(getattr(MixerTally, n), live[n]).label(n) for n in COUNTS),
        )
        .select_from(held)
        .join(Event, Event.id == held.c.event_id)
        .outerjoin(MixerTally, MixerTally.event_id == Event.id)
        .outerjoin(MixerSettings, MixerSettings.event_id == Event.id)
        .where(held.c.kind == EventKind.MIXER, _window_closed(now))
        .cte("per_mixer")
    )
    names = ("attendees", "matches", "matched_members", "introductions_accepted")
    found = _grouped(
        per_mixer, groupings, lambda s: [sa.func.count(), *(_sum(s.c[n]) for n in names)]
    )
    return {
        grouping: {key: MixerFigures(*values) for key, values in rows.items()}
        for grouping, rows in found.items()
    }


def _mixers_in_window(held, now: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(held)
        .join(Event, Event.id == held.c.event_id)
        .outerjoin(MixerSettings, MixerSettings.event_id == Event.id)
        .where(held.c.kind == EventKind.MIXER, ~_window_closed(now))
    )


def _awards(held) -> list[Award]:
    """Award places by tier name, from the tiers of each competition's last round whose results
    are published: a count tier's size, or a percentage tier's share of the round's event's
    confirmed contestants, rounded as the round says."""
    contestants = (
        sa.select(sa.func.count(Registration.id))
        .where(Registration.event_id == Round.event_id, Registration.status == CONFIRMED)
        .scalar_subquery()
    )
    share = AwardTier.size * contestants / sa.literal(Decimal(100), sa.Numeric(7, 2))
    places = sa.case(
        (Round.award_basis == AwardBasis.COUNT, _floor(AwardTier.size)),
        (
            Round.award_rounding == AwardRounding.HALF_UP,
            _floor(share + sa.literal(Decimal("0.5"), sa.Numeric(7, 2))),
        ),
        else_=_floor(share),
    )
    rows = db.session.execute(
        sa.select(AwardTier.name, sa.func.sum(places), sa.func.min(AwardTier.position))
        .select_from(held)
        .join(Round, Round.event_id == held.c.event_id)
        .join(AwardTier, AwardTier.round_id == Round.id)
        .where(
            held.c.kind == EventKind.COMPETITION,
            Round.published_at.is_not(None),
            Round.advance_count.is_(None),
        )
        .group_by(AwardTier.name)
        .order_by(sa.func.min(AwardTier.position), AwardTier.name)
    ).all()
    return [Award(name, int(total or 0)) for name, total, _position in rows]


def _teams_and_entries(held) -> tuple[int, int]:
    meets = sa.select(held.c.event_id).where(held.c.kind == EventKind.SPORTSMEET)
    teams = sa.select(sa.func.count(Team.id)).where(Team.event_id.in_(meets)).scalar_subquery()
    entries = (
        sa.select(sa.func.count(Entry.id))
        .join(Item, Item.id == Entry.item_id)
        .where(Item.event_id.in_(meets))
        .scalar_subquery()
    )
    row = db.session.execute(sa.select(teams, entries)).one()
    return int(row[0]), int(row[1])


def _feedback(held) -> dict[str, FeedbackFigures]:
    """Feedback per event kind (one statement): per held event its responses and their
    ratings' sum, then per kind the surveys with enough responses and their sums."""
    response = FeedbackResponse
    per_event = (
        sa.select(
            held.c.kind,
            sa.func.count(response.id).label("responses"),
            sa.func.sum(response.rating).label("total"),
        )
        .select_from(held)
        .join(response, response.event_id == held.c.event_id)
        .group_by(held.c.event_id, held.c.kind)
        .subquery("per_survey")
    )
    counted = per_event.c.responses >= feedback_rules.RESULTS_SHOWN_FROM

    def when_counted(value):
        return _sum(sa.case((counted, value), else_=0))

    rows = db.session.execute(
        sa.select(
            per_event.c.kind,
            when_counted(1),
            when_counted(per_event.c.responses),
            when_counted(per_event.c.total),
            _sum(sa.case((counted, 0), else_=1)),
        ).group_by(per_event.c.kind)
    ).all()
    found = {str(kind): FeedbackFigures() for kind in EventKind}
    for kind, surveys, responses, total, too_few in rows:
        found[kind] = FeedbackFigures(int(surveys), int(responses), int(total), int(too_few))
    return found


def first_year(organization_id: int) -> int | None:
    """The local year of the earliest published event below `organization_id` (one query)."""
    first = db.session.scalar(
        sa.select(sa.func.min(Event.starts_at)).where(
            Event.status == EventStatus.PUBLISHED,
            Event.organization_id.in_(subtree_ids(organization_id)),
        )
    )
    if first is None:
        return None
    if isinstance(first, str):  # SQLite gives an aggregate's datetime back as text
        first = datetime.fromisoformat(first)
    return to_local(first).year


#: PostgreSQL's memory for each sort and hash of the statistics' statements (this transaction
#: only): a province's year is a few hundred thousand registrations, which the default 4 MB
#: would spill to disk.
WORK_MEM = "64MB"


def _give_sorts_room() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text(f"SET LOCAL work_mem = '{WORK_MEM}'"))


def statistics(organization: Organization, year: int, years: list[int], now: datetime):
    """The year's figures for `organization` and everything below it (a fixed number of
    statements whatever the size of the tree or the number of events)."""
    bounds = rules.month_starts(year, local_zone())
    held = _held(organization.id, bounds, now)
    groupings = {"kind_month": ("kind", "month"), "unit": ("unit_id",)}
    attendance = _attendance(held, groupings)
    _give_sorts_room()
    participants = _participants(held)

    def figures(counts: tuple, people: int | None) -> Figures:
        events, registrations, confirmed, checked_in, served = counts
        return Figures(
            events=events,
            registrations=registrations,
            participants=people or 0,
            confirmed=confirmed,
            checked_in=checked_in,
            waitlist_served=served,
        )

    def added(rows: list[tuple]) -> tuple:
        return tuple(sum(column) for column in zip(*rows, strict=True)) if rows else (0,) * 5

    by_kind_month = attendance["kind_month"]
    kinds = [str(k) for k in EventKind]
    total = figures(added(list(by_kind_month.values())), participants["total"].get(()))
    months = {
        m: figures(
            added([v for (_k, month), v in by_kind_month.items() if month == m]),
            participants["month"].get((m,)),
        )
        for m in MONTHS
    }
    kind_figures = {
        k: figures(
            added([v for (kind, _m), v in by_kind_month.items() if kind == k]),
            participants["kind"].get((k,)),
        )
        for k in kinds
    }
    kind_months = {
        k: {
            m: figures(by_kind_month.get((k, m), (0,) * 5), participants["kind_month"].get((k, m)))
            for m in MONTHS
        }
        for k in kinds
    }
    unit_figures = {
        unit: figures(counts, participants["unit"].get((unit,)))
        for (unit,), counts in attendance["unit"].items()
    }
    mixer_groups = _mixer_figures(
        held, now, {"total": (), "month": ("month",), "unit": ("unit_id",)}
    )
    mixers = mixer_groups["total"].get((), MixerFigures())
    mixer_months = {m: f for (m,), f in mixer_groups["month"].items()}
    unit_mixers = {u: f for (u,), f in mixer_groups["unit"].items()}

    children = db.session.scalars(
        sa.select(Organization)
        .where(Organization.parent_id == organization.id)
        .order_by(Organization.name, Organization.id)
    ).all()
    units = [
        Unit(
            organization=unit,
            own=unit.id == organization.id,
            figures=unit_figures.get(unit.id, Figures()),
            mixers=unit_mixers.get(unit.id, MixerFigures()),
        )
        for unit in [organization, *children]
    ]
    teams, entries = _teams_and_entries(held)
    feedback = _feedback(held)
    feedback_total = FeedbackFigures(
        *(sum(getattr(f, n) for f in feedback.values()) for n in FEEDBACK_COUNTS)
    )
    return Statistics(
        organization=organization,
        year=year,
        years=years,
        total=total,
        months=months,
        kinds=kind_figures,
        kind_months=kind_months,
        mixers=mixers,
        mixer_months={m: mixer_months.get(m, MixerFigures()) for m in MONTHS},
        units=units,
        mixers_in_window=_mixers_in_window(held, now),
        contestants=kind_figures[str(EventKind.COMPETITION)].confirmed,
        awards=_awards(held),
        teams=teams,
        entries=entries,
        feedback=feedback,
        feedback_total=feedback_total,
    )
