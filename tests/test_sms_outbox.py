"""The admins' SMS outbox page: masked numbers, kinds in Chinese, statuses, filters, pages,
today's segments, and codes never readable in production."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from eventsite.accounts.models import Role
from eventsite.extensions import db
from eventsite.sms import rules
from eventsite.sms.models import SmsStatus
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import queue_sms
from eventsite.sms.views import OUTBOX_PAGE_SIZE
from tests.factories import make_user


@pytest.fixture
def admin(auth):
    user = make_user(roles=[Role.ADMIN], name="管理员")
    db.session.commit()
    auth.become(user)
    return user


@pytest.fixture
def outbox(app, clock):
    """A code sent an hour ago, a notice held by quiet hours, a retry, and a failure."""
    code = queue_sms("13800000001", SmsKind.CODE, {"code": "493817", "minutes": "10"})
    code.status, code.attempts = SmsStatus.SENT, 1
    code.sent_at = clock.now - timedelta(hours=1)
    held = queue_sms(
        "13900000002",
        SmsKind.EVENT_REMINDER,
        {"event": "趣味运动会", "time": "明天 09:00", "place": "站前街道"},
        now=clock.now.replace(hour=15),  # 23:00 in Shanghai: held until 08:00
    )
    retry = queue_sms("13700000003", SmsKind.EVENT_CANCELLED, {"event": "鹊桥联谊"})
    retry.attempts, retry.send_after = 1, clock.now + timedelta(seconds=30)
    retry.last_error = "LimitExceeded.PhoneNumberThirtySecondLimit: 30 秒内限发"
    failed = queue_sms("13600000004", SmsKind.MIXER_RESULTS, {"event": "鹊桥联谊"})
    failed.status, failed.attempts = SmsStatus.FAILED, 1
    failed.last_error = "FailedOperation.PhoneNumberInBlacklist: 黑名单"
    db.session.commit()
    return {"code": code, "held": held, "retry": retry, "failed": failed}


def row(page: str, message) -> str:
    match = re.search(rf'<tr id="sms-{message.id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for message {message.id}"
    return match.group(1)


def test_the_outbox_shows_each_message_as_an_admin_may_read_it(client, admin, outbox):
    response = client.get("/admin/sms")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    code = row(page, outbox["code"])
    assert "138****0001" in code and "13800000001" not in page
    assert "验证码" in code and "493817" in code  # development: the developer reads codes here
    held = row(page, outbox["held"])
    assert "活动提醒" in held and "静默时段" in held and "08:00" in held
    retry = row(page, outbox["retry"])
    assert "重试" in retry
    assert "LimitExceeded.PhoneNumberThirtySecondLimit" in page
    assert "发送失败" in row(page, outbox["failed"])
    assert "FailedOperation.PhoneNumberInBlacklist" in page
    assert "今日已发送：1 条短信，计费 1 条。" in page
    assert "未配置短信服务商" in page


def test_codes_are_never_shown_in_production(app, client, admin, outbox):
    app.config["ENV_NAME"] = "production"
    page = client.get("/admin/sms").get_data(as_text=True)
    assert "493817" not in page
    assert "******" in row(page, outbox["code"])


@pytest.mark.parametrize(
    ("status", "shown", "hidden"),
    [
        ("sent", ["code"], ["held", "retry", "failed"]),
        ("queued", ["held", "retry"], ["code", "failed"]),
        ("failed", ["failed"], ["code", "held", "retry"]),
        ("nonsense", ["code", "held", "retry", "failed"], []),
    ],
)
def test_the_outbox_filters_by_status(client, admin, outbox, status, shown, hidden):
    page = client.get(f"/admin/sms?status={status}").get_data(as_text=True)
    for name in shown:
        assert f'id="sms-{outbox[name].id}"' in page
    for name in hidden:
        assert f'id="sms-{outbox[name].id}"' not in page


def test_the_outbox_pages_and_keeps_the_filter(client, admin, clock):
    for index in range(OUTBOX_PAGE_SIZE + 3):
        queue_sms(f"138{index:08d}", SmsKind.EVENT_CANCELLED, {"event": f"活动{index:03d}"})
    db.session.commit()
    first = client.get("/admin/sms?status=queued").get_data(as_text=True)
    assert first.count('<tr id="sms-') == OUTBOX_PAGE_SIZE
    assert "/admin/sms?page=2&amp;status=queued" in first or (
        "/admin/sms?status=queued&amp;page=2" in first
    )
    second = client.get("/admin/sms?status=queued&page=2").get_data(as_text=True)
    assert second.count('<tr id="sms-') == 3
    assert "活动000" in second  # oldest last


def test_the_page_asks_the_same_number_of_queries_for_more_messages(
    app, client, admin, clock, count_queries
):
    def queries() -> int:
        with app.app_context(), count_queries() as counter:
            assert client.get("/admin/sms").status_code == 200
        return counter.count

    queue_sms("13800000001", SmsKind.EVENT_CANCELLED, {"event": "活动"})
    db.session.commit()
    few = queries()
    for index in range(40):
        queue_sms(f"138{index:08d}", SmsKind.EVENT_CANCELLED, {"event": "活动"})
    db.session.commit()
    assert queries() == few


@pytest.mark.parametrize("roles", [[], [Role.ORGANIZER], [Role.JUDGE]])
def test_only_admins_read_the_sms_outbox(client, auth, roles):
    auth.become(make_user(roles=roles))
    db.session.commit()
    assert client.get("/admin/sms").status_code == 403


def test_the_admin_nav_links_the_sms_outbox(client, admin):
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/sms"' in page


def test_masked_numbers_keep_three_and_four_digits():
    assert rules.masked_mobile("13800000001") == "138****0001"
    assert rules.masked_mobile("+8613800000001") == "138****0001"
    assert rules.masked_mobile("1234567") == "*******"
