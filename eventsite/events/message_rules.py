"""Rules of roster messages: who is texted, what the texts cost, when one more message is
refused, and whether the recipients changed between the preview and the send.

Pure functions of their arguments: no Flask, no database; the clock and the zone are passed in.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from eventsite.sms import rules as sms_rules
from eventsite.sms.rules import SmsKind

#: The longest message an organizer, team leader or captain may write (characters): five SMS
#: parts at most with the signature and the event's name in front.
TEXT_MAX = 300

#: Roster messages an event's organizers may send per day, unless ROSTER_MESSAGES_PER_DAY says
#: otherwise; each team's leaders and captains have as many again for their team.
DEFAULT_PER_DAY = 3


#: The same text to the same members within this time is a second press of "Send", not news.
REPEAT_WINDOW = timedelta(minutes=10)


class MessageRefusal(enum.StrEnum):
    """Why a roster message cannot be sent."""

    NO_RECIPIENTS = "no_recipients"
    REPEATED = "repeated"
    DAILY_LIMIT = "daily_limit"


def repeated(last_same: datetime | None, now: datetime) -> bool:
    """Was the same text sent to the same members less than REPEAT_WINDOW before `now`?"""
    return last_same is not None and now - last_same < REPEAT_WINDOW


def refusal(
    *, recipients: int, sent_today: int, per_day: int, repeat: bool = False
) -> MessageRefusal | None:
    """A message needs at least one recipient, must not repeat one just sent to the same
    members, and needs fewer than `per_day` sent today already."""
    if recipients == 0:
        return MessageRefusal.NO_RECIPIENTS
    if repeat:
        return MessageRefusal.REPEATED
    if sent_today >= per_day:
        return MessageRefusal.DAILY_LIMIT
    return None


def day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of `now`'s day in `zone` (the site's day the limit counts), in `now`'s zone."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0, 0), tzinfo=zone).astimezone(now.tzinfo)


def texted(by_sms: bool, mobile: str | None, choices: Mapping[str, bool] | None) -> bool:
    """A recipient is texted when the author chose SMS, they have a mobile number and they want
    roster messages by SMS (the same test `notify` makes)."""
    return bool(by_sms and mobile and sms_rules.member_wants(SmsKind.ROSTER_MESSAGE, choices))


def total_segments(texts_by_language: Mapping[str, int], segments_by_language: Mapping[str, int]):
    """What all the texts cost: each language's texts times the segments of its text."""
    return sum(n * segments_by_language[language] for language, n in texts_by_language.items())


def fingerprint(recipient_ids: Iterable[int], texted_ids: Iterable[int]) -> str:
    """A digest of who gets the message and who of them by SMS, whatever the order: the send
    compares it with the preview's, so a changed set (even of the same size) is shown again."""
    recipients = ",".join(str(i) for i in sorted(set(recipient_ids)))
    texts = ",".join(str(i) for i in sorted(set(texted_ids)))
    return hashlib.sha256(f"{recipients};{texts}".encode()).hexdigest()
