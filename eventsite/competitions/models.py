"""A skills competition's rounds, criteria, judges, score sheets, paper entries, awards,
publication and objections.

A competition is an `Event` of kind "competition"; its provincial teams are `events.Team`, its
language tracks `events.Track`, and its contestants `events.Registration` rows with a team and a
track. Aggregates, totals, ranks and awards are never stored: they are derived from the score
sheets on every read (`competitions.rules`).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsite.accounts.models import User
from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.events.models import Event, Registration, Team, Track
from eventsite.extensions import db

#: Scores are exact decimals with two places: steps such as 0.5 or 0.25 fit.
SCORE = sa.Numeric(7, 2)


class Aggregation(enum.StrEnum):
    """How a criterion's scores from several judges become one (values match `rules`)."""

    MEAN = "mean"
    TRIMMED = "trimmed_mean"
    TRIMMED_TOTAL = "trimmed_total"
    MEDIAN = "median"

    @property
    def title(self) -> str:
        return str(_AGGREGATION_TITLES[self])


_AGGREGATION_TITLES = {
    Aggregation.MEAN: _l("Mean of all judges"),
    Aggregation.TRIMMED: _l("Trimmed mean on each criterion (drop its highest and lowest scores)"),
    Aggregation.TRIMMED_TOTAL: _l(
        "Trimmed mean of the judges' totals (drop the highest and lowest total: 去掉一个最高分和一个最低分)"
    ),
    Aggregation.MEDIAN: _l("Median"),
}


class AwardBasis(enum.StrEnum):
    COUNT = "count"
    PERCENT = "percent"

    @property
    def title(self) -> str:
        return str(_BASIS_TITLES[self])


_BASIS_TITLES = {
    AwardBasis.COUNT: _l("A number of contestants per tier"),
    AwardBasis.PERCENT: _l("A percentage of contestants per tier"),
}


class AwardRounding(enum.StrEnum):
    """How a percentage tier becomes a whole number of awards (values match `rules`)."""

    DOWN = "down"
    HALF_UP = "half_up"

    @property
    def title(self) -> str:
        return str(_ROUNDING_TITLES[self])


_ROUNDING_TITLES = {
    AwardRounding.DOWN: _l("Each tier rounded down (7.6 → 7)"),
    AwardRounding.HALF_UP: _l("Each tier rounded half up, 四舍五入 (7.5 → 8, 7.4 → 7)"),
}


class AwardScope(enum.StrEnum):
    TRACK = "track"
    OVERALL = "overall"

    @property
    def title(self) -> str:
        return str(_SCOPE_TITLES[self])


_SCOPE_TITLES = {
    AwardScope.TRACK: _l("Per track"),
    AwardScope.OVERALL: _l("Overall, across all tracks"),
}


class TeamMethod(enum.StrEnum):
    SUM = "sum"
    MEAN = "mean"

    @property
    def title(self) -> str:
        return str(_TEAM_METHOD_TITLES[self])


_TEAM_METHOD_TITLES = {
    TeamMethod.SUM: _l("Sum of the best members' totals"),
    TeamMethod.MEAN: _l("Mean of the best members' totals"),
}


class ContestantState(enum.StrEnum):
    WITHDRAWN = "withdrawn"
    DISQUALIFIED = "disqualified"

    @property
    def title(self) -> str:
        return str(_STATE_TITLES[self])


_STATE_TITLES = {
    ContestantState.WITHDRAWN: _l("Withdrawn"),
    ContestantState.DISQUALIFIED: _l("Disqualified"),
}


class ObjectionDecision(enum.StrEnum):
    UPHELD = "upheld"
    DISMISSED = "dismissed"

    @property
    def title(self) -> str:
        return str(_DECISION_TITLES[self])


_DECISION_TITLES = {
    ObjectionDecision.UPHELD: _l("Upheld"),
    ObjectionDecision.DISMISSED: _l("Dismissed"),
}


