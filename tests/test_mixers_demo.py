"""The demo's mixers after the event: the earlier Wuhu mixer (ended last night, its exchange
open, one attendee's mark waiting for the demo member) and the teachers' mixer (exchange closed,
an introduction request waiting for him), walked as the README's tour walks them."""

from __future__ import annotations

import sqlalchemy as sa

from eventsite.accounts.models import User
from eventsite.core.models import Notification
from eventsite.core.time import utcnow
from eventsite.demo import (
    EXCHANGE_DESCRIPTION,
    EXCHANGE_FIRST_MOBILE,
    INTRODUCTION_FIRST_MOBILE,
    INTRODUCTION_TITLE,
)
from eventsite.events.models import Event, Registration
from eventsite.extensions import db
from eventsite.mixers import rules, service
from eventsite.mixers.models import IntroductionRequest, Mark, MixerProfile


def test_the_demo_member_can_try_the_open_exchange(runner, clock):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "/mixer/mark" in result.output
    event = db.session.scalars(
        sa.select(Event).where(Event.description == EXCHANGE_DESCRIPTION)
    ).one()
    assert rules.window_state(service.window_of(event), utcnow()) == rules.WindowState.OPEN
    member = db.session.scalars(sa.select(User).where(User.mobile == "13900000004")).one()
    admirer = db.session.scalars(
        sa.select(User).where(User.mobile == str(EXCHANGE_FIRST_MOBILE + 1))
    ).one()

    board = service.board(event, member.id, utcnow())
    assert board.ready and board.mark_count == 0
    assert len(board.listed) == 12 and {p.attendee.gender for p in board.listed} == {"female"}
    people = service.participants(event)
    assert len(people) == 24 and all(p.number for p in people.values())
    counts = service.counts(event, utcnow())
    # Matches show at once here, so they are counted; who marked is counted after the close.
    assert counts.markers is None and counts.matches >= 0

    service.set_mark(event, member.id, people[admirer.id].number, True, utcnow())
    assert set(service.visible_cards(event, member.id, utcnow())) == {admirer.id}


def test_the_readme_tour_of_the_exchange_works_as_written(runner, client, auth, clock):
    """Tour step 6: tapping No. 3 小林 (13900004001) says it is a match and shows her card."""
    runner.invoke(args=["demo", "load"])
    event = db.session.scalars(
        sa.select(Event).where(Event.description == EXCHANGE_DESCRIPTION)
    ).one()
    member = db.session.scalars(sa.select(User).where(User.mobile == "13900000004")).one()
    she = service.participants(event)[
        db.session.scalars(sa.select(User.id).where(User.mobile == "13900004001")).one()
    ]
    assert (she.number, she.profile.nickname) == (3, "小林")
    auth.become(member)
    answer = client.post(
        f"/events/{event.id}/mixer/mark",
        data={"number": 3, "marked": 1},
        headers={"Accept": "application/json"},
    ).get_json()
    assert answer["match"] is True and "配对成功" in answer["message"]
    contact = she.card.phone or she.card.wechat
    assert contact and contact in client.get(f"/events/{event.id}/mixer/results").text


def test_an_introduction_request_waits_for_the_demo_member(runner, client, auth, clock):
    """Tour step 7: at the teachers' mixer the exchange has closed, introductions are open and
    No. 2 书香 (13900006000) asked to be introduced to the member; he accepts, sees her card,
    and she is told in her inbox."""
    result = runner.invoke(args=["demo", "load"])
    event = db.session.scalars(sa.select(Event).where(Event.title == INTRODUCTION_TITLE)).one()
    assert f"/events/{event.id}/mixer/results" in result.output
    assert rules.window_state(service.window_of(event), utcnow()) == (
        rules.WindowState.INTRODUCTIONS
    )
    member = db.session.scalars(sa.select(User).where(User.mobile == "13900000004")).one()
    requester = db.session.scalars(
        sa.select(User).where(User.mobile == str(INTRODUCTION_FIRST_MOBILE))
    ).one()
    mine = service.results(event, member.id, utcnow())
    assert mine.matches == [] and mine.may_request
    [waiting] = mine.received
    assert (waiting.other.user_id, waiting.other.number, waiting.other.profile.nickname) == (
        requester.id,
        2,
        "书香",
    )
    assert waiting.view == rules.RequestView.TO_ANSWER and "灯笼" in waiting.request.note
    auth.become(member)
    page = client.get(f"/events/{event.id}/mixer/results").text
    assert "灯笼" in page and "书香" in page
    answer = client.post(
        f"/events/{event.id}/mixer/requests/{waiting.request.id}/answer", data={"answer": "accept"}
    )
    assert answer.status_code == 303
    db.session.rollback()
    card = service.participants(event)[requester.id].card
    assert card.phone or card.wechat
    page = client.get(f"/events/{event.id}/mixer/results").text
    assert (card.phone or card.wechat) in page
    told = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == requester.id)
    ).all()
    assert [n.subject for n in told] == [f"您在「{INTRODUCTION_TITLE}」的牵线请求已获同意"]


def test_a_second_load_changes_nothing(runner, clock):
    runner.invoke(args=["demo", "load"])
    counts = {
        model: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (User, Event, Registration, MixerProfile, Mark, IntroductionRequest)
    }
    again = runner.invoke(args=["demo", "load"])
    assert "nothing changed" in again.output
    assert {
        model: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in counts
    } == counts
