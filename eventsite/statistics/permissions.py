"""Who may read an organization's statistics: its admins and organizers, and those of every
organization above it.

`holds` has the signature of `organizations.permissions.holds` (being written on the `orgperm`
branch); until that lands this module answers the same question itself, with the closure table,
in one query. At the merge the view calls the shared one and this file goes.
"""

from __future__ import annotations

import sqlalchemy as sa

from eventsite.accounts.models import Role, UserRole
from eventsite.extensions import db
from eventsite.organizations.service import ancestor_ids

#: The roles that read a union's statistics (on the union or above it).
READERS = (Role.ADMIN, Role.ORGANIZER)


def holds(user, role: Role | str, organization_id: int) -> bool:
    """Does `user` hold `role` on `organization_id`: a grant on it or on any organization above
    it? One query."""
    return holds_any(user, (role,), organization_id)


def holds_any(user, roles, organization_id: int) -> bool:
    """`holds` for any of `roles`, in one query."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            sa.select(sa.literal(True))
            .where(
                UserRole.user_id == user.id,
                UserRole.role.in_([str(role) for role in roles]),
                UserRole.organization_id.in_(ancestor_ids(organization_id)),
            )
            .limit(1)
        )
        is not None
    )


def may_read_statistics(user, organization_id: int) -> bool:
    return holds_any(user, READERS, organization_id)
