"""Building and reading the organization tree (needs app context)."""

from __future__ import annotations

import sqlalchemy as sa

from eventsite.accounts.models import ROOT_ORGANIZATION_ID
from eventsite.extensions import db
from eventsite.organizations import rules
from eventsite.organizations.models import Organization, OrganizationLevel, OrganizationLink

#: The root organization's id: the migration creates it, and so does a test database's reset.
ROOT_ID = ROOT_ORGANIZATION_ID


class OrganizationError(ValueError):
    """A change the tree cannot take (a move under its own subtree, a second root)."""


def root() -> Organization:
    return db.session.get(Organization, ROOT_ID)


def insert_root(connection, name: str = "工会", short_name: str = "工会") -> None:
    """Create the root organization and its own link on `connection` (an empty database)."""
    connection.execute(
        sa.insert(Organization.__table__).values(
            id=ROOT_ID,
            parent_id=None,
            name=name,
            short_name=short_name,
            level=OrganizationLevel.FEDERATION,
            contact="",
            depth=0,
            created_at=sa.func.now(),
        )
    )
    connection.execute(
        sa.insert(OrganizationLink.__table__).values(
            ancestor_id=ROOT_ID, descendant_id=ROOT_ID, depth=0
        )
    )
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('organization', 'id'), :id)"),
            {"id": ROOT_ID},
        )


def subtree_ids(organization_id: int) -> sa.Select:
    """A SELECT of the ids of `organization_id` and everything below it (for `IN`)."""
    return sa.select(OrganizationLink.descendant_id).where(
        OrganizationLink.ancestor_id == organization_id
    )


def ancestor_ids(organization_id: int) -> sa.Select:
    """A SELECT of the ids of `organization_id` and everything above it (for `IN`)."""
    return sa.select(OrganizationLink.ancestor_id).where(
        OrganizationLink.descendant_id == organization_id
    )


def is_within(organization_id: int, ancestor_id: int) -> bool:
    """Is `organization_id` the organization `ancestor_id` or below it? (One query.)"""
    return (
        db.session.scalar(
            sa.select(sa.literal(True)).where(
                OrganizationLink.ancestor_id == ancestor_id,
                OrganizationLink.descendant_id == organization_id,
            )
        )
        is not None
    )


def _ancestry(organization_id: int) -> list[tuple[int, int]]:
    return [
        (row.ancestor_id, row.depth)
        for row in db.session.execute(
            sa.select(OrganizationLink.ancestor_id, OrganizationLink.depth).where(
                OrganizationLink.descendant_id == organization_id
            )
        )
    ]


def create(
    parent: Organization,
    name: str,
    *,
    short_name: str = "",
    level: str = OrganizationLevel.OTHER,
    contact: str = "",
) -> Organization:
    """A new organization under `parent`, with its closure links."""
    organization = Organization(
        parent_id=parent.id,
        name=name,
        short_name=short_name,
        level=str(OrganizationLevel(level)),
        contact=contact,
        depth=parent.depth + 1,
    )
    db.session.add(organization)
    db.session.flush()
    db.session.execute(
        sa.insert(OrganizationLink),
        [
            {"ancestor_id": a, "descendant_id": d, "depth": depth}
            for a, d, depth in rules.links_for_new(organization.id, _ancestry(parent.id))
        ],
    )
    return organization


def move(organization: Organization, new_parent: Organization) -> None:
    """Put `organization`, with everything below it, under `new_parent`; roles held above it
    stop holding on it and roles held above `new_parent` start to, at once."""
    if organization.parent_id is None:
        raise OrganizationError("The root organization cannot move.")
    subtree = [
        (row.descendant_id, row.depth)
        for row in db.session.execute(
            sa.select(OrganizationLink.descendant_id, OrganizationLink.depth).where(
                OrganizationLink.ancestor_id == organization.id
            )
        )
    ]
    if not rules.may_move(organization.id, new_parent.id, (node for node, _ in subtree)):
        raise OrganizationError("An organization cannot move under itself or below itself.")
    old_above = [a for a, depth in _ancestry(organization.id) if depth > 0]
    _removed, added = rules.links_after_move(subtree, old_above, _ancestry(new_parent.id))
    nodes = [node for node, _ in subtree]
    db.session.execute(
        sa.delete(OrganizationLink).where(
            OrganizationLink.ancestor_id.in_(old_above),
            OrganizationLink.descendant_id.in_(nodes),
        )
    )
    db.session.execute(
        sa.insert(OrganizationLink),
        [{"ancestor_id": a, "descendant_id": d, "depth": depth} for a, d, depth in added],
    )
    shift = new_parent.depth + 1 - organization.depth
    db.session.execute(
        sa.update(Organization)
        .where(Organization.id.in_(nodes))
        .values(depth=Organization.depth + shift)
        .execution_options(synchronize_session=False)
    )
    organization.parent_id = new_parent.id
    db.session.flush()
    db.session.expire_all()


def in_tree_order(organization_ids: sa.Select) -> list[Organization]:
    """The organizations `organization_ids` selects, each after its parent, siblings by name
    (one query; the order is worked out from the rows)."""
    organizations = db.session.scalars(
        sa.select(Organization)
        .where(Organization.id.in_(organization_ids))
        .order_by(Organization.depth, Organization.name, Organization.id)
    ).all()
    by_id = {organization.id: organization for organization in organizations}
    return [
        by_id[node] for node in rules.tree_order((org.id, org.parent_id) for org in organizations)
    ]


def update(organization: Organization, *, name: str, short_name: str, level: str, contact: str):
    """Change an organization's details; returns the (field, old, new) triples that changed."""
    values = {
        "name": name,
        "short_name": short_name,
        "level": str(OrganizationLevel(level)),
        "contact": contact,
    }
    changes = [
        (field, getattr(organization, field), value)
        for field, value in values.items()
        if getattr(organization, field) != value
    ]
    for field, _old, value in changes:
        setattr(organization, field, value)
    db.session.flush()
    return changes
