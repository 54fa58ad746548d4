"""On a phone: a member whose account predates the privacy notice meets it after logging in,
accepts it and goes on; then downloads their data and deletes the account."""

from __future__ import annotations

import pytest

from eventsite.extensions import db
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e


def test_the_notice_after_login_then_download_and_delete(live_app, phone):
    app, url = live_app
    with app.app_context():
        member = make_user(name="周婷", mobile="13900000041", privacy_version=None)
        db.session.commit()
        mobile = member.mobile

    page = phone()
    page.goto(f"{url}/login?next=/account")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(lambda address: "/privacy" in address)
    assert "个人信息保护声明" in page.locator("h1").inner_text()
    assert_fits_phone(page)
    screenshot(page, "privacy-01-notice")
    page.get_by_role("button", name="我已阅读并同意").click()
    page.wait_for_url(f"{url}/account")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载我的数据").click()
    assert download.value.suggested_filename.endswith(".json")

    page.get_by_role("link", name="注销账号").click()
    page.wait_for_url(f"{url}/account/delete")
    assert_fits_phone(page)
    screenshot(page, "privacy-02-delete")
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(lambda address: "/account/delete" not in address)
    assert "已注销" in page.content()
    page.goto(f"{url}/account")
    assert "/login" in page.url
