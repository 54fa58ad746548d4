"""The admins' SMS outbox: every text, newest first, as an admin may read it."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from eventsite.extensions import db
from eventsite.sms import rules
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import SmsKind

KIND_TITLES = {
    SmsKind.CODE: _l("Verification code"),
    SmsKind.MOBILE_CHANGED: _l("Mobile number changed"),
    SmsKind.REGISTRATION_CONFIRMED: _l("Registration confirmed"),
    SmsKind.WAITLIST_PROMOTED: _l("Place from the waitlist"),
    SmsKind.EVENT_CHANGED: _l("Event changed"),
    SmsKind.EVENT_CANCELLED: _l("Event cancelled"),
    SmsKind.EVENT_REMINDER: _l("Event reminder"),
    SmsKind.MIXER_RESULTS: _l("Mixer results"),
    SmsKind.INTRODUCTION_REQUEST: _l("Introduction request"),
    SmsKind.ROSTER_MESSAGE: _l("Message to a roster"),
}
PROVIDER_TITLES = {"tencent": _l("Tencent Cloud"), "aliyun": _l("Alibaba Cloud")}
STATUS_TITLES = {
    SmsStatus.QUEUED: _l("Waiting to be sent"),
    SmsStatus.SENT: _l("Sent"),
    SmsStatus.FAILED: _l("Failed"),
    SmsStatus.WITHDRAWN: _l("Withdrawn: no longer true"),
    SmsStatus.DISCARDED: _l("Discarded after a restore"),
}


def outbox_statement(status: str | None):
    """The outbox's messages, newest first, of one status or (None) all."""
    statement = sa.select(SmsMessage).order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
    if status:
        statement = statement.where(SmsMessage.status == status)
    return statement


def sent_today(now: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """(messages, segments) sent since midnight in `zone`: what today's bill counts."""
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    messages, segments = db.session.execute(
        sa.select(
            sa.func.count(SmsMessage.id), sa.func.coalesce(sa.func.sum(SmsMessage.segments), 0)
        ).where(SmsMessage.status == SmsStatus.SENT, SmsMessage.sent_at >= midnight)
    ).one()
    return messages, segments


def shown_text(message: SmsMessage, *, hide_codes: bool) -> str:
    """The text as the outbox shows it: a verification code's digits hidden when `hide_codes`
    (production), so no admin can sign in as a member with a code read here."""
    if hide_codes and message.kind == SmsKind.CODE:
        return rules.masked_code(message.body, str(message.params.get("code", "")))
    return message.body
