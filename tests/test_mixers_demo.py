"""The demo's earlier Wuhu mixer: ended last night, its exchange open, the demo member among the
attendees, one attendee's mark waiting for him."""

from __future__ import annotations

import sqlalchemy as sa

from eventsite.accounts.models import User
from eventsite.core.time import utcnow
from eventsite.demo import EXCHANGE_DESCRIPTION, EXCHANGE_FIRST_MOBILE
from eventsite.events.models import Event
from eventsite.extensions import db
from eventsite.mixers import rules, service


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
    assert service.counts(event, utcnow()).markers > 5

    service.set_mark(event, member.id, people[admirer.id].number, True, utcnow())
    assert set(service.visible_cards(event, member.id, utcnow())) == {admirer.id}
