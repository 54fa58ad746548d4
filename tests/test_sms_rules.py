"""The SMS rules: quiet hours, segment counts and retry back-off."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsite.sms import rules
from eventsite.sms.rules import SmsKind

BEIJING = ZoneInfo("Asia/Shanghai")


def at(hour, minute=0):
    return datetime(2026, 12, 7, hour, minute, tzinfo=BEIJING).astimezone(UTC)


@pytest.mark.parametrize("hour", [8, 9, 12, 21])
def test_a_notice_in_the_day_leaves_at_once(hour):
    assert rules.quiet_until(at(hour), BEIJING, SmsKind.EVENT_CHANGED) is None
    assert rules.quiet_until(at(21, 59), BEIJING, SmsKind.EVENT_CHANGED) is None


def test_a_notice_in_the_late_evening_waits_for_the_next_morning():
    held = rules.quiet_until(at(22), BEIJING, SmsKind.EVENT_REMINDER)
    assert held == datetime(2026, 12, 8, 8, 0, tzinfo=BEIJING)
    assert held.tzinfo == UTC


def test_a_notice_after_midnight_waits_for_the_same_morning():
    held = rules.quiet_until(at(3, 30), BEIJING, SmsKind.WAITLIST_PROMOTED)
    assert held == datetime(2026, 12, 7, 8, 0, tzinfo=BEIJING)
    assert rules.quiet_until(at(7, 59), BEIJING, SmsKind.EVENT_CANCELLED) == held


@pytest.mark.parametrize("kind", sorted(rules.ALWAYS_SENT))
def test_codes_ignore_quiet_hours(kind):
    assert rules.quiet_until(at(23), BEIJING, kind) is None
    assert rules.quiet_until(at(2), BEIJING, kind) is None


@given(st.datetimes(timezones=st.just(UTC)), st.sampled_from(list(SmsKind)))
def test_a_held_message_leaves_at_eight_within_ten_hours(now, kind):
    held = rules.quiet_until(now, BEIJING, kind)
    local = now.astimezone(BEIJING)
    quiet = local.hour >= 22 or local.hour < 8
    if kind in rules.ALWAYS_SENT or not quiet:
        assert held is None
    else:
        assert held > now
        assert held - now <= timedelta(hours=10)
        assert held.astimezone(BEIJING).timetz().replace(tzinfo=None) == rules.QUIET_END


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("中" * 70, 1),
        ("中" * 71, 2),
        ("中" * 134, 2),
        ("中" * 135, 3),
        ("【职工活动】" + "a" * 64, 1),
        ("【职工活动】" + "a" * 65, 2),
    ],
)
def test_segments(text, count):
    assert rules.segments(text) == count


@given(st.text(max_size=400))
def test_segments_grow_with_the_text(text):
    assert rules.segments(text + "中") >= rules.segments(text) >= (1 if text else 0)


def test_retry_back_off_doubles_up_to_an_hour():
    assert rules.retry_delay(1) == timedelta(seconds=30)
    assert rules.retry_delay(2) == timedelta(seconds=60)
    assert rules.retry_delay(5) == timedelta(minutes=8)
    assert rules.retry_delay(20) == timedelta(hours=1)
    with pytest.raises(ValueError):
        rules.retry_delay(0)


@pytest.mark.parametrize("kind", list(SmsKind))
def test_what_a_member_is_texted(kind):
    always = kind in rules.ALWAYS_SENT
    assert rules.member_wants(kind) is (always or kind in rules.SENT_BY_DEFAULT)
    assert rules.member_wants(kind, {str(kind): False}) is always
    assert rules.member_wants(kind, {str(kind): True}) is True
    other = {str(k): False for k in SmsKind if k != kind}
    assert rules.member_wants(kind, other) is rules.member_wants(kind)


STATES = [None, "pending", "confirmed", "waitlisted", "cancelled", "rejected"]
NOW = {"event": "趣味运动会", "time": "12月8日 14:00", "place": "工人文化宫"}


@pytest.mark.parametrize("kind", list(SmsKind))
@pytest.mark.parametrize("status", STATES)
@pytest.mark.parametrize("offer_open", [False, True])
@pytest.mark.parametrize("cancelled", [False, True])
@pytest.mark.parametrize("same_details", [True, False])
def test_a_queued_text_leaves_only_while_it_is_true(
    kind, status, offer_open, cancelled, same_details
):
    if offer_open and status != "confirmed":
        return  # an offer is a confirmed registration with a deadline
    queued = NOW if same_details else {**NOW, "time": "12月7日 14:00"}
    current = rules.still_current(
        kind,
        event_cancelled=cancelled,
        registration_status=status,
        offer_open=offer_open,
        queued_params=queued,
        event_params=NOW,
    )
    if kind in rules.ALWAYS_SENT or kind == SmsKind.EVENT_CANCELLED:
        expected = True
    elif cancelled:
        expected = False
    elif kind == SmsKind.WAITLIST_PROMOTED:
        expected = status == "confirmed" and offer_open
    elif kind == SmsKind.REGISTRATION_CONFIRMED:
        expected = status == "confirmed" and not offer_open
    elif kind == SmsKind.EVENT_REMINDER:
        expected = status == "confirmed"
    elif kind == SmsKind.EVENT_CHANGED:
        expected = status in ("pending", "confirmed", "waitlisted") and same_details
    else:  # mixer results, introductions, an organizer's message: true once said
        expected = True
    assert current is expected


@pytest.mark.parametrize("key", ["time", "place"])
def test_a_change_text_is_superseded_by_a_later_time_or_venue(key):
    queued = {**NOW, key: "另一个值"}
    assert not rules.still_current(
        SmsKind.EVENT_CHANGED,
        event_cancelled=False,
        registration_status="confirmed",
        offer_open=False,
        queued_params=queued,
        event_params=NOW,
    )
