"""An organizer moves an event by a day in the edit form; every registered member (confirmed,
waitlisted, awaiting approval) has the notice in their inbox and the text message queued. Then
the confirmed member cancels, and the waitlisted one confirms the place offered to them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite.accounts.models import User
from eventsite.core.models import Notification
from eventsite.core.time import format_local, to_local, utcnow
from eventsite.events import service
from eventsite.events.models import Event, EventKind, RegistrationStatus
from eventsite.events.notices import sms_time
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_event, make_registration, make_user

pytestmark = pytest.mark.e2e

S = RegistrationStatus


@pytest.fixture
def registered_meet(live_app):
    app, _url = live_app
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="毕仁静", mobile="13900000002")
        event = make_event(
            organizer=organizer,
            kind=EventKind.SPORTSMEET,
            title="站前街道职工趣味运动会",
            capacity=1,
            teams=["站前社区队"],
            # Whole minutes, as the form's fields give them.
            starts_at=(utcnow() + timedelta(days=5)).replace(second=0, microsecond=0),
        )
        members = {}
        for name, status in (("甲", S.CONFIRMED), ("乙", S.WAITLISTED), ("丙", S.PENDING)):
            member = make_user(name=name)
            make_registration(event, member, status=status, team_id=event.teams[0].id)
            members[name] = (member.id, member.mobile)
        gone = make_user(name="丁")
        make_registration(event, gone, status=S.CANCELLED, team_id=event.teams[0].id)
        db.session.commit()
        return event.id, organizer.mobile, members, gone.id


def test_an_organizer_moves_an_event_and_every_registered_member_is_told(
    live_app, registered_meet, phone
):
    app, url = live_app
    event_id, organizer_mobile, members, gone_id = registered_meet
    with app.app_context():
        event = db.session.get(Event, event_id)
        old_start, old_end = event.starts_at, event.ends_at
    new_start = old_start + timedelta(days=1)

    organizer = phone()
    organizer.goto(f"{url}/login")
    organizer.fill("#mobile", organizer_mobile)
    organizer.fill("#password", PASSWORD)
    organizer.locator("form.stacked button[type=submit]").click()
    organizer.wait_for_load_state()
    organizer.goto(f"{url}/events/{event_id}/edit")
    assert_fits_phone(organizer)
    local = "%Y-%m-%dT%H:%M"
    organizer.fill("#starts_at", to_local(new_start).strftime(local))
    organizer.fill("#ends_at", to_local(old_end + timedelta(days=1)).strftime(local))
    organizer.locator("form:has(#starts_at) button[type=submit]").first.click()
    organizer.wait_for_load_state()
    assert f"/events/{event_id}/edit" in organizer.url
    screenshot(organizer, "event-moved-by-a-day")

    with app.app_context():
        assert db.session.get(Event, event_id).starts_at == new_start
        for name, (user_id, mobile) in members.items():
            notes = db.session.scalars(
                sa.select(Notification).where(Notification.user_id == user_id)
            ).all()
            assert [note.subject for note in notes] == ["活动变更通知：站前街道职工趣味运动会"], (
                name
            )
            assert f"{format_local(old_start)} → {format_local(new_start)}" in notes[0].body
            texts = db.session.scalars(
                sa.select(SmsMessage).where(SmsMessage.user_id == user_id)
            ).all()
            assert [(t.kind, t.mobile) for t in texts] == [("event_changed", mobile)], name
            assert texts[0].params["time"] == sms_time(new_start)
        assert not db.session.scalars(
            sa.select(Notification).where(Notification.user_id == gone_id)
        ).all()

    # The waitlisted member reads it in their inbox on their phone.
    member = phone()
    member.goto(f"{url}/login")
    member.fill("#mobile", members["乙"][1])
    member.fill("#password", PASSWORD)
    member.locator("form.stacked button[type=submit]").click()
    member.wait_for_load_state()
    member.goto(f"{url}/inbox")
    assert_fits_phone(member)
    assert member.get_by_text("活动变更通知：站前街道职工趣味运动会").count() >= 1
    screenshot(member, "event-moved-inbox")

    # The confirmed member drops out: the place is offered to the waitlisted one, who confirms
    # it on the event's page, before the deadline it shows.
    with app.app_context():
        holder = service.find_registration(event_id, members["甲"][0])
        service.cancel_registration(holder, actor=holder.user)
        offer = service.find_registration(event_id, members["乙"][0])
        assert offer.is_offer
        deadline = format_local(offer.offer_expires_at)
        db.session.commit()
    member.goto(f"{url}/events/{event_id}")
    assert_fits_phone(member)
    box = member.locator("#my-registration")
    assert "名额待确认" in box.inner_text() and deadline in box.inner_text()
    screenshot(member, "place-offered")
    box.locator("button", has_text="确认名额").click()
    member.wait_for_load_state()
    assert "名额已确认" in member.locator("body").inner_text()
    with app.app_context():
        taken = service.find_registration(event_id, members["乙"][0])
        assert taken.status == "confirmed" and not taken.is_offer

    # Their SMS choices, on the same phone.
    member.goto(f"{url}/account")
    assert_fits_phone(member)
    member.uncheck("#event_reminder")
    member.locator("#sms button[type=submit]").click()
    member.wait_for_load_state()
    screenshot(member, "sms-choices")
    with app.app_context():
        choices = db.session.get(User, members["乙"][0]).sms_choices
        assert choices["event_reminder"] is False and choices["event_changed"] is True
