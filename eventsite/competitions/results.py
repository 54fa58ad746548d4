"""Competition results: awards, team ranking, the rules applied, publication with its
objection period (公示), and objections.

Functions flush; the view, job or CLI command that called them commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from eventsite.accounts.models import User
from eventsite.competitions import rules
from eventsite.competitions.board import (
    Board,
    load_board,
    round_registrations,
)
from eventsite.competitions.models import (
    Aggregation,
    AwardBasis,
    AwardRounding,
    AwardScope,
    AwardTier,
    Objection,
    ObjectionDecision,
    Round,
    TeamLeader,
    TeamMethod,
)
from eventsite.competitions.setup import (
    PUBLISHED,
    CompetitionError,
    SheetRefused,
    _places,
    plain,
    rounds_of,
)
from eventsite.core import audit
from eventsite.core.notifications import notify
from eventsite.core.time import format_local, utcnow
from eventsite.events.models import (
    Event,
    Registration,
    Team,
)
from eventsite.events.service import lock_event
from eventsite.extensions import db


@dataclass
class AwardRow:
    registration_id: int
    tier: int
    tier_name: str
    rank: int
    total: Decimal | None
    track_id: int | None
    shared: bool


@dataclass
class AwardTable:
    """Awards of a round, in the configured scope, with how each tier came out."""

    rows: list[AwardRow]
    #: scope key (track id, or None for overall) → tier outcomes.
    outcomes: dict[int | None, tuple[rules.TierOutcome, ...]]
    tier_names: list[str]

    def tier_of(self, registration_id: int) -> AwardRow | None:
        return next((r for r in self.rows if r.registration_id == registration_id), None)


def awards_of(board: Board) -> AwardTable:
    """The award tiers applied to the ranking, per track or overall, by count or percentage."""
    round_ = board.round
    tiers = list(round_.tiers)
    names = [t.name for t in tiers]
    if not tiers:
        return AwardTable([], {}, names)
    if round_.award_scope == AwardScope.TRACK:
        scopes = {t.id: board.ranking(t.id) for t in board.tracks}
    else:
        scopes = {None: board.overall}
    rows: list[AwardRow] = []
    outcomes = {}
    for key, ranking in scopes.items():
        if round_.award_basis == AwardBasis.PERCENT:
            competing = sum(
                1 for p in ranking.placings if p.status == rules.ContestantStatus.COMPETING
            )
            sizes = rules.tier_sizes(
                [t.size for t in tiers], competing, rules.TierRounding(round_.award_rounding)
            )
        else:
            sizes = tuple(int(t.size) for t in tiers)
        awards = rules.award_tiers(ranking.ranks, sizes)
        outcomes[key] = awards.tiers
        for placing in ranking.placings:
            tier = awards.tier_of(placing.contestant)
            if tier is not None:
                rows.append(
                    AwardRow(
                        registration_id=placing.contestant,
                        tier=tier,
                        tier_name=names[tier - 1],
                        rank=placing.rank,
                        total=placing.total,
                        track_id=placing.track,
                        shared=placing.shared,
                    )
                )
    rows.sort(key=lambda r: (r.tier, r.rank, r.registration_id))
    return AwardTable(rows, outcomes, names)


def team_ranking(board: Board) -> tuple[rules.TeamStanding, ...]:
    round_ = board.round
    if not round_.team_best:
        return ()
    return rules.team_standings(
        board.overall.placings, round_.team_best, rules.TeamScoring(round_.team_method)
    )


@dataclass(frozen=True)
class AppliedRule:
    """One line of "how these results were computed": what it is about, the rule's name, and
    the rule in a sentence with the round's numbers."""

    subject: str
    name: str
    detail: str


def rules_applied(round_: Round) -> list[AppliedRule]:
    """What the explanation page and the exports state about how the results were computed:
    the aggregation and, when the round has award tiers, the awards."""
    k, n = round_.trim_count, round_.trim_min_judges
    method = Aggregation(round_.aggregation)
    if method is Aggregation.TRIMMED:
        how = _(
            "On each criterion, the %(k)s highest and %(k)s lowest scores are dropped once at "
            "least %(n)s judges scored (else the mean of all), then the mean of the rest.",
            k=k,
            n=n,
        )
    elif method is Aggregation.TRIMMED_TOTAL:
        how = _(
            "Each judge's weighted total is worked out; the judges with the %(k)s highest and "
            "%(k)s lowest totals are left out once at least %(n)s judges scored (else none), and "
            "each criterion is the mean of the other judges (去掉一个最高分和一个最低分).",
            k=k,
            n=n,
        )
    elif method is Aggregation.MEDIAN:
        how = _("On each criterion, the median of the judges' scores.")
    else:
        how = _("On each criterion, the mean of all the judges' scores.")
    if round_.standardise:
        how += " " + _("Each judge's scores are standardised (z-scores) first.")
    applied = [AppliedRule(_("Judges' scores combined"), method.title, how)]
    if round_.tiers:
        tiers = "、".join(
            f"{t.name} {plain(t.size)}{' %' if round_.award_basis == AwardBasis.PERCENT else ''}"
            for t in round_.tiers
        )
        basis = AwardBasis(round_.award_basis)
        name = basis.title
        if basis is AwardBasis.PERCENT:
            name = f"{name}，{AwardRounding(round_.award_rounding).title}"
        applied.append(
            AppliedRule(
                _("Awards"),
                name,
                _(
                    "%(tiers)s; %(scope)s; contestants tied at a cut all receive the higher award.",
                    tiers=tiers,
                    scope=AwardScope(round_.award_scope).title,
                ),
            )
        )
    return applied


