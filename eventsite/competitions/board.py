"""The ranking board of one round: its contestants, judges, recusals, sheets and rankings,
derived from the sheets on every read through `competitions.rules`; who may score whom.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from eventsite.accounts.models import Role, User
from eventsite.competitions import rules
from eventsite.competitions.judging import (
    exclusions_of,
    may_judge_after_previous,
    panel_of,
)
from eventsite.competitions.models import (
    Criterion,
    Exclusion,
    JudgeAffiliation,
    JudgeAssignment,
    JudgeConflict,
    Round,
    Score,
    ScoreSheet,
)
from eventsite.competitions.setup import (
    aggregation_rule,
    previous_round,
    rule_criteria,
)
from eventsite.events.models import (
    ACTIVE_STATUSES,
    Registration,
    RegistrationStatus,
    Team,
    Track,
)
from eventsite.extensions import db


@dataclass
class Board:
    """Everything the pages of one round show, loaded in a fixed number of queries."""

    round: Round
    criteria: list[Criterion]
    #: The round's contestants by registration id.
    registrations: dict[int, ContestantEntry]
    contestants: dict[int, rules.Contestant]
    tracks: list[Track]
    teams: dict[int, Team]
    judges: dict[int, User]
    #: track id → judge ids assigned to it.
    track_judges: dict[int, list[int]]
    affiliations: dict[int, set[int]]
    #: Judge id → the judge as the recusal rule sees them (teams declared, competed for).
    panel: dict[int, rules.Judge]
    conflicts: set[tuple[int, int]]
    exclusions: dict[int, Exclusion]
    #: (judge, contestant) pairs that should have a sheet.
    expected: tuple[tuple[int, int], ...]
    rankings: dict[int | None, rules.Ranking]
    overall: rules.Ranking
    coverage: dict[int, rules.Coverage]
    #: (judge, contestant) → the sheet's id, judge_id, registration_id and whether it is
    #: submitted (`submitted`), as a plain row: what rankings and progress need, without an ORM
    #: object per sheet.
    sheet_by_pair: dict[tuple[int, int], sa.Row] = field(default_factory=dict)
    #: Sheet id → criterion id → score (an unscored criterion is absent).
    values: dict[int, dict[int, Decimal]] = field(default_factory=dict)
    #: The judge the board was loaded for (only their sheets), None for every judge's.
    judge_id: int | None = None

    @cached_property
    def sheets(self) -> list[ScoreSheet]:
        """The round's sheets of the board's contestants as ORM objects, loaded on first use
        (exports and the score explanation; a ranking does not need them)."""
        query = sa.select(ScoreSheet).where(ScoreSheet.round_id == self.round.id)
        if self.judge_id is not None:
            query = query.where(ScoreSheet.judge_id == self.judge_id)
        return [s for s in db.session.scalars(query) if s.registration_id in self.registrations]

    @property
    def provisional(self) -> bool:
        return bool(self.overall.missing)

    @property
    def missing(self) -> tuple[tuple[int, int], ...]:
        return self.overall.missing

    def ranking(self, track_id: int | None) -> rules.Ranking:
        return self.rankings.get(track_id) or rules.Ranking(placings=())

    def label(self, registration_id: int) -> str:
        entry = self.registrations[registration_id]
        team = self.teams.get(entry.team_id)
        return f"{entry.name}（{team.name}）" if team else entry.name

    def in_round(self, judge_id: int, registration_id: int) -> bool:
        """Both are still in the round: the judge assigned to it, the contestant competing in
        it (a paper sheet of anyone else does not count and is not settled)."""
        return judge_id in self.judges and registration_id in self.registrations

    def registration(self, registration_id: int | None) -> Registration | None:
        """A contestant of the board as a registration (to write a sheet for them); None for
        anyone not in the round."""
        if registration_id not in self.registrations:
            return None
        return db.session.get(Registration, registration_id)

    def competing_teams(self, judge_id: int) -> list[str] | None:
        """The names of the teams an assigned judge competes for as a contestant ([] for a
        contestant without a team); None for a judge who is not a contestant."""
        judge = self.panel.get(judge_id)
        if judge is None or not judge.entries:
            return None
        return [self.teams[tid].name for tid in sorted(judge.competes_for) if tid in self.teams]

    def criterion_name(self, criterion_id: int | None) -> str:
        return next((c.name for c in self.criteria if c.id == criterion_id), "")

    def judge_progress(self) -> list[JudgeProgress]:
        """Every assigned judge: sheets expected, submitted, drafts, and the missing ones."""
        by_judge: dict[int, JudgeProgress] = {
            jid: JudgeProgress(judge=self.judges[jid]) for jid in self.judges
        }
        for judge_id, contestant_id in self.expected:
            progress = by_judge[judge_id]
            progress.expected += 1
            sheet = self.sheet_by_pair.get((judge_id, contestant_id))
            if sheet is not None and sheet.submitted:
                progress.submitted += 1
            else:
                if sheet is not None:
                    progress.drafts += 1
                progress.missing.append(contestant_id)
        return sorted(by_judge.values(), key=lambda p: (p.judge.name, p.judge.id))


@dataclass
class JudgeProgress:
    judge: User
    expected: int = 0
    submitted: int = 0
    drafts: int = 0
    missing: list[int] = field(default_factory=list)


class ContestantEntry(NamedTuple):
    """A contestant of a round as the board's pages and exports show them: the registration's
    id, team and track, and the member's name and work unit. A plain row: a board of 720
    contestants builds no ORM object per contestant (a write loads the one it changes,
    `Board.registration`)."""

    id: int
    user_id: int
    name: str
    work_unit: str
    team_id: int | None
    track_id: int | None


def _in_event(round_: Round) -> tuple[sa.ColumnElement[bool], ...]:
    """Who may compete in the round's event: confirmed registrations with a track."""
    return (
        Registration.event_id == round_.event_id,
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.track_id.is_not(None),
    )


