"""Events, their organizers, teams and tracks, and members' registrations."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsite.accounts.models import ROOT_ORGANIZATION_ID, User
from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.events import rules
from eventsite.extensions import db
from eventsite.organizations.models import Organization


class EventKind(enum.StrEnum):
    MIXER = "mixer"
    COMPETITION = "competition"
    SPORTSMEET = "sportsmeet"
    #: Every other union activity: a lecture, a trip, a screening, a volunteer or care day.
    GENERAL = "general"

    @property
    def title(self) -> str:
        return str(_KIND_TITLES[self])


_KIND_TITLES = {
    EventKind.MIXER: _l("Singles mixer"),
    EventKind.COMPETITION: _l("Skills competition"),
    EventKind.SPORTSMEET: _l("Fun sports meet"),
    EventKind.GENERAL: _l("Union activity"),
}


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @property
    def title(self) -> str:
        return str(_EVENT_STATUS_TITLES[self])


_EVENT_STATUS_TITLES = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CANCELLED: _l("Cancelled"),
}


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def title(self) -> str:
        return str(_REGISTRATION_STATUS_TITLES[self])


_REGISTRATION_STATUS_TITLES = {
    RegistrationStatus.PENDING: _l("Awaiting approval"),
    RegistrationStatus.CONFIRMED: _l("Confirmed"),
    RegistrationStatus.WAITLISTED: _l("Waitlisted"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
    RegistrationStatus.REJECTED: _l("Rejected"),
}

#: Statuses that still hold or wait for a place.
ACTIVE_STATUSES = (
    RegistrationStatus.PENDING,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
)


#: How the event form and the audit log name each audience (`rules.Audience`).
AUDIENCE_TITLES = {
    rules.Audience.EVERYONE: _l("All members"),
    rules.Audience.MEMBERS: _l("Members of the event's organization and the unions below it"),
}


class Event(db.Model):
    """A mixer, competition, sports meet or other union activity that members register for."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=EventStatus.DRAFT, index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Who holds the event together with its organization, by name as the poster prints them
    #: ("中国商业联合会、山东省总工会"); a ministry or a college may co-host, not only a union.
    co_hosts: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Confirmed places; None means no limit.
    capacity: Mapped[int | None]
    approval_required: Mapped[bool] = mapped_column(default=False)
    #: Hours a member offered a freed place has to confirm it before it goes to the next in
    #: line; 0: a freed place is theirs at once (`rules.offer_deadline`).
    promotion_confirm_hours: Mapped[int] = mapped_column(default=24)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The organization holding the event: its organizers and admins, and those of every
    #: organization above it, manage it.
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="RESTRICT"),
        index=True,
        default=ROOT_ORGANIZATION_ID,
    )
    #: `rules.Audience`: who may register: everyone, or the verified members of the event's
    #: organization and the organizations below it.
    audience: Mapped[str] = mapped_column(sa.String(20), default="everyone")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow()
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    # Mixer eligibility (everyone must be 18 or older whatever these say).
    #: Youngest age admitted, by birth year against the event's start year.
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    #: Confirmed places per gender; None means no quota.
    quota_male: Mapped[int | None]
    quota_female: Mapped[int | None]

    # Sports meet eligibility.
    #: Confirmed members per team; None means no cap.
    team_cap: Mapped[int | None]

    #: Companions (家属) a member may bring to a union activity, each taking a seat; 0: none.
    max_companions: Mapped[int] = mapped_column(default=0)
    #: A member may register for several of the event's sessions (场次), one registration each;
    #: otherwise for one, and moves between them.
    multiple_sessions: Mapped[bool] = mapped_column(default=False)
    #: The organizer's cover image (poster): the storage key its sized copies are kept under
    #: (see `eventsite.posters`); a new upload gets a new key, so its URLs never go stale.
    #: Empty: the kind's default cover.
    cover_key: Mapped[str | None] = mapped_column(sa.String(64))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    #: Loaded with the event (a join, not a statement of its own): its page names it.
    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    organizers: Mapped[list[EventOrganizer]] = relationship(
        back_populates="event", cascade="all, delete-orphan", lazy="selectin"
    )
    teams: Mapped[list[Team]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Team.position, Team.id"
    )
    tracks: Mapped[list[Track]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Track.position, Track.id"
    )
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="EventSession.starts_at, EventSession.position, EventSession.id",
    )

    @property
    def kind_enum(self) -> EventKind:
        return EventKind(self.kind)

    @property
    def status_enum(self) -> EventStatus:
        return EventStatus(self.status)

    @property
    def organizer_ids(self) -> set[int]:
        return {link.user_id for link in self.organizers}

    @property
    def is_published(self) -> bool:
        return self.status == EventStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    def registration_state(self, now: datetime) -> rules.RegistrationState:
        """draft, cancelled, not_yet, open or closed: from the status and the window alone."""
        return rules.registration_state(
            self.status, self.registration_opens_at, self.registration_closes_at, now
        )

    def registration_open(self, now: datetime) -> bool:
        """Members may register: published, not cancelled, inside the registration window."""
        return self.registration_state(now) == rules.RegistrationState.OPEN

    def has_ended(self, now: datetime) -> bool:
        return now >= self.ends_at

    @property
    def version(self) -> str:
        """The last change's stamp: an edit form carries it, so a save over a newer one is refused."""
        return self.updated_at.isoformat()

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.title!r}>"