@dataclass
class TierInput:
    name: str
    size: Decimal | None


def save_awards(
    round_: Round,
    actor: User,
    *,
    basis: str,
    scope: str,
    tiers: list[TierInput],
    team_best: int | None,
    team_method: str,
    rounding: str = AwardRounding.DOWN,
) -> None:
    """The round's award tiers (count, or percentage rounded down or half up; per track or
    overall) and team ranking;
    refused while its results are published (awards never choose a later round's contestants)."""
    if round_.published_at is not None:
        raise CompetitionError(str(PUBLISHED))
    if basis not in {b.value for b in AwardBasis}:
        raise CompetitionError(_("Choose count or percentage."), "basis")
    if scope not in {s.value for s in AwardScope}:
        raise CompetitionError(_("Choose per track or overall."), "scope")
    if rounding not in {r.value for r in AwardRounding}:
        raise CompetitionError(_("Choose how percentages are rounded."), "rounding")
    if team_method not in {m.value for m in TeamMethod}:
        raise CompetitionError(_("Choose sum or mean."), "team_method")
    errors: dict[str, str] = {}
    kept = []
    for index, tier in enumerate(tiers):
        name = (tier.name or "").strip()
        if not name and tier.size is None:
            continue
        if not name:
            errors[f"tiers-{index}-name"] = _("Please name the award.")
        if tier.size is None or tier.size < 0:
            errors[f"tiers-{index}-size"] = _("Enter a number of 0 or more.")
        elif tier.size > 10000:
            errors[f"tiers-{index}-size"] = _("Enter a number up to 10000.")
        elif _places(tier.size) > 2:
            errors[f"tiers-{index}-size"] = _("Give at most %(n)s decimal places.", n=2)
        elif basis == AwardBasis.COUNT and tier.size != tier.size.to_integral_value():
            errors[f"tiers-{index}-size"] = _("A count is a whole number.")
        elif basis == AwardBasis.PERCENT and tier.size > 100:
            errors[f"tiers-{index}-size"] = _("A percentage is at most 100.")
        kept.append((name, tier.size))
    if basis == AwardBasis.PERCENT and not errors and sum(size for _, size in kept) > 100:
        errors["tiers-0-size"] = _("The percentages add up to more than 100.")
    if errors:
        raise SheetRefused(errors)
    round_.award_basis = basis
    round_.award_scope = scope
    round_.award_rounding = rounding
    round_.team_best = team_best
    round_.team_method = team_method
    round_.tiers = [
        AwardTier(name=name, size=size, position=i) for i, (name, size) in enumerate(kept)
    ]
    audit.record(
        "competition.awards",
        actor=actor,
        event=round_.event,
        detail=_l(
            "awards of %(round)s: %(tiers)s (%(basis)s, %(scope)s)",
            round=round_.name,
            tiers="; ".join(f"{n} {plain(s)}" for n, s in kept) or "—",
            basis=AwardBasis(basis).title
            + (f"，{AwardRounding(rounding).title}" if basis == AwardBasis.PERCENT else ""),
            scope=AwardScope(scope).title,
        ),
    )
    db.session.flush()


def results_state(round_: Round, now: datetime) -> rules.ResultsState:
    return rules.results_state(round_.published_at, now, round_.objection_days)


def publish_results(
    round_: Round, actor: User, *, flags_checked: bool = False, now: datetime | None = None
) -> Round:
    """Publish the round's results: public from now, provisional through the objection period
    (公示), final after it. Refused while sheets are missing, and while criteria are flagged
    beyond the tolerance unless the organizer confirms having checked them.

    Takes the event's lock, as every registration change does: a change already cleared as
    altering nothing published is written before the ranking is read, and one that comes after
    sees the publication."""
    lock_event(round_.event_id)
    db.session.refresh(round_)
    now = now or utcnow()
    if round_.published_at is not None:
        raise CompetitionError(_("These results are already published."))
    board = load_board(round_)
    if board.provisional:
        raise CompetitionError(
            _(
                "%(n)s sheets are still missing; results can be published once every sheet is in.",
                n=len(board.missing),
            )
        )
    if not board.overall.placings:
        raise CompetitionError(_("Nobody has been scored in this round yet."))
    if board.overall.flagged and not flags_checked:
        raise CompetitionError(
            _(
                "%(n)s criteria are flagged beyond the tolerance; check them and tick the box "
                "before publishing.",
                n=len(board.overall.flagged),
            ),
            "flags_checked",
        )
    round_.published_at = now
    round_.published_by_id = actor.id
    audit.record(
        "competition.publish",
        actor=actor,
        event=round_.event,
        detail=_l(
            "results of %(round)s published; objections until %(end)s",
            round=round_.name,
            end=format_local(round_.objection_ends_at),
        ),
    )
    db.session.flush()
    return round_


