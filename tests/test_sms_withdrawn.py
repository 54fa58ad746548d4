"""A text that waited (quiet hours, a retry) is withdrawn, not sent, once it stopped being true:
an offer already answered, a registration cancelled, a change superseded by a later one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventsite.events import offers, service
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.sending import deliver_sms
from tests.factories import make_event, make_user
from tests.test_sms_sending import PacedClock

BEIJING = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 12, 10, 1, 30, tzinfo=BEIJING).astimezone(UTC)
MORNING = datetime(2026, 12, 10, 8, 0, 30, tzinfo=BEIJING).astimezone(UTC)


@pytest.fixture
def night(clock):
    clock.now = NIGHT
    return clock


def statuses(user) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [
        (row.kind, row.status)
        for row in db.session.scalars(
            sa.select(SmsMessage).where(SmsMessage.user_id == user.id).order_by(SmsMessage.id)
        )
    ]


def send_in_the_morning():
    paced = PacedClock(MORNING)
    return deliver_sms(clock=paced, sleep=paced.sleep)


def one_place(capacity=1):
    return make_event(
        teams=["站前社区"],
        starts_at=NIGHT + timedelta(days=7),
        ends_at=NIGHT + timedelta(days=7, hours=3),
        registration_opens_at=NIGHT - timedelta(days=1),
        capacity=capacity,
    )


def join(event, member, clock):
    clock.advance(seconds=1)
    return service.register(event, member, team_id=event.teams[0].id)


def test_an_offer_confirmed_at_night_is_not_texted_in_the_morning(app, night):
    event = one_place()
    holder, first = make_user(), make_user()
    held = join(event, holder, night)
    join(event, first, night)
    service.cancel_registration(held, actor=holder)
    offers.confirm_offer(service.find_registration(event.id, first.id), actor=first)
    db.session.commit()
    tally = send_in_the_morning()
    kinds = dict(statuses(first))
    assert kinds["waitlist_promoted"] == SmsStatus.WITHDRAWN
    assert tally.withdrawn >= 2  # the offer, and the holder's own confirmation
    assert dict(statuses(holder))["registration_confirmed"] == SmsStatus.WITHDRAWN


def test_a_declined_offer_is_not_texted_and_the_next_ones_is(app, night):
    event = one_place()
    holder, first, second = make_user(), make_user(), make_user()
    held = join(event, holder, night)
    join(event, first, night)
    join(event, second, night)
    service.cancel_registration(held, actor=holder)
    offers.decline_offer(service.find_registration(event.id, first.id), actor=first)
    db.session.commit()
    send_in_the_morning()
    assert dict(statuses(first))["waitlist_promoted"] == SmsStatus.WITHDRAWN
    assert dict(statuses(second))["waitlist_promoted"] == SmsStatus.SENT


def test_only_the_last_change_of_an_event_is_texted(app, night):
    event = one_place(capacity=5)
    member = make_user()
    join(event, member, night)
    organizer = make_user(roles=("organizer",))
    start, end = event.starts_at, event.ends_at
    for days in (1, 2):
        service.update_event(
            event,
            organizer,
            starts_at=start + timedelta(days=days),
            ends_at=end + timedelta(days=days),
        )
    db.session.commit()
    send_in_the_morning()
    assert statuses(member) == [
        ("registration_confirmed", SmsStatus.SENT),
        ("event_changed", SmsStatus.WITHDRAWN),
        ("event_changed", SmsStatus.SENT),
    ]


def test_a_cancelled_registration_is_not_texted_its_confirmation(app, night):
    event = one_place(capacity=5)
    member = make_user()
    registration = join(event, member, night)
    service.cancel_registration(registration, actor=member)
    db.session.commit()
    send_in_the_morning()
    assert statuses(member) == [("registration_confirmed", SmsStatus.WITHDRAWN)]


def test_a_cancelled_event_texts_only_its_cancellation(app, night):
    event = one_place(capacity=5)
    member = make_user()
    join(event, member, night)
    organizer = make_user(roles=("organizer",))
    service.cancel_event(event, organizer, reason="场地检修")
    db.session.commit()
    send_in_the_morning()
    assert statuses(member) == [
        ("registration_confirmed", SmsStatus.WITHDRAWN),
        ("event_cancelled", SmsStatus.SENT),
    ]
