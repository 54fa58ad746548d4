"""The account rules, directly: mobile numbers, passwords, birth years."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsite.accounts import rules
from eventsite.accounts.rules import PasswordProblem

#: Any valid mainland mobile: "1", 3-9, nine digits.
mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


# --- mobile numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("86-138-1234-5678", "13812345678"),
        ("  13812345678\t", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits from a Chinese keyboard
        ("＋86 13812345678", "13812345678"),
    ],
)
def test_accepted_spellings_normalise_to_eleven_digits(raw, expected):
    assert rules.normalize_mobile(raw) == expected
    assert rules.is_mainland_mobile(raw)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # second digit 2
        "10812345678",  # second digit 0
        "11812345678",  # second digit 1
        "23812345678",  # does not start with 1
        "1381234567a",
        "+85213812345678",  # Hong Kong prefix
        "+86",
        "86",
        "+1 13812345678",
        "138.1234.5678",
        "138_1234_5678",
        "٠١٣٨١٢٣٤٥٦٧",  # Arabic-Indic digits are digits to Python, not to us
        "8612812345678",
    ],
)
def test_refused_numbers(raw):
    assert rules.normalize_mobile(raw) is None
    assert not rules.is_mainland_mobile(raw)


@given(mobiles)
def test_every_valid_number_is_its_own_normal_form(number):
    assert rules.normalize_mobile(number) == number


@given(
    mobiles,
    st.sampled_from(["", "+86", "86", "+86 ", "86-"]),
    st.lists(st.sampled_from([" ", "-", "  ", " - "]), min_size=10, max_size=10),
)
def test_prefix_and_separators_never_change_the_number(number, prefix, separators):
    spelled = prefix + "".join(d + s for d, s in zip(number, [*separators, ""], strict=False))
    assert rules.normalize_mobile(spelled) == number


@given(st.text(max_size=30))
def test_normal_form_is_always_a_valid_number_or_none(raw):
    number = rules.normalize_mobile(raw)
    if number is not None:
        assert len(number) == 11 and number.isascii() and number.isdigit()
        assert number[0] == "1" and number[1] in "3456789"
        assert rules.normalize_mobile(number) == number  # idempotent


@given(st.text(alphabet="0123456789", min_size=0, max_size=20).filter(lambda s: len(s) != 11))
def test_wrong_digit_count_is_refused(digits):
    if digits.startswith("86") and len(digits) == 13:
        return  # 86 + 11 digits is the country-code spelling, covered above
    assert rules.normalize_mobile(digits) is None


@pytest.mark.parametrize(
    "query, digits",
    [
        ("136-55", "13655"),
        ("+86 136 55", "13655"),
        ("１３６", "136"),
        ("5500", "5500"),
        ("张", "张"),
    ],
)
def test_partly_typed_numbers_are_searched_as_stored(query, digits):
    assert rules.mobile_digits(query) == digits


# --- passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, mobile, problem",
    [
        ("", None, PasswordProblem.TOO_SHORT),
        ("abc1234", None, PasswordProblem.TOO_SHORT),  # 7
        ("abcd1234", None, None),  # exactly 8
        ("aaaaaaaa", None, PasswordProblem.ONE_CHARACTER),
        ("11111111111", None, PasswordProblem.ONE_CHARACTER),
        ("aaaaaaab", None, None),
        ("13812345678", "13812345678", PasswordProblem.SAME_AS_MOBILE),
        ("13812345678", "+86 138-1234-5678", PasswordProblem.SAME_AS_MOBILE),
        ("138 1234 5678", "13812345678", PasswordProblem.SAME_AS_MOBILE),
        ("13812345679", "13812345678", None),
        ("x" * 128 + "y", None, PasswordProblem.TOO_LONG),
        ("x" * 127 + "y", None, None),
        ("不是简单的密码啊", None, None),  # eight Chinese characters
        ("abcdefgh", "not a number", None),
    ],
)
def test_password_rule(password, mobile, problem):
    assert rules.password_problem(password, mobile) == problem


@given(st.characters(), st.integers(min_value=1, max_value=200))
def test_one_repeated_character_is_never_accepted(char, n):
    assert rules.password_problem(char * n) is not None


@given(st.text(min_size=8, max_size=128).filter(lambda s: len(set(s)) > 1))
def test_long_enough_varied_passwords_pass_without_a_mobile(password):
    assert rules.password_problem(password) is None


@given(mobiles)
def test_the_mobile_itself_is_never_a_password(number):
    assert rules.password_problem(number, number) is PasswordProblem.SAME_AS_MOBILE


@given(st.text(max_size=7))
def test_short_passwords_are_refused(password):
    assert rules.password_problem(password) is PasswordProblem.TOO_SHORT


# --- birth years --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "year, plausible",
    [
        (None, False),
        (1939, False),
        (1940, True),
        (1990, True),
        (2010, True),  # turns 16 in 2026
        (2011, False),
        (2026, False),
        (0, False),
        (-1990, False),
    ],
)
def test_birth_year_bounds_in_2026(year, plausible):
    assert rules.birth_year_plausible(year, 2026) is plausible


@given(st.integers(min_value=1960, max_value=2200), st.integers(min_value=-5000, max_value=5000))
def test_birth_year_plausible_iff_in_range(current_year, year):
    earliest, latest = rules.birth_year_range(current_year)
    assert (earliest, latest) == (1940, current_year - 16)
    assert rules.birth_year_plausible(year, current_year) == (earliest <= year <= latest)