def _advanced(round_: Round) -> set[int] | None:
    """The registrations the round before advanced to this one (the best N of each track, ties
    in); None where every contestant of the event is in (a first round, or one after a round
    that advances everyone)."""
    before = previous_round(round_)
    if before is None or before.advance_count is None:
        return None
    board = load_board(before)
    going: set[int] = set()
    for track_id, ranking in board.rankings.items():
        if track_id is not None:
            going.update(rules.advancing(ranking.ranks, before.advance_count))
    return going


def round_registrations(round_: Round) -> list[Registration]:
    """The contestants of a round: the confirmed registrations with a track for the first round;
    for a later round, those the previous round advanced (the best N of each track, ties in)."""
    query = (
        sa.select(Registration)
        .where(*_in_event(round_))
        # Contestants' roles are never shown: skip the eager roles query (batched by 500).
        .options(joinedload(Registration.user).lazyload(User.role_grants))
        .order_by(Registration.id)
    )
    everyone = list(db.session.scalars(query))
    going = _advanced(round_)
    return everyone if going is None else [r for r in everyone if r.id in going]


def _round_entries(round_: Round) -> list[ContestantEntry]:
    """The contestants of a round (as `round_registrations`) as plain rows."""
    rows = db.session.execute(
        sa.select(
            Registration.id,
            Registration.user_id,
            User.name,
            User.work_unit,
            Registration.team_id,
            Registration.track_id,
        )
        .join(User, User.id == Registration.user_id)
        .where(*_in_event(round_))
        .order_by(Registration.id)
    )
    going = _advanced(round_)
    return [ContestantEntry(*row) for row in rows if going is None or row[0] in going]


