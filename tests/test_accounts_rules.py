"""The account rules, directly: mobile numbers, passwords, birth years, devices, login counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


# --- a phone a match can call (the mixer's contact card) -------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0553-5812345", "0553-5812345"),
        ("0553 58123456", "0553-58123456"),
        ("(0553) 5812345", "0553-5812345"),
        ("（０５５３）５８１２３４５", "0553-5812345"),
        ("010-62345678", "010-62345678"),
        ("02187654321", "021-87654321"),
    ],
)
def test_a_phone_is_a_mobile_or_a_landline_with_its_area_code(raw, expected):
    assert rules.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "12345",  # five digits: no number anyone can call
        "1234567",  # a local number without its area code
        "abc电话",
        "1" * 500,
        "010-1234567",  # Beijing numbers have 8 digits
        "0553-581234",  # too short
        "0553-581234567",  # too long
        "0553-0812345",  # a local number never starts with 0 or 1
        "0553-1812345",
        "0553-5812345 转 8",  # extensions are not taken
        "12812345678",  # 12x is no mobile prefix
        "+852 9123 4567",  # outside the mainland
    ],
)
def test_anything_else_is_no_phone(raw):
    assert rules.normalize_phone(raw) is None


@given(st.text(max_size=30))
def test_a_phones_normal_form_is_its_own(raw):
    number = rules.normalize_phone(raw)
    if number is not None:
        assert rules.normalize_phone(number) == number
        assert number == rules.normalize_mobile(number) or number.startswith("0")


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


# --- signed-in devices --------------------------------------------------------------------

IPHONE_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN"
)
HUAWEI_BROWSER = (
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.13.0.302) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/114.0.5735.196 HuaweiBrowser/14.0.5.302 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    "user_agent, name",
    [
        (IPHONE_WECHAT, "WeChat · iPhone"),
        (HUAWEI_BROWSER, "Huawei Browser · HarmonyOS"),
        (
            "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome · Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.5 Safari/605.1.15",
            "Safari · macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            "Chrome · iPhone",
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
            "Firefox · Linux",
        ),
        (
            "Mozilla/5.0 (Linux; U; Android 13; zh-CN; V2227A Build/TP1A.220624.014) "
            "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 "
            "UCBrowser/16.5.0.1292 Mobile Safari/537.36",
            "UC Browser · Android",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Windows"),
        ("curl/8.5.0", ""),
        ("Werkzeug/3.1.3", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_a_device_is_named_by_browser_and_system(user_agent, name):
    assert rules.device_name(user_agent) == name


#: User-Agent-like text: pieces of real marks mixed with anything.
user_agents = st.lists(
    st.one_of(
        st.sampled_from([mark for mark, _name in rules.BROWSER_MARKS + rules.SYSTEM_MARKS]),
        st.text(max_size=20),
    ),
    max_size=12,
).map(" ".join)


@given(user_agents)
def test_a_device_name_is_at_most_one_known_browser_and_one_known_system(user_agent):
    name = rules.device_name(user_agent)
    browsers = {name for _mark, name in rules.BROWSER_MARKS}
    systems = {name for _mark, name in rules.SYSTEM_MARKS}
    parts = name.split(" · ") if name else []
    assert len(parts) <= 2 and len(name) <= 60  # the column's width
    assert all(part in browsers | systems for part in parts)
    if len(parts) == 2:
        assert parts[0] in browsers and parts[1] in systems
    # Something is named exactly when a mark is in the text.
    marks = [mark for mark, _name in rules.BROWSER_MARKS + rules.SYSTEM_MARKS]
    assert bool(parts) == any(mark in user_agent for mark in marks)


def test_a_device_is_signed_out_only_after_the_idle_limit():
    seen = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    limit = timedelta(days=30)
    assert not rules.device_idle(seen, seen + limit, limit)
    assert rules.device_idle(seen, seen + limit + timedelta(seconds=1), limit)
    assert not rules.device_idle(seen, seen, limit)


def test_last_seen_is_written_again_only_after_the_interval():
    seen = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    every = timedelta(minutes=5)
    assert not rules.last_seen_due(seen, seen, every)
    assert not rules.last_seen_due(seen, seen + every - timedelta(seconds=1), every)
    assert rules.last_seen_due(seen, seen + every, every)


# --- where failed logins are counted ------------------------------------------------------


@pytest.mark.parametrize(
    "address, scope",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same subscriber
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),  # the next one
        ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4 seen through an IPv6 socket
        (" 198.51.100.1 ", "198.51.100.1"),
        ("", "unknown"),
        (None, "unknown"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_failed_logins_are_counted_per_address_and_per_ipv6_network(address, scope):
    assert rules.address_scope(address) == scope


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_every_address_of_one_ipv6_network_counts_together(number):
    import ipaddress

    address = ipaddress.IPv6Address(number)
    if address.ipv4_mapped is not None:
        return
    network = ipaddress.IPv6Network(rules.address_scope(str(address)))
    assert network.prefixlen == 64 and address in network


@pytest.mark.parametrize(
    "seconds, minutes", [(0, 1), (1, 1), (59.5, 1), (60, 1), (61, 2), (599, 10), (3600, 60)]
)
def test_a_pause_is_announced_in_whole_minutes_rounded_up(seconds, minutes):
    assert rules.minutes_to_wait(seconds) == minutes


@pytest.mark.parametrize("found", [True, False])
@pytest.mark.parametrize("active", [True, False])
@pytest.mark.parametrize("idle", [True, False])
def test_a_session_ends_for_the_first_reason_that_holds(found, active, idle):
    expected = (
        rules.SessionEnd.ENDED
        if not found
        else rules.SessionEnd.DEACTIVATED
        if not active
        else rules.SessionEnd.IDLE
        if idle
        else None
    )
    assert rules.session_end(device_found=found, account_active=active, idle=idle) == expected
