"""Membership rules: what a member's request, an admin's decision and a union's list row do.

Plain functions over plain values: no Flask, no database.
"""

from __future__ import annotations

import enum

NONE = "none"
REQUESTED = "requested"
VERIFIED = "verified"


class RequestRefusal(enum.StrEnum):
    """Why a member may not ask to join a union now."""

    #: They are already a verified member of that very union.
    ALREADY_VERIFIED = "already_verified"
    #: They already asked that union and it has yet to decide.
    ALREADY_REQUESTED = "already_requested"


def request_refusal(
    status: str, current_organization_id: int | None, organization_id: int
) -> RequestRefusal | None:
    """A member may ask any union to verify them, except the one they already belong to or
    already asked; asking another union replaces their membership or request (a member belongs
    to one union) and their verification lapses until the new union decides."""
    if current_organization_id == organization_id:
        if status == VERIFIED:
            return RequestRefusal.ALREADY_VERIFIED
        if status == REQUESTED:
            return RequestRefusal.ALREADY_REQUESTED
    return None


def may_decide(status: str) -> bool:
    """An admin approves or declines a request only while it awaits a decision."""
    return status == REQUESTED


class ListVerdict(enum.StrEnum):
    """What one row of a union's member list does to the account it names."""

    #: The account is now a verified member of the listing union.
    VERIFY = "verify"
    #: The account already was one: nothing changes (a list may be uploaded again).
    ALREADY = "already"
    #: No account has the row's mobile number: reported, nothing created (the member signs up
    #: and the list is uploaded again, or the member asks from their profile).
    NO_ACCOUNT = "no_account"
    #: The account has another name: a problem row (a wrong number would verify a stranger).
    NAME_MISMATCH = "name_mismatch"
    #: The account is a verified member of another union: a problem row; a union's list does
    #: not take members from another union (the member leaves it or asks from their profile).
    VERIFIED_ELSEWHERE = "verified_elsewhere"


#: Verdicts that stop the whole import (all or nothing).
PROBLEM_VERDICTS = frozenset({ListVerdict.NAME_MISMATCH, ListVerdict.VERIFIED_ELSEWHERE})


def list_verdict(
    *,
    has_account: bool,
    name_matches: bool,
    status: str,
    current_organization_id: int | None,
    organization_id: int,
) -> ListVerdict:
    """The verdict on one list row for `organization_id`'s list, from the named account's facts.

    A pending request to another union gives way to the list: the listing union knows the member.
    """
    if not has_account:
        return ListVerdict.NO_ACCOUNT
    if not name_matches:
        return ListVerdict.NAME_MISMATCH
    if status == VERIFIED and current_organization_id == organization_id:
        return ListVerdict.ALREADY
    if status == VERIFIED:
        return ListVerdict.VERIFIED_ELSEWHERE
    return ListVerdict.VERIFY
