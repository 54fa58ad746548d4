"""The competition pages issue the same number of SQL statements whatever the contest's size.

A small contest (3 teams × 1 contestant, 3 judges) and a large one (12 teams × 3 contestants
over 2 tracks, 7 judges, every sheet in): each page is requested in a fresh application context
(an empty session, as on a real server) and its statements counted; the counts must be equal
and below MAX_QUERIES. A query per contestant, judge or sheet would make the large count grow.
"""

from __future__ import annotations

import pytest

from eventsite.accounts import devices
from eventsite.competitions.models import AwardTier, JudgeConflict, TeamLeader
from eventsite.extensions import db
from tests.competition_factories import affiliate, fill_all, make_contest

#: The session's user and roles, the event and its organizers, about ten for the board
#: (contestants, exclusions, judges, affiliations, conflicts, sheets and their scores, tracks,
#: teams, criteria, tiers), the page's own few, and the unread-messages badge.
MAX_QUERIES = 30


def build(size: str):
    if size == "small":
        contest = make_contest(double_entry=True)
    else:
        contest = make_contest(
            teams=[
                f"{p}队"
                for p in [
                    "山东",
                    "浙江",
                    "广东",
                    "江苏",
                    "上海",
                    "北京",
                    "天津",
                    "福建",
                    "辽宁",
                    "河南",
                    "湖北",
                    "四川",
                ]
            ],
            tracks=("商务英语", "商务日语"),
            per_team_track=3,
            judges=7,
            double_entry=True,
        )
    fill_all(contest, lambda j, c: [str(5 + (j + c) % 5), str(10 + (j * c) % 10)])
    people = contest.everyone()
    contest.round.tiers = [AwardTier(name="一等奖", size=1), AwardTier(name="二等奖", size=2)]
    contest.round.team_best = 2
    affiliate(contest.judges[0], contest.event.teams[0])
    db.session.add(JudgeConflict(registration_id=people[1].id, user_id=contest.judges[1].id))
    db.session.add(TeamLeader(team_id=contest.event.teams[0].id, user_id=people[0].user_id))
    db.session.commit()
    return contest


def pages(contest):
    e, r = contest.event.id, contest.round.id
    person = contest.everyone()[2].id
    organizer = [
        f"/competitions/{e}",
        f"/competitions/{e}/rounds/{r}/edit",
        f"/competitions/{e}/rounds/{r}/judges",
        f"/competitions/{e}/rounds/{r}/progress",
        f"/competitions/{e}/rounds/{r}/ranking",
        f"/competitions/{e}/rounds/{r}/ranking?track={contest.event.tracks[0].id}",
        f"/competitions/{e}/rounds/{r}/contestants/{person}",
        f"/competitions/{e}/rounds/{r}/awards",
        f"/competitions/{e}/rounds/{r}/objections",
        f"/competitions/{e}/rounds/{r}/paper",
        f"/competitions/{e}/rounds/{r}/print",
        f"/competitions/{e}/rounds/{r}/results.xlsx",
        f"/competitions/{e}/results",
    ]
    judge = [
        "/competitions/my-sheets",
        f"/competitions/{e}/rounds/{r}/score",
        f"/competitions/{e}/rounds/{r}/score/{person}",
    ]
    return organizer, judge


def plan_of(contest):
    """Who looks at which pages: plain values, read before the session is dropped."""
    organizer, judge = pages(contest)
    session_ids = []
    for user in (contest.organizer, contest.judges[2]):
        devices.sign_in(user, user_agent="")  # what a login opens
        session_ids.append(user.get_id())
    plan = [(session_ids[0], organizer), (session_ids[1], judge)]
    db.session.commit()
    return plan


def measure(app, client, count_queries, plan):
    counts = {}
    for who, urls in plan:
        with client.session_transaction() as session:
            session["_user_id"] = who
            session["_fresh"] = True
        for index, url in enumerate(urls):
            db.session.remove()
            with app.app_context(), count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[(who == plan[0][0], index)] = counter.count
    return counts


@pytest.mark.parametrize("published", [False, True])
def test_competition_pages_do_not_grow_with_the_contest(
    app, client, auth, count_queries, clock, published
):
    small = build("small")
    large = build("large")
    for contest in (small, large):
        if published:
            contest.round.published_at = clock.now
    db.session.flush()
    assert len(large.everyone()) == 72 and len(large.judges) == 7
    small_plan, large_plan = plan_of(small), plan_of(large)
    small_counts = measure(app, client, count_queries, small_plan)
    large_counts = measure(app, client, count_queries, large_plan)
    assert small_counts == large_counts
    assert max(large_counts.values()) <= MAX_QUERIES
