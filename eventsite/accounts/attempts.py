"""Failed logins, counted three ways in the rate limiter's storage (Redis in production).

- per address and mobile number (LOGIN_RATE_LIMIT): one member's typos pause only themselves;
- per mobile number over all addresses (LOGIN_ACCOUNT_RATE_LIMIT): guessing one account from
  many addresses stays slow, and the account's owner is told once per burst;
- per address over all numbers (LOGIN_ADDRESS_RATE_LIMIT; an IPv6 /64 counts as one address):
  one password tried on many accounts (password spraying) stops.

Only failures count: a member who logs in is never held back by their own successes. Numbers
are counted whether or not an account has them, so a pause says nothing about which exist.
The storage is Flask-Limiter's (RATELIMIT_STORAGE_URI), so every worker and host counts
together; with RATELIMIT_ENABLED off nothing is counted.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse_many

from eventsite.accounts import rules
from eventsite.accounts.models import User
from eventsite.accounts.service import authenticate, user_by_mobile
from eventsite.core.notifications import notify
from eventsite.core.time import format_local, utcnow
from eventsite.extensions import limiter

#: What a counter counts, and the setting that holds its limits.
ADDRESS, ACCOUNT, ADDRESS_AND_ACCOUNT = "address", "account", "address-account"
SETTINGS = {
    ADDRESS_AND_ACCOUNT: "LOGIN_RATE_LIMIT",
    ACCOUNT: "LOGIN_ACCOUNT_RATE_LIMIT",
    ADDRESS: "LOGIN_ADDRESS_RATE_LIMIT",
}


@dataclass(frozen=True)
class Pause:
    """Logging in is refused for `seconds` more, because of the `counter` that ran out."""

    counter: str
    seconds: float

    @property
    def retry_after(self) -> int:
        """Whole seconds for the Retry-After header."""
        return max(1, math.ceil(self.seconds))

    @property
    def message(self) -> str:
        minutes = rules.minutes_to_wait(self.seconds)
        if self.counter == ADDRESS:
            return _(
                "Too many failed logins from your network. To protect members' accounts, "
                "logging in from here is paused; please try again in about %(minutes)s minutes.",
                minutes=minutes,
            )
        return _(
            "Too many wrong passwords for this mobile number. To protect the account, logging "
            "in to it is paused; please try again in about %(minutes)s minutes.",
            minutes=minutes,
        )


def _counting() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _counters(address: str | None, mobile: str | None) -> list[tuple[str, RateLimitItem, tuple]]:
    """(counter, limit, identifiers) for every limit this attempt counts against."""
    scope = rules.address_scope(address)
    number = rules.normalize_mobile(mobile)
    keys = {ADDRESS: (scope,)}
    if number is not None:
        keys[ACCOUNT] = (number,)
        keys[ADDRESS_AND_ACCOUNT] = (scope, number)
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [
        (counter, item, (prefix, "login-failures", counter, *key))
        for counter, key in keys.items()
        for item in parse_many(current_app.config[SETTINGS[counter]])
    ]


def pause(address: str | None, mobile: str | None) -> Pause | None:
    """Whether a login from `address` to `mobile` must wait, and for how long (the longest wait)."""
    if not _counting():
        return None
    strategy = limiter.limiter
    now = time.time()
    pauses = [
        Pause(counter, strategy.get_window_stats(item, *ids).reset_time - now)
        for counter, item, ids in _counters(address, mobile)
        if not strategy.test(item, *ids)
    ]
    return max(pauses, key=lambda found: found.seconds, default=None)


def log_in(address: str | None, mobile: str, password: str) -> User | Pause | None:
    """The account for these credentials; a Pause when failed logins have paused this attempt
    (the password is not even checked); None for wrong credentials, counted as a failure."""
    paused = pause(address, mobile)
    if paused is not None:
        return paused
    user = authenticate(mobile, password)
    if user is None:
        record_failure(address, mobile)
    return user


def record_failure(address: str | None, mobile: str | None) -> None:
    """Count a failed login; when it uses up the account's allowance, tell the account's owner."""
    if not _counting():
        return
    strategy = limiter.limiter
    used_up: list[RateLimitItem] = []
    for counter, item, ids in _counters(address, mobile):
        strategy.hit(item, *ids)
        if counter == ACCOUNT and strategy.get_window_stats(item, *ids).remaining == 0:
            used_up.append(item)
    if used_up:
        owner = user_by_mobile(mobile)
        if owner is not None and owner.active:
            _tell_owner(owner, failures=max(item.amount for item in used_up))


def _tell_owner(owner: User, *, failures: int) -> None:
    """An inbox message (and a mail) that someone is guessing the member's password."""
    at = format_local(utcnow())

    def render():
        return (
            _l("Someone is trying to log in to your account"),
            _l(
                "There were %(n)s attempts to log in to your account with a wrong password, "
                "most recently at %(time)s. Logging in to your account is paused for a while. "
                "If this was you, please wait and try again. If it was not, your password has "
                "not been given away; to be safe, choose a new, longer one under My account.",
                n=failures,
                time=at,
            ),
        )

    notify(owner, render, link=url_for("accounts.change_password"))
