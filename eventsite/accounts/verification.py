"""Verification codes by SMS and what they open: sign-up, signing in, a forgotten password, a
new mobile number. The rules are `verification_rules`; this module loads, counts and writes.

Every answer about a number is the same whether or not an account has it: a code row is written
and the counters are hit either way, and only the text itself goes or not (a stranger's number
asking to sign in gets no text, which only the number's holder can notice).

How many codes go out is counted in the rate limiter's storage (Redis in production), like the
failed logins of `attempts`: per number (SMS_CODE_MOBILE_LIMIT) and per client address, an IPv6
/64 as one (SMS_CODE_ADDRESS_LIMIT). An unreachable store raises limits' StorageError, which the
app answers "busy" (503): no text leaves uncounted. With RATELIMIT_ENABLED off nothing is counted.
The minute between two codes to one number is kept by the code rows themselves.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse_many
from sqlalchemy.exc import IntegrityError

from eventsite.accounts import attempts, devices, rules, service
from eventsite.accounts import verification_rules as codes
from eventsite.accounts.models import User, VerificationCode
from eventsite.accounts.service import AccountError
from eventsite.accounts.verification_rules import AccountState, CodeState, Purpose
from eventsite.core.notifications import notify
from eventsite.core.time import utcnow
from eventsite.extensions import db, limiter
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import queue_sms


class VerificationError(AccountError):
    """A code was not sent or not accepted; `retry_after` (seconds) when waiting helps."""

    def __init__(self, message, field: str | None = None, *, retry_after: int | None = None):
        super().__init__(message, field)
        self.retry_after = retry_after


class CodeRefused(VerificationError):
    """A typed code was not accepted. The try it cost counts: the caller commits, not rolls back."""


class NumberRegistered(VerificationError):
    """A sign-up code was right, but the number has an account already: log in instead."""


CODE_STATE_MESSAGES = {
    CodeState.USED: _l("This code has already been used. Please ask for a new one."),
    CodeState.USED_UP: _l("This code was entered wrongly too often. Please ask for a new one."),
    CodeState.EXPIRED: _l("This code has expired. Please ask for a new one."),
}
NO_CODE = _l("No code is waiting for this number. Please ask for one.")
ALREADY_REGISTERED = _l(
    "This number already has an account. Log in with your password or with an SMS code; if "
    "you forgot the password, reset it by SMS code."
)
NUMBER_TAKEN = _l(
    "Another account uses this number. If it is yours too, log in to it, or ask your union "
    "office to help."
)
SAME_NUMBER = _l("This is already your mobile number.")


def _secret() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    return secret if isinstance(secret, bytes) else secret.encode()


def _account_state(user: User | None) -> AccountState:
    if user is None:
        return AccountState.NONE
    if user.is_unclaimed:
        return AccountState.UNCLAIMED
    return AccountState.ACTIVE if user.active else AccountState.INACTIVE


# --- how many codes go out -----------------------------------------------------------------

MOBILE, ADDRESS = "mobile", "address"
LIMIT_SETTINGS = {MOBILE: "SMS_CODE_MOBILE_LIMIT", ADDRESS: "SMS_CODE_ADDRESS_LIMIT"}


def _counters(address: str | None, mobile: str) -> list[tuple[str, RateLimitItem, tuple]]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    keys = {MOBILE: mobile, ADDRESS: rules.address_scope(address)}
    return [
        (counter, item, (prefix, "sms-codes", counter, key))
        for counter, key in keys.items()
        for item in parse_many(current_app.config[LIMIT_SETTINGS[counter]])
    ]


def _count_code(address: str | None, mobile: str) -> None:
    """Count one code against the number's and the address's limits, or refuse when one is out."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    strategy = limiter.limiter
    counters = _counters(address, mobile)
    now = time.time()
    for counter, item, ids in counters:
        if not strategy.test(item, *ids):
            seconds = max(1, int(strategy.get_window_stats(item, *ids).reset_time - now) + 1)
            raise VerificationError(_limit_message(counter, seconds), "mobile", retry_after=seconds)
    for _counter, item, ids in counters:
        strategy.hit(item, *ids)


