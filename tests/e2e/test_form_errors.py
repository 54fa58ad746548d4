"""A form refused below the fold on a phone: the page names the mistakes at its top and brings
the first one into view, with the focus on its field (static/js/site.js, under the CSP).

The newcomer registered for a mixer without ticking 本人声明目前为单身: the page came back at its
top, the message 1,425 px further down, and nothing seemed to happen.
"""

from __future__ import annotations

import re

import pytest

from eventsite.events.models import EventKind
from eventsite.extensions import db
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, make_event, make_user

pytestmark = pytest.mark.e2e

#: An event page as long as the demo mixer's: its description alone fills several screens.
LONG_DESCRIPTION = "\n\n".join(
    f"第{n}项安排：下午破冰游戏、分组交流，晚上自助晚餐；活动结束后，签到的参加者可在平台上"
    "标记想交换联系方式的人，双方都标记了才会互相看到名片。"
    for n in range(1, 16)
)


def log_in(page, url: str, mobile: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()


def in_viewport(page, selector: str) -> bool:
    """The whole element lies within the phone's screen as the page now stands."""
    return page.evaluate(
        """(selector) => {
          const r = document.querySelector(selector).getBoundingClientRect();
          return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
        }""",
        selector,
    )


def test_a_registration_refused_below_the_fold_shows_its_error_on_screen(live_app, phone):
    app, url = live_app
    with app.app_context():
        member = make_user(name="陶老师", gender="male", birth_year=1994)
        event = make_event(
            kind=EventKind.MIXER, title="皖工鹊桥·会聚良缘联谊会", description=LONG_DESCRIPTION
        )
        db.session.commit()
        event_id, mobile = event.id, member.mobile

    page = phone()
    log_in(page, url, mobile)
    page.goto(f"{url}/events/{event_id}")
    form = page.locator(f"form[action='/events/{event_id}/register']")
    assert form.bounding_box()["y"] > 1000  # far below the first screen, as on the demo mixer
    form.locator("button[type=submit]").click()  # without ticking 本人声明目前为单身
    page.wait_for_load_state()

    assert page.locator("#single_declared-errors").count() == 1
    assert in_viewport(page, "#single_declared-errors")
    assert page.evaluate("document.activeElement.id") == "single_declared"
    summary = page.locator("#error-summary")
    assert re.search(r"请修改下面标出的 1 处", summary.inner_text())
    assert summary.locator("a").get_attribute("href") == "#single_declared"
    screenshot(page, "form-errors-register-in-view")

    # Ticking it now registers: the focus sat on the box the member has to tick.
    page.keyboard.press("Space")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").count() == 0


def test_a_signup_with_several_mistakes_names_them_all_and_shows_the_first(live_app, phone):
    _app, url = live_app
    page = phone()
    page.goto(f"{url}/signup/claim")  # the sign-up form that holds every field at once
    page.fill("#name", "吴晓明")
    page.fill("#mobile", "12345")
    page.fill("#claim_code", "ABCD2345")
    page.fill("#password", "qiaoqiao-2025")
    page.fill("#confirm", "qiaoqiao-2026")
    page.fill("#work_unit", "齐齐哈尔市职工大学")
    page.fill("#birth_year", "99999999999999999999")
    page.check("#privacy")
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()

    summary = page.locator("#error-summary")
    assert "请修改下面标出的 4 处" in summary.inner_text()
    hrefs = summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["#mobile", "#confirm", "#gender-0", "#birth_year"]
    assert page.evaluate("document.activeElement.id") == "mobile"
    assert in_viewport(page, "#mobile-errors")

    # A link in the summary takes the member to its field, focused.
    page.evaluate("window.scrollTo(0, 0)")
    summary.locator("a[href='#birth_year']").click()
    assert page.evaluate("document.activeElement.id") == "birth_year"
    assert in_viewport(page, "#birth_year-errors")
    screenshot(page, "form-errors-signup-summary")
