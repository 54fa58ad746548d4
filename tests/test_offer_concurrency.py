"""A member confirms an offered place at the very moment the scheduler finds its deadline come,
and two schedulers pass on the same lapsed offer at once: each ends one way only.

Threads with their own app context, session and connection, released together by a barrier
(`run_together`), as web workers and schedulers would run. On SQLite the file database's
BEGIN IMMEDIATE serialises them; set DATABASE_URL=postgresql://… for the row lock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite.accounts.models import User
from eventsite.core.db import write_intent
from eventsite.core.models import Notification
from eventsite.events import offers, service
from eventsite.events.models import Event, Registration
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage
from tests.factories import make_event, make_user
from tests.test_competitions_concurrency import THREAD_TIMEOUT, run_together


@pytest.fixture
def app_config():
    options = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 0}
    return {
        "BABEL_DEFAULT_LOCALE": "en",
        "SQLALCHEMY_ENGINE_OPTIONS": {**options, "pool_timeout": THREAD_TIMEOUT},
    }


def offered_place(clock):
    """A meet of one place: the holder cancelled, the first waiting member is offered it, the
    second waits. Returns (event id, first's id, second's id, the deadline)."""
    event = make_event(teams=["站前社区"], capacity=1)
    team = event.teams[0].id
    holder, first, second = make_user(), make_user(), make_user()
    registrations = []
    for member in (holder, first, second):
        clock.advance(seconds=1)
        registrations.append(service.register(event, member, team_id=team))
    service.cancel_registration(registrations[0], actor=holder)
    deadline = registrations[1].offer_expires_at
    ids = (event.id, first.id, second.id, deadline)
    # Commit and touch nothing after: on SQLite a read here would hold the write lock.
    db.session.commit()
    return ids


def status(event_id: int, user_id: int) -> tuple[str, bool]:
    registration = db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event_id, Registration.user_id == user_id
        )
    ).one()
    return registration.status, registration.is_offer


@pytest.mark.parametrize("attempt", range(4))
def test_a_confirmation_and_the_lapse_at_the_same_moment_one_wins(app, clock, attempt):
    event_id, first_id, second_id, deadline = offered_place(clock)

    def confirm():
        member = db.session.get(User, first_id)
        registration = service.find_registration(event_id, first_id)
        try:
            # Pressed a second before the deadline; the scheduler's tick is at the deadline.
            offers.confirm_offer(registration, actor=member, now=deadline - timedelta(seconds=1))
        except service.RegistrationError:
            return "refused"
        return "confirmed"

    def lapse():
        return offers.lapse_offers(db.session.get(Event, event_id), deadline)

    confirmed, lapsed = run_together(app, [confirm, lapse])
    db.session.expire_all()
    first, second = status(event_id, first_id), status(event_id, second_id)
    if confirmed == "confirmed":
        assert lapsed == 0
        assert first == ("confirmed", False) and second == ("waitlisted", False)
    else:
        assert lapsed == 1
        assert first == ("cancelled", False) and second == ("confirmed", True)
    held = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.event_id == event_id, Registration.status == "confirmed"
        )
    )
    assert held == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_schedulers_pass_on_a_lapsed_offer_once(app, clock, attempt):
    event_id, first_id, second_id, deadline = offered_place(clock)

    def lapse():
        return offers.lapse_offers(db.session.get(Event, event_id), deadline)

    assert sorted(run_together(app, [lapse, lapse])) == [0, 1]
    db.session.expire_all()
    assert status(event_id, first_id) == ("cancelled", False)
    assert status(event_id, second_id) == ("confirmed", True)
    told = db.session.scalars(
        sa.select(Notification.subject).where(Notification.user_id == first_id)
    ).all()
    assert told.count("Offered place passed on: 测试活动") == 1
    offers_texted = db.session.scalar(
        sa.select(sa.func.count(SmsMessage.id)).where(
            SmsMessage.user_id == second_id, SmsMessage.kind == "waitlist_promoted"
        )
    )
    assert offers_texted == 1


@pytest.mark.parametrize("attempt", range(4))
def test_a_check_in_and_the_lapse_at_the_same_moment_one_wins(app, clock, attempt):
    """Arriving at the desk answers an offer; check-in takes no event lock, so the lapse locks
    the offered rows themselves: a checked-in member is never cancelled afterwards."""
    from eventsite.events import roster

    app.config["CHECKIN_OPENS_HOURS"] = 24 * 365  # the desk is open at the deadline
    event_id, first_id, second_id, deadline = offered_place(clock)

    def check_in():
        write_intent.set(True)  # a POST from the desk: on SQLite, BEGIN IMMEDIATE
        registration = service.find_registration(event_id, first_id)
        actor = db.session.get(User, second_id)  # whoever stands at the desk
        try:
            roster.check_in(registration, actor=actor, now=deadline - timedelta(seconds=1))
        except roster.CheckInError:
            return "refused"
        return "checked in"

    def lapse():
        write_intent.set(True)
        return offers.lapse_offers(db.session.get(Event, event_id), deadline)

    checked_in, lapsed = run_together(app, [check_in, lapse])
    db.session.expire_all()
    first = service.find_registration(event_id, first_id)
    if checked_in == "checked in":
        assert lapsed == 0
        assert first.status == "confirmed" and first.checked_in_at is not None
        assert status(event_id, second_id) == ("waitlisted", False)
    else:
        assert lapsed == 1
        assert first.status == "cancelled" and first.checked_in_at is None