def _limit_message(counter: str, seconds: int):
    """Why no code goes now, and for about how long: in minutes, or in hours past two hours."""
    hours = codes.hours_to_wait(seconds)
    if counter == MOBILE:
        if hours is not None:
            return _l(
                "This number has been sent as many codes as are allowed for now. Please try "
                "again in about %(hours)s hours.",
                hours=hours,
            )
        return _l(
            "This number has been sent as many codes as are allowed for now. Please try again "
            "in about %(minutes)s minutes.",
            minutes=rules.minutes_to_wait(seconds),
        )
    if hours is not None:
        return _l(
            "Too many codes were asked for from your network. Please try again in about "
            "%(hours)s hours.",
            hours=hours,
        )
    return _l(
        "Too many codes were asked for from your network. Please try again in about "
        "%(minutes)s minutes.",
        minutes=rules.minutes_to_wait(seconds),
    )


def last_issued_at(mobile: str) -> datetime | None:
    """When the number was last given a code, for any purpose."""
    return db.session.scalar(
        sa.select(sa.func.max(VerificationCode.created_at)).where(VerificationCode.mobile == mobile)
    )


def resend_wait_seconds(mobile: str, now: datetime | None = None) -> int:
    """Whole seconds until another code may go to `mobile`; 0 when one may go now."""
    return codes.whole_seconds(codes.resend_wait(last_issued_at(mobile), now or utcnow()))


# --- issuing and checking ------------------------------------------------------------------


