"""Membership rules over every case: a member's request, an admin's decision, a list row.
Pure (no app); `make mutation` runs them against the mutants of eventsite/membership/rules.py."""

from __future__ import annotations

import itertools

import pytest

from eventsite.accounts.models import MembershipStatus
from eventsite.membership import rules
from eventsite.membership.rules import ListVerdict, RequestRefusal

# --- Rules ------------------------------------------------------------------------------------

STATUSES = list(MembershipStatus)


@pytest.mark.parametrize(("status", "current"), list(itertools.product(STATUSES, [None, 7, 8])))
def test_request_refusal_over_every_case(status, current):
    refusal = rules.request_refusal(status, current, 7)
    if current == 7 and status == "verified":
        assert refusal == RequestRefusal.ALREADY_VERIFIED
    elif current == 7 and status == "requested":
        assert refusal == RequestRefusal.ALREADY_REQUESTED
    else:
        assert refusal is None


@pytest.mark.parametrize("status", STATUSES)
def test_only_a_pending_request_is_decided(status):
    assert rules.may_decide(status) == (status == "requested")


@pytest.mark.parametrize(
    ("has_account", "name_matches", "status", "current"),
    list(itertools.product([True, False], [True, False], STATUSES, [None, 7, 8])),
)
def test_list_verdict_over_every_case(has_account, name_matches, status, current):
    verdict = rules.list_verdict(
        has_account=has_account,
        name_matches=name_matches,
        status=status,
        current_organization_id=current,
        organization_id=7,
    )
    if not has_account:
        assert verdict == ListVerdict.NO_ACCOUNT
    elif not name_matches:
        assert verdict == ListVerdict.NAME_MISMATCH
    elif status == "verified" and current == 7:
        assert verdict == ListVerdict.ALREADY
    elif status == "verified":
        assert verdict == ListVerdict.VERIFIED_ELSEWHERE
    else:
        assert verdict == ListVerdict.VERIFY
    assert (verdict in rules.PROBLEM_VERDICTS) == (
        verdict in (ListVerdict.NAME_MISMATCH, ListVerdict.VERIFIED_ELSEWHERE)
    )
