"""Verification codes sent by SMS: what a code looks like, how long it lives, how often it may be
tried and resent, how it is stored, and to whom a code actually goes.

Plain functions over plain values: no Flask, no database. `accounts.verification` loads the
code's row and the clock, asks these, and writes the outcome.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
import re
import unicodedata
from datetime import datetime, timedelta

#: A code is six digits, valid five minutes, tried at most five times; another may be asked for
#: after a minute, and one number receives at most ten a day.
CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_WAIT = timedelta(seconds=60)
CODES_PER_DAY = 10

#: What people type around the digits: spaces, dashes.
_SEPARATORS = re.compile(r"[\s\-]+")
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}", re.ASCII)


class Purpose(enum.StrEnum):
    """What a code proves the number's holder may do; a code works only for its own purpose."""

    SIGN_UP = "sign_up"
    SIGN_IN = "sign_in"
    RESET_PASSWORD = "reset_password"
    CHANGE_MOBILE = "change_mobile"


class AccountState(enum.StrEnum):
    """What the number a code is asked for belongs to."""

    NONE = "none"
    #: Made by an organizer's roster import and not yet taken over.
    UNCLAIMED = "unclaimed"
    ACTIVE = "active"
    INACTIVE = "inactive"


def sends_code(purpose: Purpose, account: AccountState) -> bool:
    """A code is texted for sign-up and for a new number whoever holds the number (the holder
    learns what follows only by using it); for signing in and resetting a password only when an
    active, claimed account has the number. The page answers the same either way."""
    if purpose in (Purpose.SIGN_UP, Purpose.CHANGE_MOBILE):
        return True
    return account is AccountState.ACTIVE


def format_code(number: int) -> str:
    """A random number below 10**6 as the code the member reads: six digits, zeros in front."""
    if not 0 <= number < 10**CODE_DIGITS:
        raise ValueError(f"a code is a number below {10**CODE_DIGITS}")
    return f"{number:0{CODE_DIGITS}d}"


def normalize_code(raw: str | None) -> str | None:
    """The six digits of a typed code (full-width digits, spaces and dashes allowed), or None."""
    if not raw:
        return None
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    return text if _CODE.fullmatch(text) else None


def code_digest(secret: bytes, purpose: str, mobile: str, code: str) -> str:
    """What is stored for a code: an HMAC-SHA256 under the site's secret over purpose, number
    and code, so a copy of the table gives away no code and a code fits no other purpose."""
    message = f"{purpose}:{mobile}:{code}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def code_matches(stored: str, secret: bytes, purpose: str, mobile: str, typed: str | None) -> bool:
    """A typed code is right when its digest equals the stored one (compared in constant time)."""
    code = normalize_code(typed)
    if code is None:
        return False
    return hmac.compare_digest(stored, code_digest(secret, purpose, mobile, code))


class CodeState(enum.StrEnum):
    """Whether a stored code may still be tried, and if not, why."""

    USABLE = "usable"
    USED = "used"
    #: Tried MAX_ATTEMPTS times without the right code.
    USED_UP = "used_up"
    EXPIRED = "expired"


def code_state(*, expires_at: datetime, attempts: int, used: bool, now: datetime) -> CodeState:
    """A code may be tried until it is used, tried MAX_ATTEMPTS times, or its lifetime ends."""
    if used:
        return CodeState.USED
    if attempts >= MAX_ATTEMPTS:
        return CodeState.USED_UP
    if now >= expires_at:
        return CodeState.EXPIRED
    return CodeState.USABLE


def attempts_left(attempts: int) -> int:
    """Tries a code has left after `attempts` checks (never below zero)."""
    return max(0, MAX_ATTEMPTS - attempts)


def expires_at(issued_at: datetime) -> datetime:
    """A code issued at `issued_at` is valid for CODE_LIFETIME."""
    return issued_at + CODE_LIFETIME


def resend_wait(last_issued_at: datetime | None, now: datetime) -> timedelta:
    """How long until another code may go to a number whose last code was issued at
    `last_issued_at` (for any purpose); zero when one may go now."""
    if last_issued_at is None:
        return timedelta(0)
    return max(timedelta(0), last_issued_at + RESEND_WAIT - now)


def whole_seconds(wait: timedelta) -> int:
    """A wait as the page shows it and Retry-After sends it: whole seconds, rounded up."""
    seconds = wait.total_seconds()
    return int(seconds) + (seconds > int(seconds))


def hours_to_wait(seconds: float) -> int | None:
    """A wait of more than two hours is told in whole hours, rounded up; a shorter one is not
    (None: tell it in minutes)."""
    if seconds <= 2 * 3600:
        return None
    return math.ceil(seconds / 3600)


def mask_mobile(mobile: str) -> str:
    """A number as a text to another number shows it: the first three and last four digits."""
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 7 else "****"
