"""Scheduled notices about events: reminders to confirmed members 24 h before an event starts,
and a registration-closing notice to each organizer 24 h before registration closes.

Which notices are due is computed from the events' timestamps and the clock (`rules.notice_due`),
never from a job having run. Each notice leaves a `SentNotice` marker (kind, event, user) written
in the same transaction as the inbox message and the outbox mail; the marker's unique constraint
makes sending idempotent: a second tick, a restart or a second scheduler finds the marker (or
fails to insert it) and sends nothing. A missed tick is caught up by the next one while the
window still holds.

Functions flush, never commit: the scheduler job that calls them commits once per event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from eventsite.accounts.models import Role, User, UserRole
from eventsite.core.models import SentNotice, UTCDateTime
from eventsite.core.notifications import notify
from eventsite.core.time import format_local
from eventsite.events import rules
from eventsite.events.models import (
    Event,
    EventOrganizer,
    EventSession,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from eventsite.events.notices import sms_event, sms_time
from eventsite.events.service import MY_EVENTS_PATH, event_path, status_counts
from eventsite.extensions import db
from eventsite.sms.rules import SmsKind

#: SentNotice kinds.
EVENT_REMINDER = "event_reminder"
REGISTRATION_CLOSING = "registration_closing"


def _published_with(column, now: datetime, lead) -> list[Event]:
    after, until = rules.notice_window(now, lead)
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.status == EventStatus.PUBLISHED, column > after, column <= until)
            .order_by(column, Event.id)
        )
    )


def events_due_reminder(now: datetime) -> list[Event]:
    """Published events starting within the reminder lead (after now, at most 24 h ahead)."""
    return _published_with(Event.starts_at, now, rules.REMINDER_LEAD)


def events_due_closing_notice(now: datetime) -> list[Event]:
    """Published events whose registration closes within the closing-notice lead."""
    return _published_with(Event.registration_closes_at, now, rules.CLOSING_NOTICE_LEAD)


def _not_yet_sent(kind: str, event_id: int):
    return ~sa.exists().where(
        SentNotice.kind == kind,
        SentNotice.event_id == event_id,
        SentNotice.user_id == User.id,
    )


def claim(kind: str, event: Event, recipients: sa.Select, now: datetime) -> list[int]:
    """Insert a sent-marker for each user id `recipients` selects; return the ids inserted here.

    `INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING` (PostgreSQL and SQLite): a marker that
    exists already, or that a concurrent scheduler inserts first, is skipped without failing the
    others; on PostgreSQL the second inserter waits for the first to commit or roll back, so a
    recipient is claimed by exactly one transaction. Only the returned users may be notified.
    """
    source = recipients.subquery()
    rows = sa.select(
        sa.literal(kind, sa.String),
        sa.literal(event.id, sa.Integer),
        source.c.user_id,
        sa.literal(now, UTCDateTime),
    ).order_by(source.c.user_id)  # one lock order for every scheduler: no deadlocks
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(SentNotice)
        .from_select(["kind", "event_id", "user_id", "sent_at"], rows.where(sa.true()))
        .on_conflict_do_nothing()
        .returning(SentNotice.user_id)
    )
    return sorted(db.session.scalars(statement).all())


def _users(user_ids: Iterable[int]) -> list[User]:
    ids = list(user_ids)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)))


def send_event_reminder(event: Event, now: datetime) -> int:
    """Remind each confirmed, active member of `event` not yet reminded; returns how many."""
    if not (event.is_published and rules.notice_due(event.starts_at, now, rules.REMINDER_LEAD)):
        return 0  # cancelled or moved since it was listed
    recipients = (
        sa.select(User.id.label("user_id"))
        .join(Registration, Registration.user_id == User.id)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            # A place offered and not yet confirmed is reminded of once it is confirmed.
            Registration.offer_expires_at.is_(None),
            # A member holding a session is reminded before the session (below).
            Registration.session_id.is_(None),
            User.active.is_(True),
            _not_yet_sent(EVENT_REMINDER, event.id),
        )
    )
    users = _users(claim(EVENT_REMINDER, event, recipients, now))
    params = sms_event(event)
    for user in users:
        _remind(user, event, event.title, event.starts_at, params)
    db.session.flush()
    return len(users)


def _remind(user: User, event: Event, named: str, start: datetime, params: dict) -> None:
    """Tell `user` that `named` (the event, or one of its sessions) starts at `start`."""
    venue = event.venue
    notify(
        user,
        lambda: (
            _(
                "Reminder: %(title)s starts at %(start)s",
                title=named,
                start=format_local(start),
            ),
            _(
                "%(title)s starts at %(start)s at %(venue)s. Your check-in code is under My events; please have it ready at the door. If you can no longer come, please cancel so the next member on the waitlist gets your place.",
                title=named,
                start=format_local(start),
                venue=venue,
            ),
        ),
        link=MY_EVENTS_PATH,
        sms=SmsKind.EVENT_REMINDER,
        sms_params=params,
        sms_event=event,
    )


def session_reminder_kind(session_id: int) -> str:
    """The sent-marker kind of one session's reminders: one marker per member and session, so a
    member in two sessions hears of each, and of each once."""
    return f"{SESSION_REMINDER}:{session_id}"


#: SentNotice kind prefix of a session's reminders (`session_reminder_kind`).
SESSION_REMINDER = "session_reminder"


def _sessions_due(now: datetime, event_id: int | None = None):
    after, until = rules.notice_window(now, rules.REMINDER_LEAD)
    stmt = (
        sa.select(EventSession)
        .join(Event, Event.id == EventSession.event_id)
        .where(
            Event.status == EventStatus.PUBLISHED,
            EventSession.starts_at > after,
            EventSession.starts_at <= until,
        )
        .order_by(EventSession.starts_at, EventSession.id)
    )
    if event_id is not None:
        stmt = stmt.where(EventSession.event_id == event_id)
    return list(db.session.scalars(stmt))


def events_with_sessions_due_reminder(now: datetime) -> list[Event]:
    """Published events with a session starting within the reminder lead."""
    ids = list(dict.fromkeys(session.event_id for session in _sessions_due(now)))
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Event).where(Event.id.in_(ids)).order_by(Event.id)))


def send_session_reminders(event: Event, now: datetime) -> int:
    """Remind each confirmed, active member of each of the event's sessions starting within the
    lead, not yet reminded of that session, of the session's own time; returns how many."""
    if not event.is_published:
        return 0
    sent = 0
    title = event.title
    for session in _sessions_due(now, event.id):
        params = sms_event(event) | {"time": sms_time(session.starts_at)}
        kind = session_reminder_kind(session.id)
        recipients = (
            sa.select(User.id.label("user_id"))
            .join(Registration, Registration.user_id == User.id)
            .where(
                Registration.session_id == session.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.offer_expires_at.is_(None),
                User.active.is_(True),
                _not_yet_sent(kind, event.id),
            )
        )
        users = _users(claim(kind, event, recipients, now))
        # "职工讲堂 · 第二场": the event's title with the session's name.
        named = " · ".join((title, session.label))
        for user in users:
            _remind(user, event, named, session.starts_at, params)
        sent += len(users)
    db.session.flush()
    return sent


