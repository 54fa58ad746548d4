"""Queueing a text message: a row in the caller's transaction, in the member's language."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventsite.extensions import db
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import queue_sms
from tests.factories import make_user

BEIJING = ZoneInfo("Asia/Shanghai")


def test_a_message_is_a_queued_row_in_the_members_language(app):
    member = make_user(locale="en")
    noon = datetime(2026, 12, 7, 12, 0, tzinfo=BEIJING).astimezone(UTC)
    message = queue_sms(
        member.mobile, SmsKind.EVENT_CANCELLED, {"event": "Mixer"}, user=member, now=noon
    )
    db.session.commit()
    stored = db.session.get(SmsMessage, message.id)
    assert stored.status == SmsStatus.QUEUED
    assert stored.user_id == member.id
    assert stored.params == {"event": "Mixer"}
    assert stored.body == "【职工活动】Mixer has been cancelled."
    assert stored.send_after == noon
    assert stored.segments == 1


def test_chinese_is_the_default_and_quiet_hours_hold_a_notice(app):
    late = datetime(2026, 12, 7, 23, 0, tzinfo=BEIJING).astimezone(UTC)
    message = queue_sms("13800000000", SmsKind.EVENT_CANCELLED, {"event": "联谊会"}, now=late)
    code = queue_sms("13800000000", SmsKind.CODE, {"code": "123456", "minutes": 5}, now=late)
    assert message.body == "【职工活动】「联谊会」已取消。"
    assert message.send_after == datetime(2026, 12, 8, 8, 0, tzinfo=BEIJING)
    assert code.send_after == late
    assert code.params == {"code": "123456", "minutes": "5"}


def test_a_rolled_back_transaction_queues_nothing(app):
    queue_sms("13800000000", SmsKind.EVENT_CANCELLED, {"event": "联谊会"})
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 0


def test_a_notice_with_an_sms_kind_is_also_texted(app):
    from eventsite.core.notifications import notify

    member = make_user()
    notify(member, lambda: ("s", "b"), sms=SmsKind.EVENT_CANCELLED, sms_params={"event": "联谊会"})
    notify(member, lambda: ("s", "b"))
    db.session.commit()
    rows = db.session.scalars(sa.select(SmsMessage)).all()
    assert [(row.user_id, row.mobile, row.kind) for row in rows] == [
        (member.id, member.mobile, "event_cancelled")
    ]
