"""Judging integrity (issue 9): a contestant made a judge never scores themself or their team;
judging needs the judge role at every action, and revoking it takes the judge off the rounds."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from eventsite.accounts.service import grant_role, revoke_role
from eventsite.competitions import rules, service
from eventsite.competitions.models import JudgeAssignment, Round, ScoreSheet
from eventsite.core.models import AuditEntry
from eventsite.core.time import utcnow
from eventsite.events.models import Registration, RegistrationStatus
from eventsite.extensions import db
from tests.competition_factories import add_round, fill_all, make_contest, make_sheet
from tests.factories import make_registration, make_user


def base(contest):
    return f"/competitions/{contest.event.id}/rounds/{contest.round.id}"


def boxes(contest, *values, version=0, action="save"):
    data = {"version": str(version), "action": action, "comment": ""}
    for criterion, value in zip(contest.criteria, values, strict=True):
        data[f"score_{criterion.id}"] = value
    return data


def contestant_judge(contest):
    """The first contestant of the first team, given the judge role and assigned to their own
    track by the organizer through the judges page."""
    me = contest.everyone()[0]
    grant_role(me.user, "judge")
    db.session.commit()
    return me


def assign_through_page(client, auth, contest, user):
    auth.become(contest.organizer)
    track_ids = [str(t.id) for t in contest.event.tracks]
    response = client.post(
        base(contest) + "/judges", data={"mobile": user.mobile, "tracks": track_ids}
    )
    assert response.status_code == 303
    db.session.rollback()


# --- Item 1: a contestant made a judge -------------------------------------------------------


def test_a_contestant_judge_cannot_open_save_or_submit_their_own_or_teammates_sheets(
    app, client, auth
):
    contest = make_contest(per_team_track=2)
    me = contestant_judge(contest)
    assign_through_page(client, auth, contest, me.user)
    people = contest.everyone()
    teammate = next(r for r in people if r.team_id == me.team_id and r.id != me.id)
    rival = next(r for r in people if r.team_id != me.team_id)

    auth.become(me.user)
    for person in (me, teammate):
        url = f"{base(contest)}/score/{person.id}"
        assert client.get(url).status_code == 403
        assert client.post(url, data=boxes(contest, "10", "20")).status_code == 403
        submit = boxes(contest, "10", "20", action="submit")
        assert client.post(url, data=submit).status_code == 403
        headers = {"X-Autosave": "1"}
        assert client.post(url, data=boxes(contest, "10", "20"), headers=headers).status_code == 403
    assert client.get(f"{base(contest)}/score/{rival.id}").status_code == 200
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 0

    listing = client.get(base(contest) + "/score").text
    assert rival.user.name in listing
    assert teammate.user.name not in listing


def test_a_sheet_a_contestant_judge_wrote_for_their_team_never_counts(app, client, auth):
    """A sheet already in the database (written before the rule) is left out of the ranking,
    and the contestant judge is never expected to score their own team."""
    contest = make_contest(per_team_track=2)
    fill_all(contest, lambda j, c: ["5", "10"])
    me = contestant_judge(contest)
    db.session.add(
        JudgeAssignment(round_id=contest.round.id, track_id=me.track_id, user_id=me.user_id)
    )
    people = contest.everyone()
    for person in people:
        make_sheet(contest, me.user, person, ["10", "20"])  # top marks for everyone
    db.session.commit()

    board = service.load_board(contest.round)
    own_team = [r.id for r in people if r.team_id == me.team_id]
    for rid in own_team:
        assert (me.user_id, rid) not in board.expected
        placing = board.overall.placing(rid)
        assert all(s.judge != me.user_id for line in placing.criteria for s in line.scores)
        assert placing.total == 25  # 5 + 2 × 10 from the three other judges only
    rival = next(r for r in people if r.team_id != me.team_id)
    assert (me.user_id, rival.id) in board.expected
    assert board.overall.placing(rival.id).total > 25  # their sheet counts for the others
    assert not board.provisional

    auth.become(contest.organizer)
    page = client.get(f"{base(contest)}/contestants/{own_team[1]}").text
    assert "25.00" in page


def test_every_registered_contestant_is_recused_whatever_the_status_that_holds_a_place(
    app, client, auth
):
    """Awaiting approval or waitlisted still makes them a contestant of their team; a cancelled
    registration does not."""
    for status, recused in (
        (RegistrationStatus.PENDING, True),
        (RegistrationStatus.WAITLISTED, True),
        (RegistrationStatus.CANCELLED, False),
    ):
        contest = make_contest()
        team = contest.event.teams[0]
        judge = contest.judges[0]
        make_registration(
            contest.event,
            judge,
            status=status,
            team_id=team.id,
            track_id=contest.event.tracks[0].id,
        )
        db.session.commit()
        board = service.load_board(contest.round)
        teammate = next(r for r in contest.everyone() if r.team_id == team.id)
        assert ((judge.id, teammate.id) not in board.expected) is recused, status
        assert service.may_score(contest.round, judge, teammate) is not recused, status


def test_the_judges_page_says_which_assigned_judge_is_a_contestant_and_of_which_team(
    app, client, auth
):
    contest = make_contest()
    me = contestant_judge(contest)
    assign_through_page(client, auth, contest, me.user)
    page = client.get(base(contest) + "/judges").text
    team_name = contest.event.teams[0].name
    assert page.count("data-contestant-of=") == 1
    marked = page.split("data-contestant-of=")[1].split("</li>")[0]
    assert team_name in marked
    row = page.split(f"<strong>{me.user.name}</strong>")[1].split("</li>")[0]
    assert "data-contestant-of=" in row


def test_coverage_counts_a_contestant_judge_only_for_other_teams(app, client, auth):
    contest = make_contest(judges=0, min_judges=1)
    me = contestant_judge(contest)
    assign_through_page(client, auth, contest, me.user)
    coverage = service.load_board(contest.round).coverage[me.track_id]
    own_team = [r.id for r in contest.everyone() if r.team_id == me.team_id]
    assert set(coverage.short) == set(own_team)


def test_paper_entry_for_a_contestant_judges_own_team_is_refused(app, client, auth):
    contest = make_contest(double_entry=True)
    me = contestant_judge(contest)
    assign_through_page(client, auth, contest, me.user)
    auth.become(contest.organizer)
    data = {"judge_id": str(me.user_id), "registration_id": str(me.id)}
    data.update({f"score_{c.id}": "5" for c in contest.criteria})
    response = client.post(base(contest) + "/paper", data=data)
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 0


# --- Item 4: the judge role at every action ----------------------------------------------------


def test_a_judge_without_the_judge_role_can_do_nothing_on_their_assignment(app, client, auth):
    """The role taken away without the signal (an older database): the assignment remains, but
    every judging action needs the role."""
    contest = make_contest()
    judge, person = contest.judges[0], contest.everyone()[0]
    sheet = make_sheet(contest, judge, person, ["5", None], submitted=False)
    judge.role_grants.clear()
    db.session.commit()
    auth.become(judge)
    url = f"{base(contest)}/score/{person.id}"
    assert client.get(base(contest) + "/score").status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, data=boxes(contest, "6", "12", version=1)).status_code == 403
    assert client.get(f"/competitions/{contest.event.id}/sheets/{sheet.id}").status_code == 403
    assert contest.round.name not in client.get("/competitions/my-sheets").text
    db.session.rollback()
    assert db.session.get(ScoreSheet, sheet.id).version == 1


def test_only_a_holder_of_the_judge_role_can_be_assigned(app, client, auth):
    contest = make_contest()
    admin = make_user(roles=["admin"], name="管理员")
    db.session.commit()
    auth.become(contest.organizer)
    track = str(contest.event.tracks[0].id)
    response = client.post(
        base(contest) + "/judges", data={"mobile": admin.mobile, "tracks": track}
    )
    assert response.status_code == 400
    db.session.rollback()
    assigned = db.session.scalar(
        sa.select(sa.func.count(JudgeAssignment.id)).where(JudgeAssignment.user_id == admin.id)
    )
    assert assigned == 0


def test_revoking_the_judge_role_takes_the_judge_off_every_round_audited(app, client, auth):
    contest = make_contest(tracks=("商务英语", "商务俄语"))
    judge = contest.judges[0]
    second = service.create_round(contest.event, contest.organizer, name="复赛", aggregation="mean")
    db.session.add(
        JudgeAssignment(round_id=second.id, track_id=contest.event.tracks[0].id, user_id=judge.id)
    )
    admin = make_user(roles=["admin"], name="管理员")
    db.session.commit()

    assert revoke_role(judge, "judge", actor=admin)
    db.session.commit()
    left = db.session.scalar(
        sa.select(sa.func.count(JudgeAssignment.id)).where(JudgeAssignment.user_id == judge.id)
    )
    assert left == 0
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.event_id == contest.event.id, AuditEntry.action == "competition.judge"
        )
    ).all()
    about = [e for e in entries if judge.name in e.detail]
    assert len(about) == 2  # one line per round
    assert all(e.actor_id == admin.id for e in about)
    assert any("商务俄语" in e.detail and contest.round.name in e.detail for e in about)

    auth.become(judge)
    assert client.get(base(contest) + "/score").status_code == 403


def test_revoking_the_judge_role_leaves_published_results_as_published(app, client, auth):
    """A published round keeps the judge's assignment (their submitted sheets stand as
    published); they can do nothing there without the role."""
    contest = make_contest()
    fill_all(contest, lambda j, c: [str(5 + j), "10"])
    judge = contest.judges[0]
    admin = make_user(roles=["admin"], name="管理员")
    service.publish_results(contest.round, contest.organizer)
    db.session.commit()
    before = [
        (p.contestant, p.rank, p.total) for p in service.load_board(contest.round).overall.placings
    ]

    assert revoke_role(judge, "judge", actor=admin)
    db.session.commit()
    after = [
        (p.contestant, p.rank, p.total) for p in service.load_board(contest.round).overall.placings
    ]
    assert after == before
    auth.become(judge)
    assert client.get(base(contest) + "/score").status_code == 403


# --- Item 17: what the pages tell organizers and judges --------------------------------------


def test_a_drafts_last_saved_time_carries_its_date(app, client, auth, clock):
    """A draft left yesterday must not read as saved today."""
    contest = make_contest()
    judge, person = contest.judges[0], contest.everyone()[0]
    make_sheet(contest, judge, person, ["5", None], submitted=False)  # 2026-11-01 10:00 local
    db.session.commit()
    clock.advance(days=1)
    auth.become(judge)
    url = f"{base(contest)}/score/{person.id}"
    status = client.get(url).text.split('id="autosave-status"')[1].split("</p>")[0]
    assert "2026-11-01 10:00" in status

    saved = client.post(url, data=boxes(contest, "6", "", version=1), headers={"X-Autosave": "1"})
    assert saved.json["saved_at"].startswith("2026-11-02 10:00")


def test_the_missing_sheets_say_how_to_reach_each_judge(app, client, auth):
    contest = make_contest()
    people = contest.everyone()
    for judge in contest.judges[:2]:
        for person in people:
            make_sheet(contest, judge, person, ["5", "10"])
    late = contest.judges[2]
    db.session.commit()
    auth.become(contest.organizer)
    for page in ("/progress", "/ranking"):
        text = client.get(base(contest) + page).text
        for person in people:  # beside each of the late judge's missing sheets
            entry = f"{late.name} → {person.user.name}（"
            assert text.count(entry) == 1, (page, entry)
            line = text.split(entry)[1].split("</li>")[0]
            assert f'<a class="nowrap" href="tel:{late.mobile}">{late.mobile}</a>' in line, page

    book = load_workbook(io.BytesIO(client.get(base(contest) + "/results.xlsx").data))
    rows = list(book.worksheets[2].iter_rows(values_only=True))
    assert len(rows) == 1 + len(people)
    assert all(row[:2] == (late.name, late.mobile) for row in rows[1:])


# --- Item 18: set-up edges through the forms ----------------------------------------------------


def test_a_criterion_maximum_of_zero_is_refused_beside_it_and_of_one_accepted(app, client, auth):
    contest = make_contest()
    db.session.commit()
    auth.become(contest.organizer)
    url = base(contest) + "/criteria"
    row = {"criteria-0-name": "礼仪", "criteria-0-weight": "1", "criteria-0-step": "0.5"}
    refused = client.post(url, data={**row, "criteria-0-max_score": "0"})
    assert refused.status_code == 400
    assert "<li>" in refused.text.split('id="criteria-0-max_score-errors"')[1].split("</ul>")[0]
    db.session.rollback()
    assert [c.name for c in db.session.get(Round, contest.round.id).criteria] == [
        "专业知识",
        "实务操作",
    ]
    assert client.post(url, data={**row, "criteria-0-max_score": "1"}).status_code == 303
    db.session.rollback()
    maxima = {c.name: c.max_score for c in db.session.get(Round, contest.round.id).criteria}
    assert maxima == {"礼仪": 1, "专业知识": 10, "实务操作": 20}


def test_a_negative_award_tier_is_refused_beside_it(app, client, auth):
    contest = make_contest()
    db.session.commit()
    auth.become(contest.organizer)
    data = {"basis": "count", "scope": "overall", "team_method": "sum"}
    data.update({"tiers-0-name": "一等奖", "tiers-0-size": "1"})
    data.update({"tiers-1-name": "二等奖", "tiers-1-size": "-1"})
    refused = client.post(base(contest) + "/awards", data=data)
    assert refused.status_code == 400
    assert "<li>" in refused.text.split('id="tiers-1-size-errors"')[1].split("</ul>")[0]
    db.session.rollback()
    assert db.session.get(Round, contest.round.id).tiers == []
    data["tiers-1-size"] = "0"
    assert client.post(base(contest) + "/awards", data=data).status_code == 303


def test_may_judge_answers_as_the_recusal_panel_for_every_pair(app):
    """`may_judge` reads what it needs in one statement (a judge saves every few seconds); its
    answer for every judge and contestant is the rule's on the recusal panel: assigned to the
    contestant's track, not affiliated with their team, not competing for it or as them, no
    declared conflict, and holding the judge role."""
    from eventsite.competitions.models import JudgeConflict
    from tests.competition_factories import affiliate

    contest = make_contest(tracks=("商务英语", "商务日语"), judges=5)
    event, contest_round = contest.event, contest.round
    first_team, second_team = event.teams[0], event.teams[1]
    english, japanese = event.tracks
    affiliated, competing, conflicted, one_track, demoted = contest.judges
    affiliate(affiliated, first_team)
    make_registration(event, competing, team_id=second_team.id, track_id=japanese.id)
    someone = contest.everyone()[-1]
    db.session.add(JudgeConflict(registration_id=someone.id, user_id=conflicted.id, reason="同事"))
    db.session.execute(
        sa.delete(JudgeAssignment).where(
            JudgeAssignment.user_id == one_track.id, JudgeAssignment.track_id == japanese.id
        )
    )
    revoke_role(demoted, "judge", actor=contest.organizer)
    db.session.commit()
    contestants = contest.everyone()
    answers = {}
    for judge in contest.judges:
        panel = service.recusal_panel(event, [judge.id])[judge.id]
        conflicts = {(judge.id, someone.id)} if judge is conflicted else set()
        for registration in contestants:
            assigned = judge is not demoted and not (
                judge is one_track and registration.track_id == japanese.id
            )
            expected = assigned and not rules.recused(
                panel, rules.Contestant(registration.id, registration.team_id), conflicts
            )
            answers[(judge.id, registration.id)] = expected
            assert service.may_judge(contest_round, judge, registration) is expected
    # Each case above decided some pair, and every judge still scores someone but the demoted.
    assert not answers[(affiliated.id, contestants[0].id)]
    assert not answers[(conflicted.id, someone.id)]
    assert not any(answers[(demoted.id, r.id)] for r in contestants)
    assert any(answers[(one_track.id, r.id)] for r in contestants if r.track_id == english.id)
    assert not any(
        answers[(competing.id, r.id)] for r in contestants if r.team_id == second_team.id
    )


def _scored_round_advancing_one():
    """A competition of one track whose first round advances its best one: three contestants
    scored 5, 9 and 7 by every judge (the second goes on)."""
    contest = make_contest(tracks=("商务英语",), advance_count=1)
    first, second, third = contest.contestants["商务英语"]
    scores = {first.id: "5", second.id: "9", third.id: "7"}
    for judge in contest.judges:
        for registration in contest.everyone():
            make_sheet(contest, judge, registration, [scores[registration.id], "10"])
    return contest, (first, second, third)


def test_may_score_follows_the_round_before_in_one_statement(app, count_queries):
    """Who is in a round: everyone confirmed with a track in the first round, or after a round
    that takes everyone on; after a round that advances its best, only those it advanced. The
    round before is the one just ahead by position (then by id among equal positions), and the
    first round's answer takes one statement, whatever the judge's answer."""
    contest, (first, second, third) = _scored_round_advancing_one()
    track = contest.event.tracks[0]
    judge = contest.judges[0]
    second_round, same_position, last = (
        add_round(contest, name, position, judge, track)
        for name, position in (("复赛", 2), ("半决赛", 2), ("总决赛", 3))
    )
    db.session.commit()

    for registration in (first, second):  # loads what the commit expired
        assert service.may_score(contest.round, judge, registration) is True
    with count_queries() as counter:
        assert service.may_score(contest.round, judge, first) is True
        assert service.may_score(contest.round, judge, second) is True
    assert counter.count == 2
    # After the round that advances its best one: only the best.
    assert [service.may_score(second_round, judge, r) for r in (first, second, third)] == [
        False,
        True,
        False,
    ]
    # At the same position the round with the lower id comes first: 复赛, which takes everyone on.
    assert all(service.may_score(same_position, judge, r) for r in (first, second, third))
    # 半决赛 advances nobody by rank: 总决赛 takes on whoever is in the event.
    assert all(service.may_score(last, judge, r) for r in (first, second, third))
    same_position.advance_count = 1
    db.session.commit()
    assert not service.may_score(last, judge, first)
    # A round added last at the front is the first round, whatever its id: it takes everyone
    # on, though the round created just before it advances only its best.
    last.advance_count = 1
    opening = add_round(contest, "预赛", 0, judge, track)
    db.session.commit()
    assert all(service.may_score(opening, judge, r) for r in (first, second, third))
    # Once it advances only its best (nobody yet: it has no sheets), the round after it, though
    # created first, has nobody in it.
    opening.advance_count = 1
    db.session.commit()
    assert not any(service.may_score(contest.round, judge, r) for r in (first, second, third))
    # Not the judge's contestant, whatever the round: refused.
    outsider = make_user(roles=["judge"])
    db.session.commit()
    assert not service.may_score(contest.round, outsider, first)
    assert not service.may_score(second_round, outsider, second)


def test_a_later_rounds_board_holds_only_those_advanced_and_gives_their_registrations(app):
    """The board reads its contestants as plain rows (name, work unit, team, track); after a
    round that advances its best, only those it advanced are on it, as `round_registrations`
    says; `Board.registration` gives a contestant's registration for a write, and nothing for
    anyone not in the round."""
    contest, (first, second, third) = _scored_round_advancing_one()
    final = add_round(contest, "总决赛", 2, contest.judges[0])
    db.session.commit()

    opening = service.load_board(contest.round)
    assert list(opening.registrations) == [first.id, second.id, third.id]
    board = service.load_board(final)
    assert list(board.registrations) == [second.id]
    assert [r.id for r in service.round_registrations(final)] == [second.id]
    entry = board.registrations[second.id]
    assert entry == (
        second.id,
        second.user_id,
        second.user.name,
        second.user.work_unit,
        second.team_id,
        second.track_id,
    )
    assert board.label(second.id) == f"{second.user.name}（{board.teams[second.team_id].name}）"
    assert board.registration(second.id) is db.session.get(Registration, second.id)
    assert board.registration(first.id) is None
    assert board.registration(third.id) is None
    assert board.registration(None) is None


def test_a_judges_duties_in_a_later_round_count_only_those_advanced(app):
    """A judge's "my score sheets" after a round that advances its best expects sheets only
    for those it advanced; after a round that advances everyone, for every contestant."""
    contest, (first, second, third) = _scored_round_advancing_one()
    judge = contest.judges[0]
    final = add_round(contest, "总决赛", 2, judge)
    db.session.commit()

    def duty_in_final():
        (duty,) = [d for d in service.duties_of(judge) if d.round.id == final.id]
        return duty

    assert (duty_in_final().expected, duty_in_final().submitted) == (1, 0)
    db.session.add(
        ScoreSheet(
            round_id=final.id,
            judge_id=judge.id,
            registration_id=second.id,
            version=1,
            comment="",
            submitted_at=utcnow(),
        )
    )
    db.session.commit()
    assert (duty_in_final().expected, duty_in_final().submitted) == (1, 1)
    contest.round.advance_count = None
    db.session.commit()
    assert duty_in_final().expected == 3
