"""Account rules: what counts as a mainland mobile number, a phone number, an acceptable password, a birth year,
how a signed-in device is named and kept, and where failed logins are counted.

Plain functions over plain values: no Flask, no database. Forms and the CLI call these and turn
the answers into messages.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import math
import re
import unicodedata
from datetime import datetime, timedelta

#: The login is a mainland China mobile number: 11 digits, "1", then 3-9, then nine digits.
_MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
#: Separators people type inside a number ("138 1234 5678", "138-1234-5678").
_SEPARATORS = re.compile(r"[\s\-]+")

PASSWORD_MIN_LENGTH = 8
#: Long enough for any passphrase; the cap keeps hashing cheap for absurd input.
PASSWORD_MAX_LENGTH = 128

EARLIEST_BIRTH_YEAR = 1940
#: Members must be at least this old in the year they sign up (the legal working age).
MINIMUM_AGE_YEARS = 16


def normalize_mobile(raw: str | None) -> str | None:
    """The 11-digit mainland number in `raw` (spaces, dashes and a leading +86/86 removed), or None."""
    if not raw:
        return None
    # NFKC turns full-width digits and "＋" from a Chinese input method into ASCII.
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86"):
        text = text[2:]
    return text if _MOBILE.fullmatch(text) else None


def is_mainland_mobile(raw: str | None) -> bool:
    """A number is a mainland mobile when it normalises to 11 digits starting 13-19."""
    return normalize_mobile(raw) is not None


#: A landline with its area code: 010 and 02X (three digits with the 0) go with an 8-digit
#: number, 0 and three digits (0553) with a 7- or 8-digit one; a local number never starts
#: with 0 or 1.
_LANDLINE = re.compile(
    r"(0(?:10|2[0-9]))([2-9][0-9]{7})|(0[3-9][0-9]{2})([2-9][0-9]{6,7})", re.ASCII
)
#: What people type inside a landline besides digits: "0553-1234567", "(0553) 1234567".
_PHONE_SEPARATORS = re.compile(r"[\s\-()]+")


def normalize_phone(raw: str | None) -> str | None:
    """A number someone can be called on: a mainland mobile as its 11 digits, or a landline with its area code as "0553-1234567"; None for anything else."""
    mobile = normalize_mobile(raw)
    if mobile is not None or not raw:
        return mobile
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    match = _LANDLINE.fullmatch(text)
    if match is None:
        return None
    area, local = match.group(1, 2) if match.group(1) else match.group(3, 4)
    return f"{area}-{local}"


def mobile_digits(query: str) -> str:
    """A partly typed number as stored: separators and a leading +86 removed, e.g. "136-55" → "13655"."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", query))
    return text[3:] if text.startswith("+86") else text


class PasswordProblem(enum.StrEnum):
    """Why a password is refused; forms turn these into messages."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    ONE_CHARACTER = "one_character"
    SAME_AS_MOBILE = "same_as_mobile"


def password_problem(password: str, mobile: str | None = None) -> PasswordProblem | None:
    """A password needs 8+ characters, more than one distinct character, and must not be the mobile."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > PASSWORD_MAX_LENGTH:
        return PasswordProblem.TOO_LONG
    if len(set(password)) == 1:
        return PasswordProblem.ONE_CHARACTER
    if mobile:
        number = normalize_mobile(mobile)
        if password == mobile or (number is not None and normalize_mobile(password) == number):
            return PasswordProblem.SAME_AS_MOBILE
    return None


def birth_year_range(current_year: int) -> tuple[int, int]:
    """Plausible birth years run from 1940 to the year a member turned 16."""
    return EARLIEST_BIRTH_YEAR, current_year - MINIMUM_AGE_YEARS


def birth_year_plausible(year: int | None, current_year: int) -> bool:
    """A birth year is plausible when it lies within `birth_year_range(current_year)`."""
    if year is None:
        return False
    earliest, latest = birth_year_range(current_year)
    return earliest <= year <= latest


def same_name(a: str, b: str) -> bool:
    """Two spellings of a person's name match when they differ only in spaces."""
    return "".join(a.split()) == "".join(b.split()) and bool(a.strip())


#: Claim codes use capitals and digits that cannot be mistaken for one another when read out
#: or copied from paper (no 0/O, 1/I/L).
CLAIM_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CLAIM_CODE_LENGTH = 8