def load_board(round_: Round, *, judge: User | None = None) -> Board:
    """The round's contestants, judges, recusals, sheets and rankings (per track and overall)."""
    event = round_.event
    criteria = list(round_.criteria)
    registrations = {entry.id: entry for entry in _round_entries(round_)}
    exclusions = exclusions_of(event)
    contestants = {
        rid: rules.Contestant(
            id=rid,
            team=r.team_id,
            track=r.track_id,
            status=rules.ContestantStatus(exclusions[rid].state)
            if rid in exclusions
            else rules.ContestantStatus.COMPETING,
        )
        for rid, r in registrations.items()
    }
    assignments = list(
        db.session.scalars(
            sa.select(JudgeAssignment)
            .where(JudgeAssignment.round_id == round_.id)
            # The judges' roles are not shown on a board: skip the eager roles query.
            .options(joinedload(JudgeAssignment.user).lazyload(User.role_grants))
        )
    )
    judges = {a.user_id: a.user for a in assignments}
    track_judges: dict[int, list[int]] = defaultdict(list)
    for a in assignments:
        track_judges[a.track_id].append(a.user_id)
    affiliations, conflicts, entries = _recusal_facts(event.id, round_.id)
    # Whether a sheet is submitted, not when: a time per sheet costs its conversion to UTC.
    sheet_query = sa.select(
        ScoreSheet.id,
        ScoreSheet.judge_id,
        ScoreSheet.registration_id,
        ScoreSheet.submitted_at.is_not(None).label("submitted"),
    ).where(ScoreSheet.round_id == round_.id)
    if judge is not None:
        sheet_query = sheet_query.where(ScoreSheet.judge_id == judge.id)
    score_query = _scores_of(sheet_query.with_only_columns(ScoreSheet.id))
    # Sheets and scores as plain rows: a contest of 5,000 sheets has 30,000 scores, too many to
    # build ORM objects for on every ranking. The session's query flushes pending changes;
    # the scores are then read on its connection, which skips the ORM's per-row work.
    sheets = [s for s in db.session.execute(sheet_query) if s[2] in registrations]
    values: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for sheet_id, criterion_id, value in db.session.connection().execute(score_query).all():
        values[sheet_id][criterion_id] = value
    sheet_by_pair = {(s[1], s[2]): s for s in sheets}

    tracks = list(event.tracks)
    rule_judges = panel_of(judges, affiliations, entries)
    expected: list[tuple[int, int]] = []
    coverage = {}
    by_track: dict[int | None, list[rules.Contestant]] = defaultdict(list)
    for contestant in contestants.values():
        by_track[contestant.track].append(contestant)
    for track in tracks:
        panel = [rule_judges[jid] for jid in track_judges.get(track.id, [])]
        covered = rules.coverage(panel, by_track[track.id], conflicts, round_.min_judges)
        coverage[track.id] = covered
        # The sheets expected are those of each competing contestant's eligible judges
        # (`rules.expected_sheets`), which the coverage has just worked out.
        expected.extend(
            (judge_id, contestant_id)
            for contestant_id, judge_ids in covered.eligible.items()
            for judge_id in judge_ids
        )
    eligible = set(expected)
    if judge is not None:
        expected = [pair for pair in expected if pair[0] == judge.id]
    # Only an eligible judge's submitted sheet counts: a judge taken off the track, or recused
    # after scoring (a team affiliation or conflict declared late, or a judge who is a
    # contestant of the team), no longer counts.
    # Read positionally (a row's attribute lookup by name costs more, 5,000 sheets a board).
    counted = [
        rules.Sheet(judge_id, registration_id, values[sheet_id])
        for sheet_id, judge_id, registration_id, submitted in sheets
        if submitted and (judge_id, registration_id) in eligible
    ]
    rule_list = rule_criteria(round_)
    tie_break = [cid for cid in round_.tie_break_ids if any(c.id == cid for c in criteria)]
    # One computation scores every sheet once and ranks overall and within each track.
    ranked = rules.rank_round(
        contestants.values(),
        counted,
        rule_list,
        rule=aggregation_rule(round_),
        tie_break=tie_break,
        expected=expected,
    )
    rankings, overall = dict(ranked.tracks), ranked.overall
    return Board(
        round=round_,
        criteria=criteria,
        registrations=registrations,
        contestants=contestants,
        tracks=tracks,
        teams={t.id: t for t in event.teams},
        judges=judges,
        track_judges=track_judges,
        affiliations=affiliations,
        panel=rule_judges,
        conflicts=conflicts,
        exclusions=exclusions,
        expected=tuple(sorted(expected)),
        rankings=rankings,
        overall=overall,
        coverage=coverage,
        sheet_by_pair=sheet_by_pair,
        values=values,
        judge_id=None if judge is None else judge.id,
    )


#: What `_recusal_facts` reads, by row.
_AFFILIATION, _CONFLICT, _ENTRY = 1, 2, 3
#: A row's team where it has none (typed: PostgreSQL would take two NULLs in a union for text).
_NO_TEAM = sa.cast(sa.null(), sa.Integer)


