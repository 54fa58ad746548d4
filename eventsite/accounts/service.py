"""Account operations: sign-up, sign-in, profile, password, roles. They flush; callers commit."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from eventsite.accounts import devices, rules
from eventsite.accounts.models import (
    GRANTABLE_ROLES,
    ROOT_ORGANIZATION_ID,
    Role,
    User,
    UserRole,
)
from eventsite.core import audit
from eventsite.core.errors import Refused
from eventsite.extensions import db
from eventsite.organizations.models import Organization

#: Admin pages list this many members per page.
USERS_PER_PAGE = 50


class AccountError(Refused):
    """An account action was refused."""


#: Sent by `revoke_role` before a role is taken away, as `(user, role=Role, actor=User|None)`.
#: Features that hang something on a role receive it (events takes a former organizer off their
#: events), since accounts may not import them. A receiver refuses the revoke by raising
#: AccountError before it changes anything.
role_revoking = Namespace().signal("role-revoking")

MOBILE_TAKEN = _l("This number is already registered.")
NOTHING_TO_CLAIM = _l(
    "This mobile number and claim code do not match an imported account waiting to be "
    "claimed. Check both, or sign up with a code sent to your mobile."
)
WRONG_CURRENT_PASSWORD = _l("The current password is not correct.")


def user_by_mobile(mobile: str) -> User | None:
    """The account whose login is `mobile` (any accepted spelling), or None."""
    number = rules.normalize_mobile(mobile)
    if number is None:
        return None
    return db.session.scalar(sa.select(User).where(User.mobile == number))


def sign_up(
    *,
    name: str,
    mobile: str,
    password: str,
    work_unit: str,
    gender: str,
    birth_year: int,
    email: str | None = None,
    claim_code: str | None = None,
    verified_at: datetime | None = None,
) -> User:
    """Create a member account for a number proved by an SMS code at `verified_at`
    (`accounts.verification`), or take over the account an organizer's roster import made for
    the number: by that SMS code, or, for a member without a phone, by the `claim_code` the
    import issued. Without a verified number nothing new is created.

    Taking over keeps the name the organizer imported (a later import of the same list matches
    the account by mobile and that name; the member may change it on their profile page) and
    saves the member's own password, email, work unit, gender and birth year from the form.
    """
    number = rules.normalize_mobile(mobile)
    if number is None:
        raise AccountError(_l("Please enter an 11-digit mainland mobile number."), "mobile")
    existing = user_by_mobile(number)
    if existing is not None and existing.is_unclaimed:
        # Lock the row, so two sign-ups with the same code cannot both take the account over.
        db.session.refresh(existing, with_for_update=True)
    if existing is not None and existing.is_unclaimed:
        if verified_at is None and not rules.claim_code_matches(
            existing.claim_code_hash, _claim_secret(), existing.mobile, claim_code
        ):
            raise AccountError(NOTHING_TO_CLAIM, "claim_code")
        existing.email = email or existing.email
        existing.work_unit = work_unit
        existing.gender = gender
        existing.birth_year = birth_year
        existing.claim_code_hash = None
        existing.mobile_verified_at = verified_at
        existing.set_password(password)
        db.session.flush()
        return existing
    if verified_at is None:
        # The same answer for a member's number, a stranger's and a wrong code: the claim
        # page tells nobody who has an account.
        raise AccountError(NOTHING_TO_CLAIM, "claim_code")
    if existing is not None:
        raise AccountError(MOBILE_TAKEN, "mobile")
    user = User(
        name=name,
        mobile=number,
        email=email or None,
        work_unit=work_unit,
        gender=gender,
        birth_year=birth_year,
        mobile_verified_at=verified_at,
    )
    user.set_password(password)
    try:
        # A savepoint, so losing a race for the same number leaves the session usable.
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        raise AccountError(MOBILE_TAKEN, "mobile") from exc
    return user


def _claim_secret() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    return secret if isinstance(secret, bytes) else secret.encode()


def issue_claim_code(user: User, *, actor: User | None = None, event=None) -> str:
    """Give an imported, unclaimed account a new one-time claim code and return it.

    Only the code's digest is stored, so the code can be shown once and never again; a new
    code replaces the old one. With an `actor` the reissue is recorded in the audit log.
    """
    if not user.is_unclaimed:
        raise AccountError(
            _l(
                "%(name)s has already taken over their account and signs in with their own "
                "password; no claim code is needed.",
                name=user.name,
            )
        )
    code = "".join(
        secrets.choice(rules.CLAIM_CODE_ALPHABET) for _ in range(rules.CLAIM_CODE_LENGTH)
    )
    user.claim_code_hash = rules.claim_code_digest(_claim_secret(), user.mobile, code)
    if actor is not None:
        audit.record(
            "account.claim_code",
            actor=actor,
            event=event,
            detail=f"{user.name} ({user.mobile})",
        )
    db.session.flush()
    return code


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not a member's password")


def authenticate(mobile: str, password: str) -> User | None:
    """The active account for these credentials, or None; the same hashing work either way."""
    user = user_by_mobile(mobile)
    if user is None:
        # Spend the time a real check takes, so the response time does not reveal the account.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def update_profile(
    user: User, *, name: str, email: str | None, work_unit: str, gender: str, birth_year: int
) -> User:
    """Save the member's own details; the mobile number (their login) does not change here."""
    user.name = name
    user.email = email or None
    user.work_unit = work_unit
    user.gender = gender
    user.birth_year = birth_year
    db.session.flush()
    return user


