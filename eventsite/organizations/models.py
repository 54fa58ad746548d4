"""The organization tree and its closure table.

Every organization but the root has a parent. `OrganizationLink` holds one row for every
(ancestor, descendant) pair, the organization itself included at depth 0, so "everything below
X" and "is X above Y" are each one indexed query at any depth, never a walk in Python.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.extensions import db


class OrganizationLevel(enum.StrEnum):
    """What kind of union an organization is; the tree's depth is free, the level a label."""

    FEDERATION = "federation"
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    SERVICE_POINT = "service_point"
    ENTERPRISE = "enterprise"
    COMMUNITY = "community"
    OTHER = "other"

    @property
    def title(self) -> str:
        return str(_LEVEL_TITLES[self])


_LEVEL_TITLES = {
    OrganizationLevel.FEDERATION: _l("Federation"),
    OrganizationLevel.PROVINCE: _l("Provincial union"),
    OrganizationLevel.CITY: _l("City union"),
    OrganizationLevel.DISTRICT: _l("District union"),
    OrganizationLevel.STREET: _l("Street union"),
    OrganizationLevel.SERVICE_POINT: _l("Service point"),
    OrganizationLevel.ENTERPRISE: _l("Enterprise union"),
    OrganizationLevel.COMMUNITY: _l("Community union"),
    OrganizationLevel.OTHER: _l("Other organization"),
}


class Organization(db.Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None only for the root (the federation a deployment serves).
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    short_name: Mapped[str] = mapped_column(sa.String(30), default="")
    level: Mapped[str] = mapped_column(sa.String(20), default=OrganizationLevel.OTHER)
    #: How members and other unions reach it (a phone number, an office, a mail address).
    contact: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Distance from the root (the root is 0), kept with the closure rows.
    depth: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    parent: Mapped[Organization | None] = relationship(remote_side="Organization.id")

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def level_title(self) -> str:
        return OrganizationLevel(self.level).title

    def __repr__(self) -> str:
        return f"<Organization {self.id}>"


class OrganizationLink(db.Model):
    """`ancestor_id` is `descendant_id` itself (depth 0) or above it, `depth` levels up."""

    __tablename__ = "organization_link"

    ancestor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    descendant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    depth: Mapped[int] = mapped_column(default=0)