def _recusal_facts(
    event_id: int, round_id: int
) -> tuple[dict[int, set[int]], set[tuple[int, int]], list[tuple[int, int, int | None]]]:
    """What the recusal rule needs of an event, in one query: the judges' affiliations (judge →
    team ids, as `affiliations_of`), the declared conflicts as (judge, contestant) pairs, and
    the active registrations of the round's judges (registration, judge, team; `panel_of`)."""
    rows = db.session.execute(
        sa.union_all(
            sa.select(
                sa.literal(_AFFILIATION),
                JudgeAffiliation.user_id,
                JudgeAffiliation.team_id,
                _NO_TEAM,
            )
            .join(Team, Team.id == JudgeAffiliation.team_id)
            .where(Team.event_id == event_id),
            sa.select(
                sa.literal(_CONFLICT),
                JudgeConflict.user_id,
                JudgeConflict.registration_id,
                _NO_TEAM,
            )
            .join(Registration, Registration.id == JudgeConflict.registration_id)
            .where(Registration.event_id == event_id),
            sa.select(
                sa.literal(_ENTRY), Registration.user_id, Registration.id, Registration.team_id
            ).where(
                Registration.event_id == event_id,
                Registration.status.in_(ACTIVE_STATUSES),
                Registration.user_id.in_(
                    sa.select(JudgeAssignment.user_id).where(JudgeAssignment.round_id == round_id)
                ),
            ),
        )
    )
    affiliations: dict[int, set[int]] = defaultdict(set)
    conflicts: set[tuple[int, int]] = set()
    entries: list[tuple[int, int, int | None]] = []
    for kind, user_id, other_id, team_id in rows:
        if kind == _AFFILIATION:
            affiliations[user_id].add(other_id)
        elif kind == _CONFLICT:
            conflicts.add((user_id, other_id))
        else:
            entries.append((other_id, user_id, team_id))
    return affiliations, conflicts, entries


def _scores_of(sheet_ids: sa.Select) -> sa.Select:
    """(sheet id, criterion id, value) of the sheets `sheet_ids` selects. On PostgreSQL the
    sheets' ids are gathered first (`= ANY(ARRAY(…))`), so the scores are found through their
    primary key: a join is planned as a scan of every round's scores while the table is small
    next to the round (3.4 ms instead of 1.2 for the seed's round beside one ten times larger)."""
    query = sa.select(Score.sheet_id, Score.criterion_id, Score.value)
    if db.session.get_bind().dialect.name == "postgresql":
        return query.where(Score.sheet_id == sa.any_(sa.func.array(sheet_ids.scalar_subquery())))
    return query.where(Score.sheet_id.in_(sheet_ids))


def may_score(round_: Round, judge: User, registration: Registration) -> bool:
    """The contestant is in this round (a confirmed contestant of the event with a track who,
    after a round that advances its best, advanced) and the judge may judge them there
    (`may_judge`): one statement, and the previous round's ranking only after such a round."""
    if (
        registration.event_id != round_.event_id
        or registration.track_id is None
        or registration.status != RegistrationStatus.CONFIRMED
    ):
        return False
    allowed, after_advancing = may_judge_after_previous(round_, judge, registration)
    if not allowed:
        return False
    if not after_advancing:
        return True
    going = _advanced(round_)
    return going is None or registration.id in going


@dataclass
class Duty:
    """One round a judge scores, with their progress in it."""

    round: Round
    expected: int
    submitted: int
    drafts: int


