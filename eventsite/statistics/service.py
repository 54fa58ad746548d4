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
from eventsite.mixers.models import MixerSettings, MixerTally
from eventsite.mixers.rules import DEFAULT_WINDOW_HOURS
from eventsite.mixers.stats import COUNTS, count_columns
from eventsite.organizations.models import Organization, OrganizationLink
from eventsite.organizations.service import subtree_ids
from eventsite.sportsmeet.models import Entry, Item
from eventsite.statistics import rules

CONFIRMED = RegistrationStatus.CONFIRMED
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
        """The figures as a sub-organization's row shows them: counts of 1 to 4 as "<5"."""
        return {
            "mixers": self.mixers,
            "participants": rules.masked(self.participants),
            "matches": rules.masked(self.matches),
            "matched_members": rules.masked(self.matched_members),
            "introductions_accepted": rules.masked(self.introductions_accepted),
            "match_rate": rules.masked_rate(self.matched_members, self.participants),
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


# --- Queries ----------------------------------------------------------------------------------


def _held(organization_id: int, bounds: list[datetime], now: datetime, *, by_unit: bool):
    """A subquery of the events held in the year below `organization_id`: event_id, kind, month
    (1–12) and, `by_unit`, unit_id (the child of the organization above the event's, or the
    organization itself)."""
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
    if by_unit:
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
    return query.subquery("held")


def _figures(held, *keys) -> dict[tuple, Figures]:
    r = Registration
    attended = sa.and_(r.status == CONFIRMED, r.checked_in_at.is_not(None))

    def tally(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        sa.select(
            *keys,
            sa.func.count(sa.distinct(held.c.event_id)),
            sa.func.count(r.id),
            sa.func.count(sa.distinct(sa.case((attended, r.user_id)))),
            tally(r.status == CONFIRMED),
            tally(attended),
            tally(sa.and_(r.status == CONFIRMED, r.waitlisted_at.is_not(None))),
        )
        .select_from(held)
        .outerjoin(r, r.event_id == held.c.event_id)
        .group_by(*keys)
    ).all()
    return {tuple(row[: len(keys)]): Figures(*(int(v) for v in row[len(keys) :])) for row in rows}


def _window_closed(now: datetime):
    hours = sa.func.coalesce(MixerSettings.window_hours, DEFAULT_WINDOW_HOURS)
    return _plus_hours(Event.ends_at, hours) <= sa.literal(now, UTCDateTime)


def _mixer_figures(held, now: datetime, *keys: str) -> dict[tuple, MixerFigures]:
    """Closed mixers' counts, one row per mixer inside the database, summed by `keys`."""
    live = count_columns()
    per_mixer = (
        sa.select(
            *(held.c[key] for key in keys),
            *(sa.func.coalesce(getattr(MixerTally, n), live[n]).label(n) for n in COUNTS),
        )
        .select_from(held)
        .join(Event, Event.id == held.c.event_id)
        .outerjoin(MixerTally, MixerTally.event_id == Event.id)
        .outerjoin(MixerSettings, MixerSettings.event_id == Event.id)
        .where(held.c.kind == EventKind.MIXER, _window_closed(now))
        .subquery("per_mixer")
    )
    names = ("attendees", "matches", "matched_members", "introductions_accepted")
    rows = db.session.execute(
        sa.select(
            *(per_mixer.c[key] for key in keys),
            sa.func.count(),
            *(sa.func.coalesce(sa.func.sum(per_mixer.c[n]), 0) for n in names),
        ).group_by(*(per_mixer.c[key] for key in keys))
    ).all()
    return {
        tuple(row[: len(keys)]): MixerFigures(*(int(v) for v in row[len(keys) :])) for row in rows
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


def statistics(organization: Organization, year: int, years: list[int], now: datetime):
    """The year's figures for `organization` and everything below it (a fixed number of
    statements whatever the size of the tree or the number of events)."""
    bounds = rules.month_starts(year, local_zone())
    held = _held(organization.id, bounds, now, by_unit=False)
    held_units = _held(organization.id, bounds, now, by_unit=True)

    total = _figures(held).get((), Figures())
    months = {m: f for (m,), f in _figures(held, held.c.month).items()}
    kinds = {k: f for (k,), f in _figures(held, held.c.kind).items()}
    kind_months: dict[str, dict[int, Figures]] = {}
    for (kind, month), figures in _figures(held, held.c.kind, held.c.month).items():
        kind_months.setdefault(kind, {})[month] = figures
    unit_figures = {u: f for (u,), f in _figures(held_units, held_units.c.unit_id).items()}

    mixers = _mixer_figures(held, now).get((), MixerFigures())
    mixer_months = {m: f for (m,), f in _mixer_figures(held, now, "month").items()}
    unit_mixers = {u: f for (u,), f in _mixer_figures(held_units, now, "unit_id").items()}

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
    return Statistics(
        organization=organization,
        year=year,
        years=years,
        total=total,
        months={m: months.get(m, Figures()) for m in MONTHS},
        kinds={str(k): kinds.get(str(k), Figures()) for k in EventKind},
        kind_months={
            str(k): {m: kind_months.get(str(k), {}).get(m, Figures()) for m in MONTHS}
            for k in EventKind
        },
        mixers=mixers,
        mixer_months={m: mixer_months.get(m, MixerFigures()) for m in MONTHS},
        units=units,
        mixers_in_window=_mixers_in_window(held, now),
        contestants=kinds.get(str(EventKind.COMPETITION), Figures()).confirmed,
        awards=_awards(held),
        teams=teams,
        entries=entries,
    )
