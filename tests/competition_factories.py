"""Builders for competition tests: a competition with teams, tracks, contestants, a round with
criteria, judges assigned per track, and sheets."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from eventsite.accounts.models import User
from eventsite.competitions.models import (
    Criterion,
    JudgeAffiliation,
    JudgeAssignment,
    Round,
    Score,
    ScoreSheet,
)
from eventsite.core.time import utcnow
from eventsite.events.models import Event, EventKind, Registration
from eventsite.extensions import db
from tests.factories import make_event, make_registration, make_user


@dataclass
class Contest:
    event: Event
    organizer: User
    round: Round
    judges: list[User]
    #: track name → contestants (registrations) in that track.
    contestants: dict[str, list[Registration]] = field(default_factory=dict)

    @property
    def criteria(self) -> list[Criterion]:
        return self.round.criteria

    def everyone(self) -> list[Registration]:
        return [r for people in self.contestants.values() for r in people]


def make_contest(
    *,
    teams=("山东队", "江苏队", "浙江队"),
    tracks=("商务英语",),
    per_team_track=1,
    judges=3,
    criteria=(("专业知识", "10", "1"), ("实务操作", "20", "2")),
    aggregation="mean",
    organizer: User | None = None,
    min_judges=3,
    **round_fields,
) -> Contest:
    """A published competition; `per_team_track` contestants of every team in every track; one
    round with `criteria` (name, max, weight; step 0.5) and `judges` judges on every track."""
    organizer = organizer or make_user(roles=["organizer"], name="总裁判长")
    event = make_event(
        organizer=organizer,
        kind=EventKind.COMPETITION,
        teams=list(teams),
        tracks=list(tracks),
        title="国际贸易业务员技能竞赛",
    )
    contest_round = Round(
        event_id=event.id,
        name="决赛",
        position=1,
        aggregation=aggregation,
        min_judges=min_judges,
        **round_fields,
    )
    contest_round.criteria = [
        Criterion(
            name=name,
            max_score=Decimal(maximum),
            weight=Decimal(weight),
            step=Decimal("0.5"),
            position=i,
        )
        for i, (name, maximum, weight) in enumerate(criteria)
    ]
    db.session.add(contest_round)
    db.session.flush()
    panel = [make_user(roles=["judge"], name=f"评委{i + 1}") for i in range(judges)]
    for judge in panel:
        for track in event.tracks:
            db.session.add(
                JudgeAssignment(round_id=contest_round.id, track_id=track.id, user_id=judge.id)
            )
    contest = Contest(event=event, organizer=organizer, round=contest_round, judges=panel)
    for track in event.tracks:
        contest.contestants[track.name] = [
            make_registration(
                event,
                make_user(name=f"{team.name[:2]}{track.name[-2:]}选手{i + 1}"),
                team_id=team.id,
                track_id=track.id,
            )
            for team in event.teams
            for i in range(per_team_track)
        ]
    db.session.flush()
    return contest


def add_round(contest: Contest, name: str, position: int, judge: User, track=None) -> Round:
    """A later round of the contest (no criteria) with `judge` assigned to `track` (the first
    track when not given); flushed, not committed."""
    later = Round(event_id=contest.event.id, name=name, position=position)
    db.session.add(later)
    db.session.flush()
    track = track or contest.event.tracks[0]
    db.session.add(JudgeAssignment(round_id=later.id, track_id=track.id, user_id=judge.id))
    db.session.flush()
    return later


def affiliate(judge: User, team) -> None:
    db.session.add(JudgeAffiliation(user_id=judge.id, team_id=team.id))
    db.session.flush()


def make_sheet(
    contest: Contest,
    judge: User,
    registration: Registration,
    scores: list[str | None],
    *,
    submitted=True,
    comment="",
) -> ScoreSheet:
    """A sheet written straight to the database (for set-up, not for testing the save)."""
    sheet = ScoreSheet(
        round_id=contest.round.id,
        judge_id=judge.id,
        registration_id=registration.id,
        version=1,
        comment=comment,
        submitted_at=utcnow() if submitted else None,
    )
    sheet.scores = [
        Score(criterion_id=criterion.id, value=Decimal(value))
        for criterion, value in zip(contest.criteria, scores, strict=True)
        if value is not None
    ]
    db.session.add(sheet)
    db.session.flush()
    return sheet


def fill_all(contest: Contest, score_of) -> None:
    """A submitted sheet from every judge for every contestant: `score_of(judge_index,
    contestant_index)` gives the list of scores."""
    for j, judge in enumerate(contest.judges):
        for c, registration in enumerate(contest.everyone()):
            make_sheet(contest, judge, registration, score_of(j, c))
