"""On a 390 px phone: a newcomer signs up with the code texted to their number (read from the SMS
outbox), logs out, resets the forgotten password by code, and logs in by code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eventsite.accounts.models import User
from eventsite.core import time as clock_module
from eventsite.extensions import db
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import texted_code

pytestmark = pytest.mark.e2e

MOBILE = "13800138000"


@pytest.fixture
def skip_ahead(monkeypatch):
    """Move the app's clock on (the server runs in this process), so the minute between two
    codes to one number passes without waiting for it."""
    skew = {"by": timedelta(0)}
    monkeypatch.setattr(clock_module, "_clock", lambda: datetime.now(UTC) + skew["by"])

    def advance(**delta):
        skew["by"] += timedelta(**delta)

    return advance


def code_for(app, mobile: str) -> str:
    with app.app_context():
        code = texted_code(mobile)
        db.session.remove()
    assert code is not None
    return code


def submit(page):
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()


def test_sign_up_log_out_reset_the_password_and_log_in_by_code(live_app, phone, skip_ahead):
    app, url = live_app
    page = phone()

    # Sign up: the number first; a code is texted to it.
    page.goto(f"{url}/signup")
    assert_fits_phone(page)
    page.fill("#mobile", "138 0013 8000")
    submit(page)
    assert page.url.endswith("/signup/details")
    resend = page.locator("form.resend button")
    assert resend.is_disabled() and "秒" in resend.inner_text()  # counted down by the page
    assert_fits_phone(page)
    page.fill("#code", code_for(app, MOBILE))
    page.fill("#name", "吴晓明")
    page.fill("#password", "qiaoqiao-2025")
    page.fill("#confirm", "qiaoqiao-2025")
    page.fill("#work_unit", "齐齐哈尔市职工大学")
    page.check("#gender-0")
    page.fill("#birth_year", "1996")
    page.check("#privacy")
    screenshot(page, "sms-01-signup-code")
    submit(page)
    assert "/signup" not in page.url and "/login" not in page.url
    with app.app_context():
        user = db.session.query(User).filter_by(mobile=MOBILE).one()
        assert user.mobile_verified_at is not None
        db.session.remove()

    # Log out: on a phone from the 我的 tab.
    page.locator("nav.tab-bar a[href='/me']").click()
    page.wait_for_load_state()
    page.locator(".hub-list form[action='/logout'] button").click()
    page.wait_for_load_state()

    # The password is forgotten: reset it by code from the login page.
    skip_ahead(seconds=61)
    page.goto(f"{url}/login")
    page.locator("a[href='/password/forgot']").click()
    page.wait_for_load_state()
    assert_fits_phone(page)
    page.fill("#mobile", MOBILE)
    submit(page)
    assert page.url.endswith("/password/reset")
    page.fill("#code", code_for(app, MOBILE))
    page.fill("#password", "longjiang-2026")
    page.fill("#confirm", "longjiang-2026")
    screenshot(page, "sms-02-reset-password")
    submit(page)
    assert page.url.endswith("/login")

    # Log in by code (验证码登录), the tab beside the password.
    skip_ahead(seconds=61)
    page.locator("a[href='/sms-login']").click()
    page.wait_for_load_state()
    assert_fits_phone(page)
    page.fill("#mobile", MOBILE)
    submit(page)
    assert page.url.endswith("/sms-login/verify")
    page.fill("#code", code_for(app, MOBILE))
    screenshot(page, "sms-03-login-code")
    submit(page)
    assert "/login" not in page.url
    page.goto(f"{url}/account")
    assert page.url.endswith("/account") and MOBILE in page.inner_text("main")

    # The new password works too.
    with app.app_context():
        user = db.session.query(User).filter_by(mobile=MOBILE).one()
        assert user.check_password("longjiang-2026")
        db.session.remove()
