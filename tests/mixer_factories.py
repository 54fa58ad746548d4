"""Builders for mixer tests: a mixer that has ended, its checked-in attendees with numbers,
nicknames and released contact cards, set up through the exchange's own services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from eventsite.accounts.models import User
from eventsite.core.time import utcnow
from eventsite.events.models import Event, EventKind, Registration
from eventsite.extensions import db
from eventsite.mixers import service
from eventsite.mixers.models import MixerProfile, MixerSettings
from tests.factories import make_event, make_registration, make_user


@dataclass
class Mixer:
    event: Event
    organizer: User
    attendees: list[User] = field(default_factory=list)

    def profile(self, user: User) -> MixerProfile:
        return service.profile_of(self.event, user.id)


def make_mixer(
    *,
    ended_ago: timedelta = timedelta(hours=1),
    window_hours: int = 72,
    reveal: str = "at_close",
    visibility: str = "other_gender",
    organizer: User | None = None,
    title: str = "皖工鹊桥·会聚良缘",
) -> Mixer:
    """A published mixer that ended `ended_ago` (so its window is open by default)."""
    organizer = organizer or make_user(roles=["organizer"], name="周文静")
    now = utcnow()
    ends_at = now - ended_ago
    event = make_event(
        organizer=organizer,
        kind=EventKind.MIXER,
        title=title,
        starts_at=ends_at - timedelta(hours=4),
        ends_at=ends_at,
        registration_opens_at=ends_at - timedelta(days=20),
        registration_closes_at=ends_at - timedelta(days=2),
    )
    db.session.add(
        MixerSettings(
            event_id=event.id, window_hours=window_hours, visibility=visibility, reveal=reveal
        )
    )
    db.session.flush()
    return Mixer(event=event, organizer=organizer)


def check_in(mixer: Mixer, user: User, **fields) -> Registration:
    """A confirmed, declared-single registration checked in at the mixer, with its number."""
    now = utcnow()
    registration = make_registration(
        mixer.event,
        user,
        single_declared_at=fields.pop("single_declared_at", now - timedelta(days=10)),
        checked_in_at=fields.pop("checked_in_at", mixer.event.starts_at),
        **fields,
    )
    service.assign_number(registration)
    mixer.attendees.append(user)
    return registration


def attend(
    mixer: Mixer,
    *,
    gender: str = "male",
    nickname: str | None = None,
    phone: str | None = None,
    wechat: str = "",
    email: str = "",
    ready: bool = True,
    name: str | None = None,
    **user_fields,
) -> User:
    """A member who checked in and, when `ready`, saved a nickname and a released card."""
    user = make_user(gender=gender, name=name, **user_fields)
    check_in(mixer, user)
    if ready:
        set_up(mixer, user, nickname=nickname, phone=phone, wechat=wechat, email=email)
    return user


def set_up(
    mixer: Mixer,
    user: User,
    *,
    nickname: str | None = None,
    phone: str | None = None,
    wechat: str = "",
    email: str = "",
    release_card: bool = True,
) -> MixerProfile:
    return service.save_profile(
        mixer.event,
        user,
        nickname=nickname or f"昵称{user.id}",
        introduction="喜欢爬山和读书",
        phone=phone if phone is not None else f"1770000{user.id:04d}",
        wechat=wechat,
        email=email,
        release_card=release_card,
        single_declared=True,
        now=utcnow(),
    )


def number_of(mixer: Mixer, user: User) -> int:
    return mixer.profile(user).number


def mark(mixer: Mixer, marker: User, marked: User, on: bool = True) -> int:
    """Mark (or unmark) through the service; returns the marker's mark count."""
    return service.set_mark(mixer.event, marker.id, number_of(mixer, marked), on, utcnow()).count