def set_sms_choices(user: User, choices: dict[str, bool]) -> User:
    """Save which kinds of notice the member gets by SMS as well ({kind: wanted})."""
    user.sms_choices = {str(kind): bool(wanted) for kind, wanted in choices.items()}
    db.session.flush()
    return user


def set_large_text(user: User, wanted: bool) -> User:
    """Turn large-text mode (larger type, stronger contrast) on or off for the member."""
    user.large_text = wanted
    db.session.flush()
    return user


def change_password(user: User, *, current: str, new: str) -> None:
    """Set a new password after checking the current one; every other signed-in device of the
    member is signed out (the one making the change stays)."""
    if not user.check_password(current):
        raise AccountError(WRONG_CURRENT_PASSWORD, "current_password")
    user.set_password(new)
    devices.sign_out_others(user)
    db.session.flush()


def search_users(query: str = "", page: int = 1):
    """Members whose name, mobile or work unit contains `query`, one page at a time."""
    stmt = sa.select(User).order_by(User.id)
    query = query.strip()
    if query:
        digits = rules.normalize_mobile(query) or rules.mobile_digits(query) or query
        stmt = stmt.where(
            sa.or_(
                User.name.icontains(query, autoescape=True),
                User.mobile.contains(digits, autoescape=True),
                User.work_unit.icontains(query, autoescape=True),
            )
        )
    return db.paginate(stmt, page=page, per_page=USERS_PER_PAGE, error_out=False)


def _grantable(role: str) -> Role:
    try:
        chosen = Role(role)
    except ValueError:
        chosen = None
    if chosen not in GRANTABLE_ROLES:
        raise AccountError(_l("There is no such role."), "role")
    return chosen


def _where(organization_id: int) -> str:
    """The organization after an audit detail (" @ name") unless the grant is on the root."""
    if organization_id == ROOT_ORGANIZATION_ID:
        return ""
    organization = db.session.get(Organization, organization_id)
    return f" @ {organization.name}" if organization is not None else ""


def grant_role(
    user: User,
    role: str,
    *,
    actor: User | None = None,
    organization_id: int = ROOT_ORGANIZATION_ID,
) -> bool:
    """Give `user` a role on an organization (the root unless told; recorded in the audit log);
    False when they already hold that grant."""
    chosen = _grantable(role)
    if (str(chosen), organization_id) in {(g.role, g.organization_id) for g in user.role_grants}:
        return False
    if user.deleted_at is not None:
        raise AccountError(_l("This account is deleted; it cannot hold a role."), "role")
    if user.is_unclaimed:
        raise AccountError(
            _l(
                "%(name)s has not yet taken over the account their organizer imported, so it "
                "cannot hold a role. Once they have signed up with their claim code, try again.",
                name=user.name,
            ),
            "role",
        )
    user.role_grants.append(UserRole(role=str(chosen), organization_id=organization_id))
    audit.record(
        "role.grant",
        actor=actor,
        detail=f"{chosen}: {user.name} ({user.mobile}){_where(organization_id)}",
    )
    db.session.flush()
    return True


def revoke_role(
    user: User,
    role: str,
    *,
    actor: User | None = None,
    organization_id: int | None = None,
) -> bool:
    """Take a role away (recorded in the audit log): on one organization, or on every one when
    `organization_id` is None. An admin may not drop their own admin role, and when the member
    is left without the role anywhere, the features receiving `role_revoking` may refuse or tidy
    up (see there)."""
    chosen = _grantable(role)
    if chosen is Role.ADMIN and actor is not None and actor.id == user.id:
        raise AccountError(
            _l("You cannot remove your own administrator role. Ask another administrator."),
            "role",
        )
    held = [grant for grant in user.role_grants if grant.role == str(chosen)]
    grants = [g for g in held if organization_id is None or g.organization_id == organization_id]
    if not grants:
        return False
    if len(grants) == len(held):
        role_revoking.send(user, role=chosen, actor=actor)
    for grant in grants:
        user.role_grants.remove(grant)
    where = "" if organization_id is None else _where(organization_id)
    audit.record("role.revoke", actor=actor, detail=f"{chosen}: {user.name} ({user.mobile}){where}")
    db.session.flush()
    return True


def create_admin(
    *,
    mobile: str,
    name: str | None = None,
    password: str | None = None,
    work_unit: str = "",
    gender: str | None = None,
    birth_year: int | None = None,
    email: str | None = None,
) -> tuple[User, bool]:
    """Make `mobile` an administrator, creating the account when it does not exist yet, and
    give it the e-mail `email` when one is given (an existing account's otherwise stays).

    Returns the account and whether it was created. The caller has validated the inputs. The
    operator at the server vouches for the number, so no SMS code is asked for; the number counts
    as verified once its owner signs in by code or resets the password by code.
    """
    user = user_by_mobile(mobile)
    created = user is None
    if created:
        user = User(
            name=name,
            mobile=rules.normalize_mobile(mobile),
            work_unit=work_unit,
            gender=gender,
            birth_year=birth_year,
        )
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
    if email:
        user.email = email
    grant_role(user, Role.ADMIN)
    return user, created
