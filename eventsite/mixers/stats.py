"""The union's 鹊桥 statistics for admins: mixers held, participants, members who marked,
matches, match rate and introductions accepted, by month and by year (local time). Counts only:
no query here returns anything about a person.

A mixer counts here only once its exchange window has closed: until then its marks may still
change and its matches may not be revealed, and a count that moved while an attendee marked
would tell an admin working with that attendee who marked whom. After the close every count is
of what is final and revealed (markers as a number only; matches shown to both sides; accepted
introductions).

Each mixer's counts come from one SQL statement of correlated aggregates (`count_columns`), so
the page costs the same few queries for 10 mixers or 1,000. For a mixer whose marks the
retention purge deleted, the counts come from its `MixerTally`, written by the purge just
before (`mixers.jobs.purge`): "members who marked" can no longer be counted from marks, and
members may later delete their matches with their data, so a purged mixer's numbers stay as
they were at the purge. The month is the mixer's start in the configured zone (Asia/Shanghai),
taken in Python from each mixer's row so SQLite and PostgreSQL agree without time zone SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from eventsite.core.time import to_local
from eventsite.events.models import Event, EventKind, EventStatus, Registration, RegistrationStatus
from eventsite.extensions import db
from eventsite.mixers.models import (
    IntroductionRequest,
    Mark,
    Match,
    MatchSource,
    MixerProfile,
    MixerSettings,
    MixerTally,
)
from eventsite.mixers.rules import DEFAULT_WINDOW_HOURS, window

#: The counts a mixer has, in `MixerTally`'s column names.
COUNTS = ("attendees", "markers", "matches", "matched_members", "introductions_accepted")


def count_columns() -> dict[str, sa.ColumnElement]:
    """Each of `COUNTS` as an aggregate correlated to `Event.id`, from the live rows.

    A mutual match is either stored (hidden by one side, or kept by the purge) or only the pair
    of marks itself (`service.mutual_marks`): both are counted, each pair once."""
    attendees = sa.select(sa.func.count(Registration.id)).where(
        Registration.event_id == Event.id,
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.checked_in_at.is_not(None),
    )
    markers = sa.select(sa.func.count(sa.distinct(Mark.marker_id))).where(Mark.event_id == Event.id)
    # The lower id's mark stands for its pair. (Nested EXISTS name what they correlate to: SQL
    # correlates only to the tables of the statement around them.)
    mark, back = aliased(Mark), aliased(Mark)
    derived = (
        sa.select(sa.func.count())
        .select_from(mark)
        .where(
            mark.event_id == Event.id,
            mark.marker_id < mark.marked_id,
            sa.exists()
            .where(
                back.event_id == mark.event_id,
                back.marker_id == mark.marked_id,
                back.marked_id == mark.marker_id,
            )
            .correlate_except(back),
            ~sa.exists()
            .where(
                Match.event_id == mark.event_id,
                Match.user_low_id == mark.marker_id,
                Match.user_high_id == mark.marked_id,
            )
            .correlate_except(Match),
        )
    )
    stored = sa.select(sa.func.count(Match.id)).where(
        Match.event_id == Event.id, Match.source == MatchSource.MUTUAL
    )
    mine, theirs = aliased(Mark), aliased(Mark)
    matched_members = sa.select(sa.func.count(MixerProfile.id)).where(
        MixerProfile.event_id == Event.id,
        sa.or_(
            sa.exists()
            .where(
                Match.event_id == MixerProfile.event_id,
                sa.or_(
                    Match.user_low_id == MixerProfile.user_id,
                    Match.user_high_id == MixerProfile.user_id,
                ),
            )
            .correlate_except(Match),
            sa.exists()
            .where(
                mine.event_id == MixerProfile.event_id,
                mine.marker_id == MixerProfile.user_id,
                sa.exists()
                .where(
                    theirs.event_id == mine.event_id,
                    theirs.marker_id == mine.marked_id,
                    theirs.marked_id == mine.marker_id,
                )
                .correlate_except(theirs),
            )
            .correlate_except(mine),
        ),
    )
    accepted = sa.select(sa.func.count(IntroductionRequest.id)).where(
        IntroductionRequest.event_id == Event.id,
        IntroductionRequest.accepted_at.is_not(None),
    )
    return {
        "attendees": attendees.scalar_subquery(),
        "markers": markers.scalar_subquery(),
        "matches": derived.scalar_subquery() + stored.scalar_subquery(),
        "matched_members": matched_members.scalar_subquery(),
        "introductions_accepted": accepted.scalar_subquery(),
    }


def live_counts(event_id: int) -> dict[str, int]:
    """One mixer's counts from its live rows (what the purge keeps in its tally)."""
    columns = count_columns()
    row = db.session.execute(
        sa.select(*(columns[name].label(name) for name in COUNTS)).where(Event.id == event_id)
    ).one()
    return dict(row._mapping)


