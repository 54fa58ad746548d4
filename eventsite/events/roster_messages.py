"""Roster messages: an organizer writes to the roster as filtered, a competition's team leader or
a sports meet's captain to their team's confirmed members; by inbox, and by SMS where chosen.

`preview` says what a send would do (recipients, texts, segments, quiet hours, the daily limit);
`send` does it under the event's lock, after reading the recipients again: each member's notice
(and text) through `core.notifications.notify`, the `RosterMessage` row the limit counts, and
an audit line, all in the caller's transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload

from eventsite.accounts.models import User
from eventsite.core import audit
from eventsite.core.errors import Refused
from eventsite.core.notifications import notify
from eventsite.core.time import format_local, utcnow
from eventsite.events import message_rules as rules
from eventsite.events import notices, service
from eventsite.events.models import (
    Event,
    Registration,
    RegistrationStatus,
    RosterMessage,
    Team,
    Track,
)
from eventsite.events.roster import RosterFilters, apply_filters, gender_title
from eventsite.extensions import db
from eventsite.sms import rules as sms_rules
from eventsite.sms import texts
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import signed


class RosterMessageError(Refused):
    """A roster message was refused; nothing was sent."""


class RecipientsChanged(RosterMessageError):
    """The recipients changed between the preview and the send; `preview` is the new one."""

    def __init__(self, preview: Preview):
        super().__init__(
            _(
                "The recipients changed since the preview (registrations changed meanwhile). "
                "Nothing was sent: check the new preview and send again."
            )
        )
        self.preview = preview


@dataclass(frozen=True)
class Audience:
    """Who a message goes to: the roster as the organizer filtered it, or one team's confirmed
    members (what a team leader or captain writes to; no filters)."""

    event: Event
    filters: RosterFilters = field(default_factory=RosterFilters)
    team: Team | None = None


def texts_leave_at(now: datetime) -> datetime | None:
    """When quiet hours let texts queued at `now` leave; None: at once."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return sms_rules.quiet_until(now, zone, SmsKind.ROSTER_MESSAGE)


def per_day() -> int:
    """Messages allowed per day to one budget (ROSTER_MESSAGES_PER_DAY)."""
    return current_app.config["ROSTER_MESSAGES_PER_DAY"]


def describe(audience: Audience) -> str:
    """Who the message goes to, in words, in the active language."""
    if audience.team is not None:
        return _("The confirmed members of %(team)s", team=audience.team.name)
    filters = audience.filters
    if not filters.active:
        return _("Everyone on the roster, whatever their status")
    parts = []
    if filters.status:
        title = RegistrationStatus(filters.status).title
        parts.append(_("%(label)s: %(value)s", label=_("Status"), value=title))
    if filters.gender:
        parts.append(
            _("%(label)s: %(value)s", label=_("Gender"), value=gender_title(filters.gender))
        )
    if filters.team_id is not None:
        team = db.session.get(Team, filters.team_id)
        name = team.name if team is not None and team.event_id == audience.event.id else "?"
        parts.append(_("%(label)s: %(value)s", label=_("Team"), value=name))
    if filters.track_id is not None:
        track = db.session.get(Track, filters.track_id)
        name = track.name if track is not None and track.event_id == audience.event.id else "?"
        parts.append(_("%(label)s: %(value)s", label=_("Track"), value=name))
    if filters.session_id is not None:
        from eventsite.events.models import EventSession

        session = db.session.get(EventSession, filters.session_id)
        name = (
            session.label if session is not None and session.event_id == audience.event.id else "?"
        )
        parts.append(_("%(label)s: %(value)s", label=_("Session"), value=name))
    if filters.checked_in is True:
        parts.append(_("Checked in"))
    elif filters.checked_in is False:
        parts.append(_("Not checked in"))
    if filters.q:
        parts.append(_("%(label)s: %(value)s", label=_("Name or mobile"), value=filters.q))
    listed = parts[0]
    for part in parts[1:]:
        listed = _("%(first)s; %(then)s", first=listed, then=part)
    return listed