class Round(db.Model):
    """A round of a competition (preliminary, final …), scored on its own criteria."""

    __tablename__ = "comp_round"
    __table_args__ = (sa.UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)
    #: The best N of each track go on to the next round; None for the last round.
    advance_count: Mapped[int | None]
    #: An Aggregation value.
    aggregation: Mapped[str] = mapped_column(sa.String(20), default=Aggregation.TRIMMED)
    #: Trimmed mean: drop this many highest and lowest scores …
    trim_count: Mapped[int] = mapped_column(default=1)
    #: … when at least this many judges scored (else the plain mean).
    trim_min_judges: Mapped[int] = mapped_column(default=5)
    #: Standardise each judge's scores (z-scores) before aggregating, for judges who score
    #: different subsets of contestants.
    standardise: Mapped[bool] = mapped_column(default=False)
    #: Coverage: each contestant needs at least this many eligible judges.
    min_judges: Mapped[int] = mapped_column(default=5)
    #: Criterion ids, comma-separated, compared in this order when totals tie.
    tie_break: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Paper sheets typed in twice by clerks; a sheet counts only when both entries agree.
    double_entry: Mapped[bool] = mapped_column(default=False)

    # Awards and team ranking.
    #: An AwardBasis value.
    award_basis: Mapped[str] = mapped_column(sa.String(10), default=AwardBasis.COUNT)
    #: An AwardScope value.
    award_scope: Mapped[str] = mapped_column(sa.String(10), default=AwardScope.OVERALL)
    #: An AwardRounding value: how percentage tiers are rounded to whole awards.
    award_rounding: Mapped[str] = mapped_column(sa.String(10), default=AwardRounding.DOWN)
    #: A team's best k members count in the team ranking; None for no team ranking.
    team_best: Mapped[int | None]
    #: A TeamMethod value.
    team_method: Mapped[str] = mapped_column(sa.String(10), default=TeamMethod.SUM)

    # Publication: results are public from published_at, provisional until the objection period
    # ends, then final. Never a flag flipped by a job.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    #: Length of the objection period (公示) in days.
    objection_days: Mapped[int] = mapped_column(default=5)

    event: Mapped[Event] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="round",
        cascade="all, delete-orphan",
        order_by="Criterion.position, Criterion.id",
    )
    tiers: Mapped[list[AwardTier]] = relationship(
        back_populates="round",
        cascade="all, delete-orphan",
        order_by="AwardTier.position, AwardTier.id",
    )

    @property
    def tie_break_ids(self) -> list[int]:
        return [int(part) for part in self.tie_break.split(",") if part.strip().isdigit()]

    @property
    def aggregation_title(self) -> str:
        return Aggregation(self.aggregation).title

    @property
    def rounding_title(self) -> str:
        return AwardRounding(self.award_rounding).title

    @property
    def objection_ends_at(self) -> datetime | None:
        if self.published_at is None:
            return None
        return self.published_at + timedelta(days=self.objection_days)

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.name!r}>"


class Criterion(db.Model):
    """One line of a round's score sheet: a name, a maximum, a weight and a step."""

    __tablename__ = "comp_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comp_round.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    max_score: Mapped[Decimal] = mapped_column(SCORE)
    #: The criterion's aggregate is multiplied by this in the total.
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(7, 4), default=Decimal(1))
    #: Scores are whole multiples of this (e.g. 0.5).
    step: Mapped[Decimal] = mapped_column(SCORE, default=Decimal("0.5"))
    #: Flag the criterion when its judges' scores spread further than this; None for no check.
    tolerance: Mapped[Decimal | None] = mapped_column(SCORE)
    position: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="criteria")