def withdraw_publication(round_: Round, actor: User, reason: str) -> None:
    """Take published results down again (e.g. after an upheld objection), with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise CompetitionError(_("Give the reason for withdrawing the results."), "reason")
    if round_.published_at is None:
        raise CompetitionError(_("These results are not published."))
    round_.published_at = None
    audit.record(
        "competition.unpublish",
        actor=actor,
        event=round_.event,
        detail=_l("results of %(round)s withdrawn: %(reason)s", round=round_.name, reason=reason),
    )
    db.session.flush()


def may_object_for(user: User, registration: Registration) -> bool:
    """The contestant themself, or a leader of their team."""
    if not getattr(user, "is_authenticated", False):
        return False
    if registration.user_id == user.id:
        return True
    if registration.team_id is None:
        return False
    return db.session.get(TeamLeader, (registration.team_id, user.id)) is not None


def objectable_contestants(round_: Round, user: User) -> list[Registration]:
    """The contestants of the round the user may lodge an objection for."""
    if not getattr(user, "is_authenticated", False):
        return []
    led = select_led_teams(round_.event, user)
    return [
        r
        for r in round_registrations(round_)
        if r.user_id == user.id or (r.team_id is not None and r.team_id in led)
    ]


def select_led_teams(event: Event, user: User) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(TeamLeader.team_id)
            .join(Team, Team.id == TeamLeader.team_id)
            .where(Team.event_id == event.id, TeamLeader.user_id == user.id)
        )
    )


def lodge_objection(
    round_: Round, user: User, registration: Registration, text: str, *, now: datetime | None = None
) -> Objection:
    """An objection in writing, by the contestant or their team leader, within the period."""
    now = now or utcnow()
    if not rules.objection_open(round_.published_at, now, round_.objection_days):
        raise CompetitionError(_("The objection period is over (or has not begun)."))
    if not may_object_for(user, registration):
        raise CompetitionError(
            _("Only the contestant or their team leader may object."), "registration_id"
        )
    text = (text or "").strip()
    if len(text) < 10:
        raise CompetitionError(_("Please describe the objection (at least 10 characters)."), "text")
    objection = Objection(
        round_id=round_.id,
        registration_id=registration.id,
        submitted_by_id=user.id,
        text=text[:5000],
        submitted_at=now,
    )
    db.session.add(objection)
    audit.record(
        "objection.lodge",
        actor=user,
        event=round_.event,
        detail=_l(
            "objection about %(contestant)s in %(round)s lodged",
            contestant=registration.user.name,
            round=round_.name,
        ),
    )
    db.session.flush()
    return objection


def objections_of(round_: Round) -> list[Objection]:
    return list(
        db.session.scalars(
            sa.select(Objection)
            .where(Objection.round_id == round_.id)
            .options(
                joinedload(Objection.registration).joinedload(Registration.user),
                joinedload(Objection.submitted_by),
                joinedload(Objection.decided_by),
            )
            .order_by(Objection.submitted_at, Objection.id)
        )
    )


def decide_objection(objection: Objection, actor: User, decision: str, text: str) -> Objection:
    """The organizer decides an objection, in writing; the decision is logged and the person
    who objected is told."""
    if decision not in {d.value for d in ObjectionDecision}:
        raise CompetitionError(_("Choose upheld or dismissed."), "decision")
    text = (text or "").strip()
    if not text:
        raise CompetitionError(_("Write the decision's reasons."), "text")
    if objection.decided_at is not None:
        raise CompetitionError(_("This objection has already been decided."))
    objection.decision = decision
    objection.decision_text = text[:5000]
    objection.decided_at = utcnow()
    objection.decided_by_id = actor.id
    round_ = objection.round
    contestant = objection.registration.user.name
    audit.record(
        "objection.decide",
        actor=actor,
        event=round_.event,
        detail=_l(
            "objection about %(contestant)s %(decision)s: %(text)s",
            contestant=contestant,
            decision=ObjectionDecision(decision).title,
            text=objection.decision_text,
        ),
    )
    if objection.submitted_by is not None:
        notify(
            objection.submitted_by,
            lambda: (
                _("Your objection was decided: %(decision)s", decision=objection.decision_title),
                _(
                    "Your objection about %(name)s in %(round)s: %(decision)s. %(text)s",
                    name=contestant,
                    round=round_.name,
                    decision=objection.decision_title,
                    text=objection.decision_text,
                ),
            ),
            link=f"/competitions/{round_.event_id}/results",
        )
    db.session.flush()
    return objection


def published_rounds(event: Event, now: datetime) -> list[Round]:
    return [r for r in rounds_of(event) if results_state(r, now) != rules.ResultsState.UNPUBLISHED]
