"""A new member signs up on a phone, registers, the organizer approves, the QR link checks in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite.accounts.models import User
from eventsite.core.time import format_local
from eventsite.events.models import EventKind, Registration
from eventsite.extensions import db
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_event, make_user, texted_code

pytestmark = pytest.mark.e2e


@pytest.fixture
def sports_meet(live_app):
    app, _url = live_app
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="毕仁静", mobile="13900000002")
        event = make_event(
            organizer=organizer,
            kind=EventKind.SPORTSMEET,
            title="站前街道职工趣味运动会",
            approval_required=True,
            capacity=200,
            teams=["站前社区队", "铁锋社区队"],
            # Registration is open for another hour, and check-in already (it opens 3 h ahead).
            starts_in=timedelta(hours=2),
        )
        db.session.commit()
        return event.id, organizer.mobile


def test_sign_up_register_approve_and_check_in(live_app, sports_meet, phone):
    app, url = live_app
    event_id, organizer_mobile = sports_meet

    # A new member signs up on their phone.
    member = phone()
    member.goto(f"{url}/signup")
    assert_fits_phone(member)
    member.fill("#mobile", "138 0013 8000")
    member.locator("form.stacked button[type=submit]").click()
    member.wait_for_load_state()
    with app.app_context():
        member.fill("#code", texted_code("13800138000"))
        db.session.remove()
    member.fill("#name", "吴晓明")
    member.fill("#email", "wu@example.com")
    member.fill("#password", "qiaoqiao-2025")
    member.fill("#confirm", "qiaoqiao-2025")
    member.fill("#work_unit", "齐齐哈尔市职工大学")
    member.check("#gender-0")
    member.fill("#birth_year", "1996")
    member.check("#privacy")
    screenshot(member, "01-signup")
    member.locator("form.stacked button[type=submit]").click()
    member.wait_for_load_state()
    assert "/signup" not in member.url

    # They open the sports meet, pick a team and register; approval is required.
    member.goto(f"{url}/events/{event_id}")
    assert_fits_phone(member)
    member.select_option("#team_id", label="铁锋社区队")
    member.locator(f"form[action='/events/{event_id}/register'] button[type=submit]").click()
    member.wait_for_load_state()
    screenshot(member, "02-registered-pending")
    with app.app_context():
        registration = db.session.scalars(
            sa.select(Registration)
            .join(User, User.id == Registration.user_id)
            .where(User.mobile == "13800138000")
        ).one()
        assert registration.status == "pending"
        registration_id = registration.id

    # The organizer logs in on their own phone and approves from the roster.
    organizer = phone()
    organizer.goto(f"{url}/login")
    organizer.fill("#mobile", organizer_mobile)
    organizer.fill("#password", PASSWORD)
    organizer.locator("form.stacked button[type=submit]").click()
    organizer.wait_for_load_state()
    organizer.goto(f"{url}/events/{event_id}/roster")
    assert_fits_phone(organizer)
    row = organizer.locator("tr", has_text="吴晓明")
    row.locator("button[value=approve]").click()
    organizer.wait_for_load_state()
    screenshot(organizer, "03-roster-approved")
    with app.app_context():
        assert db.session.get(Registration, registration_id).status == "confirmed"

    # The member now has a personal QR code under My events.
    member.goto(f"{url}/my/events")
    assert_fits_phone(member)
    code = member.locator("[data-checkin-url]").first
    assert code.locator("svg").count() == 1
    checkin_url = code.get_attribute("data-checkin-url")
    assert re.search(r"/checkin/[\w.-]+$", checkin_url)
    screenshot(member, "04-my-qr-code")

    # The organizer opens the code's link (what a phone camera does) and confirms once.
    organizer.goto(url + checkin_url[checkin_url.index("/checkin/") :])
    assert_fits_phone(organizer)
    screenshot(organizer, "05-checkin-confirm")
    organizer.locator("form[action*='/checkin/'] button[type=submit]").click()
    organizer.wait_for_load_state()
    screenshot(organizer, "06-checked-in")
    with app.app_context():
        assert db.session.get(Registration, registration_id).checked_in_at is not None

    # A second scan says when they were checked in and changes nothing.
    organizer.goto(url + checkin_url[checkin_url.index("/checkin/") :])
    with app.app_context():
        first = db.session.get(Registration, registration_id).checked_in_at
        shown = format_local(first, "%H:%M")
    assert shown in organizer.content()
    assert organizer.locator("form[action*='/checkin/'] button[type=submit]").count() == 0
    with app.app_context():
        assert db.session.get(Registration, registration_id).checked_in_at == first
