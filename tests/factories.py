"""Plain factories for tests: users, events, registrations, written straight to the session."""

from __future__ import annotations

import itertools
from datetime import timedelta

from eventsite.accounts.models import ROOT_ORGANIZATION_ID, User, UserRole
from eventsite.accounts.notice import PRIVACY_NOTICE_VERSION
from eventsite.core.time import utcnow
from eventsite.events.models import (
    Event,
    EventKind,
    EventOrganizer,
    EventStatus,
    Registration,
    RegistrationStatus,
    Team,
    Track,
)
from eventsite.extensions import db

_mobiles = itertools.count(13800000000)

PASSWORD = "correct-horse-42"
_password_hashes: dict[str, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    """A real hash of `password`, computed once per test process (scrypt is slow on purpose)."""
    if password not in _password_hashes:
        from werkzeug.security import generate_password_hash

        _password_hashes[password] = generate_password_hash(password)
    return _password_hashes[password]


def make_user(
    *,
    roles=(),
    gender="male",
    birth_year=1995,
    name=None,
    email=None,
    roles_on: int = ROOT_ORGANIZATION_ID,
    **fields,
) -> User:
    """A member holding `roles` on the organization `roles_on` (the root unless told); a
    `organization_id` among `fields` is the member's own union."""
    mobile = fields.pop("mobile", None) or str(next(_mobiles))
    user = User(
        name=name or f"会员{mobile[-4:]}",
        mobile=mobile,
        email=email,
        work_unit=fields.pop("work_unit", "芜湖职业技术学院"),
        gender=gender,
        birth_year=birth_year,
        **fields,
    )
    if "privacy_version" not in fields:
        # A member who signed up accepted the notice in force; pass privacy_version=None for
        # an account from before the notice.
        user.privacy_version = PRIVACY_NOTICE_VERSION
        user.privacy_accepted_at = utcnow()
    user.password_hash = password_hash()
    user.role_grants = [UserRole(role=str(role), organization_id=roles_on) for role in roles]
    db.session.add(user)
    db.session.flush()
    return user


def make_event(
    *,
    organizer: User | None = None,
    kind: str = EventKind.SPORTSMEET,
    status: str = EventStatus.PUBLISHED,
    teams=(),
    tracks=(),
    starts_in=timedelta(days=7),
    **fields,
) -> Event:
    now = utcnow()
    starts_at = fields.pop("starts_at", now + starts_in)
    event = Event(
        kind=kind,
        status=status,
        title=fields.pop("title", "测试活动"),
        description=fields.pop("description", ""),
        venue=fields.pop("venue", "工人文化宫"),
        starts_at=starts_at,
        ends_at=fields.pop("ends_at", starts_at + timedelta(hours=4)),
        registration_opens_at=fields.pop("registration_opens_at", now - timedelta(days=1)),
        registration_closes_at=fields.pop("registration_closes_at", starts_at - timedelta(hours=1)),
        published_at=now if status == EventStatus.PUBLISHED else None,
        created_by_id=organizer.id if organizer else None,
        **fields,
    )
    event.teams = [Team(name=name, position=i) for i, name in enumerate(teams)]
    event.tracks = [Track(name=name, position=i) for i, name in enumerate(tracks)]
    if organizer is not None:
        event.organizers = [EventOrganizer(user_id=organizer.id)]
    db.session.add(event)
    db.session.flush()
    return event


def make_registration(event: Event, user: User, status=RegistrationStatus.CONFIRMED, **fields):
    now = utcnow()
    registration = Registration(
        event_id=event.id,
        user_id=user.id,
        status=status,
        registered_at=fields.pop("registered_at", now),
        waitlisted_at=now if status == RegistrationStatus.WAITLISTED else None,
        status_changed_at=now,
        **fields,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def texted_code(mobile: str) -> str | None:
    """The last verification code texted to `mobile`, read from the SMS outbox (None: none)."""
    import sqlalchemy as sa

    from eventsite.sms.models import SmsMessage

    db.session.rollback()
    message = db.session.scalar(
        sa.select(SmsMessage)
        .where(SmsMessage.mobile == mobile, SmsMessage.kind == "code")
        .order_by(SmsMessage.id.desc())
    )
    return message.params["code"] if message is not None else None


def sign_up_by_code(client, data: dict, *, query_string=None):
    """Sign up as a newcomer does: ask for a code for data["mobile"], then send the details
    with the code the outbox holds. Returns the second step's response (the first step's when
    it refused the number)."""
    from eventsite.accounts.rules import normalize_mobile

    asked = client.post(
        "/signup", data={"mobile": data.get("mobile", "")}, query_string=query_string
    )
    if asked.status_code != 302:
        return asked

    details = {key: value for key, value in data.items() if key not in {"mobile", "claim_code"}}
    details.setdefault("code", texted_code(normalize_mobile(data["mobile"])))
    return client.post("/signup/details", data=details, query_string=query_string)


def make_organization(name: str = "合肥市总工会", *, parent=None, level: str = "city"):
    """An organization below `parent` (the root unless told)."""
    from eventsite.organizations import service as organizations

    return organizations.create(parent or organizations.root(), name, level=level)


def make_outside_organizer(**fields) -> User:
    """An organizer of another organization (below the root, beside the events' own): an
    organizer of another event, who manages none of the root's."""
    return make_user(roles=["organizer"], roles_on=make_organization().id, **fields)
