"""The rules of SMS verification codes, at their edges and as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsite.accounts import verification_rules as codes
from eventsite.accounts.verification_rules import AccountState, CodeState, Purpose
from eventsite.config import from_environment

NOW = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
SECRET = b"site-secret"


def test_the_constants_are_the_issues():
    assert codes.CODE_DIGITS == 6
    assert timedelta(minutes=5) == codes.CODE_LIFETIME
    assert codes.MAX_ATTEMPTS == 5
    assert timedelta(seconds=60) == codes.RESEND_WAIT
    assert codes.CODES_PER_DAY == 10


def test_the_daily_cap_setting_defaults_to_the_rule(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("SMS_CODE_MOBILE_LIMIT", raising=False)
    assert from_environment()["SMS_CODE_MOBILE_LIMIT"] == f"{codes.CODES_PER_DAY} per day"


# --- who is texted -------------------------------------------------------------------------


@pytest.mark.parametrize("account", list(AccountState))
def test_sign_up_and_new_number_codes_go_to_whoever_holds_the_number(account):
    assert codes.sends_code(Purpose.SIGN_UP, account)
    assert codes.sends_code(Purpose.CHANGE_MOBILE, account)


@pytest.mark.parametrize("purpose", [Purpose.SIGN_IN, Purpose.RESET_PASSWORD])
@pytest.mark.parametrize("account", list(AccountState))
def test_sign_in_and_reset_codes_go_only_to_an_active_claimed_account(purpose, account):
    assert codes.sends_code(purpose, account) is (account is AccountState.ACTIVE)


# --- what a code looks like ----------------------------------------------------------------


@pytest.mark.parametrize("number, code", [(0, "000000"), (7, "000007"), (999_999, "999999")])
def test_a_code_is_six_digits_with_zeros_in_front(number, code):
    assert codes.format_code(number) == code


@pytest.mark.parametrize("number", [-1, 1_000_000])
def test_a_number_outside_six_digits_is_no_code(number):
    with pytest.raises(ValueError):
        codes.format_code(number)


@pytest.mark.parametrize(
    "typed, code",
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("123-456", "123456"),
        ("１２３４５６", "123456"),  # full-width, from a Chinese keyboard
        ("12345", None),
        ("1234567", None),
        ("12345a", None),
        ("", None),
        (None, None),
        ("١٢٣٤٥٦", None),  # other scripts' digits are not a code
    ],
)
def test_a_typed_code_is_read_as_its_six_digits(typed, code):
    assert codes.normalize_code(typed) == code


@given(st.integers(min_value=0, max_value=999_999))
def test_every_code_reads_back_as_itself(number):
    code = codes.format_code(number)
    assert codes.normalize_code(code) == code


# --- how a code is stored ------------------------------------------------------------------


def test_a_code_matches_only_its_purpose_number_and_secret():
    stored = codes.code_digest(SECRET, "sign_in", "13800000000", "123456")
    assert "123456" not in stored and len(stored) == 64
    assert codes.code_matches(stored, SECRET, "sign_in", "13800000000", "123 456")
    assert not codes.code_matches(stored, SECRET, "reset_password", "13800000000", "123456")
    assert not codes.code_matches(stored, SECRET, "sign_in", "13800000001", "123456")
    assert not codes.code_matches(stored, b"other", "sign_in", "13800000000", "123456")
    assert not codes.code_matches(stored, SECRET, "sign_in", "13800000000", "123457")
    assert not codes.code_matches(stored, SECRET, "sign_in", "13800000000", None)


@given(st.integers(0, 999_999), st.integers(0, 999_999))
def test_only_the_code_itself_matches(issued, typed):
    stored = codes.code_digest(SECRET, "sign_up", "13800000000", codes.format_code(issued))
    matches = codes.code_matches(stored, SECRET, "sign_up", "13800000000", codes.format_code(typed))
    assert matches is (issued == typed)


# --- a code's life -------------------------------------------------------------------------


def state(*, age=timedelta(0), attempts=0, used=False):
    issued = NOW - age
    return codes.code_state(
        expires_at=codes.expires_at(issued), attempts=attempts, used=used, now=NOW
    )


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, CodeState.USABLE),
        ({"age": timedelta(minutes=4, seconds=59)}, CodeState.USABLE),
        ({"age": timedelta(minutes=5)}, CodeState.EXPIRED),
        ({"age": timedelta(days=1)}, CodeState.EXPIRED),
        ({"attempts": 4}, CodeState.USABLE),
        ({"attempts": 5}, CodeState.USED_UP),
        ({"attempts": 5, "age": timedelta(minutes=6)}, CodeState.USED_UP),
        ({"used": True}, CodeState.USED),
        ({"used": True, "attempts": 5, "age": timedelta(minutes=6)}, CodeState.USED),
    ],
)
def test_a_code_is_usable_until_used_tried_out_or_expired(kwargs, expected):
    assert state(**kwargs) is expected


@given(st.integers(0, 20), st.integers(0, 600), st.booleans())
def test_a_code_is_usable_exactly_while_nothing_ended_it(attempts, age_seconds, used):
    usable = state(attempts=attempts, age=timedelta(seconds=age_seconds), used=used)
    assert (usable is CodeState.USABLE) is (not used and attempts < 5 and age_seconds < 300)


@pytest.mark.parametrize("attempts, left", [(0, 5), (1, 4), (4, 1), (5, 0), (9, 0)])
def test_tries_left(attempts, left):
    assert codes.attempts_left(attempts) == left


@pytest.mark.parametrize(
    "last, wait",
    [
        (None, timedelta(0)),
        (NOW, timedelta(seconds=60)),
        (NOW - timedelta(seconds=1), timedelta(seconds=59)),
        (NOW - timedelta(seconds=59, microseconds=500_000), timedelta(microseconds=500_000)),
        (NOW - timedelta(seconds=60), timedelta(0)),
        (NOW - timedelta(hours=3), timedelta(0)),
    ],
)
def test_another_code_waits_a_minute_after_the_last(last, wait):
    assert codes.resend_wait(last, NOW) == wait


@pytest.mark.parametrize(
    "wait, seconds",
    [
        (timedelta(0), 0),
        (timedelta(microseconds=1), 1),
        (timedelta(seconds=59.2), 60),
        (timedelta(seconds=60), 60),
    ],
)
def test_a_wait_is_shown_in_whole_seconds_rounded_up(wait, seconds):
    assert codes.whole_seconds(wait) == seconds


@pytest.mark.parametrize("mobile, masked", [("13905512345", "139****2345"), ("123", "****")])
def test_a_number_told_to_another_is_masked(mobile, masked):
    assert codes.mask_mobile(mobile) == masked


@pytest.mark.parametrize(
    "seconds, hours", [(60, None), (7200, None), (7201, 3), (86_400, 24), (86_399.5, 24)]
)
def test_a_long_wait_is_told_in_hours(seconds, hours):
    assert codes.hours_to_wait(seconds) == hours
