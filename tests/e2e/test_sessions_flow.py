"""A member signed in on two phones signs the other one out; and the browser really enforces the
Content-Security-Policy, which every browser test runs under (a violation fails the test)."""

from __future__ import annotations

import pytest

from eventsite.extensions import db
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def member(live_app):
    app, _url = live_app
    with app.app_context():
        user = make_user(name="周婷", mobile="13900000031")
        db.session.commit()
        return user.mobile


def log_in(page, url: str, mobile: str, *, remember: bool = False) -> None:
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    if remember:
        page.check("#remember")
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(lambda address: "/login" not in address)


def test_sign_out_everywhere_else_from_the_account_page(live_app, phone, member):
    _app, url = live_app
    own, lost = phone(), phone()
    log_in(lost, url, member, remember=True)
    log_in(own, url, member)

    own.goto(f"{url}/account")
    devices = own.locator("ul.devices > li")
    assert devices.count() == 2
    assert devices.first.locator(".tag").count() == 1  # "this device" comes first
    assert_fits_phone(own)
    screenshot(own, "sessions-01-devices")
    own.once("dialog", lambda dialog: dialog.accept())  # data-confirm, from site.js
    own.locator("#devices form button[type=submit]").click()
    own.wait_for_url(f"{url}/account")
    assert own.locator("ul.devices > li").count() == 1

    # The other phone, remember-me cookie and all, is signed out.
    lost.goto(f"{url}/account")
    assert "/login" in lost.url


def test_the_browser_refuses_what_the_policy_refuses(live_app, phone, csp_violations):
    _app, url = live_app
    page = phone()
    page.goto(f"{url}/login")

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            document.body.setAttribute("onclick", "window.clicked = true");
            document.body.click();
        }"""
    )
    page.wait_for_timeout(300)  # the console messages arrive asynchronously

    assert page.evaluate("() => window.injected === undefined && window.clicked === undefined")
    refused = list(csp_violations.messages)
    assert any("script-src" in message for message in refused), refused
    # This test broke the policy on purpose; any other test doing so fails.
    csp_violations.messages.clear()


def test_no_page_can_be_framed(live_app, phone, csp_violations):
    _app, url = live_app
    page = phone()  # on a blank page of no site, which tries to frame the login form
    page.set_content(f'<iframe id="frame" src="{url}/login"></iframe>')
    page.wait_for_timeout(1000)

    frame = page.frame_locator("#frame")
    assert frame.locator("input#password").count() == 0
    assert any("frame-ancestors" in message for message in csp_violations.messages)
    csp_violations.messages.clear()