class JudgeAssignment(db.Model):
    """A judge scores a track's contestants in a round (except those recused)."""

    __tablename__ = "comp_judge"
    __table_args__ = (sa.UniqueConstraint("round_id", "track_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comp_round.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)

    round: Mapped[Round] = relationship()
    track: Mapped[Track] = relationship()
    user: Mapped[User] = relationship()


class JudgeAffiliation(db.Model):
    """A judge belongs to a team (province or unit): they never see or score its contestants."""

    __tablename__ = "comp_judge_team"

    team_id: Mapped[int] = mapped_column(
        sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    team: Mapped[Team] = relationship()
    user: Mapped[User] = relationship()


class JudgeConflict(db.Model):
    """A conflict of interest a judge declared with one contestant: recused like a team."""

    __tablename__ = "comp_conflict"

    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    registration: Mapped[Registration] = relationship()
    user: Mapped[User] = relationship()


class TeamLeader(db.Model):
    """A team's leader (领队), who may lodge objections for the team's contestants."""

    __tablename__ = "comp_team_leader"

    team_id: Mapped[int] = mapped_column(
        sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    team: Mapped[Team] = relationship()
    user: Mapped[User] = relationship()


class Exclusion(db.Model):
    """A contestant who withdrew or was disqualified: out of every ranking from then on."""

    __tablename__ = "comp_exclusion"

    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    #: A ContestantState value (the values match `rules.ContestantStatus`).
    state: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    @property
    def state_enum(self) -> ContestantState:
        return ContestantState(self.state)


class ScoreSheet(db.Model):
    """One judge's scores for one contestant in one round; a draft until submitted."""

    __tablename__ = "comp_sheet"
    __table_args__ = (sa.UniqueConstraint("round_id", "judge_id", "registration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comp_round.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    #: Raised by one on every save; a save carrying an older number is refused (stale form).
    version: Mapped[int] = mapped_column(default=1)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: Locked from this moment until the chief judge reopens it.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Entered from a paper sheet by two clerks (double entry) rather than by the judge.
    from_paper: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    round: Mapped[Round] = relationship()
    judge: Mapped[User] = relationship(foreign_keys=[judge_id])
    registration: Mapped[Registration] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="sheet", cascade="all, delete-orphan")

    @property
    def values(self) -> dict[int, Decimal]:
        """Criterion id → score, for the criteria scored (an empty one is not 0: it is absent)."""
        return {score.criterion_id: score.value for score in self.scores}


class Score(db.Model):
    """A sheet's score on one criterion; no row means not scored."""

    __tablename__ = "comp_score"

    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comp_sheet.id", ondelete="CASCADE"), primary_key=True
    )
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comp_criterion.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[Decimal] = mapped_column(SCORE)

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")


class SheetChange(db.Model):
    """One change to a score sheet: who, when, which field, old value, new value."""

    __tablename__ = "comp_sheet_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comp_sheet.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: "score", "comment", "submit", "reopen" or "paper".
    kind: Mapped[str] = mapped_column(sa.String(20))
    criterion_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comp_criterion.id", ondelete="SET NULL")
    )
    old_value: Mapped[str] = mapped_column(sa.Text, default="")
    new_value: Mapped[str] = mapped_column(sa.Text, default="")
    #: The chief judge's reason for a reopening.
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    actor: Mapped[User | None] = relationship()
    criterion: Mapped[Criterion | None] = relationship()


class PaperEntry(db.Model):
    """One clerk's typing of a judge's paper sheet (double entry mode)."""

    __tablename__ = "comp_paper_entry"
    __table_args__ = (sa.UniqueConstraint("round_id", "judge_id", "registration_id", "clerk_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comp_round.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE")
    )
    clerk_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    #: Criterion id → score as text ("8.5"; "" for a criterion left empty on the paper).
    scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    clerk: Mapped[User] = relationship(foreign_keys=[clerk_id])
    judge: Mapped[User] = relationship(foreign_keys=[judge_id])
    registration: Mapped[Registration] = relationship()


class AwardTier(db.Model):
    """An award tier (first, second, third prize) with its size: a count or a percentage."""

    __tablename__ = "comp_award_tier"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comp_round.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    #: Contestants (count basis) or percent of contestants (percent basis).
    size: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    position: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="tiers")


class Objection(db.Model):
    """A written objection to published results, by the contestant or their team leader."""

    __tablename__ = "comp_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comp_round.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE")
    )
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: An ObjectionDecision value once decided.
    decision: Mapped[str] = mapped_column(sa.String(20), default="")
    decision_text: Mapped[str] = mapped_column(sa.Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    round: Mapped[Round] = relationship()
    registration: Mapped[Registration] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def decision_title(self) -> str:
        return ObjectionDecision(self.decision).title if self.decision else ""