def request_code(
    purpose: Purpose,
    mobile: str,
    *,
    address: str | None,
    requester: User | None = None,
    locale: str | None = None,
) -> None:
    """Give `mobile` a new code for `purpose`, replacing the one it had, and text it when
    `verification_rules.sends_code` says so; refused while the last code is under a minute old
    or a limit is used up. `requester`: the signed-in member asking for a new number's code."""
    number = rules.normalize_mobile(mobile)
    if number is None:
        raise VerificationError(_l("Please enter an 11-digit mainland mobile number."), "mobile")
    if requester is not None and number == requester.mobile:
        raise VerificationError(SAME_NUMBER, "mobile")
    now = utcnow()
    wait = codes.resend_wait(last_issued_at(number), now)
    if wait:
        seconds = codes.whole_seconds(wait)
        raise VerificationError(
            _l(
                "A code was sent to this number a moment ago. You can ask for another in "
                "%(seconds)s seconds.",
                seconds=seconds,
            ),
            "mobile",
            retry_after=seconds,
        )
    _count_code(address, number)
    code = codes.format_code(secrets.randbelow(10**codes.CODE_DIGITS))
    values = {
        "code_hash": codes.code_digest(_secret(), purpose, number, code),
        "user_id": requester.id if requester is not None else None,
        "created_at": now,
        "expires_at": codes.expires_at(now),
        "attempts": 0,
        "used_at": None,
    }
    try:
        # A savepoint, so a simultaneous request for the same number loses cleanly.
        with db.session.begin_nested():
            row = db.session.scalar(
                sa.select(VerificationCode)
                .where(VerificationCode.mobile == number, VerificationCode.purpose == purpose)
                .with_for_update()
            )
            if row is None:
                db.session.add(VerificationCode(mobile=number, purpose=str(purpose), **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
    except IntegrityError as exc:
        raise VerificationError(
            _l("A code was sent to this number a moment ago. Please wait a minute."), "mobile"
        ) from exc
    owner = service.user_by_mobile(number)
    if codes.sends_code(purpose, _account_state(owner)):
        minutes = int(codes.CODE_LIFETIME.total_seconds() // 60)
        queue_sms(
            number,
            SmsKind.CODE,
            {"code": code, "minutes": minutes},
            user=requester or owner,
            locale=locale,
            now=now,
        )
    db.session.flush()


def check_code(
    purpose: Purpose, mobile: str, typed: str | None, *, requester: User | None = None
) -> VerificationCode:
    """Use the number's code for `purpose` when `typed` is it; every check counts as a try, and
    the refusal says how many are left. The caller commits after a refusal too, so the try counts.
    """
    number = rules.normalize_mobile(mobile)
    row = None
    if number is not None:
        row = db.session.scalar(
            sa.select(VerificationCode)
            .where(VerificationCode.mobile == number, VerificationCode.purpose == purpose)
            .with_for_update()
        )
    if row is None or (requester is not None and row.user_id != requester.id):
        raise CodeRefused(NO_CODE, "code")
    now = utcnow()
    state = codes.code_state(
        expires_at=row.expires_at, attempts=row.attempts, used=row.used_at is not None, now=now
    )
    if state is not CodeState.USABLE:
        raise CodeRefused(CODE_STATE_MESSAGES[state], "code")
    row.attempts += 1
    if codes.code_matches(row.code_hash, _secret(), purpose, number, typed):
        row.used_at = now
        db.session.flush()
        return row
    db.session.flush()
    left = codes.attempts_left(row.attempts)
    if left == 0:
        raise CodeRefused(CODE_STATE_MESSAGES[CodeState.USED_UP], "code")
    raise CodeRefused(_l("The code is not right. Tries left for this code: %(n)s.", n=left), "code")


def _owner_signing_in(purpose: Purpose, address: str | None, mobile: str, typed: str | None):
    """The active account a right code opens, or a Pause while failed logins pause the number;
    a wrong code counts as a failed login, as a wrong password does."""
    paused = attempts.pause(address, mobile)
    if paused is not None:
        return paused
    try:
        row = check_code(purpose, mobile, typed)
    except CodeRefused:
        attempts.record_failure(address, mobile)
        raise
    owner = service.user_by_mobile(row.mobile)
    if _account_state(owner) is not AccountState.ACTIVE:
        # A code is texted only to an active account's number: it has changed since.
        raise VerificationError(NO_CODE, "code")
    return owner


# --- what a code opens ---------------------------------------------------------------------


def sign_up(*, mobile: str, code: str | None, **details) -> User:
    """Create the account for a number proved by its sign-up code, or take over the account an
    organizer's import made for it; a number with a claimed account is refused (only its
    holder, who has the code, learns that)."""
    row = check_code(Purpose.SIGN_UP, mobile, code)
    try:
        return service.sign_up(mobile=row.mobile, verified_at=row.used_at, **details)
    except AccountError as error:
        if error.field == "mobile":
            raise NumberRegistered(ALREADY_REGISTERED) from error
        raise


def sign_in(address: str | None, mobile: str, code: str | None) -> User | attempts.Pause:
    """The account whose sign-in code this is, or the Pause failed logins imposed. The code
    proves the number: an account made without one (an admin the command line created) counts
    as verified from now on."""
    owner = _owner_signing_in(Purpose.SIGN_IN, address, mobile, code)
    if isinstance(owner, User) and owner.mobile_verified_at is None:
        owner.mobile_verified_at = utcnow()
    return owner


def reset_password(
    address: str | None, mobile: str, code: str | None, password: str
) -> User | attempts.Pause:
    """Set a new password on the account whose reset code this is; every device signed in to it
    is signed out and the member is told in their inbox."""
    owner = _owner_signing_in(Purpose.RESET_PASSWORD, address, mobile, code)
    if isinstance(owner, attempts.Pause):
        return owner
    owner.set_password(password)
    owner.mobile_verified_at = utcnow()
    devices.sign_out_everywhere(owner)
    notify(
        owner,
        lambda: (
            _l("Your password was reset"),
            _l(
                "The password of your account was reset with a code sent to your mobile, and "
                "every device signed in to your account was signed out. If this was not you, "
                "contact your union office at once."
            ),
        ),
        link=url_for("accounts.profile"),
    )
    db.session.flush()
    return owner


def change_mobile(user: User, mobile: str, code: str | None) -> str:
    """Move the member's login to the new number their code proves; the old number is texted
    that it changed. Returns the old number."""
    row = check_code(Purpose.CHANGE_MOBILE, mobile, code, requester=user)
    if row.mobile == user.mobile:
        raise VerificationError(SAME_NUMBER, "mobile")
    if service.user_by_mobile(row.mobile) is not None:
        raise VerificationError(NUMBER_TAKEN, "mobile")
    old = user.mobile
    user.mobile = row.mobile
    user.mobile_verified_at = row.used_at
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise VerificationError(NUMBER_TAKEN, "mobile") from exc
    queue_sms(old, SmsKind.MOBILE_CHANGED, {"mobile": codes.mask_mobile(row.mobile)}, user=user)
    db.session.flush()
    return old
