"""Two readings unions use (issue 9, item 12), each chosen per round: 去掉一个最高分和一个最低分
on each judge's total beside the trimming of each criterion, and award percentages rounded half
up (四舍五入) beside each tier rounded down; the explanation page and the exports say which."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from eventsite.competitions import service
from eventsite.competitions.models import Aggregation, Round
from eventsite.extensions import db
from tests.competition_factories import make_contest, make_sheet

D = Decimal


def base(contest):
    return f"/competitions/{contest.event.id}/rounds/{contest.round.id}"


def round_form(round_: Round, **changes) -> dict:
    data = {
        "name": round_.name,
        "aggregation": round_.aggregation,
        "trim_count": str(round_.trim_count),
        "trim_min_judges": str(round_.trim_min_judges),
        "min_judges": str(round_.min_judges),
        "objection_days": str(round_.objection_days),
    }
    return {**data, **changes}


def five_judges_apart():
    """One contestant, five judges whose (criterion 1, criterion 2) scores are (10, 0), (0, 10),
    (6, 6), (7, 7), (2, 2): totals 10, 10, 12, 14, 4."""
    contest = make_contest(
        teams=("山东队",), judges=5, criteria=(("专业知识", "10", "1"), ("实务操作", "10", "1"))
    )
    person = contest.everyone()[0]
    for judge, scores in zip(
        contest.judges,
        [["10", "0"], ["0", "10"], ["6", "6"], ["7", "7"], ["2", "2"]],
        strict=True,
    ):
        make_sheet(contest, judge, person, scores)
    db.session.commit()
    return contest, person


def test_a_round_chooses_to_trim_the_judges_totals_and_the_explanation_says_so(app, client, auth):
    contest, person = five_judges_apart()
    auth.become(contest.organizer)
    assert service.load_board(contest.round).overall.placing(person.id).total == D(10)

    response = client.post(
        base(contest) + "/edit", data=round_form(contest.round, aggregation="trimmed_total")
    )
    assert response.status_code == 303
    db.session.rollback()
    round_ = db.session.get(Round, contest.round.id)
    assert round_.aggregation == "trimmed_total"
    # Judges 4 (total 14) and 5 (total 4) are left out: (10 + 0 + 6) / 3 on each criterion.
    placing = service.load_board(round_).overall.placing(person.id)
    assert placing.total == D("10.66666666666666666666666666666667")

    page = client.get(f"{base(contest)}/contestants/{person.id}").text
    totals = page.split('id="judge-totals"')[1].split("</div>")[0]
    assert totals.count('class="comp-dropped"') == 2
    assert "评委4" in totals and "14.00" in totals
    rules = page.split('id="rules-applied"')[1].split("</section>")[0]
    assert "去掉一个最高分和一个最低分" in rules
    assert "10.67" in page


def test_percentage_awards_rounded_half_up_and_the_exports_say_so(app, client, auth):
    # 5 teams × 3 contestants = 15: 10/20/30 % are 1.5, 3 and 4.5 awards.
    contest = make_contest(
        teams=("山东队", "江苏队", "浙江队", "广东队", "福建队"), per_team_track=3, judges=1
    )
    for c, person in enumerate(contest.everyone()):
        make_sheet(contest, contest.judges[0], person, [str(10 - c * D("0.5")), "10"])
    db.session.commit()
    auth.become(contest.organizer)
    tiers = {
        "tiers-0-name": "一等奖",
        "tiers-0-size": "10",
        "tiers-1-name": "二等奖",
        "tiers-1-size": "20",
        "tiers-2-name": "三等奖",
        "tiers-2-size": "30",
    }
    common = {"basis": "percent", "scope": "overall", "team_method": "sum", **tiers}

    def counts():
        db.session.rollback()
        awards = service.awards_of(service.load_board(db.session.get(Round, contest.round.id)))
        return [outcome.awarded for outcome in awards.outcomes[None]]

    assert (
        client.post(base(contest) + "/awards", data={**common, "rounding": "down"}).status_code
        == 303
    )
    assert counts() == [1, 3, 4]
    assert (
        client.post(base(contest) + "/awards", data={**common, "rounding": "half_up"}).status_code
        == 303
    )
    assert counts() == [2, 3, 5]

    page = client.get(f"{base(contest)}/contestants/{contest.everyone()[0].id}").text
    assert "四舍五入" in page.split('id="rules-applied"')[1]
    for export in ("/results.xlsx", "/awards.xlsx"):
        book = load_workbook(io.BytesIO(client.get(base(contest) + export).data))
        rules = book.worksheets[-1]
        text = " ".join(str(c.value) for row in rules.iter_rows() for c in row if c.value)
        assert "四舍五入" in text and "一等奖 10 %" in text, export
        assert rules.max_row == 3  # header, aggregation, awards
        assert rules.cell(2, 2).value == Aggregation.MEAN.title


def test_an_unknown_rounding_is_refused_beside_its_field(app, client, auth):
    contest = make_contest()
    db.session.commit()
    auth.become(contest.organizer)
    response = client.post(
        base(contest) + "/awards",
        data={
            "basis": "percent",
            "scope": "overall",
            "team_method": "sum",
            "rounding": "nearest",
            "tiers-0-name": "一等奖",
            "tiers-0-size": "10",
        },
    )
    assert response.status_code == 400
    assert 'id="rounding-errors"' in response.text or "has-error" in response.text
    db.session.rollback()
    round_ = db.session.get(Round, contest.round.id)
    assert round_.award_rounding == "down" and round_.tiers == []