def recipients(audience: Audience) -> list[tuple[User, str]]:
    """The members the message goes to, with their registration's status, in arrival order:
    for the roster exactly the rows the roster page lists under the same filters (every page)."""
    stmt = (
        sa.select(User, Registration.status)
        .join(Registration, Registration.user_id == User.id)
        .options(lazyload(User.role_grants))
        .order_by(Registration.registered_at, Registration.id)
    )
    if audience.team is not None:
        stmt = stmt.where(
            Registration.event_id == audience.event.id,
            Registration.team_id == audience.team.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    else:
        stmt = apply_filters(stmt, audience.event.id, audience.filters)
    # A member holding several sessions of one event is one recipient (their first row).
    seen: set[int] = set()
    chosen = []
    for user, status in db.session.execute(stmt).all():
        if user.id not in seen:
            seen.add(user.id)
            chosen.append((user, status))
    return chosen


def sent_today(audience: Audience, now: datetime) -> int:
    """Messages sent today (the site's day) from the same budget: the event's organizers' roster
    messages, or this team's leaders' and captains' messages."""
    start = rules.day_start(now, ZoneInfo(current_app.config["TIMEZONE"]))
    stmt = sa.select(sa.func.count(RosterMessage.id)).where(
        _scope(audience), RosterMessage.sent_at >= start
    )
    return db.session.scalar(stmt) or 0


def _scope(audience: Audience):
    """The messages that share the audience's daily limit: the organizers' or this team's."""
    if audience.team is None:
        return sa.and_(RosterMessage.event_id == audience.event.id, RosterMessage.team_id.is_(None))
    return sa.and_(
        RosterMessage.event_id == audience.event.id, RosterMessage.team_id == audience.team.id
    )


def last_same(audience: Audience, text: str, now: datetime) -> datetime | None:
    """When the same text last went to the same members (as described in the site's language),
    within the repeat window; None if it did not."""
    if not text:
        return None
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        words = describe(audience)[:500]
    return db.session.scalar(
        sa.select(sa.func.max(RosterMessage.sent_at)).where(
            _scope(audience),
            RosterMessage.audience == words,
            RosterMessage.text == text,
            RosterMessage.sent_at > now - rules.REPEAT_WINDOW,
        )
    )


@dataclass
class Preview:
    """What sending the message would do, as the preview page shows it."""

    audience: str
    text: str
    by_sms: bool
    recipients: int
    #: Recipients per registration status (the roster may include cancelled or rejected ones).
    by_status: dict[str, int]
    #: Texts per language of their recipients, and each language's text and its segments.
    texts_by_language: dict[str, int]
    sms_bodies: dict[str, str]
    segments_by_language: dict[str, int]
    #: Quiet hours hold the texts until this moment (UTC); None: they leave at once.
    held_until: datetime | None
    sent_today: int
    per_day: int
    refusal: rules.MessageRefusal | None
    fingerprint: str
    #: When the same text went to the same members just before (a second press of "Send").
    repeated_at: datetime | None = None
    #: The message goes to one team (its leaders' and captains' own daily limit).
    to_team: bool = False
    users: list[User] = field(repr=False, default_factory=list)

    @property
    def texted(self) -> int:
        return sum(self.texts_by_language.values())

    @property
    def total_segments(self) -> int:
        return rules.total_segments(self.texts_by_language, self.segments_by_language)

    @property
    def remaining_today(self) -> int:
        return max(0, self.per_day - self.sent_today)

    @property
    def refusal_message(self) -> str | None:
        return refusal_message(
            self.refusal, self.per_day, to_team=self.to_team, repeated_at=self.repeated_at
        )


def refusal_message(
    refusal: rules.MessageRefusal | None,
    limit: int,
    *,
    to_team: bool = False,
    repeated_at: datetime | None = None,
) -> str | None:
    """Why the message cannot be sent, in words; None when it can."""
    if refusal is None:
        return None
    if refusal == rules.MessageRefusal.REPEATED:
        return _(
            "The same message went to the same members at %(time)s; it is not sent twice.",
            time=format_local(repeated_at, "%H:%M"),
        )
    if refusal == rules.MessageRefusal.NO_RECIPIENTS:
        if to_team:
            return _("The team has no confirmed member, so there is nobody to send it to.")
        return _("No registration matches these filters, so there is nobody to send it to.")
    if to_team:
        return ngettext(
            "%(num)s message has been sent to this team today, the most a day allows; the "
            "next one can be sent tomorrow.",
            "%(num)s messages have been sent to this team today, the most a day allows; the "
            "next one can be sent tomorrow.",
            limit,
        )
    return ngettext(
        "%(num)s roster message has been sent for this event today, the most a day allows; "
        "the next one can be sent tomorrow.",
        "%(num)s roster messages have been sent for this event today, the most a day allows; "
        "the next one can be sent tomorrow.",
        limit,
    )


def sms_text(event: Event, text: str, language: str) -> str:
    """The text message as a member reading `language` gets it, signature included."""
    with force_locale(language):
        return signed(
            texts.render(
                SmsKind.ROSTER_MESSAGE, {"event": notices.sms_name(event.title), "text": text}
            )
        )


def preview(audience: Audience, text: str, by_sms: bool, now: datetime | None = None) -> Preview:
    """What sending `text` to `audience` would do now, in three queries (the recipients,
    today's count, the same text sent just before)."""
    now = now or utcnow()
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    rows = recipients(audience)
    users = [user for user, _status in rows]
    texted_users = [
        user
        for user in users
        if rules.texted(by_sms, user.mobile, getattr(user, "sms_choices", None))
    ]
    by_language = Counter(user.locale or default for user in texted_users)
    languages = sorted(by_language) or ([default] if by_sms else [])
    bodies = {language: sms_text(audience.event, text, language) for language in languages}
    limit = per_day()
    today = sent_today(audience, now)
    repeated_at = last_same(audience, text, now)
    return Preview(
        audience=describe(audience),
        text=text,
        by_sms=by_sms,
        recipients=len(users),
        by_status=dict(Counter(status for _user, status in rows)),
        texts_by_language=dict(by_language),
        sms_bodies=bodies,
        segments_by_language={lang: sms_rules.segments(body) for lang, body in bodies.items()},
        held_until=texts_leave_at(now) if texted_users else None,
        sent_today=today,
        per_day=limit,
        refusal=rules.refusal(
            recipients=len(users),
            sent_today=today,
            per_day=limit,
            repeat=rules.repeated(repeated_at, now),
        ),
        fingerprint=rules.fingerprint([u.id for u in users], [u.id for u in texted_users]),
        repeated_at=repeated_at,
        to_team=audience.team is not None,
        users=users,
    )


def _subject(audience: Audience, author: User):
    """The notice's subject, rendered in each recipient's language: who writes to whom."""
    event = audience.event
    if audience.team is not None:
        return lambda: _(
            "%(name)s to %(team)s, %(event)s",
            name=author.name,
            team=audience.team.name,
            event=event.title,
        )
    return lambda: _("From the organizers of %(event)s", event=event.title)


def send(
    audience: Audience, text: str, by_sms: bool, *, actor: User, previewed: str
) -> RosterMessage:
    """Send `text` to `audience` as the preview with fingerprint `previewed` showed it.

    Under the event's lock the recipients are read again: a different set raises
    RecipientsChanged with the new preview; no recipient or the day's limit reached raises
    RosterMessageError. Otherwise every recipient's notice (and text, where they want it) is
    written, with the message's record and an audit line; the caller commits.
    """
    service.lock_event(audience.event.id)
    now = utcnow()
    current = preview(audience, text, by_sms, now)
    if current.fingerprint != previewed:
        raise RecipientsChanged(current)
    if current.refusal is not None:
        raise RosterMessageError(current.refusal_message, field="text")
    event = audience.event
    subject = _subject(audience, actor)
    link = url_for("events.detail", event_id=event.id)
    for user in current.users:
        notify(
            user,
            lambda: (subject(), text),
            link=link,
            sms=SmsKind.ROSTER_MESSAGE if by_sms else None,
            sms_params={"event": notices.sms_name(event.title), "text": text},
            sms_event=event,
        )
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        words = describe(audience)
        detail = _(
            "%(audience)s: %(n)s recipients, %(sms)s text messages (%(segments)s SMS "
            "segments). %(text)s",
            audience=words,
            n=current.recipients,
            sms=current.texted,
            segments=current.total_segments,
            text=text,
        )
    message = RosterMessage(
        event_id=event.id,
        team_id=audience.team.id if audience.team is not None else None,
        author_id=actor.id,
        audience=words[:500],
        text=text,
        by_sms=by_sms,
        recipients=current.recipients,
        sms_count=current.texted,
        sms_segments=current.total_segments,
        sent_at=now,
    )
    db.session.add(message)
    audit.record("roster.message", actor=actor, event=event, detail=detail)
    db.session.flush()
    return message


def sent_messages(event: Event, team: Team | None = None, limit: int = 50) -> list[RosterMessage]:
    """The event's messages, newest first (a team's only, when given), with their authors."""
    stmt = sa.select(RosterMessage).where(RosterMessage.event_id == event.id)
    if team is not None:
        stmt = stmt.where(RosterMessage.team_id == team.id)
    stmt = stmt.options(
        joinedload(RosterMessage.author).lazyload(User.role_grants),
        joinedload(RosterMessage.team),
    )
    return list(
        db.session.scalars(
            stmt.order_by(RosterMessage.sent_at.desc(), RosterMessage.id.desc()).limit(limit)
        )
    )