def duties_of(judge: User) -> list[Duty]:
    """Every round the judge is assigned to, with their own progress (expected, submitted,
    drafts); none without the judge role. Read for all the rounds at once, in the same number
    of statements however many rounds there are; only a round after one that advances its best
    N also needs that round's ranking, to know who advanced."""
    if not judge.has_role(Role.JUDGE):
        return []
    rounds = list(
        db.session.scalars(
            sa.select(Round)
            .join(JudgeAssignment, JudgeAssignment.round_id == Round.id)
            .where(JudgeAssignment.user_id == judge.id)
            .options(joinedload(Round.event))
            .distinct()
            .order_by(Round.event_id, Round.position, Round.id)
        )
    )
    if not rounds:
        return []
    round_ids = [r.id for r in rounds]
    event_ids = {r.event_id for r in rounds}
    tracks: dict[int, set[int]] = defaultdict(set)
    for round_id, track_id in db.session.execute(
        sa.select(JudgeAssignment.round_id, JudgeAssignment.track_id).where(
            JudgeAssignment.user_id == judge.id, JudgeAssignment.round_id.in_(round_ids)
        )
    ):
        tracks[round_id].add(track_id)
    # The contestants of every first round: confirmed, with a track (as `round_registrations`).
    contestants: dict[int, list[rules.Contestant]] = defaultdict(list)
    for registration_id, event_id, team_id, track_id, state in db.session.execute(
        sa.select(
            Registration.id,
            Registration.event_id,
            Registration.team_id,
            Registration.track_id,
            Exclusion.state,
        )
        .outerjoin(Exclusion, Exclusion.registration_id == Registration.id)
        .where(
            Registration.event_id.in_(event_ids),
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.track_id.is_not(None),
        )
        .order_by(Registration.id)
    ):
        status = rules.ContestantStatus(state) if state else rules.ContestantStatus.COMPETING
        contestants[event_id].append(
            rules.Contestant(id=registration_id, team=team_id, track=track_id, status=status)
        )
    panel = _recusal_by_event(judge, event_ids)
    conflicts = {
        (judge.id, registration_id)
        for registration_id in db.session.scalars(
            sa.select(JudgeConflict.registration_id).where(JudgeConflict.user_id == judge.id)
        )
    }
    #: (round, contestant) → whether the judge's sheet is submitted (false: a draft).
    sheets = {
        (round_id, registration_id): bool(submitted)
        for round_id, registration_id, submitted in db.session.execute(
            sa.select(
                ScoreSheet.round_id,
                ScoreSheet.registration_id,
                ScoreSheet.submitted_at.is_not(None),
            ).where(ScoreSheet.judge_id == judge.id, ScoreSheet.round_id.in_(round_ids))
        )
    }
    before = _previous_rounds(event_ids)
    found = []
    for round_ in rounds:
        people = contestants[round_.event_id]
        previous = before.get(round_.id)
        if previous is not None and previous.advance_count is not None:
            going = _advanced(round_)
            if going is not None:
                people = [c for c in people if c.id in going]
        mine = [c for c in people if c.track in tracks[round_.id]]
        expected = rules.expected_sheets([panel[round_.event_id]], mine, conflicts)
        done = [(round_.id, contestant) for _, contestant in expected]
        submitted = sum(1 for key in done if sheets.get(key))
        drafts = sum(1 for key in done if sheets.get(key) is False)
        found.append(Duty(round_, len(expected), submitted, drafts))
    return found


def _recusal_by_event(judge: User, event_ids: Collection[int]) -> dict[int, rules.Judge]:
    """The judge as the recusal rule sees them in each event (`recusal_panel` for one judge
    across events): the teams they are affiliated with, their own active registrations and the
    teams they compete for."""
    teams: dict[int, set[int]] = defaultdict(set)
    for team_id, event_id in db.session.execute(
        sa.select(JudgeAffiliation.team_id, Team.event_id)
        .join(Team, Team.id == JudgeAffiliation.team_id)
        .where(JudgeAffiliation.user_id == judge.id, Team.event_id.in_(event_ids))
    ):
        teams[event_id].add(team_id)
    entries: dict[int, set[int]] = defaultdict(set)
    competes_for: dict[int, set[int]] = defaultdict(set)
    for registration_id, event_id, team_id in db.session.execute(
        sa.select(Registration.id, Registration.event_id, Registration.team_id).where(
            Registration.event_id.in_(event_ids),
            Registration.user_id == judge.id,
            Registration.status.in_(ACTIVE_STATUSES),
        )
    ):
        entries[event_id].add(registration_id)
        if team_id is not None:
            competes_for[event_id].add(team_id)
    return {
        event_id: rules.Judge(
            id=judge.id,
            teams=frozenset(teams[event_id]),
            entries=frozenset(entries[event_id]),
            competes_for=frozenset(competes_for[event_id]),
        )
        for event_id in event_ids
    }


def _previous_rounds(event_ids: Collection[int]) -> dict[int, sa.Row]:
    """Round id → the round before it in its event (by position, then id: `previous_round`),
    as a row with its advance_count."""
    before: dict[int, sa.Row] = {}
    last: sa.Row | None = None
    for row in db.session.execute(
        sa.select(Round.id, Round.event_id, Round.advance_count)
        .where(Round.event_id.in_(event_ids))
        .order_by(Round.event_id, Round.position, Round.id)
    ):
        if last is not None and last.event_id == row.event_id:
            before[row.id] = last
        last = row
    return before
