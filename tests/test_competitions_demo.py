"""The demo's competition: a written round mostly scored, a provisional ranking, the demo judge
with sheets left to fill (and recused from his own province), and audit titles for every action
the competition service writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventsite.competitions import service
from eventsite.competitions.models import Round, ScoreSheet
from eventsite.demo import COMPETITION_TITLE, DEMO_JUDGE_SUBMITTED, WRITTEN_ROUND
from eventsite.events import roster
from eventsite.events.models import Event
from eventsite.extensions import db


@pytest.fixture
def demo(runner, clock):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def the_round() -> Round:
    event = db.session.scalars(sa.select(Event).where(Event.title == COMPETITION_TITLE)).one()
    return db.session.scalars(sa.select(Round).where(Round.event_id == event.id)).one()


def test_the_written_round_is_mostly_scored_and_provisional(demo):
    written = the_round()
    assert written.name == WRITTEN_ROUND
    assert [c.name for c in written.criteria][:2] == ["外语表达", "跨境电商实务"]
    assert [t.size for t in written.tiers] == [7, 13, 22]
    board = service.load_board(written)
    assert len(board.registrations) == 72
    assert all(c.count(rid) >= 5 for c in board.coverage.values() for rid in c.eligible)
    assert board.provisional
    missing_judges = {board.judges[judge].mobile for judge, _ in board.missing}
    assert "13900000003" in missing_judges and len(missing_judges) == 2
    assert len(board.missing) == (22 - DEMO_JUDGE_SUBMITTED) + 2
    ranked = [p for p in board.overall.placings if p.rank is not None]
    assert len(ranked) == 72
    awards = service.awards_of(board)
    assert len(awards.rows) >= 42
    assert "provisional" in demo.output and "/competitions/my-sheets" in demo.output


def test_the_demo_judge_is_recused_from_shandong_and_can_finish_his_sheets(demo, client):
    written = the_round()
    board = service.load_board(written)
    judge = next(u for u in board.judges.values() if u.mobile == "13900000003")
    shandong = written.event.teams[0]
    mine = [rid for j, rid in board.expected if j == judge.id]
    assert len(mine) == 22
    assert all(board.registrations[rid].team_id != shandong.id for rid in mine)
    draft = db.session.scalars(
        sa.select(ScoreSheet).where(
            ScoreSheet.judge_id == judge.id, ScoreSheet.submitted_at.is_(None)
        )
    ).one()
    todo = next(rid for j, rid in board.missing if j == judge.id and rid != draft.registration_id)

    client.post("/login", data={"mobile": "13900000003", "password": "demo12345"})
    listing = client.get(f"/competitions/{written.event_id}/rounds/{written.id}/score")
    assert listing.status_code == 200
    sheet_url = f"/competitions/{written.event_id}/rounds/{written.id}/score/{todo}"
    data = {"version": "0", "action": "submit", "comment": ""}
    data.update({f"score_{c.id}": "10" for c in written.criteria})
    assert client.post(sheet_url, data=data).status_code == 303
    shandong_contestant = next(r for r in board.registrations.values() if r.team_id == shandong.id)
    recused = f"/competitions/{written.event_id}/rounds/{written.id}/score/{shandong_contestant.id}"
    assert client.get(recused).status_code == 403


def test_every_action_the_competition_service_writes_has_a_title():
    package = Path(__file__).resolve().parents[1] / "eventsite" / "competitions"
    source = "".join(
        (package / f"{name}.py").read_text()
        for name in ("service", "setup", "judging", "board", "sheets", "results")
    )
    written = set(re.findall(r'"((?:competition|sheet|paper|objection)\.[a-z_]+)"', source))
    assert len(written) == 17
    assert written <= set(roster.ACTION_TITLES)