class EventOrganizer(db.Model):
    """A member who manages an event: its creator and any co-organizers."""

    __tablename__ = "event_organizer"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    event: Mapped[Event] = relationship(back_populates="organizers")
    user: Mapped[User] = relationship()


class Team(db.Model):
    """A competition's provincial team or a sports meet's community team."""

    __tablename__ = "team"
    __table_args__ = (sa.UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)
    #: The organization the team stands for (a provincial union, a community union) when it was
    #: made from one; None for a team named by hand.
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="SET NULL")
    )

    event: Mapped[Event] = relationship(back_populates="teams")
    organization: Mapped[Organization | None] = relationship()


class Track(db.Model):
    """A competition track, such as one language of a salesperson contest."""

    __tablename__ = "track"
    __table_args__ = (sa.UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="tracks")


#: The kinds of event that may be held in sessions: a mixer, a competition and a sports meet have
#: their own structure (one evening, rounds, heats), so only a general union activity has them.
SESSION_KINDS = frozenset({EventKind.GENERAL})


class EventSession(db.Model):
    """One time slot (场次) of an event held several times: a lecture given three times, a trip
    in four batches. Each has its own places and its own waitlist; a member registers for one
    (or, where the event allows it, for several, one registration each)."""

    __tablename__ = "event_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: How members and the roster name it: "第一场", "11月11日上午批".
    label: Mapped[str] = mapped_column(sa.String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Confirmed places in this session; None means no limit (the event's own capacity still
    #: bounds all sessions together).
    capacity: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="sessions")

    def __repr__(self) -> str:
        return f"<EventSession {self.id} event={self.event_id} {self.label!r}>"


def _member_snapshot(column: sa.Column):
    """Column default: the registering member's current value of `column` (from the user row)."""

    def default(context):
        user_id = context.get_current_parameters()["user_id"]
        return context.connection.execute(
            sa.select(column).where(User.__table__.c.id == user_id)
        ).scalar_one()

    return default


class Registration(db.Model):
    """One member's registration for one event."""

    __tablename__ = "registration"
    __table_args__ = (
        # One registration per member per event, and per session where the event has sessions
        # (a member in two sessions holds two); NULL is no session, compared as 0 so that two
        # registrations without one still collide (on SQLite and PostgreSQL alike).
        sa.Index(
            "uq_registration_event_user_session",
            "event_id",
            "user_id",
            sa.func.coalesce(sa.column("session_id"), 0),
            unique=True,
        ),
        sa.Index("ix_registration_event_status", "event_id", "status"),
        # The roster's order: a page is read off the index instead of sorting the whole event.
        sa.Index("ix_registration_event_arrival", "event_id", "registered_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    #: The member's gender and birth year when they registered: quotas and age rules count
    #: these, so a later profile edit cannot move a member into another gender's places.
    gender: Mapped[str] = mapped_column(
        sa.String(10), default=_member_snapshot(User.__table__.c.gender)
    )
    birth_year: Mapped[int] = mapped_column(default=_member_snapshot(User.__table__.c.birth_year))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id", ondelete="SET NULL"))
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="SET NULL"))
    #: The session (场次) the member registered for; None at an event without sessions. A
    #: session is removed only once nobody holds or waits for a place in it.
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event_session.id", ondelete="CASCADE"), index=True
    )
    #: When the member declared, with its own consent box, that they are single (mixers only).
    single_declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Arrival time; a re-registration after cancelling arrives anew.
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: When the registration joined the waitlist; the waitlist is served in this order.
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: A confirmed place offered from the waitlist and held until the member confirms it by this
    #: moment; it lapses to the next in line after it. None: the place is the member's outright.
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    #: The organizer's reason when rejecting or cancelling, shown to the member.
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Companions (家属) the member brings; each takes a seat beside the member's own.
    companions: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    team: Mapped[Team | None] = relationship()
    track: Mapped[Track | None] = relationship()
    session: Mapped[EventSession | None] = relationship()

    @property
    def status_enum(self) -> RegistrationStatus:
        return RegistrationStatus(self.status)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def seats(self) -> int:
        """The seats the registration takes: the member's and their companions'."""
        return 1 + (self.companions or 0)

    @property
    def is_offer(self) -> bool:
        """A place offered from the waitlist that the member has yet to confirm."""
        return self.status == RegistrationStatus.CONFIRMED and self.offer_expires_at is not None

    def __repr__(self) -> str:
        return f"<Registration {self.id} event={self.event_id} user={self.user_id} {self.status}>"


class RosterMessage(db.Model):
    """A message an organizer sent to a filtered roster, or a team leader or captain to their
    team: by inbox, and by SMS to those who want roster messages by SMS. The notices and texts
    themselves are the members' own rows; this is the record the daily limit counts."""

    __tablename__ = "roster_message"
    __table_args__ = (sa.Index("ix_roster_message_event_sent", "event_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    #: The team a leader's or captain's message went to; None for an organizer's roster message.
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: Who it went to, in words, in the site's language ("Status: Confirmed · Team: …").
    audience: Mapped[str] = mapped_column(sa.String(500))
    text: Mapped[str] = mapped_column(sa.Text)
    by_sms: Mapped[bool] = mapped_column(default=False)
    recipients: Mapped[int] = mapped_column(default=0)
    #: Texts queued (recipients with a mobile who want roster messages by SMS) and their cost.
    sms_count: Mapped[int] = mapped_column(default=0)
    sms_segments: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    author: Mapped[User | None] = relationship()
    team: Mapped[Team | None] = relationship()
