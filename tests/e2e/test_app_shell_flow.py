"""A member on a 390 × 844 phone goes through the four tabs (活动 · 我的活动 · 消息 · 我的), each
marked when it is the page shown, then turns large text on: the type grows and every page still
fits the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from eventsite.core.notifications import notify
from eventsite.events.models import EventKind
from eventsite.extensions import db
from tests.e2e.conftest import PHONE, assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_event, make_registration, make_user

pytestmark = pytest.mark.e2e

MOBILE = "13900000141"


@pytest.fixture
def member_with_an_event(live_app):
    app, _url = live_app
    with app.app_context():
        member = make_user(name="王秀兰", mobile=MOBILE, birth_year=1962)
        event = make_event(
            kind=EventKind.GENERAL,
            title="芜湖市总工会退休职工重阳登高活动（赭山公园）",
            venue="赭山公园南门集合",
            capacity=60,
        )
        make_registration(event, member)
        make_event(kind=EventKind.MIXER, title="“缘来是你”青年职工联谊会", venue="芜湖职工之家")
        notify(member, lambda: ("报名成功", "您已报名重阳登高活动。"), mail=False)
        db.session.commit()
        return event.id


#: Each tab's label and the page it opens.
TABS = {"活动": "/events", "我的活动": "/my/events", "消息": "/inbox", "我的": "/me"}


def tab(page, name: str):
    """The tab labelled `name` (a label some others contain: 活动 is in 我的活动)."""
    link = page.locator(f"nav.tab-bar a[href='{TABS[name]}']")
    expect(link.locator(".tab-label")).to_have_text(name)
    return link


def font_size(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


def test_a_member_goes_through_the_tabs_and_turns_large_text_on(
    live_app, phone, member_with_an_event
):
    _app, url = live_app
    event_id = member_with_an_event
    page = phone()
    page.goto(f"{url}/login")
    page.fill("#mobile", MOBILE)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(lambda address: "/login" not in address)

    # The desktop menu is not on a phone's screen; the tab bar is, at the bottom.
    expect(page.locator("nav.main-nav")).to_be_hidden()
    bar = page.locator("nav.tab-bar").bounding_box()
    assert bar["y"] + bar["height"] == pytest.approx(PHONE["height"], abs=1)

    for (name, path), shot in zip(
        TABS.items(),
        ("shell-01-events", "shell-02-my-events", "shell-03-inbox", "shell-04-me"),
        strict=True,
    ):
        tab(page, name).click()
        page.wait_for_url(f"{url}{path}")
        expect(tab(page, name)).to_have_attribute("aria-current", "page")
        assert page.locator("nav.tab-bar a[aria-current='page']").count() == 1
        assert_fits_phone(page)
        screenshot(page, shot)
    expect(tab(page, "消息").locator(".badge")).to_have_text("1")  # the unread message

    # The event page: a back arrow to the list, the page's title in the top bar, nothing
    # hidden under the tab bar at the bottom.
    page.goto(f"{url}/events/{event_id}")
    expect(page.locator("header .app-title")).to_contain_text("重阳登高")
    expect(page.locator("header a.back")).to_have_attribute("href", "/events")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    footer = page.locator(".site-footer").bounding_box()
    bar = page.locator("nav.tab-bar").bounding_box()
    assert footer["y"] + footer["height"] <= bar["y"] + 1
    assert_fits_phone(page)
    screenshot(page, "shell-05-event")

    # Large text, from 我的: the type grows, the choice stays, pages still fit.
    normal = font_size(page)
    tab(page, "我的").click()
    page.wait_for_url(f"{url}/me")
    switch = page.locator("#large-text button")
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.click()
    page.wait_for_url(f"{url}/me")
    expect(page.locator("html")).to_have_class("large-text")
    expect(page.locator("#large-text button")).to_have_attribute("aria-pressed", "true")
    assert font_size(page) >= normal * 1.2
    assert_fits_phone(page)
    screenshot(page, "shell-06-me-large-text")
    for path, shot in (
        ("/events", "shell-07-events-large-text"),
        (f"/events/{event_id}", "shell-08-event-large-text"),
        ("/inbox", "shell-09-inbox-large-text"),
        ("/my/events", None),
    ):
        page.goto(url + path)
        expect(page.locator("html")).to_have_class("large-text")
        assert font_size(page) >= normal * 1.2
        assert_fits_phone(page)
        if shot:
            screenshot(page, shot)
