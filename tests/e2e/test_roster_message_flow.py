"""An organizer messages the confirmed members of one team from the roster, on a 390 px phone:
write, preview (recipients, SMS segments, the text as members read it), send; a member reads it
in their inbox."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from eventsite.events.models import EventKind, RegistrationStatus
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_event, make_registration, make_user

pytestmark = pytest.mark.e2e


def sign_in(page, url: str, mobile: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url


@pytest.fixture
def contest(live_app):
    app, _url = live_app
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="周文静")
        event = make_event(
            organizer=organizer,
            kind=EventKind.COMPETITION,
            title="第二届国际贸易业务员技能竞赛",
            teams=["山东队", "江苏队"],
            tracks=["商务英语"],
            capacity=50,
        )
        shandong, jiangsu = event.teams
        member = make_user(name="王小明")
        make_registration(event, member, team_id=shandong.id, track_id=event.tracks[0].id)
        for name, team, status in (
            ("李华", shandong, RegistrationStatus.CONFIRMED),
            ("赵敏", shandong, RegistrationStatus.WAITLISTED),
            ("陈刚", jiangsu, RegistrationStatus.CONFIRMED),
        ):
            make_registration(
                event,
                make_user(name=name),
                status=status,
                team_id=team.id,
                track_id=event.tracks[0].id,
            )
        db.session.commit()
        return event.id, shandong.id, organizer.mobile, member.mobile


def test_an_organizer_messages_a_filtered_roster_on_a_phone(live_app, phone, contest):
    app, url = live_app
    event_id, team_id, organizer_mobile, member_mobile = contest
    page = phone()
    sign_in(page, url, organizer_mobile)
    page.goto(f"{url}/events/{event_id}/roster?status=confirmed&team_id={team_id}")
    page.locator("#message-these").click()
    expect(page.locator("#recipient-count")).to_have_text("2")
    expect(page.locator("#audience-words")).to_contain_text("山东队")
    assert_fits_phone(page)
    screenshot(page, "roster-message-write")

    page.fill("#text", "明天上午八点在会展中心东门集合，请带身份证。")
    page.check("#by_sms")
    page.get_by_role("button", name="预览").click()
    expect(page.locator("#sms-count")).to_have_text("2")
    expect(page.locator("#segment-count")).to_have_text("2")
    expect(page.locator(".sms-text")).to_contain_text(
        "【职工活动】「第二届国际贸易业务员技能竞赛」："
    )
    assert_fits_phone(page)
    screenshot(page, "roster-message-preview")

    page.get_by_role("button", name="发送给 2 名成员").click()
    expect(page.locator(".flash-success").first).to_contain_text("消息已发给 2 名成员")
    expect(page.locator("#sent-messages")).to_contain_text("明天上午八点")
    assert_fits_phone(page)
    screenshot(page, "roster-message-sent")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 2

    reader = phone()
    sign_in(reader, url, member_mobile)
    reader.goto(f"{url}/inbox")
    expect(reader.locator("main")).to_contain_text("明天上午八点在会展中心东门集合")
    assert_fits_phone(reader)
