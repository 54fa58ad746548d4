"""The admins' SMS outbox on a 390 px phone: every message's row fits, long texts wrap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventsite.accounts.models import Role
from eventsite.core.time import utcnow
from eventsite.extensions import db
from eventsite.sms.models import SmsStatus
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import queue_sms
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e


def test_the_sms_outbox_fits_a_phone(live_app, phone):
    app, url = live_app
    with app.app_context():
        admin = make_user(roles=[Role.ADMIN], name="管理员")
        sent = queue_sms("13800000001", SmsKind.CODE, {"code": "493817", "minutes": "10"})
        sent.status, sent.attempts, sent.sent_at = SmsStatus.SENT, 1, utcnow()
        long = queue_sms(
            "13900000002",
            SmsKind.ROSTER_MESSAGE,
            {"event": "皖工鹊桥·会聚良缘联谊会", "text": "集合地点改到市工人文化宫东门，" * 6},
        )
        long.attempts, long.send_after = 2, utcnow() + timedelta(minutes=1)
        long.last_error = (
            "LimitExceeded.PhoneNumberOneHourLimit: 单个手机号1小时内下发短信条数超过设定的上限"
        )
        db.session.commit()
        mobile = admin.mobile
    page = phone()
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{url}/admin/sms")
    assert page.locator("tr[id^=sms-]").count() == 2
    assert "138****0001" in page.inner_text("main")
    assert_fits_phone(page)
    wide = page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].filter(e => e.scrollWidth > e.clientWidth).length"
    )
    assert wide == 0
    screenshot(page, "layout-sms-outbox")
