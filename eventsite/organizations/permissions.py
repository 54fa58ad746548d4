"""Who holds which role on which organization, answered from the grants and the closure table.

A grant of a role on an organization holds on it and on everything below it; an admin is an
organizer too. Each answer is one query, remembered for the rest of the request (never longer:
a revoked grant or a moved organization counts from the next request on).
"""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort, g, has_request_context, request
from flask_login import current_user

from eventsite.accounts.models import Role, UserRole
from eventsite.core.permissions import declare
from eventsite.extensions import db, login_manager
from eventsite.organizations.models import Organization, OrganizationLink

#: The roles whose grant holds as each role: an admin of an organization organizes there too.
GRANTS_HOLDING_AS = {
    Role.ORGANIZER: (Role.ORGANIZER, Role.ADMIN),
    Role.ADMIN: (Role.ADMIN,),
    Role.JUDGE: (Role.JUDGE,),
}


def granted_roles(role: Role | str) -> tuple[str, ...]:
    """The roles a grant may be of to hold as `role` (an admin grant holds as organizer)."""
    return tuple(str(r) for r in GRANTS_HOLDING_AS.get(Role(role), (Role(role),)))


def holds_by_grants(role: Role | str, grants: set[tuple[str, int]], ancestry: set[int]) -> bool:
    """`role` holds on an organization whose ancestry (itself included) is `ancestry` iff one of
    the (role, organization) `grants` is of a role holding as `role` on one of those."""
    wanted = set(granted_roles(role))
    return any(granted in wanted and org in ancestry for granted, org in grants)


def _cache() -> dict | None:
    """This request's answers, or None outside a request (a job or a command asks afresh)."""
    if not has_request_context():
        return None
    # `g` lives as long as the application context, which a test (or a CLI) may hold over
    # several requests: the answers are kept only for the request that found them.
    current = request._get_current_object()
    if getattr(g, "_holds_request", None) is not current:
        g._holds_request = current
        g._holds = {}
    return g._holds


def forget() -> None:
    """Drop this request's answers (after a grant or a move within the same request)."""
    if has_request_context():
        g.pop("_holds_request", None)
        g.pop("_holds", None)


def holds(user, role: Role | str, organization_id: int) -> bool:
    """Does `user` hold `role` on `organization_id`: a grant of it (or of admin, for organizer)
    on that organization or any above it? One query, once per request."""
    if not getattr(user, "is_authenticated", False) or organization_id is None:
        return False
    key = (user.id, str(role), organization_id)
    cache = _cache()
    if cache is not None and key in cache:
        return cache[key]
    answer = (
        db.session.scalar(
            sa.select(sa.literal(True))
            .select_from(UserRole)
            .join(OrganizationLink, OrganizationLink.ancestor_id == UserRole.organization_id)
            .where(
                UserRole.user_id == user.id,
                UserRole.role.in_(granted_roles(role)),
                OrganizationLink.descendant_id == organization_id,
            )
            .limit(1)
        )
        is not None
    )
    if cache is not None:
        cache[key] = answer
    return answer


def managed_organization_ids(user, role: Role | str) -> sa.Select:
    """A SELECT of the ids of every organization `user` holds `role` on (for `IN`): the
    subtrees of their grants of it (and of admin, for organizer)."""
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    return (
        sa.select(OrganizationLink.descendant_id)
        .join(UserRole, UserRole.organization_id == OrganizationLink.ancestor_id)
        .where(UserRole.user_id == user_id, UserRole.role.in_(granted_roles(role)))
        .distinct()
    )


def granted_organizations(user) -> list[Organization]:
    """The organizations `user` was granted organizer or admin on, by id: the tops of the
    subtrees whose statistics and member lists they may open (their 活动管理 links to each)."""
    granted = user.role_organization_ids(Role.ORGANIZER) | user.role_organization_ids(Role.ADMIN)
    if not granted:
        return []
    return list(
        db.session.scalars(
            sa.select(Organization).where(Organization.id.in_(granted)).order_by(Organization.id)
        )
    )


def organization_role_required(role: Role | str):
    """View decorator: loads the organization from the `organization_id` URL argument and lets
    through only someone holding `role` on it (404 when it does not exist, 403 when not theirs);
    passes it to the view as `organization`. Declared "organization:<role>"."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, organization_id: int, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            organization = db.session.get(Organization, organization_id)
            if organization is None:
                abort(404)
            if not holds(current_user, role, organization.id):
                abort(403)
            return view(*args, organization=organization, **kwargs)

        return declare(wrapped, f"organization:{role}")

    return decorator


#: Its admins, and those of every organization above it.
organization_permission = organization_role_required(Role.ADMIN)
