"""The event rules of organizations, over every case: who is inside an event's audience, which
organizations become new teams. Pure (no app); `make mutation` runs them against the mutants of
eventsite/events/rules.py."""

from __future__ import annotations

import itertools

import pytest

from eventsite.accounts.models import MembershipStatus
from eventsite.events import rules
from eventsite.events.rules import Audience, OutsideAudience

# --- The audience ---------------------------------------------------------------------------------


def expected(audience: str, status: str, within: bool) -> OutsideAudience | None:
    if audience == Audience.EVERYONE:
        return None
    if status == "none":
        return OutsideAudience.NO_UNION
    if not within:
        return OutsideAudience.OTHER_UNION
    return None if status == "verified" else OutsideAudience.NOT_VERIFIED


@pytest.mark.parametrize(
    ("audience", "status", "within"),
    list(itertools.product(list(Audience), list(MembershipStatus), [True, False])),
)
def test_audience_rule_over_every_combination(audience, status, within):
    assert rules.audience_problem(audience, status, within) == expected(audience, status, within)


def test_only_a_verified_member_inside_the_subtree_joins_a_members_only_event():
    admitted = [
        (status, within)
        for status, within in itertools.product(list(MembershipStatus), [True, False])
        if rules.audience_problem(Audience.MEMBERS, status, within) is None
    ]
    assert admitted == [(MembershipStatus.VERIFIED, True)]


def test_an_event_for_everyone_refuses_nobody():
    assert all(
        rules.audience_problem(Audience.EVERYONE, status, within) is None
        for status, within in itertools.product(list(MembershipStatus), [True, False])
    )


# --- Teams from organizations ---------------------------------------------------------------------------------


def test_every_child_without_a_team_becomes_one_in_order():
    children = [(1, "山东"), (2, "江苏"), (3, "安徽")]
    assert rules.teams_to_add(children, []) == children


def test_children_with_a_team_by_organization_or_by_name_are_skipped():
    children = [(1, "山东"), (2, "江苏"), (3, "安徽")]
    # Made from organization 1 and renamed since; 江苏 added by hand (any spacing or case).
    teams = [(1, "山东代表队"), (None, " 江苏 ")]
    assert rules.teams_to_add(children, teams) == [(3, "安徽")]


def test_two_children_of_one_name_make_one_team():
    assert rules.teams_to_add([(1, "Team A"), (2, "team  a")], []) == [(1, "Team A")]


@pytest.mark.parametrize(
    "taken", [set(c) for n in range(4) for c in itertools.combinations(range(3), n)]
)
def test_taking_twice_adds_nothing_more(taken):
    children = [(1, "甲"), (2, "乙"), (3, "丙")]
    teams = [(children[i][0], children[i][1]) for i in sorted(taken)]
    first = rules.teams_to_add(children, teams)
    assert {c for c in children} == set(teams) | set(first)
    assert rules.teams_to_add(children, teams + first) == []
