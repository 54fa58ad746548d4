"""A sports meet's settings, captains, items, referees, entries, heats, results and matches.

A sports meet is an `Event` of kind "sportsmeet"; its community teams are `events.Team` and its
employees are `events.Registration` rows with a `team_id`. Placings, points and standings are
never stored: they are derived from the raw results on every read (`sportsmeet.rules`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsite.accounts.models import User
from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.events.models import Event, Registration, Team
from eventsite.extensions import db


class ResultKind(enum.StrEnum):
    """How an item is decided (the values match `rules.ResultType`)."""

    TIME = "time"
    COUNT = "count"
    DISTANCE = "distance"
    PLACING = "placing"
    HEAD_TO_HEAD = "head_to_head"

    @property
    def title(self) -> str:
        return str(_RESULT_KIND_TITLES[self])


_RESULT_KIND_TITLES = {
    ResultKind.TIME: _l("Time (lower wins)"),
    ResultKind.COUNT: _l("Count (higher wins)"),
    ResultKind.DISTANCE: _l("Distance (higher wins)"),
    ResultKind.PLACING: _l("Placing by the referees"),
    ResultKind.HEAD_TO_HEAD: _l("Head-to-head (e.g. tug-of-war)"),
}


class MatchFormat(enum.StrEnum):
    KNOCKOUT = "knockout"
    ROUND_ROBIN = "round_robin"

    @property
    def title(self) -> str:
        return str(_FORMAT_TITLES[self])


_FORMAT_TITLES = {
    MatchFormat.KNOCKOUT: _l("Knockout (with byes and a third-place match)"),
    MatchFormat.ROUND_ROBIN: _l("Round robin (everyone meets everyone)"),
}


class Outcome(enum.StrEnum):
    OK = "ok"
    DNF = "dnf"
    DQ = "dq"

    @property
    def title(self) -> str:
        return str(_OUTCOME_TITLES[self])


_OUTCOME_TITLES = {
    Outcome.OK: _l("Finished"),
    Outcome.DNF: _l("Did not finish"),
    Outcome.DQ: _l("Disqualified"),
}


class MeetSettings(db.Model):
    """One sports meet's scoring and entry settings."""

    __tablename__ = "meet_settings"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    #: Points by place, e.g. "5,3,2,1"; empty means the default for the number of teams.
    points_table: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Items one person may enter; None means no limit.
    per_person_limit: Mapped[int | None]
    #: Captains may change entries until this moment; None means until the meet starts.
    entries_lock_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()


class Captain(db.Model):
    """A member who enters their community team's employees into items."""

    __tablename__ = "meet_captain"

    team_id: Mapped[int] = mapped_column(
        sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    team: Mapped[Team] = relationship()
    user: Mapped[User] = relationship()


class Item(db.Model):
    """One item of a sports meet, such as the caterpillar race or tug-of-war."""

    __tablename__ = "meet_item"
    __table_args__ = (sa.UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: A ResultKind value.
    result_type: Mapped[str] = mapped_column(sa.String(20))
    #: A MatchFormat value for head-to-head items, else empty.
    match_format: Mapped[str] = mapped_column(sa.String(20), default="")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Members a team puts into the item (for individual items: people, each placed alone);
    #: no most (None) means no limit: a team enters as many of its members as it likes.
    min_members: Mapped[int] = mapped_column(default=1)
    max_members: Mapped[int | None]
    #: Gender mix: at least this many women among a team's members in the item.
    min_women: Mapped[int] = mapped_column(default=0)
    #: Points are multiplied by this (e.g. 2 for a relay).
    multiplier: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(1))
    second_attempt: Mapped[bool] = mapped_column(default=False)
    #: Each member is placed on their own (individual honours); else the team's entry is placed.
    individual: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    #: The organizer declared the results final; None while they may still change.
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How the current heats or matches were drawn (a rules.DrawMethod value); empty before
    #: the first draw (and for a draw made before the method was kept).
    draw_method: Mapped[str] = mapped_column(sa.String(20), default="")
    #: The seed of the current drawing of lots.
    draw_seed: Mapped[int | None]
    #: The entries per heat asked for at the current heat draw.
    draw_lanes: Mapped[int | None]

    event: Mapped[Event] = relationship()
    referees: Mapped[list[ItemReferee]] = relationship(
        back_populates="item", cascade="all, delete-orphan"
    )

    @property
    def kind(self) -> ResultKind:
        return ResultKind(self.result_type)

    @property
    def is_head_to_head(self) -> bool:
        return self.result_type == ResultKind.HEAD_TO_HEAD

    def __repr__(self) -> str:
        return f"<Item {self.id} {self.name!r} {self.result_type}>"


class ItemReferee(db.Model):
    """A judge assigned to enter an item's results."""

    __tablename__ = "meet_item_referee"

    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meet_item.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    item: Mapped[Item] = relationship(back_populates="referees")
    user: Mapped[User] = relationship()


class Entry(db.Model):
    """A team's entry in an item: the whole team (team items) or one person (individual items)."""

    __tablename__ = "meet_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meet_item.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id", ondelete="CASCADE"), index=True)
    #: The entry's place in the organizer's seeding of the current draw (1 is the top seed);
    #: None unless the current draw is seeded.
    seeding: Mapped[int | None]

    item: Mapped[Item] = relationship()
    team: Mapped[Team] = relationship()
    members: Mapped[list[EntryMember]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )


