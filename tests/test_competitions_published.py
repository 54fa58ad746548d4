"""Published results stay as published (issue 9, item 10).

Every public function of the competition services is listed here, in one of three tables:

- CHANGES: it can change a round's ranking, so it is refused while the round's results are
  published, or while a published round takes its contestants from this one (who advanced);
  once the publication is withdrawn the same call goes through.
- KEEPS: it writes, but never moves a ranking (objections, team leaders, publication itself);
  called on a published round, the rankings stay exactly as they were.
- READS: it only reads.

A new public function fails `test_every_public_service_function_is_listed` until it is put in
one of the tables, so a new way of changing results cannot slip past the guard unnoticed. The
events package's changes to registrations (who competes, for which team, in which track) are
listed the same way in tests/test_competitions_published_registrations.py.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import eventsite.competitions
from eventsite.competitions import service
from eventsite.competitions.models import (
    AwardTier,
    JudgeAssignment,
    JudgeConflict,
    Objection,
    PaperEntry,
    Round,
    ScoreSheet,
)
from eventsite.core.time import utcnow
from eventsite.extensions import db
from tests.competition_factories import Contest, fill_all, make_contest, make_sheet
from tests.factories import make_user

D = Decimal

#: Modules of the package that are not services: pure rules, models, forms, pages, exports.
NOT_SERVICES = {"rules", "models", "forms", "views", "permissions", "exports"}


@dataclass
class World:
    """A competition whose first round is fully scored (plus a late judge's draft, two
    disagreeing paper entries and a conflict declared after scoring), a second round that takes
    the first round's best two of each track, and the people to act."""

    contest: Contest
    second: Round
    late: object
    newcomer: object
    clerk: object
    objection: Objection

    @property
    def round(self) -> Round:
        return self.contest.round

    @property
    def organizer(self):
        return self.contest.organizer

    @property
    def people(self):
        return self.contest.everyone()

    def values(self, *scores):
        return {
            c.id: (None if v is None else D(v))
            for c, v in zip(self.contest.criteria, scores, strict=True)
        }


def build_world() -> World:
    contest = make_contest(per_team_track=2, double_entry=True, min_judges=1, advance_count=2)
    fill_all(contest, lambda j, c: [str(10 - c), str(20 - 2 * c)])
    people = contest.everyone()
    track = contest.event.tracks[0]
    late = make_user(roles=["judge"], name="迟到评委")
    db.session.add(JudgeAssignment(round_id=contest.round.id, track_id=track.id, user_id=late.id))
    make_sheet(contest, late, people[0], ["5", None], submitted=False)
    clerk = make_user(roles=["organizer"], name="录入员甲")
    other_clerk = make_user(roles=["organizer"], name="录入员乙")
    first, second = contest.criteria
    for who, value in ((clerk, "6"), (other_clerk, "7")):
        db.session.add(
            PaperEntry(
                round_id=contest.round.id,
                judge_id=late.id,
                registration_id=people[1].id,
                clerk_id=who.id,
                scores={str(first.id): value, str(second.id): "12"},
            )
        )
    # Declared after the judge had submitted: their sheet no longer counts.
    db.session.add(
        JudgeConflict(registration_id=people[2].id, user_id=contest.judges[1].id, reason="同事")
    )
    db.session.add(AwardTier(round_id=contest.round.id, name="一等奖", size=D(1), position=0))
    final = Round(
        event_id=contest.event.id, name="总决赛", position=2, aggregation="mean", min_judges=1
    )
    db.session.add(final)
    objection = Objection(
        round_id=contest.round.id,
        registration_id=people[0].id,
        submitted_by_id=people[0].user_id,
        text="我的实务操作分数似乎录错了。",
    )
    db.session.add(objection)
    newcomer = make_user(roles=["judge"], name="新评委")
    db.session.commit()
    return World(contest, final, late, newcomer, clerk, objection)


def assignment_of(world: World, judge) -> int:
    return db.session.scalar(
        sa.select(JudgeAssignment.id).where(
            JudgeAssignment.round_id == world.round.id, JudgeAssignment.user_id == judge.id
        )
    )


def submitted_sheet(world: World) -> ScoreSheet:
    return db.session.scalar(
        sa.select(ScoreSheet).where(
            ScoreSheet.judge_id == world.contest.judges[0].id,
            ScoreSheet.registration_id == world.people[0].id,
        )
    )


