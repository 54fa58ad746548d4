"""Queueing text messages: `queue_sms` writes the row in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale

from eventsite.core.time import utcnow
from eventsite.extensions import db
from eventsite.sms import rules, texts
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import SmsKind


def signed(text: str) -> str:
    """`text` with the site's SMS signature in front, as the phone shows it: 【签名】text."""
    sign = current_app.config["SMS_SIGN_NAME"]
    return f"【{sign}】{text}" if sign else text


def queue_sms(
    mobile: str,
    kind: SmsKind,
    params: dict,
    *,
    user=None,
    event=None,
    locale: str | None = None,
    now: datetime | None = None,
) -> SmsMessage:
    """Queue a text of `kind` to `mobile` with the template's `params` (strings).

    The text is rendered in `locale` (else the user's language, else the site's default) for the
    outbox and the segment count. Outside ALWAYS_SENT kinds, quiet hours hold it until 08:00.
    Nothing is sent here: the scheduler sends queued rows after the commit. `event`: what the
    text is about; the sender withdraws it if it stopped being true meanwhile.
    """
    message = sms_message(mobile, kind, params, user=user, event=event, locale=locale, now=now)
    db.session.add(message)
    return message


def sms_message(
    mobile: str,
    kind: SmsKind,
    params: dict,
    *,
    user=None,
    event=None,
    locale: str | None = None,
    now: datetime | None = None,
) -> SmsMessage:
    """The text `queue_sms` queues, rendered but not yet added to the session (for a caller
    that renders before taking a lock and writes under it)."""
    now = now or utcnow()
    config = current_app.config
    locale = locale or getattr(user, "locale", None) or config["BABEL_DEFAULT_LOCALE"]
    params = {key: str(value) for key, value in params.items()}
    with force_locale(locale):
        body = signed(texts.render(kind, params))
    held = rules.quiet_until(now, ZoneInfo(config["TIMEZONE"]), kind)
    return SmsMessage(
        user_id=getattr(user, "id", None),
        event_id=getattr(event, "id", None),
        mobile=mobile,
        kind=str(kind),
        params=params,
        body=body,
        segments=rules.segments(body),
        status=SmsStatus.QUEUED,
        created_at=now,
        send_after=held or now,
    )
