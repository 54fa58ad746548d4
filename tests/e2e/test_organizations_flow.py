"""A city union's members-only event: its organizer creates it for the city, a member of another
city does not see it, a member of a district below registers, and the provincial admin finds it
in the province's statistics with the chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite.accounts.models import Role
from eventsite.core.time import to_local, utcnow
from eventsite.events.models import Event, Registration
from eventsite.extensions import db
from eventsite.organizations import service as organizations
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e

TITLE = "芜湖市职工羽毛球联谊赛"


@pytest.fixture
def federation(live_app):
    """安徽省总工会 → 芜湖市总工会 → 镜湖区总工会, and 合肥市总工会 beside Wuhu."""
    app, _url = live_app
    with app.app_context():
        province = organizations.create(organizations.root(), "安徽省总工会", level="province")
        wuhu = organizations.create(province, "芜湖市总工会", short_name="芜湖", level="city")
        jinghu = organizations.create(wuhu, "镜湖区总工会", level="district")
        hefei = organizations.create(province, "合肥市总工会", short_name="合肥", level="city")
        db.session.flush()
        people = {
            "province_admin": make_user(
                roles=[Role.ADMIN], roles_on=province.id, name="许晓梅", mobile="13900000005"
            ),
            "city_organizer": make_user(
                roles=[Role.ORGANIZER], roles_on=wuhu.id, name="钱志刚", mobile="13900000006"
            ),
            "hefei_member": make_user(
                name="合肥会员",
                mobile="13900000011",
                organization_id=hefei.id,
                membership_status="verified",
            ),
            "jinghu_member": make_user(
                name="镜湖会员",
                mobile="13900000012",
                organization_id=jinghu.id,
                membership_status="verified",
            ),
        }
        db.session.commit()
        return {name: user.mobile for name, user in people.items()} | {
            "province": province.id,
            "wuhu": wuhu.id,
        }


def sign_in(page, url: str, mobile: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url


def local(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_city_members_only_event_from_creation_to_the_provinces_statistics(
    live_app, federation, phone
):
    app, url = live_app

    # The city union's organizer creates a members-only sports meet for the city.
    organizer = phone()
    sign_in(organizer, url, federation["city_organizer"])
    organizer.goto(f"{url}/events/new?kind=sportsmeet")
    assert_fits_phone(organizer)
    now = utcnow()
    organizer.fill("#title", TITLE)
    organizer.fill("#venue", "芜湖市工人文化宫")
    organizer.fill("#co_hosts", "芜湖市体育总会")
    organizer.fill("#starts_at", local(now + timedelta(days=7)))
    organizer.fill("#ends_at", local(now + timedelta(days=7, hours=3)))
    organizer.fill("#registration_opens_at", local(now - timedelta(hours=1)))
    organizer.fill("#registration_closes_at", local(now + timedelta(days=6)))
    organizer.fill("#capacity", "40")
    organizer.select_option("#organization_id", str(federation["wuhu"]))
    organizer.select_option("#audience", "members")
    screenshot(organizer, "org-01-new-members-only-event")
    organizer.locator("form.stacked button[type=submit]").first.click()
    organizer.wait_for_load_state()
    assert "/teams" in organizer.url, organizer.url
    event_id = int(organizer.url.split("/events/")[1].split("/")[0])
    organizer.fill("#teams-new_names", "镜湖区代表队")
    organizer.locator("form[action*='list=teams'] button[type=submit]").first.click()
    organizer.wait_for_load_state()
    organizer.goto(f"{url}/events/{event_id}/edit")
    organizer.once("dialog", lambda dialog: dialog.accept())  # "publish it now?"
    organizer.locator(f"form[action='/events/{event_id}/publish'] button[type=submit]").click()
    organizer.wait_for_url(f"{url}/events/{event_id}")
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert (event.organization_id, event.audience, event.status) == (
            federation["wuhu"],
            "members",
            "published",
        )

    # A verified member of another city does not see it, in the list or at its address.
    outsider = phone()
    sign_in(outsider, url, federation["hefei_member"])
    outsider.goto(f"{url}/")
    assert TITLE not in outsider.content()
    outsider.goto(f"{url}/events/{event_id}")
    assert "「芜湖市总工会」" in outsider.locator("#audience").inner_text()
    # Not offered the form: told why instead, beside where it would be.
    assert outsider.locator(f"form[action='/events/{event_id}/register']").count() == 0
    assert "您所在的工会不在其中" in outsider.locator("ul.form-errors").inner_text()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0

    # A verified member of a district below Wuhu sees it and registers.
    member = phone()
    sign_in(member, url, federation["jinghu_member"])
    member.goto(f"{url}/")
    assert TITLE in member.content()
    member.goto(f"{url}/events/{event_id}")
    assert_fits_phone(member)
    assert "芜湖市总工会" in member.content()
    member.select_option("#team_id", label="镜湖区代表队")
    member.locator(f"form[action='/events/{event_id}/register'] button[type=submit]").click()
    member.wait_for_load_state()
    screenshot(member, "org-02-district-member-registered")
    with app.app_context():
        registration = db.session.scalars(
            sa.select(Registration).where(Registration.event_id == event_id)
        ).one()
        assert registration.status == "confirmed"
        # The meet is held: the member checked in, and the days pass.
        registration.checked_in_at = utcnow()
        event = db.session.get(Event, event_id)
        shift = timedelta(days=8)
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            setattr(event, name, getattr(event, name) - shift)
        registration.checked_in_at = event.starts_at + timedelta(minutes=5)
        db.session.commit()
        year = to_local(event.starts_at).year

    # The provincial admin finds it in the province's statistics, with the chart.
    admin = phone()
    sign_in(admin, url, federation["province_admin"])
    admin.goto(f"{url}/organizations/{federation['province']}/statistics?year={year}")
    assert_fits_phone(admin)
    totals = admin.locator("table").first
    sports_meets = totals.locator("tr", has_text="趣味运动会")
    assert sports_meets.locator("td").first.inner_text().strip() == "1"
    # By sub-organization: Wuhu (by its short name) held it, Hefei nothing; and as a chart.
    wuhu_row = admin.locator("tr", has_text="芜湖").first
    assert wuhu_row.locator("td").first.inner_text().strip() == "1"
    assert admin.locator("figure svg, svg[role=img]").count() >= 1
    screenshot(admin, "org-03-province-statistics")
