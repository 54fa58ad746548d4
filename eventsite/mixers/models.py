"""The 鹊桥 exchange after a singles mixer: profiles, contact cards, marks, matches,
introduction requests, blocks and reports.

A mixer is an `Event` of kind "mixer". Who takes part, when the window is open and what each
member may see are decided in `mixers.rules`; this module only stores facts.

Data model
----------
MixerSettings      one row per mixer (optional): window length, who is listed, when matches show.
MixerProfile       one row per checked-in registration: the participant number (given at
                   check-in through the `events.roster.checked_in` signal, or on the member's
                   first save when they were checked in before), a nickname and a short
                   introduction; `removed_at` when an organizer took them out of the exchange,
                   `left_at` when the member deleted their exchange data for this mixer.
ContactCard        the phone / WeChat id / email a member releases to matches at this mixer,
                   with the time of the separate consent. Withdrawing consent deletes the row.
Mark               "想交换联系方式": one member's one-sided choice. Never shown to anyone but its
                   author; purged N days after the window closes.
Match              a pair (user_low_id < user_high_id) who marked each other, or an accepted
                   introduction. A mutual match is first only the two marks themselves, derived
                   whenever it is read (`mixers.service.matches_of`): a tap writes exactly the
                   member's own mark, so nothing in its work tells whether the other side
                   marked. A mutual match gets a row when one side hides it (`hidden_at`, kept
                   when a mark is taken back and given again) and when the retention purge
                   deletes the marks it comes from (stored just before); an introduction gets
                   its row when accepted.
IntroductionRequest  after the close: a member asks to be introduced to one attendee with a note;
                   accepted (a Match of source "introduction") or declined. `declined_at` is
                   never shown to the requester: they see the request expire as "no match".
Block              member-level, across every mixer: neither sees the other in any list, mark
                   or request from then on; an existing match between them stops showing.
Report             a member reports another to the mixer's organizers with a reason.

Visibility rule
---------------
A member sees another's contact card exactly when a Match row joins them at this mixer, it is
revealed (at the close, or at once when the organizer chose so; introductions when accepted),
neither side hid it, neither blocked the other, both still take part (checked in, not removed,
not left, single-status declared) and the card's owner currently consents (a ContactCard row).
Organizers and admins see counts only; one-sided marks and declined requests are visible to
nobody. `mixers.rules.card_visible` states the rule, `mixers.service.visible_cards` applies it.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.events.models import Registration
from eventsite.extensions import db


class Visibility(enum.StrEnum):
    """Whom an attendee sees on the marking page."""

    OTHER_GENDER = "other_gender"
    EVERYONE = "everyone"

    @property
    def title(self) -> str:
        return str(_VISIBILITY_TITLES[self])


_VISIBILITY_TITLES = {
    Visibility.OTHER_GENDER: _l("Attendees of the other gender"),
    Visibility.EVERYONE: _l("Every attendee"),
}


class Reveal(enum.StrEnum):
    """When matches made by marks show."""

    AT_CLOSE = "at_close"
    AT_ONCE = "at_once"

    @property
    def title(self) -> str:
        return str(_REVEAL_TITLES[self])


_REVEAL_TITLES = {
    Reveal.AT_CLOSE: _l("When the window closes"),
    Reveal.AT_ONCE: _l("At once, as soon as both have marked"),
}


class MatchSource(enum.StrEnum):
    MUTUAL = "mutual"
    INTRODUCTION = "introduction"


class MixerSettings(db.Model):
    """One mixer's exchange settings; a mixer without a row uses the defaults."""

    __tablename__ = "mixer_settings"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    #: The window opens when the event ends and closes this many hours later.
    window_hours: Mapped[int] = mapped_column(default=72)
    visibility: Mapped[str] = mapped_column(sa.String(20), default=Visibility.OTHER_GENDER)
    reveal: Mapped[str] = mapped_column(sa.String(20), default=Reveal.AT_CLOSE)


class MixerProfile(db.Model):
    """A checked-in attendee's place in the exchange: number, nickname, introduction."""

    __tablename__ = "mixer_profile"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "number"),
        sa.UniqueConstraint("event_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    #: Given at check-in, 1, 2, 3 … per mixer; kept if the check-in is undone and redone.
    number: Mapped[int]
    nickname: Mapped[str] = mapped_column(sa.String(20), default="")
    #: Optional, at most 200 characters; shown to the attendees listed with this member.
    introduction: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: An organizer took the member out of the exchange (after a report, say).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The member deleted their exchange data for this mixer; saving the profile again rejoins.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()
    card: Mapped[ContactCard | None] = relationship(
        back_populates="profile", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def label(self) -> str:
        """No. 12 · nickname, as attendees see each other (in the reader's language)."""
        return f"{_('No. %(n)s', n=self.number)} {self.nickname}".strip()


class ContactCard(db.Model):
    """What a member releases to their matches at one mixer; the row is the consent."""

    __tablename__ = "mixer_contact_card"

    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mixer_profile.id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    wechat: Mapped[str] = mapped_column(sa.String(40), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    #: When the member ticked "release my card to mutual matches" (its own, unbundled box).
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    profile: Mapped[MixerProfile] = relationship(back_populates="card")


class Mark(db.Model):
    """One member's one-sided "想交换联系方式" for another attendee: seen by its author only."""

    __tablename__ = "mixer_mark"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    marker_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    marked_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())


class Match(db.Model):
    """A stored match: an accepted introduction, or a mutual match kept as a row (hidden, or
    outliving its purged marks); other mutual matches are derived from the marks."""

    __tablename__ = "mixer_match"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_low_id", "user_high_id"),
        sa.CheckConstraint("user_low_id < user_high_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    #: The pair, smaller user id first, so one pair has one row.
    user_low_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    user_high_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(sa.String(20), default=MatchSource.MUTUAL)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: Either side hid the match: neither sees the other's card any more.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def other(self, user_id: int) -> int:
        return self.user_high_id if user_id == self.user_low_id else self.user_low_id


class IntroductionRequest(db.Model):
    """A member's request, after the close, to be introduced to one attendee they did not match."""

    __tablename__ = "mixer_introduction"
    __table_args__ = (sa.UniqueConstraint("event_id", "requester_id", "recipient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    #: At most 200 characters; shown to the recipient only.
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: The request lapses unanswered at this moment (and a declined one looks lapsed from then).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Known to the recipient only; the requester sees the request expire as "no match".
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Block(db.Model):
    """A member's block of another, across every mixer, in both directions."""

    __tablename__ = "mixer_block"

    blocker_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: The mixer where the block was made, to name the blocked member by nickname there.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("event.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())


class Report(db.Model):
    """A member's report about another attendee, for the mixer's organizers."""

    __tablename__ = "mixer_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reported_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )


# ---------------------------------------------------------------------------------------------
# Retention tally (mixers.jobs, mixers.stats)
# ---------------------------------------------------------------------------------------------


class MixerTally(db.Model):
    """A mixer's counts, written by the retention purge just before it deletes the marks.

    The purge removes marks (and with them any way to count the members who marked), and members
    may later delete their matches with their data; the union statistics read this row for a
    purged mixer so its numbers stay as they were at the purge. Counts only, nothing per person.
    """

    __tablename__ = "mixer_tally"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    #: Confirmed, checked-in attendees.
    attendees: Mapped[int]
    #: Attendees who marked at least one other.
    markers: Mapped[int]
    #: Mutual matches (pairs).
    matches: Mapped[int]
    #: Attendees with at least one match, mutual or by introduction.
    matched_members: Mapped[int]
    introductions_accepted: Mapped[int]
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
