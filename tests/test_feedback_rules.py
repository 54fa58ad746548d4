"""The feedback survey's pure rules: its window, who may answer, the rating and comment, and
what organizers may see of the responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsite.feedback import rules
from eventsite.feedback.rules import InputProblem, Refusal

END = datetime(2026, 11, 11, 10, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        (END - timedelta(days=1), False),  # the day before the end
        (END - TICK, False),  # a moment before the end
        (END, True),  # at the end exactly: open
        (END + TICK, True),
        (END + timedelta(days=3), True),
        (END + timedelta(days=7) - TICK, True),  # the last moment
        (END + timedelta(days=7), False),  # 7 days later exactly: closed
        (END + timedelta(days=7) + TICK, False),
        (END + timedelta(days=30), False),
    ],
)
def test_the_window_opens_at_the_end_and_closes_seven_days_later(now, open_):
    assert rules.is_open(END, now) is open_
    assert rules.window(END) == (END, END + timedelta(days=7))


def standing(**changes):
    facts = {
        "published": True,
        "confirmed": True,
        "checked_in": True,
        "ends_at": END,
        "answered": False,
        "now": END + timedelta(hours=2),
    }
    return rules.refusal(**(facts | changes))


def test_a_checked_in_attendee_may_answer_while_open():
    assert standing() is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"confirmed": False}, Refusal.NOT_ATTENDEE),  # waitlisted, cancelled, pending, rejected
        ({"checked_in": False}, Refusal.NOT_ATTENDEE),  # confirmed but never came
        ({"confirmed": False, "checked_in": False}, Refusal.NOT_ATTENDEE),
        ({"published": False}, Refusal.EVENT_NOT_HELD),  # cancelled after check-in
        ({"answered": True}, Refusal.ALREADY_ANSWERED),
        ({"now": END - TICK}, Refusal.NOT_YET),
        ({"now": END + timedelta(days=7)}, Refusal.CLOSED),
        # The attendance question comes first: a non-attendee is never told about the window.
        ({"confirmed": False, "now": END + timedelta(days=9)}, Refusal.NOT_ATTENDEE),
        # Once answered, the answer stands whatever the clock says.
        ({"answered": True, "now": END + timedelta(days=9)}, Refusal.ALREADY_ANSWERED),
    ],
)
def test_who_may_not_answer_and_why(changes, expected):
    assert standing(**changes) == expected


@given(
    published=st.booleans(),
    confirmed=st.booleans(),
    checked_in=st.booleans(),
    answered=st.booleans(),
    offset=st.integers(min_value=-10 * 86400, max_value=10 * 86400),
)
def test_may_answer_iff_every_condition_holds(published, confirmed, checked_in, answered, offset):
    now = END + timedelta(seconds=offset)
    allowed = standing(
        published=published,
        confirmed=confirmed,
        checked_in=checked_in,
        answered=answered,
        now=now,
    )
    expected = published and confirmed and checked_in and not answered and 0 <= offset < 7 * 86400
    assert (allowed is None) is expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (["1"], 1),
        (["5"], 5),
        ([" 3 "], 3),
        ([], InputProblem.RATING_REQUIRED),
        ([""], InputProblem.RATING_REQUIRED),
        (["  "], InputProblem.RATING_REQUIRED),
        (["0"], InputProblem.NOT_A_RATING),
        (["6"], InputProblem.NOT_A_RATING),
        (["-1"], InputProblem.NOT_A_RATING),
        (["4.5"], InputProblem.NOT_A_RATING),
        (["五"], InputProblem.NOT_A_RATING),
        (["a\x00b"], InputProblem.NOT_A_RATING),
        (["99999999999999999999"], InputProblem.NOT_A_RATING),
        (["3", "4"], InputProblem.NOT_A_RATING),
    ],
)
def test_read_rating(sent, expected):
    assert rules.read_rating(sent) == expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ([], ""),
        ([""], ""),
        (["  很好  "], "很好"),
        (["第一行\n第二行"], "第一行\n第二行"),
        (["长" * 1000], "长" * 1000),
        (["长" * 1001], InputProblem.COMMENT_TOO_LONG),
        (["a\x00b"], InputProblem.CONTROL_CHARACTER),
        (["a\x1bb"], InputProblem.CONTROL_CHARACTER),
        (["a", "b"], InputProblem.COMMENT_TOO_LONG),
    ],
)
def test_read_comment(sent, expected):
    assert rules.read_comment(sent) == expected


@pytest.mark.parametrize(
    ("count", "shown"), [(0, False), (1, False), (4, False), (5, True), (6, True)]
)
def test_results_are_shown_from_five_responses(count, shown):
    assert rules.results_shown(count) is shown


def test_rating_summary_counts_averages_and_lists_every_rating():
    summary = rules.rating_summary({5: 2, 4: 2, 2: 1})
    assert summary.responses == 5
    assert summary.average == Decimal("4.0")  # (10 + 8 + 2) / 5
    assert summary.distribution == {1: 0, 2: 1, 3: 0, 4: 2, 5: 2}
    assert rules.rating_summary({}) == rules.RatingSummary(0, None, dict.fromkeys(range(1, 6), 0))
    assert rules.rating_summary({4: 2, 5: 1}).average == Decimal("4.3")  # 13/3 = 4.33…
    assert rules.rating_summary({4: 1, 5: 1}).average == Decimal("4.5")
    with pytest.raises(ValueError):
        rules.rating_summary({6: 1})


def test_average_rounds_half_up_to_one_place():
    assert rules.average(0, 0) is None
    assert rules.average(9, 2) == Decimal("4.5")
    assert rules.average(29, 7) == Decimal("4.1")  # 4.142…
    assert rules.average(26, 8) == Decimal("3.3")  # 3.25 → 3.3, not banker's 3.2
    with pytest.raises(ValueError):
        rules.average(-1, 2)


def test_choice_counts_count_each_answer_once_per_choice():
    stored = ["1", "1,2", "2,2", "3", "9", "", "x"]
    assert rules.choice_counts(stored, [1, 2, 3]) == {1: 2, 2: 2, 3: 1}
    assert rules.choice_counts([], [1, 2]) == {1: 0, 2: 0}


def test_number_average():
    assert rules.number_average(["3", "4", "-1"]) == (3, Decimal("2.0"))
    assert rules.number_average(["1", "2"]) == (2, Decimal("1.5"))
    assert rules.number_average([]) == (0, None)
    assert rules.number_average(["x", ""]) == (0, None)


# --- Paging the written answers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "longest", "shown"),
    [
        (1, 0, 1),  # nothing written: one (empty) page
        (2, 0, 1),
        (1, 20, 1),
        (2, 20, 1),  # exactly one full page: no second
        (2, 21, 2),  # one answer more: a second page
        (3, 41, 3),
        (4, 41, 3),  # past the last: the last
        (0, 41, 1),
        (-5, 41, 1),
    ],
)
def test_the_written_page_stays_within_the_longest_list(asked, longest, shown):
    assert rules.written_page(asked, longest) == shown


def test_a_page_of_no_answers_is_refused():
    with pytest.raises(ValueError, match="not 0"):
        rules.written_page(1, 10, per_page=0)
    assert rules.written_page(3, 10, per_page=1) == 3
    assert rules.written_page(11, 10, per_page=1) == 10


@given(st.integers(-10, 100), st.integers(0, 500), st.integers(1, 50))
def test_the_page_shown_holds_an_answer_or_is_the_first(asked, longest, per_page):
    page = rules.written_page(asked, longest, per_page)
    assert page >= 1
    # The page starts within the longest list, unless there is nothing to list at all.
    assert (page - 1) * per_page < longest or page == 1
    # A page asked for that holds answers is the page shown.
    if asked >= 1 and (asked - 1) * per_page < longest:
        assert page == asked


# --- Edges the mutation run found untested -----------------------------------------------------


def test_an_attendee_may_answer_from_the_moment_the_event_ends():
    assert standing(now=END) is None
    assert standing(now=END - TICK) == Refusal.NOT_YET


def test_refusals_name_what_cannot_be_counted():
    with pytest.raises(ValueError, match="Cannot average -1 over 3"):
        rules.average(-1, 3)
    with pytest.raises(ValueError, match=r"Not ratings: \[0, 6\]"):
        rules.rating_summary({6: 1, 0: 2, 5: 1})


def test_a_number_average_on_a_half_rounds_up():
    # 5 / 4 = 1.25: half up gives 1.3 (rounding half to even would give 1.2).
    assert rules.number_average(["1", "1", "1", "2"]) == (4, Decimal("1.3"))
