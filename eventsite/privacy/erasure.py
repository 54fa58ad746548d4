"""Deleting an account ("Delete my account"): the member's personal details are erased and the
account ends, while what must be kept stays without naming them.

The user row stays, emptied, because the audit log, published competition and sports meet
results and past registrations point at it: they then show "deleted member". Open registrations
are cancelled through the registration engine, so a waitlist moves up as for any cancellation.
These functions flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from eventsite.accounts import service as accounts
from eventsite.accounts.models import (
    GRANTABLE_ROLES,
    ROOT_ORGANIZATION_ID,
    Role,
    SignedInDevice,
    User,
    UserRole,
)
from eventsite.competitions.models import TeamLeader
from eventsite.core import audit
from eventsite.core.models import AuditEntry, Notification, OutboundEmail
from eventsite.events import service as events
from eventsite.events.models import ACTIVE_STATUSES, Event, Registration
from eventsite.extensions import db
from eventsite.feedback import service as feedback
from eventsite.mixers import service as mixers
from eventsite.mixers.models import (
    Block,
    IntroductionRequest,
    Mark,
    Match,
    MixerProfile,
)
from eventsite.questions.models import Answer
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sportsmeet.models import Captain

#: What a deleted account is called wherever it is still shown (audit log, published results).
DELETED_NAME = _l("Deleted member")

#: A deleted account's password hash: no password matches it.
DELETED_PASSWORD_HASH = "!deleted"


def placeholder_mobile(user_id: int) -> str:
    """A deleted account's login: "0" and the account id in ten digits. Unique, and never a
    mainland mobile number (those start with 1), so no sign-up or login ever matches it."""
    return f"0{user_id:010d}"


def refusal(user: User) -> str | None:
    """Why `user` may not delete their account now, or None: the last administrator must hand
    the role on first, or nobody could run the site."""
    if not user.is_admin:
        return None
    others = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(UserRole)
        .join(User, User.id == UserRole.user_id)
        .where(
            UserRole.role == Role.ADMIN,
            UserRole.organization_id == ROOT_ORGANIZATION_ID,
            User.id != user.id,
            User.active.is_(True),
        )
    )
    if others:
        return None
    return str(
        _l(
            "You are the only administrator. Make another member an administrator before you "
            "delete your account."
        )
    )


def delete_account(user: User, *, password: str, now: datetime) -> int:
    """Erase `user`'s personal details and end the account, after checking their password;
    returns how many open registrations were cancelled."""
    if not user.check_password(password):
        raise accounts.AccountError(accounts.WRONG_CURRENT_PASSWORD, "password")
    refused = refusal(user)
    if refused:
        raise accounts.AccountError(refused, "password")
    # Roles first: giving up the organizer role is refused while an event would be left with
    # nobody to run it, and then nothing has changed yet.
    for role in GRANTABLE_ROLES:
        if user.has_role(role):
            accounts.revoke_role(user, role, actor=None)
    cancelled = _cancel_open_registrations(user, now)
    _remove_exchange(user, now)
    _remove_messages(user)
    # Registrations stay as the record of each event; what the member answered goes.
    db.session.execute(
        sa.delete(Answer).where(
            Answer.registration_id.in_(
                sa.select(Registration.id).where(Registration.user_id == user.id)
            )
        )
    )
    # Which surveys the member answered goes; the anonymous responses name nobody and stay.
    feedback.delete_receipts(user.id)
    db.session.execute(sa.delete(Captain).where(Captain.user_id == user.id))
    db.session.execute(sa.delete(TeamLeader).where(TeamLeader.user_id == user.id))
    db.session.execute(sa.delete(SignedInDevice).where(SignedInDevice.user_id == user.id))
    user.device = user.session_id = None
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        name = str(DELETED_NAME)
    placeholder = placeholder_mobile(user.id)
    _unname_audit(user, name, placeholder)
    user.name = name
    user.mobile = placeholder
    user.email = None
    user.work_unit = ""
    # Which union the member belonged to is theirs too: the union's figures count members, not
    # deleted accounts.
    user.organization_id = None
    user.membership_status = "none"
    user.membership_changed_at = None
    user.membership_verified_by_id = None
    user.locale = None
    user.claim_code_hash = None
    user.password_hash = DELETED_PASSWORD_HASH
    user.active = False
    user.deleted_at = now
    audit.record("account.delete", actor=user, detail=f"#{user.id}")
    db.session.flush()
    return cancelled


def _cancel_open_registrations(user: User, now: datetime) -> int:
    """Cancel the member's active registrations for events not yet started, each through the
    engine (a freed place goes to the waitlist); one it refuses (published results depend on
    it) stays, as the record of the event."""
    open_ones = db.session.scalars(
        sa.select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.user_id == user.id,
            Registration.status.in_(ACTIVE_STATUSES),
            Event.starts_at > now,
        )
        .order_by(Registration.event_id)
    ).all()
    cancelled = 0
    for registration in open_ones:
        try:
            with db.session.begin_nested():
                events.cancel_registration(registration, actor=user, now=now)
        except events.RegistrationError:
            continue
        cancelled += 1
    return cancelled


def _remove_exchange(user: User, now: datetime) -> None:
    """At every mixer the member took part in, their exchange data goes as when they delete it
    themselves (`mixers.service.delete_member_data`: marks both ways, matches, introduction
    requests, the notices' markers that name a pair, card, nickname, introduction, the
    single-status declaration); their blocks go too, both ways, as no account is left to
    protect or to be kept away."""
    involved = sa.union(
        sa.select(MixerProfile.event_id).where(MixerProfile.user_id == user.id),
        sa.select(Mark.event_id).where(
            sa.or_(Mark.marker_id == user.id, Mark.marked_id == user.id)
        ),
        sa.select(Match.event_id).where(
            sa.or_(Match.user_low_id == user.id, Match.user_high_id == user.id)
        ),
        sa.select(IntroductionRequest.event_id).where(
            sa.or_(
                IntroductionRequest.requester_id == user.id,
                IntroductionRequest.recipient_id == user.id,
            )
        ),
    ).subquery()
    for event in db.session.scalars(
        sa.select(Event).where(Event.id.in_(sa.select(involved.c[0]))).order_by(Event.id)
    ):
        mixers.delete_member_data(event, user.id, now)
    db.session.execute(
        sa.delete(Block).where(sa.or_(Block.blocker_id == user.id, Block.blocked_id == user.id))
    )


def _remove_messages(user: User) -> None:
    """Inbox notices and mails to the member go; text messages stay as counts (what was sent,
    when) without number, text or owner, and one still queued is never sent."""
    db.session.execute(sa.delete(Notification).where(Notification.user_id == user.id))
    if user.email:
        db.session.execute(sa.delete(OutboundEmail).where(OutboundEmail.to_address == user.email))
    theirs = sa.or_(SmsMessage.user_id == user.id, SmsMessage.mobile == user.mobile)
    db.session.execute(
        sa.update(SmsMessage)
        .where(theirs, SmsMessage.status == SmsStatus.QUEUED)
        .values(status=SmsStatus.WITHDRAWN, last_error=None)
    )
    db.session.execute(
        sa.update(SmsMessage)
        .where(theirs)
        .values(mobile=placeholder_mobile(user.id), body="", params={}, user_id=None)
    )


def _unname_audit(user: User, name: str, placeholder: str) -> None:
    """The audit entries stay; those the member made or that name them by number say
    "deleted member" instead of their name and number."""
    naming = sa.or_(AuditEntry.actor_id == user.id, AuditEntry.detail.contains(user.mobile))
    detail = sa.func.replace(AuditEntry.detail, user.mobile, placeholder)
    if user.name:
        detail = sa.func.replace(detail, user.name, name)
    db.session.execute(
        sa.update(AuditEntry)
        .where(naming)
        .values(detail=detail)
        .execution_options(synchronize_session=False)
    )
