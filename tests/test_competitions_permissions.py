"""Who sees which sheet: a judge only their own, never a recused contestant's nor another
competition's; a contestant only published results. (The URL-map walk in test_permissions.py
checks every route for every role; these are the competition's own edges.)"""

from __future__ import annotations

import sqlalchemy as sa

from eventsite.competitions.models import JudgeConflict, ScoreSheet
from eventsite.extensions import db
from tests.competition_factories import affiliate, fill_all, make_contest, make_sheet


def test_a_judge_cannot_open_another_judges_sheet(app, client, auth):
    contest = make_contest()
    mine = make_sheet(contest, contest.judges[0], contest.everyone()[0], ["5", "10"])
    theirs = make_sheet(contest, contest.judges[1], contest.everyone()[0], ["6", "12"])
    db.session.commit()
    auth.become(contest.judges[0])
    assert client.get(f"/competitions/{contest.event.id}/sheets/{mine.id}").status_code == 200
    assert client.get(f"/competitions/{contest.event.id}/sheets/{theirs.id}").status_code == 403
    auth.become(contest.organizer)
    assert client.get(f"/competitions/{contest.event.id}/sheets/{theirs.id}").status_code == 200


def test_a_recused_contestants_sheet_is_closed_even_to_its_author(app, client, auth):
    """A judge who scored before declaring a conflict no longer sees the sheet, and it no longer
    counts in the ranking."""
    contest = make_contest()
    judge, person = contest.judges[0], contest.everyone()[0]
    sheet = make_sheet(contest, judge, person, ["1", "2"])
    db.session.add(JudgeConflict(registration_id=person.id, user_id=judge.id, reason="亲属"))
    db.session.commit()
    auth.become(judge)
    assert client.get(f"/competitions/{contest.event.id}/sheets/{sheet.id}").status_code == 403
    score_url = f"/competitions/{contest.event.id}/rounds/{contest.round.id}/score/{person.id}"
    assert client.get(score_url).status_code == 403
    listing = client.get(f"/competitions/{contest.event.id}/rounds/{contest.round.id}/score")
    assert person.user.name not in listing.text

    for other in contest.judges[1:]:
        make_sheet(contest, other, person, ["9", "18"])
    db.session.commit()
    auth.become(contest.organizer)
    page = client.get(
        f"/competitions/{contest.event.id}/rounds/{contest.round.id}/contestants/{person.id}"
    )
    assert "45.00" in page.text  # only the two eligible judges' 9 and 18 count


def test_a_team_affiliation_closes_that_teams_contestants(app, client, auth):
    contest = make_contest()
    judge = contest.judges[0]
    affiliate(judge, contest.event.teams[1])
    db.session.commit()
    auth.become(judge)
    blocked = contest.everyone()[1]
    url = f"/competitions/{contest.event.id}/rounds/{contest.round.id}/score/{blocked.id}"
    assert client.get(url).status_code == 403


def test_a_judge_cannot_open_another_competitions_round_or_sheet(app, client, auth):
    ours = make_contest()
    theirs = make_contest()
    foreign = make_sheet(theirs, theirs.judges[0], theirs.everyone()[0], ["5", "10"])
    db.session.commit()
    auth.become(ours.judges[0])
    person = theirs.everyone()[0]
    base = f"/competitions/{theirs.event.id}/rounds/{theirs.round.id}"
    assert client.get(base + "/score").status_code == 403
    assert client.get(f"{base}/score/{person.id}").status_code == 403
    # Nor learn which contestants their round has: one that does not exist is refused alike.
    assert client.get(f"{base}/score/{person.id + 1000}").status_code == 403
    assert client.get(f"/competitions/{theirs.event.id}/sheets/{foreign.id}").status_code == 403
    # Another competition's sheet through our competition's URL is not found.
    assert client.get(f"/competitions/{ours.event.id}/sheets/{foreign.id}").status_code == 404
    # Their round under our event, or their contestant in our round: not found.
    mixed = f"/competitions/{ours.event.id}/rounds/{theirs.round.id}/score"
    assert client.get(mixed).status_code == 404
    ours_round = f"/competitions/{ours.event.id}/rounds/{ours.round.id}/score/{person.id}"
    assert client.get(ours_round).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 1


def test_a_contestant_sees_only_published_results(app, client, auth, clock):
    contest = make_contest()
    fill_all(contest, lambda j, c: [str(9 - c), str(18 - c)])
    person = contest.everyone()[0]
    db.session.commit()
    auth.become(person.user)
    e, r = contest.event.id, contest.round.id
    for url in (
        f"/competitions/{e}/rounds/{r}/ranking",
        f"/competitions/{e}/rounds/{r}/contestants/{person.id}",
        f"/competitions/{e}/rounds/{r}/results.xlsx",
        f"/competitions/{e}/rounds/{r}/progress",
        f"/competitions/{e}/rounds/{r}/score",
    ):
        assert client.get(url).status_code == 403, url
    page = client.get(f"/competitions/{e}/results")
    assert page.status_code == 200
    assert "comp-ranking" not in page.text and "45.00" not in page.text
    contest.round.published_at = clock.now
    db.session.commit()
    page = client.get(f"/competitions/{e}/results")
    assert "comp-ranking" in page.text and "45.00" in page.text