def round_settings(world: World, **changes) -> dict:
    fields = {name: getattr(world.round, name) for name in service.ROUND_FIELDS}
    return {**fields, **changes}


#: Functions that can change a ranking: name → the call (valid whenever nothing is published).
CHANGES = {
    "update_round": lambda w: service.update_round(
        w.round, w.organizer, **round_settings(w, aggregation="median")
    ),
    "save_criteria": lambda w: service.save_criteria(
        w.round,
        w.organizer,
        [
            service.CriterionInput(c.id, c.name, c.max_score, D(3), c.step)
            for c in w.contest.criteria
        ],
        [w.contest.criteria[1].id],
    ),
    "assign_judge": lambda w: service.assign_judge(
        w.round, w.organizer, w.newcomer.mobile, [w.contest.event.tracks[0].id]
    ),
    "unassign_judge": lambda w: service.unassign_judge(
        w.round, w.organizer, assignment_of(w, w.contest.judges[2])
    ),
    "set_affiliations": lambda w: service.set_affiliations(
        w.contest.event, w.organizer, w.contest.judges[0], [w.contest.event.teams[0].id]
    ),
    "declare_conflict": lambda w: service.declare_conflict(
        w.contest.event, w.organizer, w.contest.judges[0], w.people[4], "亲属"
    ),
    "remove_conflict": lambda w: service.remove_conflict(
        w.contest.event, w.organizer, w.contest.judges[1].id, w.people[2].id
    ),
    "set_contestant_state": lambda w: service.set_contestant_state(
        w.contest.event, w.organizer, w.people[5], "disqualified", "违反赛场纪律"
    ),
    "save_sheet": lambda w: service.save_sheet(
        w.round,
        w.late,
        w.people[0],
        w.late,
        loaded_version=1,
        values=w.values("6", "14"),
        comment="",
        submit=True,
    ),
    "reopen_sheet": lambda w: service.reopen_sheet(submitted_sheet(w), w.organizer, "复核"),
    "enter_paper_sheet": lambda w: service.enter_paper_sheet(
        w.round, w.clerk, w.late, w.people[3], w.values("8", "16")
    ),
    "resolve_paper_sheet": lambda w: service.resolve_paper_sheet(
        w.round, w.organizer, w.late, w.people[1], w.values("7", "12")
    ),
    "save_awards": lambda w: service.save_awards(
        w.round,
        w.organizer,
        basis="count",
        scope="overall",
        tiers=[service.TierInput("一等奖", D(3))],
        team_best=2,
        team_method="sum",
    ),
}


#: Changes that move only their own round's results (awards and team ranking never choose who
#: goes on), so a published later round does not stop them.
OWN_ROUND_ONLY = {"save_awards"}


def _publish_again(w):
    # Already published: refused, and nothing moves either way.
    with pytest.raises(service.CompetitionError):
        service.publish_results(w.round, w.organizer)


#: Functions that write without moving any ranking: name → a call on the published round.
KEEPS = {
    "create_round": lambda w: service.create_round(
        w.contest.event, w.organizer, name="加赛", aggregation="mean"
    ),
    "add_team_leader": lambda w: service.add_team_leader(
        w.contest.event, w.organizer, w.contest.event.teams[0].id, w.newcomer.mobile
    ),
    "publish_results": _publish_again,
    "withdraw_publication": lambda w: service.withdraw_publication(w.round, w.organizer, "更正"),
    "lodge_objection": lambda w: service.lodge_objection(
        w.round, w.people[1].user, w.people[1], "请复核我的专业知识得分。"
    ),
    "decide_objection": lambda w: service.decide_objection(
        w.objection, w.organizer, "dismissed", "经复核，分数无误。"
    ),
    # A published round keeps the judge's assignments (tests/test_competitions_trust.py).
    "release_judge": lambda w: service.release_judge(w.contest.judges[0], w.organizer),
}

