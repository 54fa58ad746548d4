"""Organizer and public competition pages: set-up, judges and coverage, progress, ranking with
missing sheets, the score explanation, awards, publication with the objection period, objections,
paper double entry, exports and print."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from eventsite.competitions.models import (
    AwardTier,
    Exclusion,
    JudgeAssignment,
    JudgeConflict,
    Objection,
    PaperEntry,
    Round,
    ScoreSheet,
    TeamLeader,
)
from eventsite.core.models import AuditEntry
from eventsite.extensions import db
from tests.competition_factories import add_round, fill_all, make_contest, make_sheet
from tests.factories import make_user


def base(contest):
    return f"/competitions/{contest.event.id}/rounds/{contest.round.id}"


def scores_by_rank(j, c):
    """Contestant c scores 10 - c on the first criterion, 20 - 2c on the second, every judge."""
    return [str(10 - c), str(20 - 2 * c)]


def test_setup_adds_a_round_with_criteria_and_a_tie_break_chain(app, client, auth):
    contest = make_contest()
    db.session.commit()
    auth.become(contest.organizer)
    event_id = contest.event.id
    assert client.get(f"/competitions/{event_id}").status_code == 200

    response = client.post(
        f"/competitions/{event_id}/rounds/new",
        data={
            "name": "初赛",
            "aggregation": "trimmed_mean",
            "trim_count": "1",
            "trim_min_judges": "2",
            "min_judges": "5",
            "objection_days": "5",
        },
    )
    assert response.status_code == 400  # dropping 1 at each end needs 3 judges
    assert "3" in response.text.split('id="trim_min_judges-errors"')[1][:300]

    response = client.post(
        f"/competitions/{event_id}/rounds/new",
        data={
            "name": "初赛",
            "aggregation": "trimmed_mean",
            "trim_count": "1",
            "trim_min_judges": "5",
            "min_judges": "5",
            "objection_days": "5",
            "advance_count": "3",
        },
    )
    assert response.status_code == 303
    new = db.session.scalar(sa.select(Round).where(Round.name == "初赛"))
    edit = f"/competitions/{event_id}/rounds/{new.id}"
    assert client.get(edit + "/edit").status_code == 200

    bad = client.post(
        edit + "/criteria",
        data={
            "criteria-0-name": "商务谈判",
            "criteria-0-max_score": "10",
            "criteria-0-weight": "1",
            "criteria-0-step": "0.3",
        },
    )
    assert bad.status_code == 400
    assert "档位的整数倍" in bad.text or "whole number of steps" in bad.text
    not_a_number = client.post(
        edit + "/criteria",
        data={"criteria-0-name": "商务谈判", "criteria-0-max_score": "abc"},
    )
    assert not_a_number.status_code == 400
    assert "<li>" in not_a_number.text.split('id="criteria-0-max_score-errors"')[1][:200]
    assert new.criteria == []

    good = client.post(
        edit + "/criteria",
        data={
            "criteria-0-name": "商务谈判",
            "criteria-0-max_score": "10",
            "criteria-0-weight": "0.4",
            "criteria-0-step": "0.5",
            "criteria-1-name": "跨境电商实操",
            "criteria-1-max_score": "100",
            "criteria-1-weight": "0.6",
            "criteria-1-step": "1",
            "criteria-1-tolerance": "15",
        },
    )
    assert good.status_code == 303
    db.session.rollback()
    new = db.session.get(Round, new.id)
    assert [(c.name, c.max_score, c.weight) for c in new.criteria] == [
        ("商务谈判", Decimal("10"), Decimal("0.4")),
        ("跨境电商实操", Decimal("100"), Decimal("0.6")),
    ]
    assert new.criteria[1].tolerance == Decimal("15")

    second, first = new.criteria[1].id, new.criteria[0].id
    chain = client.post(
        edit + "/criteria",
        data={
            "criteria-0-id": str(first),
            "criteria-0-name": "商务谈判",
            "criteria-0-max_score": "10",
            "criteria-0-weight": "0.4",
            "criteria-0-step": "0.5",
            "criteria-1-id": str(second),
            "criteria-1-name": "跨境电商实操",
            "criteria-1-max_score": "100",
            "criteria-1-weight": "0.6",
            "criteria-1-step": "1",
            "tie_break-0": str(second),
            "tie_break-1": str(first),
        },
    )
    assert chain.status_code == 303
    db.session.rollback()
    assert db.session.get(Round, new.id).tie_break_ids == [second, first]


def test_judges_are_assigned_by_mobile_and_coverage_flags_short_contestants(app, client, auth):
    contest = make_contest(judges=2, min_judges=3)
    newcomer = make_user(roles=["judge"], name="新评委")
    member = make_user(name="普通会员")
    db.session.commit()
    auth.become(contest.organizer)
    page = client.get(base(contest) + "/judges")
    assert page.status_code == 200
    assert "评委1" in page.text and "comp-warn" in page.text  # 2 judges, 3 needed

    refused = client.post(
        base(contest) + "/judges",
        data={"mobile": member.mobile, "tracks": [str(contest.event.tracks[0].id)]},
    )
    assert refused.status_code == 400 and "普通会员" in refused.text
    done = client.post(
        base(contest) + "/judges",
        data={"mobile": newcomer.mobile, "tracks": [str(contest.event.tracks[0].id)]},
    )
    assert done.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(JudgeAssignment.id))) == 3
    page = client.get(base(contest) + "/judges")
    assert "全部满足" in page.text or "All covered" in page.text

    # A team affiliation recuses a judge: that team's contestant is short again.
    team = contest.event.teams[0]
    response = client.post(
        f"/competitions/{contest.event.id}/judges/{newcomer.id}/teams",
        data={"judge_id": str(newcomer.id), "teams": [str(team.id)]},
    )
    assert response.status_code == 303
    page = client.get(base(contest) + "/judges")
    assert "comp-warn" in page.text and contest.everyone()[0].user.name in page.text


def test_conflicts_and_team_leaders_on_the_setup_page(app, client, auth):
    contest = make_contest()
    leader = make_user(name="山东领队")
    db.session.commit()
    auth.become(contest.organizer)
    judge, contestant = contest.judges[0], contest.everyone()[1]
    response = client.post(
        f"/competitions/{contest.event.id}/conflicts",
        data={"judge_id": judge.id, "registration_id": contestant.id, "reason": "同一单位"},
    )
    assert response.status_code == 303
    assert db.session.get(JudgeConflict, (contestant.id, judge.id)).reason == "同一单位"
    auth.become(judge)
    url = f"{base(contest)}/score/{contestant.id}"
    assert client.get(url).status_code == 403

    auth.become(contest.organizer)
    response = client.post(
        f"/competitions/{contest.event.id}/leaders",
        data={"team_id": contest.event.teams[0].id, "mobile": leader.mobile},
    )
    assert response.status_code == 303
    assert db.session.get(TeamLeader, (contest.event.teams[0].id, leader.id)) is not None
    unknown = client.post(
        f"/competitions/{contest.event.id}/leaders",
        data={"team_id": contest.event.teams[0].id, "mobile": "13000000000"},
    )
    assert unknown.status_code == 400


def test_progress_and_ranking_show_missing_sheets_until_all_are_in(app, client, auth):
    contest = make_contest()
    people = contest.everyone()
    for judge in contest.judges[:2]:
        for c, registration in enumerate(people):
            make_sheet(contest, judge, registration, scores_by_rank(0, c))
    make_sheet(contest, contest.judges[2], people[0], ["1", "2"], submitted=False)
    db.session.commit()
    auth.become(contest.organizer)

    progress = client.get(base(contest) + "/progress")
    assert progress.status_code == 200
    assert "评委3 → " + people[1].user.name in progress.text

    ranking = client.get(base(contest) + "/ranking")
    assert ranking.status_code == 200
    assert "暂定" in ranking.text or "Provisional" in ranking.text
    assert ranking.text.index(people[0].user.name) < ranking.text.index(people[2].user.name)
    # 10 × 1 + 20 × 2 = 50.00 for the first, from the two submitted sheets (the draft waits).
    assert "50.00" in ranking.text

    for c, registration in enumerate(people[1:], start=1):
        make_sheet(contest, contest.judges[2], registration, scores_by_rank(0, c))
    db.session.execute(sa.update(ScoreSheet).values(submitted_at=sa.func.current_timestamp()))
    db.session.commit()
    ranking = client.get(base(contest) + "/ranking")
    assert 'data-state="complete"' in ranking.text
    # The third judge's 1 and 2 pull the first contestant's mean down: (10+10+1)/3 + 2(20+20+2)/3.
    assert "35.00" in ranking.text


def test_explanation_shows_every_judges_score_and_what_was_dropped(app, client, auth):
    contest = make_contest(judges=5, aggregation="trimmed_mean", trim_count=1, trim_min_judges=5)
    person = contest.everyone()[0]
    for j, judge in enumerate(contest.judges):
        make_sheet(contest, judge, person, [str(5 + j), "10"])
    db.session.commit()
    auth.become(contest.organizer)
    page = client.get(f"{base(contest)}/contestants/{person.id}")
    assert page.status_code == 200
    assert page.text.count("comp-dropped") == 4  # lowest and highest of each criterion
    # Trimmed mean of 5..9 is 7; of five 10s is 10: total 7 + 2 × 10 = 27.
    assert "27.00" in page.text
    assert client.get(f"{base(contest)}/contestants/999999").status_code == 404


def test_withdrawn_contestant_leaves_the_ranking_without_moving_others(app, client, auth):
    contest = make_contest()
    fill_all(contest, scores_by_rank)
    people = contest.everyone()
    db.session.commit()
    auth.become(contest.organizer)
    response = client.post(
        f"{base(contest)}/contestants/{people[0].id}/state",
        data={"state": "disqualified", "reason": ""},
    )
    assert response.status_code == 303
    assert db.session.get(Exclusion, people[0].id) is None  # a disqualification needs a reason
    client.post(
        f"{base(contest)}/contestants/{people[0].id}/state",
        data={"state": "disqualified", "reason": "违规使用手机"},
    )
    assert db.session.get(Exclusion, people[0].id).state == "disqualified"
    ranking = client.get(base(contest) + "/ranking").text
    row = ranking.split(people[1].user.name)[0].rsplit("<tr", 1)[1]
    assert '<td class="num rank">1' in row  # the second is first now
    assert "40.00" in ranking.split(people[1].user.name)[1][:600]  # their total did not move
    # The contestant is told, with the reason; a refused disqualification told nobody.
    from eventsite.core.models import Notification

    [note] = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == people[0].user_id)
    ).all()
    assert note.subject == f"您在「{contest.round.event.title}」中的参赛状态：取消资格"
    assert "违规使用手机" in note.body


def test_awards_by_count_with_a_tie_at_the_cut_and_team_ranking(app, client, auth):
    contest = make_contest(teams=("山东队", "江苏队", "浙江队", "广东队"))
    # The 2nd and 3rd contestants tie: both get the first award when it has two places.
    fill_all(contest, lambda j, c: [["10", "20"], ["9", "18"], ["9", "18"], ["5", "10"]][c])
    db.session.commit()
    auth.become(contest.organizer)
    response = client.post(
        base(contest) + "/awards",
        data={
            "basis": "count",
            "scope": "overall",
            "tiers-0-name": "一等奖",
            "tiers-0-size": "2",
            "tiers-1-name": "二等奖",
            "tiers-1-size": "1",
            "team_best": "1",
            "team_method": "sum",
        },
    )
    assert response.status_code == 303
    page = client.get(base(contest) + "/awards").text
    assert (
        page.count("comp-award-1") == 3
        and "comp-award-2" not in page.split('<ul class="comp-list">')[1]
    )
    assert "并列" in page or "tied at the cut" in page

    refused = client.post(
        base(contest) + "/awards",
        data={
            "basis": "count",
            "scope": "overall",
            "tiers-0-name": "一等奖",
            "tiers-0-size": "1.5",
            "team_method": "sum",
        },
    )
    assert refused.status_code == 400 and 'id="tiers-0-size-errors"' in refused.text
    assert db.session.scalar(sa.select(sa.func.count(AwardTier.id))) == 2


def test_publication_objection_period_and_decision(app, client, auth, clock):
    contest = make_contest()
    people = contest.everyone()
    leader = make_user(name="江苏领队")
    db.session.add(TeamLeader(team_id=people[1].team_id, user_id=leader.id))
    db.session.commit()
    auth.become(contest.organizer)
    results = f"/competitions/{contest.event.id}/results"

    refused = client.post(base(contest) + "/publish")
    assert refused.status_code == 303
    assert contest.round.published_at is None  # sheets missing: nothing to publish

    fill_all(contest, scores_by_rank)
    db.session.commit()
    auth.logout()
    hidden = client.get(results)
    assert people[0].user.name not in hidden.text  # not published: not shown to anyone

    auth.become(contest.organizer)
    assert client.post(base(contest) + "/publish").status_code == 303
    db.session.rollback()
    assert db.session.get(Round, contest.round.id).published_at == clock.now

    auth.logout()
    public = client.get(results)
    assert people[0].user.name in public.text and ("公示" in public.text)
    assert "2026-11-06 10:00" in public.text  # five days after 2026-11-01 10:00 Beijing time

    auth.become(leader)  # the leader of the second contestant's team objects
    form = client.get(f"{base(contest)}/object")
    assert form.status_code == 200 and people[1].user.name in form.text
    assert (
        people[0].user.name
        not in form.text.split('name="registration_id"')[1].split("</select>")[0]
    )
    short = client.post(
        f"{base(contest)}/object", data={"registration_id": people[1].id, "text": "太短"}
    )
    assert short.status_code == 400
    lodged = client.post(
        f"{base(contest)}/object",
        data={"registration_id": people[1].id, "text": "第二项评分与现场表现不符，请复核。"},
    )
    assert lodged.status_code == 303
    objection = db.session.scalar(sa.select(Objection))
    assert objection.submitted_by_id == leader.id

    auth.become(people[2].user)  # a contestant may object only about themself
    assert client.get(f"{base(contest)}/object").status_code == 200
    other = client.post(
        f"{base(contest)}/object",
        data={"registration_id": people[1].id, "text": "我认为他的分数有问题需要复核。"},
    )
    assert other.status_code == 400

    auth.become(contest.organizer)
    decided = client.post(
        f"{base(contest)}/objections/{objection.id}/decide",
        data={"decision": "dismissed", "text": "经复核，评分无误。"},
    )
    assert decided.status_code == 303
    db.session.rollback()
    assert db.session.get(Objection, objection.id).decision == "dismissed"
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "objection.decide")
        )
        == 1
    )

    clock.advance(days=5)
    auth.become(leader)
    late = client.post(
        f"{base(contest)}/object",
        data={"registration_id": people[1].id, "text": "期限之后的异议，应当被拒绝。"},
    )
    assert late.status_code == 400
    public = client.get(results)
    assert "最终" in public.text or "Final" in public.text


def test_paper_double_entry_counts_only_when_both_clerks_agree(app, client, auth):
    contest = make_contest(double_entry=True)
    clerk2 = make_user(roles=["organizer"], name="录入员二")
    from eventsite.events.models import EventOrganizer

    db.session.add(EventOrganizer(event_id=contest.event.id, user_id=clerk2.id))
    judge, person = contest.judges[0], contest.everyone()[0]
    other = contest.everyone()[1]
    db.session.commit()
    first, second = (f"score_{c.id}" for c in contest.criteria)

    def enter(clerk, who, a, b):
        auth.become(clerk)
        return client.post(
            base(contest) + "/paper",
            data={"judge_id": judge.id, "registration_id": who.id, first: a, second: b},
        )

    assert enter(contest.organizer, person, "8", "15").status_code == 303
    assert db.session.scalar(sa.select(ScoreSheet)) is None  # one entry counts for nothing
    assert enter(contest.organizer, person, "8", "15").status_code == 400  # same clerk twice
    assert enter(clerk2, person, "8.0", "15").status_code == 303
    sheet = db.session.scalar(sa.select(ScoreSheet))
    assert sheet.submitted_at is not None and sheet.from_paper

    assert enter(contest.organizer, other, "7", "12").status_code == 303
    assert enter(clerk2, other, "7", "13").status_code == 303
    page = client.get(base(contest) + "/paper")
    assert "comp-disagreement" in page.text
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 1

    resolve = f"{base(contest)}/paper/{judge.id}/{other.id}/resolve"
    assert client.post(resolve, data={first: "7", second: "12"}).status_code == 303
    db.session.rollback()
    resolved = db.session.scalar(
        sa.select(ScoreSheet).where(ScoreSheet.registration_id == other.id)
    )
    assert resolved.values[contest.criteria[1].id] == Decimal("12")
    assert db.session.scalar(sa.select(sa.func.count(PaperEntry.id))) == 4
    # A second tap on the settle button (or a second chief judge) is refused, not a server error.
    again = client.post(resolve, data={first: "7", second: "13"}, follow_redirects=True)
    assert again.status_code == 200 and "flash-error" in again.text
    db.session.rollback()
    assert db.session.get(ScoreSheet, resolved.id).values[contest.criteria[1].id] == Decimal("12")
    # Settled: the disagreement says so and offers no settle form any more.
    page = client.get(base(contest) + "/paper")
    assert page.status_code == 200 and "comp-disagreement" in page.text
    assert resolve not in page.text


def test_paper_disagreements_of_someone_who_left_the_round_are_listed_not_settled(
    app, client, auth
):
    """Two clerks disagree on a sheet, then the contestant cancels, or the judge is taken off
    the track: the paper page still opens, names both and says they are no longer in the
    round, and offers no settle form (settling it is refused)."""
    from eventsite.events.models import EventOrganizer, RegistrationStatus, Team

    contest = make_contest(double_entry=True)
    clerk2 = make_user(roles=["organizer"], name="录入员二")
    db.session.add(EventOrganizer(event_id=contest.event.id, user_id=clerk2.id))
    judge, other_judge = contest.judges[:2]
    leaving, staying = contest.everyone()[:2]
    db.session.commit()
    first, second = (f"score_{c.id}" for c in contest.criteria)
    for who_judges, who in ((judge, leaving), (other_judge, staying)):
        for clerk, value in ((contest.organizer, "12"), (clerk2, "13")):
            auth.become(clerk)
            response = client.post(
                base(contest) + "/paper",
                data={
                    "judge_id": who_judges.id,
                    "registration_id": who.id,
                    first: "7",
                    second: value,
                },
            )
            assert response.status_code == 303
    leaving.status = RegistrationStatus.CANCELLED
    db.session.execute(
        sa.delete(JudgeAssignment).where(
            JudgeAssignment.round_id == contest.round.id,
            JudgeAssignment.user_id == other_judge.id,
        )
    )
    db.session.commit()

    page = client.get(base(contest) + "/paper")
    assert page.status_code == 200
    assert page.text.count("comp-disagreement") == 2
    # Each pair: tagged on its disagreement and its entry line, and told why it is not settled.
    assert page.text.count('<span class="tag">已不在本赛段</span>') == 4
    assert page.text.count("评委或选手已不在本赛段") == 2
    # The contestant who left is named without a team (the board no longer lists them); the
    # one still in the round with it, beside the judge who left; in the disagreement's
    # heading and in the entries' list.
    assert page.text.count(f"{judge.name} → {leaving.user.name} <span") == 2
    team = db.session.get(Team, staying.team_id).name
    assert page.text.count(f"{other_judge.name} → {staying.user.name}（{team}） <span") == 2
    for who_judges, who in ((judge, leaving), (other_judge, staying)):
        settle = f"{base(contest)}/paper/{who_judges.id}/{who.id}/resolve"
        assert settle not in page.text
        assert client.post(settle, data={first: "7", second: "12"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 0


def test_exports_and_blank_sheets(app, client, auth):
    contest = make_contest()
    fill_all(contest, scores_by_rank)
    db.session.add(AwardTier(round_id=contest.round.id, name="一等奖", size=Decimal(1)))
    db.session.commit()
    auth.become(contest.organizer)
    response = client.get(base(contest) + "/results.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    ranking, sheets = book.worksheets[0], book.worksheets[1]
    assert ranking.cell(2, 3).value == contest.everyone()[0].user.name
    assert ranking.cell(2, 1).value == 1
    assert sheets.max_row == 1 + 3 * 3  # every judge's sheet for every contestant

    awards = load_workbook(io.BytesIO(client.get(base(contest) + "/awards.xlsx").data))
    assert awards.worksheets[0].cell(2, 1).value == "一等奖"

    printed = client.get(base(contest) + "/print")
    assert printed.status_code == 200 and printed.text.count('class="comp-page"') == 9
    one = client.get(base(contest) + f"/print?judge={contest.judges[0].id}")
    assert one.text.count('class="comp-page"') == 3


def test_a_competitions_pages_are_not_another_kinds(app, client, auth):
    contest = make_contest()
    db.session.commit()
    auth.become(contest.organizer)
    from tests.factories import make_event

    meet = make_event(organizer=contest.organizer)
    db.session.commit()
    assert client.get(f"/competitions/{meet.id}").status_code == 404
    assert (
        client.get(f"/competitions/{meet.id}/rounds/{contest.round.id}/ranking").status_code == 404
    )


def test_results_page_unpublished_then_published_for_a_contestant(app, client, auth, clock):
    contest = make_contest()
    fill_all(contest, scores_by_rank)
    contestant = contest.everyone()[2]
    db.session.commit()
    auth.become(contestant.user)
    page = client.get(f"/competitions/{contest.event.id}/results")
    assert page.status_code == 200 and contest.everyone()[0].user.name not in page.text
    assert client.get(base(contest) + "/ranking").status_code == 403
    contest.round.published_at = clock.now - timedelta(hours=1)
    db.session.commit()
    page = client.get(f"/competitions/{contest.event.id}/results")
    assert contest.everyone()[0].user.name in page.text and "50.00" in page.text


def test_the_next_round_takes_the_best_of_each_track_ties_included(app, client, auth):
    contest = make_contest(tracks=("商务英语", "商务日语"), advance_count=1)
    english, japanese = contest.contestants["商务英语"], contest.contestants["商务日语"]
    # English: the second and third tie at the top; Japanese: the first leads alone.
    scores = {english[0].id: "5", english[1].id: "9", english[2].id: "9"}
    scores |= {japanese[0].id: "8", japanese[1].id: "7", japanese[2].id: "6"}
    for judge in contest.judges:
        for registration in contest.everyone():
            make_sheet(contest, judge, registration, [scores[registration.id], "10"])
    final = add_round(contest, "总决赛", 2, contest.judges[0])
    db.session.commit()
    from eventsite.competitions import service

    going = {r.id for r in service.round_registrations(final)}
    assert going == {english[1].id, english[2].id, japanese[0].id}

    auth.become(contest.judges[0])
    listing = client.get(f"/competitions/{contest.event.id}/rounds/{final.id}/score")
    assert english[1].user.name in listing.text and english[0].user.name not in listing.text
    out = f"/competitions/{contest.event.id}/rounds/{final.id}/score/{english[0].id}"
    assert client.get(out).status_code == 403


def test_criteria_keep_to_the_columns_precision(app, client, auth):
    contest = make_contest()
    db.session.commit()
    auth.become(contest.organizer)
    first = contest.criteria[0]
    response = client.post(
        f"{base(contest)}/criteria",
        data={
            "criteria-0-id": str(first.id),
            "criteria-0-name": "专业知识",
            "criteria-0-max_score": "10",
            "criteria-0-weight": "0.33333",
            "criteria-0-step": "0.125",
        },
    )
    assert response.status_code == 400
    assert response.text.count("<li>") >= 2
    db.session.rollback()
    assert db.session.get(Round, contest.round.id).criteria[0].weight == Decimal(1)


def test_a_scored_criterion_is_never_dropped_by_a_short_form(app, client, auth):
    contest = make_contest()
    make_sheet(contest, contest.judges[0], contest.everyone()[0], ["5", "10"])
    db.session.commit()
    auth.become(contest.organizer)
    first, second = contest.criteria
    response = client.post(
        f"{base(contest)}/criteria",
        data={
            "criteria-0-id": str(first.id),
            "criteria-0-name": "专业知识（笔试）",
            "criteria-0-max_score": "10",
            "criteria-0-weight": "1",
            "criteria-0-step": "0.5",
        },
    )
    assert response.status_code == 303
    db.session.rollback()
    kept = db.session.get(Round, contest.round.id).criteria
    assert [c.name for c in kept] == ["专业知识（笔试）", "实务操作"]
    removed = client.post(
        f"{base(contest)}/criteria",
        data={
            "criteria-0-id": str(second.id),
            "criteria-0-name": "实务操作",
            "criteria-0-max_score": "20",
            "criteria-0-weight": "2",
            "criteria-0-step": "0.5",
            "criteria-0-remove": "y",
        },
    )
    assert removed.status_code == 400
    db.session.rollback()
    assert len(db.session.get(Round, contest.round.id).criteria) == 2
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 1