def registration_counts(event_id: int) -> dict[str, int]:
    """Registrations of one event by status (`service.status_counts`); missing statuses count 0."""
    return status_counts([event_id])[event_id]


def send_closing_notice(event: Event, now: datetime) -> int:
    """Tell each active organizer of `event`, once, when registration closes and where it stands."""
    closes = event.registration_closes_at
    if not (event.is_published and rules.notice_due(closes, now, rules.CLOSING_NOTICE_LEAD)):
        return 0  # cancelled or moved since it was listed
    recipients = (
        sa.select(User.id.label("user_id"))
        .join(EventOrganizer, EventOrganizer.user_id == User.id)
        .where(
            EventOrganizer.event_id == event.id,
            User.active.is_(True),
            # The same test as can_manage: a link left from a revoked organizer role is no one
            # to tell (admins on the list still hear).
            sa.exists().where(
                UserRole.user_id == User.id, UserRole.role.in_((Role.ORGANIZER, Role.ADMIN))
            ),
            _not_yet_sent(REGISTRATION_CLOSING, event.id),
        )
    )
    users = _users(claim(REGISTRATION_CLOSING, event, recipients, now))
    if not users:
        return 0
    counts = registration_counts(event.id)
    confirmed = counts[RegistrationStatus.CONFIRMED]
    waitlisted = counts[RegistrationStatus.WAITLISTED]
    pending = counts[RegistrationStatus.PENDING]
    title = event.title

    def render():
        body = _(
            "Registration for %(title)s closes at %(closes)s. So far: %(confirmed)d confirmed, %(waitlisted)d on the waitlist, %(pending)d awaiting approval.",
            title=title,
            closes=format_local(closes),
            confirmed=confirmed,
            waitlisted=waitlisted,
            pending=pending,
        )
        if pending:
            body += " " + _("Please approve or decline the registrations awaiting approval.")
        return _("Registration closes soon: %(title)s", title=title), body

    for user in users:
        notify(user, render, link=f"{event_path(event)}/roster")
    db.session.flush()
    return len(users)
