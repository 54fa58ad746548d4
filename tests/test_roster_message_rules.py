"""Roster message rules: refusals, the site's day, who is texted, segments in all, fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from eventsite.events import message_rules as rules
from eventsite.events.message_rules import MessageRefusal

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_message_needs_a_recipient_first():
    assert rules.refusal(recipients=0, sent_today=0, per_day=3) == MessageRefusal.NO_RECIPIENTS
    # An empty list is named even when the limit is used up too: it is what the author can fix.
    assert rules.refusal(recipients=0, sent_today=3, per_day=3) == MessageRefusal.NO_RECIPIENTS


def test_the_limit_allows_per_day_messages_and_refuses_the_next():
    assert rules.refusal(recipients=1, sent_today=0, per_day=3) is None
    assert rules.refusal(recipients=1, sent_today=2, per_day=3) is None
    assert rules.refusal(recipients=1, sent_today=3, per_day=3) == MessageRefusal.DAILY_LIMIT
    assert rules.refusal(recipients=1, sent_today=4, per_day=3) == MessageRefusal.DAILY_LIMIT
    # A limit of 0 turns roster messages off.
    assert rules.refusal(recipients=5, sent_today=0, per_day=0) == MessageRefusal.DAILY_LIMIT


def test_the_same_message_just_sent_is_not_sent_again():
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert not rules.repeated(None, now)
    assert rules.repeated(now - timedelta(minutes=9, seconds=59), now)
    assert not rules.repeated(now - timedelta(minutes=10), now)
    assert (
        rules.refusal(recipients=3, sent_today=0, per_day=3, repeat=True) == MessageRefusal.REPEATED
    )
    # Nobody to send it to is still the first thing said.
    assert (
        rules.refusal(recipients=0, sent_today=3, per_day=3, repeat=True)
        == MessageRefusal.NO_RECIPIENTS
    )


def test_the_day_is_the_sites_day():
    # 15:59 UTC is 23:59 in Shanghai: the day began at 16:00 UTC the day before.
    assert rules.day_start(datetime(2026, 11, 1, 15, 59, tzinfo=UTC), SHANGHAI) == datetime(
        2026, 10, 31, 16, 0, tzinfo=UTC
    )
    # 16:00 UTC is midnight in Shanghai: a new day starts there.
    assert rules.day_start(datetime(2026, 11, 1, 16, 0, tzinfo=UTC), SHANGHAI) == datetime(
        2026, 11, 1, 16, 0, tzinfo=UTC
    )


def test_who_is_texted():
    assert rules.texted(True, "13800000000", None)
    assert not rules.texted(False, "13800000000", None)
    assert not rules.texted(True, "", None)
    assert not rules.texted(True, None, None)
    # The member's own choice for roster messages wins; other kinds' choices do not matter.
    assert not rules.texted(True, "13800000000", {"roster_message": False})
    assert rules.texted(True, "13800000000", {"roster_message": True, "event_reminder": False})
    assert rules.texted(True, "13800000000", {"event_reminder": False})


def test_segments_in_all_weigh_each_language_by_its_texts():
    assert rules.total_segments({"zh_Hans_CN": 10, "en": 2}, {"zh_Hans_CN": 2, "en": 1}) == 22
    assert rules.total_segments({}, {"zh_Hans_CN": 2}) == 0


ids = st.lists(st.integers(min_value=1, max_value=10**6), max_size=30)


@given(ids, ids)
def test_a_fingerprint_ignores_order_and_repeats(recipients, texted):
    assert rules.fingerprint(recipients, texted) == rules.fingerprint(
        list(reversed(recipients)) + recipients, sorted(texted)
    )


@given(ids, st.integers(min_value=1, max_value=10**6))
def test_a_fingerprint_changes_with_the_set(recipients, newcomer):
    if newcomer in recipients:
        return
    assert rules.fingerprint(recipients, []) != rules.fingerprint([*recipients, newcomer], [])


def test_a_fingerprint_tells_who_is_texted():
    assert rules.fingerprint([1, 2], [1]) != rules.fingerprint([1, 2], [2])
    assert rules.fingerprint([1, 2], []) != rules.fingerprint([1, 2], [1, 2])
    # Recipients [1, 2] none texted is not recipients [1] texted [2].
    assert rules.fingerprint([1, 2], []) != rules.fingerprint([1], [2])