class EntryMember(db.Model):
    """One employee (by registration) in an entry."""

    __tablename__ = "meet_entry_member"

    entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meet_entry.id", ondelete="CASCADE"), primary_key=True
    )
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    entry: Mapped[Entry] = relationship(back_populates="members")
    registration: Mapped[Registration] = relationship()


class Heat(db.Model):
    """A heat of an item; a final heat, when there is one with results, decides the placings."""

    __tablename__ = "meet_heat"
    __table_args__ = (sa.UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meet_item.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    is_final: Mapped[bool] = mapped_column(default=False)

    lanes: Mapped[list[Lane]] = relationship(
        back_populates="heat", cascade="all, delete-orphan", order_by="Lane.lane"
    )


class Lane(db.Model):
    """An entry's place in a heat."""

    __tablename__ = "meet_lane"
    __table_args__ = (sa.UniqueConstraint("heat_id", "lane"),)

    heat_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meet_heat.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meet_entry.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    lane: Mapped[int]

    heat: Mapped[Heat] = relationship(back_populates="lanes")
    entry: Mapped[Entry] = relationship()


class Result(db.Model):
    """A referee's raw result for one entry in one heat."""

    __tablename__ = "meet_result"
    __table_args__ = (sa.UniqueConstraint("heat_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    heat_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meet_heat.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meet_entry.id", ondelete="CASCADE"), index=True
    )
    #: Seconds (time), a count, metres (distance) or the judged place; None for DNF/DQ.
    value: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    #: The second attempt, where the item allows one; the better attempt counts.
    second_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    #: An Outcome value.
    outcome: Mapped[str] = mapped_column(sa.String(10), default=Outcome.OK)
    #: Why a DQ (required) or a DNF was given.
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    heat: Mapped[Heat] = relationship()
    entry: Mapped[Entry] = relationship()


class Match(db.Model):
    """A head-to-head match (tug-of-war): round and slot in a bracket or a round-robin schedule."""

    __tablename__ = "meet_match"
    __table_args__ = (sa.UniqueConstraint("item_id", "round", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meet_item.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int]
    slot: Mapped[int]
    #: Filled when the match is drawn (knockout: when the earlier round decides it).
    home_entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meet_entry.id", ondelete="SET NULL")
    )
    away_entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meet_entry.id", ondelete="SET NULL")
    )
    winner_entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meet_entry.id", ondelete="SET NULL")
    )
    #: A round-robin draw (no winner).
    drawn: Mapped[bool] = mapped_column(default=False)
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def decided(self) -> bool:
        return self.winner_entry_id is not None or self.drawn
