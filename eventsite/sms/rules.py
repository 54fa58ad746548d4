"""SMS rules: the kinds of message, quiet hours, how many segments a text costs, retry back-off.

Pure functions of their arguments; the clock and the zone are passed in.
"""

from __future__ import annotations

import enum
import math
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


class SmsKind(enum.StrEnum):
    """What a text message is about; each maps to one provider template (SMS_TEMPLATES)."""

    #: A verification code (sign-up, sign-in, password reset, a new mobile number).
    CODE = "code"
    #: The old number is told that the account's mobile number changed.
    MOBILE_CHANGED = "mobile_changed"
    REGISTRATION_CONFIRMED = "registration_confirmed"
    WAITLIST_PROMOTED = "waitlist_promoted"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"
    EVENT_REMINDER = "event_reminder"
    MIXER_RESULTS = "mixer_results"
    INTRODUCTION_REQUEST = "introduction_request"
    ROSTER_MESSAGE = "roster_message"


#: Kinds that go whatever the member chose and whatever the hour: a code is asked for now.
ALWAYS_SENT = frozenset({SmsKind.CODE, SmsKind.MOBILE_CHANGED})

#: Kinds a member is texted unless they turned them off in their profile: what a member who
#: does not open the site would otherwise miss. Every other kind stays in the inbox unless the
#: member turned it on.
SENT_BY_DEFAULT = frozenset(
    {
        SmsKind.REGISTRATION_CONFIRMED,
        SmsKind.WAITLIST_PROMOTED,
        SmsKind.EVENT_CHANGED,
        SmsKind.EVENT_CANCELLED,
        SmsKind.EVENT_REMINDER,
        SmsKind.MIXER_RESULTS,
        SmsKind.INTRODUCTION_REQUEST,
        SmsKind.ROSTER_MESSAGE,
    }
)


def member_wants(kind: SmsKind, chosen: dict[str, bool] | None = None) -> bool:
    """Is a member texted a notice of `kind`, given what they `chosen` per kind in their profile?

    ALWAYS_SENT kinds always go; a kind the member chose follows their choice; any other kind
    follows SENT_BY_DEFAULT.
    """
    if kind in ALWAYS_SENT:
        return True
    if chosen and str(kind) in chosen:
        return bool(chosen[str(kind)])
    return kind in SENT_BY_DEFAULT


#: Kinds whose truth depends on the member's registration at the event, and what it must be.
_NEEDS_CONFIRMED = frozenset(
    {SmsKind.REGISTRATION_CONFIRMED, SmsKind.WAITLIST_PROMOTED, SmsKind.EVENT_REMINDER}
)
_ACTIVE = frozenset({"pending", "confirmed", "waitlisted"})


def still_current(
    kind: SmsKind,
    *,
    event_cancelled: bool,
    registration_status: str | None,
    offer_open: bool,
    queued_params: dict,
    event_params: dict,
) -> bool:
    """Is a queued text of `kind` about an event still true when its turn to leave comes?

    Texts wait (quiet hours, a retry), and meanwhile the member may have answered an offer, or
    cancelled, or the organizer changed the event again: a text that stopped being true is not
    sent. `registration_status` is the member's registration at the event now (None: none),
    `offer_open` whether it is a place offered and not yet answered, `event_params` the event's
    name, time and place as a text would give them now.
    """
    if kind in ALWAYS_SENT or kind == SmsKind.EVENT_CANCELLED:
        return True
    if event_cancelled:
        return False
    if kind in _NEEDS_CONFIRMED and registration_status != "confirmed":
        return False
    if kind == SmsKind.WAITLIST_PROMOTED:
        return offer_open
    if kind == SmsKind.REGISTRATION_CONFIRMED:
        return not offer_open
    if kind == SmsKind.EVENT_CHANGED:
        if registration_status not in _ACTIVE:
            return False
        # A later change sends its own text: this one must still say what holds now.
        return all(queued_params.get(key) == event_params.get(key) for key in ("time", "place"))
    return True


#: Quiet hours in the site's zone: no SMS from 22:00 to 08:00 but the kinds in ALWAYS_SENT.
QUIET_START = time(22, 0)
QUIET_END = time(8, 0)


def quiet_until(now: datetime, zone: ZoneInfo, kind: SmsKind) -> datetime | None:
    """When a message of `kind` queued at `now` (aware) may leave, if quiet hours hold it.

    None: it may leave now. Otherwise the next 08:00 in `zone`, as an aware datetime in UTC.
    """
    if kind in ALWAYS_SENT:
        return None
    local = now.astimezone(zone)
    clock = local.timetz().replace(tzinfo=None)
    if QUIET_END <= clock < QUIET_START:
        return None
    day = local.date() if clock < QUIET_END else local.date() + timedelta(days=1)
    morning = datetime.combine(day, QUIET_END, tzinfo=zone)
    return morning.astimezone(now.tzinfo)