#: Functions that only read.
READS = {
    "leads_team",
    "teams_led",
    "plain",
    "problem_message",
    "score_field",
    "rounds_of",
    "round_of",
    "previous_round",
    "published_from",
    "assignments_of",
    "judges_of_event",
    "affiliations_of",
    "conflicts_of",
    "recusal_panel",
    "panel_of",
    "contestant_of",
    "team_leaders_of",
    "exclusions_of",
    "rule_criteria",
    "aggregation_rule",
    "round_registrations",
    "load_board",
    "may_score",
    "may_judge",
    "may_judge_after_previous",
    "recused",
    "is_judge_of",
    "duties_of",
    "sheet_of",
    "sheet_for",
    "parse_scores",
    "sheet_history",
    "histories_of",
    "paper_entries",
    "paper_pairs",
    "awards_of",
    "team_ranking",
    "results_state",
    "may_object_for",
    "objectable_contestants",
    "select_led_teams",
    "objections_of",
    "published_rounds",
    "rules_applied",
}


def public_service_functions() -> dict[str, str]:
    """Every public function defined in a service module of the package: name → module."""
    found = {}
    for info in pkgutil.iter_modules(eventsite.competitions.__path__):
        if info.name in NOT_SERVICES:
            continue
        module = importlib.import_module(f"eventsite.competitions.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                found[name] = module.__name__
    return found


def test_every_public_service_function_is_listed():
    found = public_service_functions()
    listed = set(CHANGES) | set(KEEPS) | READS
    assert not set(CHANGES) & set(KEEPS) and not (set(CHANGES) | set(KEEPS)) & READS
    unlisted = sorted(set(found) - listed)
    assert unlisted == [], (
        f"Classify these in {__name__}: CHANGES (refused once published), KEEPS or READS"
    )
    assert sorted(listed - set(found)) == []  # no stale names either


def snapshot(world: World) -> list:
    """What a published result shows: per round, every placing's rank, total and status, the
    sheets expected, and the awards."""
    db.session.flush()
    shown = []
    for round_ in (world.round, world.second):
        board = service.load_board(db.session.get(Round, round_.id))
        awards = service.awards_of(board)
        shown.append(
            (
                [(p.contestant, p.rank, p.total, p.status) for p in board.overall.placings],
                board.expected,
                [(r.registration_id, r.tier) for r in awards.rows],
            )
        )
    return shown


def publish(round_: Round) -> None:
    round_.published_at = utcnow() - timedelta(hours=1)
    round_.published_by_id = None
    db.session.commit()


@pytest.mark.parametrize("published", ["itself", "the next round"])
@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_change_to_published_results_is_refused_until_the_publication_is_withdrawn(
    app, name, published
):
    world = build_world()
    target = world.round if published == "itself" else world.second
    publish(target)
    before = snapshot(world)
    if target is world.second and name in OWN_ROUND_ONLY:
        CHANGES[name](world)
        assert snapshot(world)[1] == before[1]
        return

    with pytest.raises(service.CompetitionError) as refused:
        CHANGES[name](world)
    assert (
        target.name in refused.value.message
        or "published" in refused.value.message
        or ("公布" in refused.value.message)
    )
    assert snapshot(world) == before  # nothing moved, not even before the refusal
    db.session.rollback()

    service.withdraw_publication(db.session.get(Round, target.id), world.organizer, "复核")
    db.session.commit()
    CHANGES[name](world)  # the same call goes through once nothing depends on it
    db.session.rollback()


@pytest.mark.parametrize("name", sorted(KEEPS))
def test_what_never_moves_a_ranking_stays_open_on_published_results(app, name):
    world = build_world()
    publish(world.round)
    before = snapshot(world)
    KEEPS[name](world)
    assert snapshot(world) == before


def test_disqualifying_after_publication_is_refused_through_the_page(app, client, auth):
    """The probe's finding: a disqualification after publication moved the public ranking."""
    world = build_world()
    publish(world.round)
    before = snapshot(world)
    auth.become(world.organizer)
    person = world.people[5]
    response = client.post(
        f"/competitions/{world.contest.event.id}/rounds/{world.round.id}"
        f"/contestants/{person.id}/state",
        data={"state": "disqualified", "reason": "违反赛场纪律"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "flash-error" in response.text
    db.session.rollback()
    assert snapshot(world) == before


def test_an_unpublished_round_that_sends_nobody_on_stays_open(app):
    """Only a round whose best go on feeds the next: without advancing places, the next round
    takes every contestant, and a change here moves nothing published."""
    world = build_world()
    world.round.advance_count = None
    publish(world.second)
    service.update_round(
        world.round, world.organizer, **round_settings(world, aggregation="median")
    )
    with pytest.raises(service.CompetitionError):
        # Sending the best two on would choose the published round's contestants.
        service.update_round(world.round, world.organizer, **round_settings(world, advance_count=2))
