"""Membership: a member asks a union to verify them, the union's admin decides, or the union's
list verifies them in one import. Functions flush; the view commits.

Who may decide and import: an admin of the member's union or of an organization above it
(`organizations.permissions.holds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from eventsite.accounts.models import MembershipStatus, Role, User
from eventsite.accounts.rules import normalize_mobile, same_name
from eventsite.core import audit
from eventsite.core.errors import Refused
from eventsite.core.exports import TableError, UploadReport, read_table
from eventsite.core.notifications import notify
from eventsite.core.time import utcnow
from eventsite.events import roster
from eventsite.extensions import db
from eventsite.membership import rules
from eventsite.organizations.models import Organization
from eventsite.organizations.permissions import holds, managed_organization_ids

#: Organizations a name search shows at most.
SEARCH_RESULTS = 20
#: The most rows one union list may carry (as a roster import).
LIST_MAX_ROWS = 5000


class MembershipError(Refused):
    """A membership action was refused."""


# --- Who may decide ---------------------------------------------------------------------------


def may_manage_members(user, organization_id: int | None) -> bool:
    return organization_id is not None and holds(user, Role.ADMIN, organization_id)


# --- The member's side ------------------------------------------------------------------------


def search(q: str) -> list[Organization]:
    """Organizations whose name or short name contains `q` (at most `SEARCH_RESULTS`)."""
    words = " ".join(q.split())[:100]
    if not words:
        return []
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(
                sa.or_(
                    Organization.name.like(pattern, escape="\\"),
                    Organization.short_name.like(pattern, escape="\\"),
                )
            )
            .options(joinedload(Organization.parent))
            .order_by(Organization.depth.desc(), Organization.name, Organization.id)
            .limit(SEARCH_RESULTS)
        )
    )


_REQUEST_REFUSALS = {
    rules.RequestRefusal.ALREADY_VERIFIED: _l("You are already a verified member of this union."),
    rules.RequestRefusal.ALREADY_REQUESTED: _l(
        "You have already asked this union; its administrator has yet to decide."
    ),
}


def request_membership(user: User, organization: Organization) -> None:
    """The member asks `organization` to verify them; any earlier membership or request ends."""
    refusal = rules.request_refusal(user.membership_status, user.organization_id, organization.id)
    if refusal is not None:
        raise MembershipError(_REQUEST_REFUSALS[refusal], "organization_id")
    _set(user, organization.id, MembershipStatus.REQUESTED, verified_by=None)
    audit.record(
        "membership.request",
        actor=user,
        detail=_l(
            "%(name)s asked to join 「%(organization)s」",
            name=user.name,
            organization=organization.name,
        ),
    )


def leave(user: User) -> None:
    """The member leaves their union, or withdraws their request."""
    if user.organization_id is None:
        raise MembershipError(_("You belong to no union."))
    organization = db.session.get(Organization, user.organization_id)
    _set(user, None, MembershipStatus.NONE, verified_by=None)
    audit.record(
        "membership.leave",
        actor=user,
        detail=_l(
            "%(name)s left 「%(organization)s」", name=user.name, organization=organization.name
        ),
    )


def _set(user: User, organization_id: int | None, status: str, *, verified_by: User | None) -> None:
    user.organization_id = organization_id
    user.membership_status = str(status)
    user.membership_changed_at = utcnow()
    user.membership_verified_by_id = verified_by.id if verified_by else None
    db.session.flush()


# --- The union admin's side -------------------------------------------------------------------


def pending_requests(actor: User, page: int, per_page: int):
    """Requests awaiting a decision in every union `actor` administers, oldest first."""
    stmt = (
        sa.select(User)
        .where(
            User.membership_status == MembershipStatus.REQUESTED,
            User.organization_id.in_(managed_organization_ids(actor, Role.ADMIN)),
        )
        .order_by(User.membership_changed_at, User.id)
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def organizations_by_id(ids) -> dict[int, Organization]:
    """The organizations of `ids`, in one query."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {
        organization.id: organization
        for organization in db.session.scalars(
            sa.select(Organization).where(Organization.id.in_(ids))
        )
    }


def _pending(member_id: int, actor: User) -> User:
    member = db.session.get(User, member_id)
    if member is None or not may_manage_members(actor, member.organization_id):
        raise LookupError(member_id)
    if not rules.may_decide(member.membership_status):
        raise MembershipError(_("This request has already been decided or withdrawn."))
    return member


def approve(member_id: int, actor: User) -> User:
    """Verify a member's request; they are told. LookupError: not a request `actor` decides."""
    return _decide(member_id, actor, verified=True)


def decline(member_id: int, actor: User) -> User:
    """Decline a member's request: they belong to no union again and are told."""
    return _decide(member_id, actor, verified=False)


def _decide(member_id: int, actor: User, *, verified: bool) -> User:
    """Settle a pending request either way, record it, and tell the member."""
    member = _pending(member_id, actor)
    organization = db.session.get(Organization, member.organization_id)
    name = organization.name
    if verified:
        _set(member, organization.id, MembershipStatus.VERIFIED, verified_by=actor)
        action = "membership.approve"
        detail = _l(
            "%(name)s verified as a member of 「%(organization)s」",
            name=member.name,
            organization=name,
        )
        render = lambda: (  # noqa: E731
            _("Your union membership is verified"),
            _("「%(organization)s」 has verified you as its member.", organization=name),
        )
    else:
        _set(member, None, MembershipStatus.NONE, verified_by=None)
        action = "membership.decline"
        detail = _l(
            "%(name)s's request to join 「%(organization)s」 declined",
            name=member.name,
            organization=name,
        )
        render = lambda: (  # noqa: E731
            _("Your union membership request was declined"),
            _(
                "「%(organization)s」 has declined your request to be verified as its member. If "
                "you belong to it, please contact the union's office.",
                organization=name,
            ),
        )
    audit.record(action, actor=actor, detail=detail)
    notify(member, render, link="/account/union")
    return member


