"""Signed-in devices: each login opens one, and ending it ends that browser's session.

The browser's session cookie and its remember-me cookie carry a random session id (Flask-Login
stores `User.get_id()`); the database keeps only its SHA-256 digest, per device, with the
device's name and when it signed in and was last seen. The user loader accepts a session id only
while its device row exists, belongs to an active account and has been seen within
SIGN_IN_IDLE_DAYS, so deleting the row (logout, "sign out everywhere else", a new password)
signs that browser out, whichever cookie it presents, even a copy saved before.

Last seen is not written on every request: the loader asks for a write only when the stored time
is `LAST_SEEN_EVERY` old, and the request's after-hook writes it (`note_seen`).

These functions flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from eventsite.accounts import rules
from eventsite.accounts.models import SignedInDevice, User
from eventsite.core.time import utcnow
from eventsite.extensions import db

#: How often a device's last-seen time may be written.
LAST_SEEN_EVERY = timedelta(minutes=5)

#: Session ids are `secrets.token_urlsafe(32)` (43 characters); anything much longer is not one.
_LONGEST_SESSION_ID = 100


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def idle_limit() -> timedelta:
    """How long a device may go unseen before it is signed out (SIGN_IN_IDLE_DAYS)."""
    return timedelta(days=current_app.config["SIGN_IN_IDLE_DAYS"])


def sign_in(user: User, *, user_agent: str | None) -> SignedInDevice:
    """Open a signed-in device for `user`, whose `get_id()` then gives its new session id; the
    member's devices idle past the limit are deleted on the way."""
    now = utcnow()
    db.session.execute(
        sa.delete(SignedInDevice).where(
            SignedInDevice.user_id == user.id, SignedInDevice.last_seen_at < now - idle_limit()
        )
    )
    session_id = secrets.token_urlsafe(32)
    device = SignedInDevice(
        user_id=user.id,
        token_hash=_digest(session_id),
        name=rules.device_name(user_agent),
        signed_in_at=now,
        last_seen_at=now,
    )
    db.session.add(device)
    db.session.flush()
    user.device, user.session_id = device, session_id
    return device


def signed_in_user(session_id: str, now: datetime) -> User | None:
    """The active account whose device this session id opened, unless the device is gone or idle."""
    return session_state(session_id, now)[0]


def session_state(session_id: str, now: datetime) -> tuple[User | None, rules.SessionEnd | None]:
    """(the member this session id signs in, None) or (None, why it signs in no more); (None,
    None) for what was never a session id of ours."""
    if not session_id or len(session_id) > _LONGEST_SESSION_ID:
        return None, None
    # One statement for the device, its member and the member's roles (every page asks them).
    device = (
        db.session.scalars(
            sa.select(SignedInDevice)
            .options(joinedload(SignedInDevice.user).joinedload(User.role_grants))
            .where(SignedInDevice.token_hash == _digest(session_id))
        )
        .unique()
        .one_or_none()
    )
    end = rules.session_end(
        device_found=device is not None,
        account_active=device is not None and device.user.active,
        idle=device is not None and rules.device_idle(device.last_seen_at, now, idle_limit()),
    )
    if end is not None:
        return None, end
    user = device.user
    user.device, user.session_id = device, session_id
    return user, None


def seen_due(user: User, now: datetime) -> int | None:
    """The id of the member's current device when its last-seen time is due to be written."""
    device = user.device
    if device is None or not rules.last_seen_due(device.last_seen_at, now, LAST_SEEN_EVERY):
        return None
    return device.id


def note_seen(device_id: int, now: datetime) -> None:
    """Write a device's last-seen time, unless another request of it already did."""
    db.session.execute(
        sa.update(SignedInDevice)
        .where(SignedInDevice.id == device_id, SignedInDevice.last_seen_at <= now - LAST_SEEN_EVERY)
        .values(last_seen_at=now)
    )


def devices_of(user: User) -> list[SignedInDevice]:
    """The member's signed-in devices: the current one first, then the most recently seen."""
    devices = db.session.scalars(
        sa.select(SignedInDevice)
        .where(SignedInDevice.user_id == user.id)
        .where(SignedInDevice.last_seen_at >= utcnow() - idle_limit())
        .order_by(SignedInDevice.last_seen_at.desc(), SignedInDevice.id.desc())
    ).all()
    current = user.device.id if user.device is not None else None
    return sorted(devices, key=lambda device: device.id != current)


def sign_out(user: User) -> None:
    """End the device this request comes from."""
    if user.device is not None:
        db.session.execute(sa.delete(SignedInDevice).where(SignedInDevice.id == user.device.id))
        user.device = user.session_id = None


def sign_out_others(user: User) -> int:
    """End every device of the member but the one this request comes from; how many ended."""
    others = sa.delete(SignedInDevice).where(SignedInDevice.user_id == user.id)
    if user.device is not None:
        others = others.where(SignedInDevice.id != user.device.id)
    return db.session.execute(others).rowcount


def sign_out_everywhere(user: User) -> int:
    """End every device of the member, this request's included; how many ended."""
    ended = db.session.execute(
        sa.delete(SignedInDevice).where(SignedInDevice.user_id == user.id)
    ).rowcount
    user.device = user.session_id = None
    return ended
