"""Members and their roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.extensions import db


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
    #: Part of the login cookie; a new password draws a new one, which signs out every other
    #: session and remember-me cookie.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(16))
    #: Hash of the one-time code an organizer's roster import issued for this account; the
    #: member gives it when signing up to take the account over.
    claim_code_hash: Mapped[str | None] = mapped_column(sa.String(255))

    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session and remember cookie carry
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        """Store a new password; every other session of this account ends."""
        self.password_hash = generate_password_hash(password)
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        if self.is_unclaimed:
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
        return Role(role) in self.roles

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

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
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    user: Mapped[User] = relationship(back_populates="role_grants")