@dataclass
class Period:
    """One month's or one year's mixers, added up."""

    key: str
    mixers: int = 0
    attendees: int = 0
    markers: int = 0
    matches: int = 0
    matched_members: int = 0
    introductions_accepted: int = 0

    @property
    def match_rate(self) -> float | None:
        """Share of participants with at least one match (mutual or by introduction)."""
        return self.matched_members / self.attendees if self.attendees else None

    def add(self, counts: dict[str, int]) -> None:
        self.mixers += 1
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + counts[name])


@dataclass
class UnionStats:
    years: list[Period]
    months: list[Period]
    total: Period
    #: Mixers that have ended but whose exchange window is still open: counted once it closes.
    in_window: int = 0


def closed_mixers(
    now: datetime, organization_ids: sa.Select | None = None
) -> tuple[list[int], int]:
    """The published mixers whose exchange window has closed by `now`, and how many more have
    ended with their window still open: one query (the window's length is per mixer). Only
    those of the organizations `organization_ids` selects, when given."""
    stmt = (
        sa.select(Event.id, Event.ends_at, MixerSettings.window_hours)
        .outerjoin(MixerSettings, MixerSettings.event_id == Event.id)
        .where(
            Event.kind == EventKind.MIXER,
            Event.status == EventStatus.PUBLISHED,
            Event.ends_at <= now,
        )
    )
    if organization_ids is not None:
        stmt = stmt.where(Event.organization_id.in_(organization_ids))
    rows = db.session.execute(stmt).all()
    closed = [
        event_id
        for event_id, ends_at, hours in rows
        if now >= window(ends_at, hours or DEFAULT_WINDOW_HOURS).closes_at
    ]
    return closed, len(rows) - len(closed)


def mixer_counts(event_ids: list[int]) -> list[tuple[datetime, dict[str, int]]]:
    """(start, counts) for each of the mixers `event_ids`: one query."""
    if not event_ids:
        return []
    live = count_columns()
    columns = [sa.func.coalesce(getattr(MixerTally, n), live[n]).label(n) for n in COUNTS]
    rows = db.session.execute(
        sa.select(Event.starts_at, *columns)
        .outerjoin(MixerTally, MixerTally.event_id == Event.id)
        .where(Event.id.in_(event_ids))
        .order_by(Event.starts_at, Event.id)
    ).all()
    return [(row.starts_at, {n: getattr(row, n) for n in COUNTS}) for row in rows]


def union_stats(now: datetime, organization_ids: sa.Select | None = None) -> UnionStats:
    """The union's mixers whose exchange has closed, by year and by month of their local start,
    newest first; only those of the organizations `organization_ids` selects, when given."""
    closed, in_window = closed_mixers(now, organization_ids)
    years: dict[str, Period] = {}
    months: dict[str, Period] = {}
    total = Period("total")
    for starts_at, counts in mixer_counts(closed):
        local = to_local(starts_at)
        year, month = f"{local:%Y}", f"{local:%Y-%m}"
        years.setdefault(year, Period(year)).add(counts)
        months.setdefault(month, Period(month)).add(counts)
        total.add(counts)
    return UnionStats(
        years=[years[k] for k in sorted(years, reverse=True)],
        months=[months[k] for k in sorted(months, reverse=True)],
        total=total,
        in_window=in_window,
    )
