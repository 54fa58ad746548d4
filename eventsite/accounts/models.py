"""Members and their roles."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.extensions import db

if TYPE_CHECKING:
    from eventsite.organizations.models import Organization

#: The root organization (`organizations.service.ROOT_ID`), which the first migration of the
#: tree creates: a grant without an organization is a grant on the root.
ROOT_ORGANIZATION_ID = 1


class Role(enum.StrEnum):
    """What a member may do beyond registering; an account may hold several."""

    MEMBER = "member"
    ORGANIZER = "organizer"
    JUDGE = "judge"
    ADMIN = "admin"

    @property
    def title(self) -> str:
        return str(_ROLE_TITLES[self])


_ROLE_TITLES = {
    Role.MEMBER: _l("Member"),
    Role.ORGANIZER: _l("Organizer"),
    Role.JUDGE: _l("Judge / referee"),
    Role.ADMIN: _l("Administrator"),
}


class MembershipStatus(enum.StrEnum):
    """Where a member stands with the grassroots union they say they belong to."""

    NONE = "none"
    REQUESTED = "requested"
    VERIFIED = "verified"

    @property
    def title(self) -> str:
        return str(_MEMBERSHIP_TITLES[self])


_MEMBERSHIP_TITLES = {
    MembershipStatus.NONE: _l("No union"),
    MembershipStatus.REQUESTED: _l("Awaiting review"),
    MembershipStatus.VERIFIED: _l("Verified"),
}


#: Roles an admin grants; every account is a member without a row.
GRANTABLE_ROLES = (Role.ORGANIZER, Role.JUDGE, Role.ADMIN)


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"

    @property
    def title(self) -> str:
        return str(_GENDER_TITLES[self])


_GENDER_TITLES = {Gender.MALE: _l("Male"), Gender.FEMALE: _l("Female")}


#: The password hash of an account an organizer's roster import created: no password matches it,
#: and the member claims the account by signing up with the same mobile number and the one-time
#: claim code the import issued (`claim_code_hash`).
UNCLAIMED_PASSWORD_HASH = "!imported"


class User(UserMixin, db.Model):
    """A union member's account; the mainland mobile number is the login."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    mobile: Mapped[str] = mapped_column(sa.String(11), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    work_unit: Mapped[str] = mapped_column(sa.String(100))
    gender: Mapped[str] = mapped_column(sa.String(10))
    birth_year: Mapped[int]
    #: The interface language the member chose last; notifications are written in it.
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: Hash of the one-time code an organizer's roster import issued for this account; the
    #: member gives it when signing up to take the account over.
    claim_code_hash: Mapped[str | None] = mapped_column(sa.String(255))
    #: When the member last proved by an SMS code that the mobile number is theirs (sign-up,
    #: a password reset, a new number); empty for accounts made otherwise (imports, claim codes).
    mobile_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The kinds of notice the member chose to get (true) or not (false) by SMS as well, by
    #: `sms.rules.SmsKind` value; a kind not listed follows `sms.rules.SENT_BY_DEFAULT`.
    #: JSONB on PostgreSQL: a query that selects accounts DISTINCT compares every column, and
    #: PostgreSQL has no equality for plain JSON.
    sms_choices: Mapped[dict] = mapped_column(
        sa.JSON().with_variant(JSONB(), "postgresql"), default=dict
    )
    #: The version of the privacy notice (`accounts.notice.PRIVACY_NOTICE_VERSION`) the member
    #: accepted last, and when; empty until they accept one.
    privacy_version: Mapped[str | None] = mapped_column(sa.String(20))
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the member deleted their account: the row stays, emptied of personal details, so the
    #: audit log and published results that point at it still hold (see `privacy.erasure`).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Large-text mode (适老化): larger type and stronger contrast on every page, kept with the
    #: account so it follows the member to another phone.
    large_text: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The grassroots union the member belongs to (or asked to join: see `membership_status`);
    #: None until they choose one or a union's list names them.
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    #: `MembershipStatus`: none, requested (the union's admin has yet to decide) or verified
    #: (by the union's list or an admin's approval).
    membership_status: Mapped[str] = mapped_column(sa.String(20), default=MembershipStatus.NONE)
    #: When the status last changed (the request, the verification, a decline).
    membership_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who verified the membership: the admin who approved it or imported the union's list.
    membership_verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    #: The member's union (verified or asked): rosters join it to show it.
    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])

    #: The signed-in device this request comes from, while it is being served: set by
    #: `accounts.devices` at login and by the user loader (never stored on the row).
    device = None  # a SignedInDevice
    #: That device's session id, which only the browser's cookies hold (the row keeps a digest).
    session_id = None  # a str

    # Flask-Login's UserMixin compares accounts by get_id(), which is now a session id and
    # differs per device: an account is equal to itself, as any other model row.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session and remember cookie carry
        if self.session_id is None:
            raise RuntimeError("sign in through accounts.devices.sign_in(), which opens a device")
        return self.session_id

    def set_password(self, password: str) -> None:
        """Store a new password (`accounts.devices` ends the other sessions on a change)."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        if self.is_unclaimed or self.deleted_at is not None:
            return False
        return check_password_hash(self.password_hash, password)

    @property
    def is_unclaimed(self) -> bool:
        """Created by a roster import and not yet taken over by the member."""
        return self.password_hash == UNCLAIMED_PASSWORD_HASH

    @property
    def roles(self) -> set[Role]:
        return {Role.MEMBER} | {Role(grant.role) for grant in self.role_grants}

    def has_role(self, role: Role | str) -> bool:
        """Holds `role` on some organization."""
        return Role(role) in self.roles

    def role_organization_ids(self, role: Role | str) -> set[int]:
        """The organizations `role` was granted on (it holds on everything below them too)."""
        return {grant.organization_id for grant in self.role_grants if grant.role == str(role)}

    @property
    def is_admin(self) -> bool:
        """A platform admin: an admin of the root organization."""
        return ROOT_ORGANIZATION_ID in self.role_organization_ids(Role.ADMIN)

    @property
    def verified_organization_id(self) -> int | None:
        """The member's union if the membership is verified, else None."""
        if self.membership_status == MembershipStatus.VERIFIED:
            return self.organization_id
        return None

    @property
    def membership_title(self) -> str:
        return MembershipStatus(self.membership_status).title

    @property
    def gender_title(self) -> str:
        return Gender(self.gender).title

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(db.Model):
    """A role granted to a member by an admin."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    #: The organization the role is held on, and so on everything below it; a grant on the root
    #: holds everywhere (an admin of the root is a platform admin).
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
        default=ROOT_ORGANIZATION_ID,
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    user: Mapped[User] = relationship(back_populates="role_grants")


class SignedInDevice(db.Model):
    """A browser signed in to an account: created at login, deleted at logout, by "sign out
    everywhere else" and by a new password; a session or remember-me cookie whose device row is
    gone signs in no more."""

    __tablename__ = "signed_in_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 (hex) of the random session id the browser's cookies carry; the id itself is
    #: never stored, so a copy of this table signs nobody in.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Browser and system from the login's User-Agent ("Chrome · Android"); empty when unknown.
    name: Mapped[str] = mapped_column(sa.String(60), default="")
    signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: Moved on at most every few minutes (`devices.LAST_SEEN_EVERY`), never on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    user: Mapped[User] = relationship()


class VerificationCode(db.Model):
    """The code last texted to a mobile number for one purpose (`verification_rules.Purpose`).

    Only an HMAC of the code is kept. A new code for the same number and purpose replaces the
    row; a row is written even when no text goes out (signing in to a number no account has),
    so every answer about a number is the same whether or not it belongs to a member.
    """

    __tablename__ = "verification_code"
    __table_args__ = (sa.UniqueConstraint("mobile", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(sa.String(11))
    purpose: Mapped[str] = mapped_column(sa.String(20))
    #: HMAC-SHA256 (hex) under SECRET_KEY of purpose, number and code.
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    #: For a new mobile number: the member who asked, the only one the code works for.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Checks so far, right or wrong; MAX_ATTEMPTS of them use the code up.
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
