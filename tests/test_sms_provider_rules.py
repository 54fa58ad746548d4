"""The SMS rules the gateways and the sender use: templates, provider codes, pacing, masking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsite.sms import rules
from eventsite.sms.rules import KIND_PARAMS, SmsKind

COMPLETE = {str(kind): {"template": "1", "params": list(KIND_PARAMS[kind])} for kind in SmsKind}


def test_a_complete_template_map_has_no_problems():
    assert rules.template_problems(COMPLETE) == []


def test_a_template_may_use_fewer_parameters_in_its_own_order():
    templates = {**COMPLETE, "code": {"template": "9", "params": ["code"]}}
    assert rules.template_problems(templates) == []
    templates["event_reminder"] = {"template": "8", "params": ["place", "event"]}
    assert rules.template_problems(templates) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"code": None}, "code: no template id"),
        ({"code": {"template": " ", "params": []}}, "code: no template id"),
        ({"code": "123"}, "code: no template id"),
        ({"code": {"template": "1", "params": "code"}}, "code: params must be a list"),
        (
            {"mixer_results": {"template": "1", "params": ["event", "code"]}},
            "mixer_results: unknown parameter code (it has event)",
        ),
        ({"birthday": {"template": "1"}}, "birthday: no such kind of message"),
    ],
)
def test_each_problem_is_named(change, problem):
    templates = {**COMPLETE, **change}
    templates = {key: value for key, value in templates.items() if value is not None}
    (found,) = rules.template_problems(templates)
    assert found.startswith(problem)


def test_an_empty_map_names_every_kind():
    assert len(rules.template_problems({})) == len(SmsKind)


@pytest.mark.parametrize(
    ("provider", "code", "retryable"),
    [
        ("tencent", "LimitExceeded.PhoneNumberOneHourLimit", True),
        ("tencent", "RequestLimitExceeded", True),
        ("tencent", "InternalError.RequestTimeException", True),
        ("tencent", "ClientNetworkError", True),
        ("tencent", "FailedOperation.PhoneNumberInBlacklist", False),
        ("tencent", "UnauthorizedOperation.SmsSdkAppIdVerifyFail", False),
        ("tencent", "isv.BUSINESS_LIMIT_CONTROL", False),
        ("aliyun", "isv.BUSINESS_LIMIT_CONTROL", True),
        ("aliyun", "Throttling.User", True),
        ("aliyun", "isp.SYSTEM_ERROR", True),
        ("aliyun", "NetworkError", True),
        ("aliyun", "isv.MOBILE_NUMBER_ILLEGAL", False),
        ("aliyun", "isv.BLACK_KEY_CONTROL_LIMIT", False),
        ("aliyun", "LimitExceeded.PhoneNumberDailyLimit", False),
        ("outbox", "anything", False),
    ],
)
def test_which_refusals_a_retry_can_cure(provider, code, retryable):
    assert rules.provider_retryable(provider, code) is retryable


@given(count=st.integers(0, 500), rate=st.floats(0.1, 5000))
def test_pacing_slots_are_evenly_spaced_at_the_rate(count, rate):
    start = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    slots = rules.pacing_slots(start, count, rate)
    assert len(slots) == count
    if slots:
        assert slots[0] == start
    for earlier, later in zip(slots, slots[1:], strict=False):
        assert later - earlier == timedelta(seconds=1 / rate)


def test_a_code_is_masked_wherever_it_appears():
    assert (
        rules.masked_code("验证码493817，请勿泄露493817", "493817")
        == "验证码******，请勿泄露******"
    )
    assert rules.masked_code("没有验证码", "") == "没有验证码"


def test_a_template_without_params_takes_none():
    templates = {**COMPLETE, "mixer_results": {"template": "7"}}
    assert rules.template_problems(templates) == []


def test_every_kind_in_trouble_is_named_with_the_parameters_it_has():
    templates = {
        **COMPLETE,
        "event_changed": {"template": "1", "params": ["event", "venue", "hour"]},
        "event_reminder": {"template": "2", "params": "event"},
        "code": {"params": ["code"]},
    }
    assert rules.template_problems(templates) == [
        "code: no template id",
        "event_changed: unknown parameter venue, hour (it has event, time, place)",
        "event_reminder: params must be a list of parameter names",
    ]


@pytest.mark.parametrize(
    ("mobile", "shown"),
    [
        ("13800000001", "138****0001"),
        ("+8613912345678", "139****5678"),
        ("12345678", "123****5678"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_an_admin_sees_a_mobile_number_masked(mobile, shown):
    assert rules.masked_mobile(mobile) == shown


def test_a_retry_needs_a_failure_first():
    with pytest.raises(ValueError, match="retry_delay needs a message that failed at least once"):
        rules.retry_delay(0)


def test_a_held_message_is_given_in_the_zone_it_was_queued_in():
    from zoneinfo import ZoneInfo

    now = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    until = rules.quiet_until(now, ZoneInfo("Asia/Shanghai"), SmsKind.EVENT_REMINDER)
    assert until == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    assert until.tzinfo is UTC