#: Characters a GSM-7 message may hold (the basic set; the extension table counts double).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def segments(text: str) -> int:
    """How many SMS a carrier bills for `text` (the signature included by the caller).

    A text with any character outside GSM-7 (any Chinese) is sent as UCS-2: 70 characters fit
    one message, a longer text goes in parts of 67. A GSM-7 text: 160, then parts of 153.
    An empty text costs nothing.
    """
    if not text:
        return 0
    if all(char in _GSM_BASIC or char in _GSM_EXTENDED for char in text):
        length = sum(2 if char in _GSM_EXTENDED else 1 for char in text)
        single, part = 160, 153
    else:
        length = len(text)
        single, part = 70, 67
    if length <= single:
        return 1
    return math.ceil(length / part)


#: A message the provider refused for a passing reason is tried again at most this many times.
MAX_ATTEMPTS = 5
#: The first retry waits this long; each further one twice as long, at most RETRY_CEILING.
RETRY_BASE = timedelta(seconds=30)
RETRY_CEILING = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before trying again a message that has failed `attempts` times (>= 1)."""
    if attempts < 1:
        raise ValueError("retry_delay needs a message that failed at least once")
    return min(RETRY_BASE * 2 ** (attempts - 1), RETRY_CEILING)


#: The parameters each kind's template may use, by name (`texts.render` fills the same names).
KIND_PARAMS: dict[SmsKind, tuple[str, ...]] = {
    SmsKind.CODE: ("code", "minutes"),
    SmsKind.MOBILE_CHANGED: ("mobile",),
    SmsKind.REGISTRATION_CONFIRMED: ("event", "time"),
    SmsKind.WAITLIST_PROMOTED: ("event", "deadline"),
    SmsKind.EVENT_CHANGED: ("event", "time", "place"),
    SmsKind.EVENT_CANCELLED: ("event",),
    SmsKind.EVENT_REMINDER: ("event", "time", "place"),
    SmsKind.MIXER_RESULTS: ("event",),
    SmsKind.INTRODUCTION_REQUEST: ("event",),
    SmsKind.ROSTER_MESSAGE: ("event", "text"),
}


def template_problems(templates: dict) -> list[str]:
    """What is wrong with an SMS_TEMPLATES mapping: each kind needs a template id and a list
    of parameter names its kind has (in the template's order); empty when it is complete."""
    problems = []
    for kind in SmsKind:
        entry = templates.get(str(kind))
        if not isinstance(entry, dict) or not str(entry.get("template") or "").strip():
            problems.append(f"{kind}: no template id")
            continue
        names = entry.get("params", [])
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            problems.append(f"{kind}: params must be a list of parameter names")
            continue
        unknown = [name for name in names if name not in KIND_PARAMS[kind]]
        if unknown:
            known = ", ".join(KIND_PARAMS[kind])
            problems.append(f"{kind}: unknown parameter {', '.join(unknown)} (it has {known})")
    for key in templates:
        if key not in {str(kind) for kind in SmsKind}:
            problems.append(f"{key}: no such kind of message")
    return problems


def masked_mobile(mobile: str) -> str:
    """A mobile number as an admin page shows it: the first three and last four digits."""
    digits = mobile.removeprefix("+86")
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def masked_code(text: str, code: str) -> str:
    """`text` with every occurrence of the verification `code` replaced by asterisks."""
    return text.replace(code, "*" * len(code)) if code else text


#: Provider codes a later try can get past: rate limits, an empty balance, the provider's own
#: faults, the network. Every other code (a blocked or invalid number, a template or signature
#: not approved, a missing parameter, bad credentials) fails the message for good.
TENCENT_PASSING = ("LimitExceeded.", "RequestLimitExceeded", "InternalError", "ResourceUnavailable")
TENCENT_PASSING_EXACT = frozenset(
    {
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "ClientNetworkError",
        "ServerNetworkError",
        "NetworkError",
    }
)
ALIYUN_PASSING_EXACT = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "ServiceUnavailable",
        "InternalError",
        "NetworkError",
    }
)


def provider_retryable(provider: str, code: str) -> bool:
    """Can trying again later help a message `provider` ("tencent", "aliyun") refused with `code`?"""
    if provider == "tencent":
        return code in TENCENT_PASSING_EXACT or code.startswith(TENCENT_PASSING)
    if provider == "aliyun":
        return code in ALIYUN_PASSING_EXACT or code.startswith("Throttling")
    return False


def pacing_slots(start: datetime, count: int, rate: float) -> list[datetime]:
    """The moments `count` messages may leave at `rate` per second, the first at `start`."""
    step = timedelta(seconds=1 / rate)
    return [start + step * index for index in range(count)]