# --- The union's list -------------------------------------------------------------------------

LIST_COLUMNS = ("name", "mobile")

_LIST_PROBLEMS = {
    rules.ListVerdict.NAME_MISMATCH: _l(
        "This mobile number belongs to an existing account under a different name."
    ),
    rules.ListVerdict.VERIFIED_ELSEWHERE: _l(
        "This member is a verified member of 「%(value)s」; a member belongs to one union."
    ),
}


@dataclass(frozen=True)
class UnmatchedRow:
    """A listed member without an account yet."""

    line: int
    name: str
    mobile: str


@dataclass
class ListOutcome(UploadReport):
    """What a member-list import did, or why it did nothing."""

    verified: int = 0
    already: int = 0
    #: Rows whose mobile has no account: nothing is created for them (see `rules.ListVerdict`).
    unmatched: list[UnmatchedRow] = field(default_factory=list)


def import_list(organization: Organization, data: bytes, *, actor: User) -> ListOutcome:
    """Check every row of a union's member list (name, mobile; CSV or XLSX), then verify every
    listed account as a member of `organization`. Any bad row: nothing changes and every
    problem is listed by row. Rows without an account are reported, not created."""
    outcome = ListOutcome()
    try:
        table = read_table(data, max_rows=LIST_MAX_ROWS)
    except TableError as error:
        outcome.file_problems.append(error.message)
        return outcome
    (_header_line, header), body = table[0], table[1:]
    columns, _missing = roster.map_header(header)
    missing = [key for key in LIST_COLUMNS if key not in columns]
    if missing:
        names = "; ".join(roster.COLUMN_LABELS[key] for key in missing)
        outcome.file_problems.append(
            _("The header row lacks these columns: %(names)s.", names=names)
        )
    if not body:
        outcome.file_problems.append(_("The file has a header row but no members below it."))
    if len(body) > LIST_MAX_ROWS:
        outcome.file_problems.append(
            _("The file has more than %(n)s rows; please split it.", n=f"{LIST_MAX_ROWS:,}")
        )
    if outcome.file_problems:
        return outcome

    rows: list[UnmatchedRow] = []
    for line, cells in body:

        def cell(key: str, cells=cells) -> str:
            index = columns[key]
            return cells[index].strip() if index < len(cells) else ""

        name = " ".join(cell("name").split())
        raw_mobile = cell("mobile")
        mobile = normalize_mobile(raw_mobile)
        if not name:
            outcome.add_message(line, str(roster.ROW_MESSAGES[roster.RowProblem.NAME_MISSING]))
        elif len(name) > 50:
            outcome.add_message(line, str(roster.ROW_MESSAGES[roster.RowProblem.NAME_TOO_LONG]))
        if mobile is None:
            outcome.add_message(
                line,
                str(roster.ROW_MESSAGES[roster.RowProblem.MOBILE_INVALID]) % {"value": raw_mobile},
            )
        if name and len(name) <= 50 and mobile is not None:
            rows.append(UnmatchedRow(line, name, mobile))
    for line, earlier in roster.duplicate_lines(rows).items():
        outcome.add_message(
            line,
            str(roster.ROW_MESSAGES[roster.RowProblem.MOBILE_DUPLICATE]) % {"value": earlier},
        )

    users = _users_by_mobile([row.mobile for row in rows])
    elsewhere = _organization_names({u.organization_id for u in users.values()})
    to_verify: list[User] = []
    for row in rows:
        user = users.get(row.mobile)
        verdict = rules.list_verdict(
            has_account=user is not None,
            name_matches=user is not None and same_name(user.name, row.name),
            status=user.membership_status if user else MembershipStatus.NONE,
            current_organization_id=user.organization_id if user else None,
            organization_id=organization.id,
        )
        if verdict in rules.PROBLEM_VERDICTS:
            value = elsewhere.get(user.organization_id, "")
            outcome.add_message(row.line, str(_LIST_PROBLEMS[verdict]) % {"value": value})
        elif verdict == rules.ListVerdict.NO_ACCOUNT:
            outcome.unmatched.append(row)
        elif verdict == rules.ListVerdict.ALREADY:
            outcome.already += 1
        else:
            to_verify.append(user)
    outcome.rows = len(body)
    if not outcome.ok:
        return outcome
    now = utcnow()
    for user in to_verify:
        user.organization_id = organization.id
        user.membership_status = str(MembershipStatus.VERIFIED)
        user.membership_changed_at = now
        user.membership_verified_by_id = actor.id
    db.session.flush()
    outcome.verified = len(to_verify)
    audit.record(
        "membership.import",
        actor=actor,
        detail=_l(
            "「%(organization)s」's member list: %(rows)s rows, %(verified)s verified, %(already)s already verified, %(unmatched)s without an account",
            organization=organization.name,
            rows=outcome.rows,
            verified=outcome.verified,
            already=outcome.already,
            unmatched=len(outcome.unmatched),
        ),
    )
    return outcome


def _users_by_mobile(mobiles: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    unique = sorted(set(mobiles))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        for user in db.session.scalars(
            sa.select(User).where(User.mobile.in_(chunk), User.deleted_at.is_(None))
        ):
            found[user.mobile] = user
    return found


def _organization_names(ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Organization.id, Organization.name).where(Organization.id.in_(ids))
        ).all()
    )
