"""The captain's entry rules, as pure functions: sizes, gender mix, per-person limit, lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from eventsite.sportsmeet.entry_rules import (
    EntryProblem,
    ItemTerms,
    Problem,
    entries_locked,
    entry_problems,
    person_limit_problems,
    selection_problems,
)

RELAY = ItemTerms(item_id=1, min_members=4, max_members=4, min_women=2)


def codes(problems):
    return [p.code for p in problems]


def test_an_empty_entry_is_not_entered_and_breaks_nothing():
    assert entry_problems(RELAY, [], women=set()) == []


def test_a_complete_entry_breaks_nothing():
    assert entry_problems(RELAY, [1, 2, 3, 4], women={1, 2}) == []


def test_too_many_members_is_blocking_and_says_how_many():
    (problem,) = entry_problems(RELAY, [1, 2, 3, 4, 5], women={1, 2})
    assert problem == Problem(EntryProblem.TOO_MANY, 1, count=5, limit=4)
    assert problem.blocking


def test_too_few_members_and_women_are_both_reported_and_not_blocking():
    problems = entry_problems(RELAY, [1, 2, 3], women={1})
    assert codes(problems) == [EntryProblem.TOO_FEW, EntryProblem.TOO_FEW_WOMEN]
    # The captain reads "3 members chosen; at least 4 are needed", "1 women chosen; at least 2".
    assert (problems[0].count, problems[0].limit) == (3, 4)
    assert (problems[1].count, problems[1].limit) == (1, 2)
    assert not any(p.blocking for p in problems)


def test_exactly_the_required_women_is_enough():
    terms = ItemTerms(2, 1, 6, min_women=2)
    assert entry_problems(terms, [1, 2, 3], women={2, 3}) == []
    assert codes(entry_problems(terms, [1, 2, 3], women={3})) == [EntryProblem.TOO_FEW_WOMEN]


@given(st.integers(min_value=0, max_value=60), st.integers(min_value=1, max_value=60))
def test_an_item_without_a_most_never_has_too_many(size, fewest):
    terms = ItemTerms(3, fewest, None)
    problems = entry_problems(terms, range(size), women=set())
    assert EntryProblem.TOO_MANY not in codes(problems)
    assert codes(problems) == ([EntryProblem.TOO_FEW] if 0 < size < fewest else [])


def test_person_limit_counts_each_item_once_and_names_the_person():
    selection = {1: [10, 11], 2: [10], 3: [10, 10]}
    (problem,) = person_limit_problems(selection, 2)
    assert (problem.registration_id, problem.count, problem.limit) == (10, 3, 2)
    assert problem.blocking
    assert person_limit_problems(selection, 3) == []
    assert person_limit_problems(selection, None) == []


def test_selection_reports_every_broken_rule_at_once():
    items = [RELAY, ItemTerms(2, 1, 1), ItemTerms(3, 2, 3)]
    selection = {1: [1, 2, 3, 4, 5], 2: [1, 2], 3: [1, 99]}
    problems = selection_problems(
        items, selection, team_members={1, 2, 3, 4, 5}, women={1}, per_person_limit=2
    )
    found = {(p.code, p.item_id, p.registration_id) for p in problems}
    assert found == {
        (EntryProblem.TOO_MANY, 1, None),
        (EntryProblem.TOO_FEW_WOMEN, 1, None),
        (EntryProblem.TOO_MANY, 2, None),
        (EntryProblem.NOT_IN_TEAM, 3, 99),
        (EntryProblem.TOO_FEW, 3, None),  # the outsider does not count towards the size
        (EntryProblem.PERSON_OVER_LIMIT, None, 1),
    }


def test_an_item_the_selection_leaves_out_is_not_entered():
    items = [RELAY, ItemTerms(2, 1, 3)]
    problems = selection_problems(
        items, {2: [1, 2]}, team_members={1, 2, 3}, women=set(), per_person_limit=None
    )
    assert problems == []


def test_entries_lock_at_the_lock_time_or_else_at_the_start():
    start = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    lock = start - timedelta(days=1)
    assert not entries_locked(lock, start, lock - timedelta(seconds=1))
    assert entries_locked(lock, start, lock)
    assert not entries_locked(None, start, lock)
    assert entries_locked(None, start, start)


@given(
    st.dictionaries(st.integers(1, 6), st.sets(st.integers(1, 8), max_size=8), max_size=6),
    st.integers(1, 6),
)
def test_nobody_is_over_the_limit_iff_no_limit_problem(selection, limit):
    counts = {}
    for members in selection.values():
        for reg in members:
            counts[reg] = counts.get(reg, 0) + 1
    over = {reg for reg, n in counts.items() if n > limit}
    assert {p.registration_id for p in person_limit_problems(selection, limit)} == over