def normalize_claim_code(raw: str | None) -> str:
    """A typed claim code as issued: full-width forms, spaces and dashes removed, in capitals."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or "")).upper()


def claim_code_digest(secret: bytes, mobile: str, code: str) -> str:
    """What is stored for a claim code: an HMAC-SHA256 under the site's secret, bound to the mobile."""
    message = f"{mobile}:{normalize_claim_code(code)}".encode()
    return "hmac-sha256$" + hmac.new(secret, message, hashlib.sha256).hexdigest()


def claim_code_matches(stored: str | None, secret: bytes, mobile: str, code: str | None) -> bool:
    """A code is right when one was issued and the typed code's digest equals the stored one."""
    if not stored or not normalize_claim_code(code):
        return False
    return hmac.compare_digest(stored, claim_code_digest(secret, mobile, code))


# --- signed-in devices --------------------------------------------------------------------

#: (what the User-Agent contains, the browser's name); the first match names it, so in-app
#: browsers and Chromium's many brands come before the Chrome and Safari they build on.
BROWSER_MARKS = (
    ("MicroMessenger", "WeChat"),
    ("DingTalk", "DingTalk"),
    ("MQQBrowser", "QQ Browser"),
    ("QQBrowser", "QQ Browser"),
    (" QQ/", "QQ"),
    ("UCBrowser", "UC Browser"),
    ("Quark", "Quark"),
    ("HuaweiBrowser", "Huawei Browser"),
    ("MiuiBrowser", "Xiaomi Browser"),
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("Edge/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEM_MARKS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("HarmonyOS", "HarmonyOS"),
    ("OpenHarmony", "HarmonyOS"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_name(user_agent: str | None) -> str:
    """A device is named by its browser and system ("Chrome · Android"), by the one known, or ""."""
    text = user_agent or ""
    browser = next((name for mark, name in BROWSER_MARKS if mark in text), None)
    system = next((name for mark, name in SYSTEM_MARKS if mark in text), None)
    return " · ".join(part for part in (browser, system) if part)


def device_idle(last_seen: datetime, now: datetime, idle_limit: timedelta) -> bool:
    """A signed-in device is signed out once it has not been seen for longer than `idle_limit`."""
    return now - last_seen > idle_limit


def last_seen_due(last_seen: datetime, now: datetime, every: timedelta) -> bool:
    """A device's last-seen time is written again only once `every` has passed since the last one."""
    return now - last_seen >= every


class SessionEnd(enum.StrEnum):
    """Why a browser's session id signs it in no more; the login page tells the member."""

    #: Its device was signed out from elsewhere: "sign out everywhere else" or a new password.
    ENDED = "ended"
    #: Its device went unused past the idle limit.
    IDLE = "idle"
    #: The account was deactivated.
    DEACTIVATED = "deactivated"


def session_end(device_found: bool, account_active: bool, idle: bool) -> SessionEnd | None:
    """A session id signs in while its device exists, unused for no longer than the idle limit,
    on an active account; otherwise the first of these that fails says why it ended."""
    if not device_found:
        return SessionEnd.ENDED
    if not account_active:
        return SessionEnd.DEACTIVATED
    if idle:
        return SessionEnd.IDLE
    return None


# --- failed logins ------------------------------------------------------------------------

#: An IPv6 subscriber gets a whole /64 (and can pick any address in it): count the network.
IPV6_SUBSCRIBER_PREFIX = 64


def address_scope(address: str | None) -> str:
    """Failed logins are counted per IPv4 address and per IPv6 /64 network (one subscriber's)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_SUBSCRIBER_PREFIX}", strict=False))
    return str(ip)


def minutes_to_wait(seconds: float) -> int:
    """A pause is announced in whole minutes, rounded up, and never as 0."""
    return max(1, math.ceil(seconds / 60))


class NoticeGate(enum.StrEnum):
    """What a signed-in request meets while its member has not accepted the current privacy
    notice."""

    #: Served as asked: signing out, the notice itself, the language, static files and the like.
    PASS = "pass"
    #: A script or a scanner waits for JSON: a 403 in JSON that names the notice's page.
    JSON = "json"
    #: A page: the browser is sent to the notice, and back where it was going after accepting.
    NOTICE = "notice"


def notice_accepted(accepted_version: str | None, current_version: str) -> bool:
    """A member has accepted the notice only in the very version now in force."""
    return accepted_version == current_version


def notice_gate(
    *, accepted: bool, endpoint: str | None, exempt: frozenset[str], wants_json: bool
) -> NoticeGate:
    """Until the current notice is accepted, only the exempt endpoints (and a 404, which has
    none) are served; anything else is answered in the form its caller reads."""
    if accepted or endpoint is None or endpoint in exempt:
        return NoticeGate.PASS
    return NoticeGate.JSON if wants_json else NoticeGate.NOTICE
