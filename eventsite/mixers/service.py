"""The exchange's operations: settings, numbers, profiles and cards, marks and matches, results,
introduction requests, blocks, reports, organizer counts, and a member's own data.

Functions take plain values and models, call `mixers.rules` for every decision, flush, and never
commit: the view, job or CLI command that called them commits once. Nothing here writes a mark,
a match or a declined request to the audit log, a notification, a message or a log line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, joinedload, selectinload

from eventsite.accounts.models import User
from eventsite.core import audit
from eventsite.core.errors import Refused
from eventsite.core.models import SentNotice
from eventsite.core.notifications import notify
from eventsite.core.time import to_local
from eventsite.events.models import Event, EventKind, Registration, RegistrationStatus
from eventsite.events.roster import checked_in
from eventsite.events.service import lock_event
from eventsite.extensions import db
from eventsite.mixers import rules, stats
from eventsite.mixers.models import (
    Block,
    ContactCard,
    IntroductionRequest,
    Mark,
    Match,
    MatchSource,
    MixerProfile,
    MixerSettings,
    Report,
    Reveal,
    Visibility,
)


def retention_days() -> int:
    """MIXER_RETENTION_DAYS: days after a window closes until marks and expired, unaccepted
    introduction requests are deleted."""
    return int(current_app.config.get("MIXER_RETENTION_DAYS", rules.DEFAULT_RETENTION_DAYS))


class MixerError(Refused):
    """An exchange action was refused; `status` is the answer's HTTP status."""

    def __init__(self, message: str, field: str | None = None, status: int = 409):
        super().__init__(message, field)
        self.status = status


NOT_OPEN = _l("The exchange window is not open, so marks cannot change now.")
NOT_READY = _l("Set up your nickname and contact card first.")
NOT_LISTED = _l("This attendee is not on your list.")
REQUEST_REFUSALS = {
    rules.RequestRefusal.PERIOD: _l(
        "Introduction requests can be sent only in the 14 days after the window closes."
    ),
    rules.RequestRefusal.NOT_PARTICIPANT: NOT_READY,
    rules.RequestRefusal.SELF: NOT_LISTED,
    rules.RequestRefusal.NOT_LISTED: NOT_LISTED,
    rules.RequestRefusal.MATCHED: _l("You already matched with this attendee."),
    rules.RequestRefusal.ALREADY_ASKED: _l("You have already asked to be introduced to them."),
    rules.RequestRefusal.THEIR_REQUEST_WAITS: _l(
        "They have asked to be introduced to you: please answer their request on your results page."
    ),
    rules.RequestRefusal.TOO_MANY: _l(
        "You have 3 open requests at this mixer; wait until one is answered or expires."
    ),
}


# =============================================================================================
# Settings and the window
# =============================================================================================


def settings_of(event: Event) -> MixerSettings:
    """The mixer's settings; unsaved defaults when the organizer has not changed any."""
    settings = db.session.get(MixerSettings, event.id)
    return settings or MixerSettings(
        event_id=event.id,
        window_hours=rules.DEFAULT_WINDOW_HOURS,
        visibility=Visibility.OTHER_GENDER,
        reveal=Reveal.AT_CLOSE,
    )


def window_of(event: Event, settings: MixerSettings | None = None) -> rules.Window:
    settings = settings or settings_of(event)
    return rules.window(event.ends_at, settings.window_hours)


def save_settings(
    event: Event, actor: User, *, window_hours: int, visibility: str, reveal: str, now: datetime
) -> MixerSettings:
    """Change the window length, who is listed and when matches show; only before the window
    opens, so nobody's view changes under them."""
    current = settings_of(event)
    if rules.window_state(window_of(event, current), now) != rules.WindowState.NOT_YET:
        raise MixerError(_("The exchange settings cannot change once the window has opened."))
    settings = db.session.get(MixerSettings, event.id)
    if settings is None:
        settings = MixerSettings(event_id=event.id)
        db.session.add(settings)
    settings.window_hours = window_hours
    settings.visibility = Visibility(visibility)
    settings.reveal = Reveal(reveal)
    audit.record(
        "mixer.settings",
        actor=actor,
        event=event,
        detail=f"{window_hours} h; {settings.visibility}; {settings.reveal}",
    )
    db.session.flush()
    return settings


# =============================================================================================
# Participant numbers and profiles
# =============================================================================================


def registration_of(event: Event, user_id: int) -> Registration | None:
    return db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == user_id
        )
    ).one_or_none()


def profile_of(event: Event, user_id: int) -> MixerProfile | None:
    return db.session.scalars(
        sa.select(MixerProfile)
        .options(selectinload(MixerProfile.card), joinedload(MixerProfile.registration))
        .where(MixerProfile.event_id == event.id, MixerProfile.user_id == user_id)
    ).one_or_none()


def assign_number(registration: Registration) -> MixerProfile:
    """The member's profile with its participant number: the next free number of the mixer,
    given once and kept when a check-in is undone and made again."""
    existing = db.session.scalars(
        sa.select(MixerProfile).where(MixerProfile.registration_id == registration.id)
    ).one_or_none()
    if existing is not None:
        return existing
    lock_event(registration.event_id)  # two desks checking in at once draw different numbers
    highest = db.session.scalar(
        sa.select(sa.func.max(MixerProfile.number)).where(
            MixerProfile.event_id == registration.event_id
        )
    )
    profile = MixerProfile(
        event_id=registration.event_id,
        user_id=registration.user_id,
        registration_id=registration.id,
        number=(highest or 0) + 1,
        nickname="",
        introduction="",
    )
    db.session.add(profile)
    db.session.flush()
    return profile


@checked_in.connect
def _on_checked_in(registration: Registration, **_extra) -> None:
    """A mixer attendee gets their participant number as they arrive."""
    if registration.event.kind == EventKind.MIXER:
        assign_number(registration)


def attendee_of(
    registration: Registration, profile: MixerProfile | None, event: Event
) -> rules.Attendee:
    """What the rules need to know about one member's place in the exchange."""
    return rules.Attendee(
        user_id=registration.user_id,
        gender=registration.gender,
        checked_in=registration.checked_in_at is not None,
        confirmed=registration.status == RegistrationStatus.CONFIRMED,
        single_declared=registration.single_declared_at is not None,
        adult=rules.is_adult(registration.birth_year, to_local(event.starts_at).year),
        removed=profile is not None and profile.removed_at is not None,
        left=profile is None or profile.left_at is not None,
        ready=profile is not None and bool(profile.nickname) and profile.card is not None,
    )


def _require_attendee(event: Event, user_id: int) -> tuple[Registration, MixerProfile]:
    registration = registration_of(event, user_id)
    if registration is None or registration.checked_in_at is None:
        raise MixerError(_("Only attendees who checked in take part in the exchange."), status=403)
    return registration, assign_number(registration)


def _clean(text: str | None) -> str:
    return (text or "").strip()


def save_profile(
    event: Event,
    user: User,
    *,
    nickname: str,
    introduction: str,
    phone: str,
    wechat: str,
    email: str,
    release_card: bool,
    single_declared: bool,
    now: datetime,
) -> MixerProfile:
    """Save the nickname, introduction and contact card with their two separate consents.

    Unticking "release my card" withdraws that consent: the card is deleted, so no match shows it
    from now on. Unticking the single-status declaration takes the member out of the exchange.
    """
    registration, profile = _require_attendee(event, user.id)
    nickname, introduction = _clean(nickname), _clean(introduction)
    phone, wechat, email = _clean(phone), _clean(wechat), _clean(email)
    if not nickname:
        raise MixerError(_("Please choose a nickname."), "nickname", 400)
    if len(introduction) > rules.INTRODUCTION_MAX:
        raise MixerError(
            _("At most %(max)d characters.", max=rules.INTRODUCTION_MAX), "introduction", 400
        )
    if release_card and not (phone or wechat or email):
        raise MixerError(
            _("Give at least one of phone, WeChat id or email to release a card."), "phone", 400
        )
    profile.nickname = nickname
    profile.introduction = introduction
    profile.left_at = None
    if single_declared:
        registration.single_declared_at = registration.single_declared_at or now
    else:
        registration.single_declared_at = None
    if release_card:
        card = profile.card or ContactCard(consented_at=now)
        card.phone, card.wechat, card.email = phone, wechat, email
        profile.card = card
    else:
        profile.card = None
    db.session.flush()
    return profile


def withdraw_consent(event: Event, user_id: int) -> bool:
    """Withdraw the release of the contact card at this mixer: the card is deleted, so it shows
    to nobody from now on (a match already revealed stays a match, without the card).
    Returns whether there was a card. Called from the member's page and by retention jobs."""
    profile = profile_of(event, user_id)
    if profile is None or profile.card is None:
        return False
    profile.card = None
    db.session.flush()
    return True


def delete_member_data(event: Event, user_id: int, now: datetime) -> None:
    """Delete the member's exchange data at this mixer: nickname, introduction, card, their marks
    and the marks on them, their matches (with the markers of their match notices) and
    introduction requests both ways. The participant
    number stays with the check-in; blocks stay (they protect the member) and reports stay with
    the organizers. The single-status declaration goes too: it is sensitive personal information
    given with its own consent, so saving the profile again rejoins the exchange only with a fresh
    declaration. The registration and its check-in stay as they are."""
    registration = registration_of(event, user_id)
    if registration is not None:
        registration.single_declared_at = None
    profile = profile_of(event, user_id)
    if profile is not None:
        profile.nickname = ""
        profile.introduction = ""
        profile.card = None
        profile.left_at = now
    db.session.execute(
        sa.delete(Mark).where(
            Mark.event_id == event.id, sa.or_(Mark.marker_id == user_id, Mark.marked_id == user_id)
        )
    )
    db.session.execute(
        sa.delete(Match).where(
            Match.event_id == event.id,
            sa.or_(Match.user_low_id == user_id, Match.user_high_id == user_id),
        )
    )
    requests = list(
        db.session.scalars(
            sa.select(IntroductionRequest.id).where(
                IntroductionRequest.event_id == event.id,
                sa.or_(
                    IntroductionRequest.requester_id == user_id,
                    IntroductionRequest.recipient_id == user_id,
                ),
            )
        )
    )
    if requests:
        # The markers of the requests' notices would still record who was asked.
        db.session.execute(
            sa.delete(SentNotice).where(
                SentNotice.event_id == event.id,
                SentNotice.kind.in_(introduction_notice_kinds(requests)),
            )
        )
        db.session.execute(
            sa.delete(IntroductionRequest).where(IntroductionRequest.id.in_(requests))
        )
    # Both sides' markers of the member's match notices name the pair.
    db.session.execute(sa.delete(SentNotice).where(match_notice_markers(event.id, user_id)))
    db.session.flush()


# =============================================================================================
# Loading a mixer's participants
# =============================================================================================


@dataclass
class Participant:
    """One checked-in attendee as the exchange sees them."""

    profile: MixerProfile
    registration: Registration
    attendee: rules.Attendee
    #: The member's real name: filled in for organizers' pages only.
    name: str = ""

    @property
    def user_id(self) -> int:
        return self.profile.user_id

    @property
    def number(self) -> int:
        return self.profile.number

    @property
    def card(self) -> ContactCard | None:
        return self.profile.card


def participants(event: Event, *where) -> dict[int, Participant]:
    """Every attendee with a participant number (or those matching `where`), by user id, with
    registration and card, in one query."""
    profiles = db.session.scalars(
        sa.select(MixerProfile)
        .options(joinedload(MixerProfile.registration), joinedload(MixerProfile.card))
        .where(MixerProfile.event_id == event.id, *where)
        .order_by(MixerProfile.number)
    ).all()
    return {
        p.user_id: Participant(p, p.registration, attendee_of(p.registration, p, event))
        for p in profiles
    }


def blocks_touching(user_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Every block made by or against one of `user_ids`, as (blocker, blocked)."""
    ids = list(user_ids)
    if not ids:
        return set()
    rows = db.session.execute(
        sa.select(Block.blocker_id, Block.blocked_id).where(
            sa.or_(Block.blocker_id.in_(ids), Block.blocked_id.in_(ids))
        )
    ).all()
    return {(a, b) for a, b in rows}


def _blocks_of(user_id: int) -> set[tuple[int, int]]:
    return blocks_touching([user_id])


def _participant_by_number(people: dict[int, Participant], number: int) -> Participant:
    for person in people.values():
        if person.number == number:
            return person
    raise MixerError(NOT_LISTED, status=404)


# =============================================================================================
# Marking
# =============================================================================================


@dataclass
class Board:
    """The marking page: the member, whom they may mark, their own marks and the time left."""

    event: Event
    settings: MixerSettings
    window: rules.Window
    state: rules.WindowState
    me: Participant
    listed: list[Participant]
    marked: set[int]
    time_left: timedelta

    @property
    def ready(self) -> bool:
        return rules.takes_part(self.me.attendee) and self.me.attendee.ready

    @property
    def mark_count(self) -> int:
        return len(self.marked & {p.user_id for p in self.listed})


def board(event: Event, user_id: int, now: datetime) -> Board:
    """Who the member may mark and whom they marked, in a fixed number of queries."""
    settings = settings_of(event)
    win = window_of(event, settings)
    people = participants(event)
    me = people.get(user_id)
    if me is None:
        raise MixerError(_("Only attendees who checked in take part in the exchange."), status=403)
    blocks = _blocks_of(user_id)
    listed = [
        p
        for p in people.values()
        if rules.is_listed(me.attendee, p.attendee, settings.visibility, blocks)
    ]
    marked = set(
        db.session.scalars(
            sa.select(Mark.marked_id).where(Mark.event_id == event.id, Mark.marker_id == user_id)
        )
    )
    return Board(
        event=event,
        settings=settings,
        window=win,
        state=rules.window_state(win, now),
        me=me,
        listed=listed,
        marked=marked,
        time_left=rules.time_left(win, now),
    )


def _insert_ignoring_duplicates(model):
    """INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite alike."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).on_conflict_do_nothing()


@dataclass(frozen=True)
class Tap:
    """What a marking tap answers: how many attendees the member has marked now, and, at a mixer
    that shows matches at once, whether the pair shows as a match (None where matches show at
    the close: the tap says nothing there)."""

    count: int
    match: bool | None = None


def set_mark(event: Event, user_id: int, number: int, marked: bool, now: datetime) -> Tap:
    """Mark or unmark the attendee with `number`: write or delete exactly the member's own mark.

    A mutual match is not written here: it is derived from the two marks whenever it is read
    (`matches_of`), so a tap runs the same statements whatever the other side did, and neither
    its answer nor its time can tell a member, before the reveal, that they were marked. A
    refusal says nothing about the other side's marks either.
    """
    settings = settings_of(event)
    # Only the two members concerned: a tap must not load the whole mixer.
    people = participants(
        event, sa.or_(MixerProfile.user_id == user_id, MixerProfile.number == number)
    )
    me = people.get(user_id)
    if me is None:
        raise MixerError(_("Only attendees who checked in take part in the exchange."), status=403)
    other = _participant_by_number(people, number)
    blocks = _blocks_of(user_id)
    refusal = rules.mark_refusal(
        rules.window_state(window_of(event, settings), now),
        me.attendee,
        other.attendee,
        settings.visibility,
        blocks,
    )
    if refusal == rules.MarkRefusal.WINDOW:
        raise MixerError(NOT_OPEN)
    if refusal == rules.MarkRefusal.NOT_READY:
        raise MixerError(NOT_READY)
    if refusal == rules.MarkRefusal.NOT_LISTED:
        raise MixerError(NOT_LISTED, status=404)
    if marked:
        # Marking twice keeps the first mark (and its time, which dates a match).
        db.session.execute(
            _insert_ignoring_duplicates(Mark).values(
                event_id=event.id, marker_id=user_id, marked_id=other.user_id, created_at=now
            )
        )
    else:
        db.session.execute(
            sa.delete(Mark).where(
                Mark.event_id == event.id,
                Mark.marker_id == user_id,
                Mark.marked_id == other.user_id,
            )
        )
    # The count the marking page shows: marks on attendees still on the member's list.
    on_list = participants(
        event,
        MixerProfile.user_id.in_(
            sa.select(Mark.marked_id).where(Mark.event_id == event.id, Mark.marker_id == user_id)
        ),
    )
    count = sum(
        1
        for person in on_list.values()
        if rules.is_listed(me.attendee, person.attendee, settings.visibility, blocks)
    )
    if settings.reveal != Reveal.AT_ONCE or not marked:
        return Tap(count)
    # Shown at once: the pair's match is the member's to see now, so the tap may say so. It is
    # read after the write by one statement whatever its answer (the write stays the same).
    return Tap(count, _shows_at_once(event, user_id, other.user_id))


def _shows_at_once(event: Event, user_id: int, other_id: int) -> bool:
    """Whether the other marked the member too and neither side hid the pair's match."""
    low, high = rules.pair(user_id, other_id)
    marked_back = sa.exists().where(
        Mark.event_id == event.id, Mark.marker_id == other_id, Mark.marked_id == user_id
    )
    hidden = sa.exists().where(
        Match.event_id == event.id,
        Match.user_low_id == low,
        Match.user_high_id == high,
        Match.hidden_at.is_not(None),
    )
    return bool(db.session.scalar(sa.select(sa.and_(marked_back, ~hidden))))


# =============================================================================================
# Matches: derived from the marks; stored only to outlive or overrule them
# =============================================================================================


def mutual_marks(event_id: int, *where) -> list[tuple[int, int, datetime]]:
    """(low, high, matched_at) for every pair of the mixer who marked each other (and match
    `where`, said of `Mark` as the lower id's mark): matched when the second mark was made."""
    back = aliased(Mark)
    rows = db.session.execute(
        sa.select(Mark.marker_id, Mark.marked_id, Mark.created_at, back.created_at)
        .join(
            back,
            sa.and_(
                back.event_id == Mark.event_id,
                back.marker_id == Mark.marked_id,
                back.marked_id == Mark.marker_id,
            ),
        )
        .where(Mark.event_id == event_id, Mark.marker_id < Mark.marked_id, *where)
    ).all()
    return [(low, high, max(first, second)) for low, high, first, second in rows]


def _derived(event_id: int, low: int, high: int, matched_at: datetime) -> Match:
    """A mutual match as it would be stored; not added to the session."""
    return Match(
        event_id=event_id,
        user_low_id=low,
        user_high_id=high,
        source=MatchSource.MUTUAL,
        matched_at=matched_at,
        hidden_at=None,
    )


def matches_of(event: Event, user_id: int) -> list[Match]:
    """The member's matches at this mixer, revealed or not: the stored ones (introductions, and
    mutual matches kept because one side hid them or the purge deleted their marks) and, for
    every other pair who marked each other, an unsaved `Match` derived from the two marks."""
    stored = list(
        db.session.scalars(
            sa.select(Match).where(
                Match.event_id == event.id,
                sa.or_(Match.user_low_id == user_id, Match.user_high_id == user_id),
            )
        )
    )
    kept = {(m.user_low_id, m.user_high_id) for m in stored}
    derived = [
        _derived(event.id, low, high, at)
        for low, high, at in mutual_marks(
            event.id, sa.or_(Mark.marker_id == user_id, Mark.marked_id == user_id)
        )
        if (low, high) not in kept
    ]
    return sorted(stored + derived, key=lambda m: (m.matched_at, m.id or 0, m.other(user_id)))


def matches_at(event: Event) -> list[Match]:
    """Every match of the mixer, revealed or not, as `matches_of` gives one member's: the stored
    ones and an unsaved `Match` for every other pair who marked each other."""
    stored = list(db.session.scalars(sa.select(Match).where(Match.event_id == event.id)))
    kept = {(m.user_low_id, m.user_high_id) for m in stored}
    derived = [
        _derived(event.id, low, high, at)
        for low, high, at in mutual_marks(event.id)
        if (low, high) not in kept
    ]
    return sorted(stored + derived, key=lambda m: (m.matched_at, m.user_low_id, m.user_high_id))


#: The sent-marker kind of a match notice (`mixers.jobs`) names its pair, "mixer_match:<low
#: id>-<high id>": it goes with either member's exchange data and with the retention purge.
MATCH_NOTICE = "mixer_match:"
#: The sent-marker kinds of an introduction request's notices (`mixers.jobs`), followed by the
#: request's id: they go with the request.
INTRODUCTION_RECEIVED = "mixer_intro_received:"
INTRODUCTION_EXPIRED = "mixer_intro_expired:"


def introduction_notice_kinds(request_ids: Iterable[int]) -> list[str]:
    """The markers' kinds of the notices about these requests."""
    ids = list(request_ids)
    return [f"{INTRODUCTION_RECEIVED}{i}" for i in ids] + [
        f"{INTRODUCTION_EXPIRED}{i}" for i in ids
    ]


def match_notice_kind(low: int, high: int) -> str:
    return f"{MATCH_NOTICE}{low}-{high}"


def match_notice_markers(event_id: int, user_id: int | None = None):
    """The condition selecting the mixer's match-notice markers (of pairs including `user_id`,
    when given)."""
    of_mixer = sa.and_(
        SentNotice.event_id == event_id,
        SentNotice.kind.startswith(MATCH_NOTICE, autoescape=True),
    )
    if user_id is None:
        return of_mixer
    return sa.and_(
        of_mixer,
        sa.or_(
            SentNotice.kind.startswith(f"{MATCH_NOTICE}{user_id}-", autoescape=True),
            SentNotice.kind.endswith(f"-{user_id}", autoescape=True),
        ),
    )


def pair_match(event: Event, a: int, b: int) -> Match | None:
    """The match between two members, stored or derived from their marks; None when there is
    none."""
    low, high = rules.pair(a, b)
    stored = db.session.scalars(
        sa.select(Match).where(
            Match.event_id == event.id, Match.user_low_id == low, Match.user_high_id == high
        )
    ).one_or_none()
    if stored is not None:
        return stored
    found = mutual_marks(event.id, Mark.marker_id == low, Mark.marked_id == high)
    return _derived(event.id, low, high, found[0][2]) if found else None


def keep_mutual_matches(event: Event) -> int:
    """Store every mutual match of the mixer that has no row yet, so that it outlives the marks it
    comes from (the retention purge calls this before it deletes them); returns how many."""
    rows = [
        {
            "event_id": event.id,
            "user_low_id": low,
            "user_high_id": high,
            "source": MatchSource.MUTUAL,
            "matched_at": at,
        }
        for low, high, at in mutual_marks(
            event.id,
            ~sa.exists()
            .where(
                Match.event_id == event.id,
                Match.user_low_id == Mark.marker_id,
                Match.user_high_id == Mark.marked_id,
            )
            .correlate_except(Match),
        )
    ]
    if rows:
        # A second scheduler purging at the same moment stores the same rows: keep the first.
        db.session.execute(_insert_ignoring_duplicates(Match), rows)
    db.session.flush()
    return len(rows)


# =============================================================================================
# Results: matches, cards, introduction requests
# =============================================================================================


@dataclass
class ShownMatch:
    match: Match
    other: Participant
    #: The other's card, or None when it does not show (withdrawn, blocked …).
    card: ContactCard | None


@dataclass
class ShownRequest:
    request: IntroductionRequest
    other: Participant
    view: rules.RequestView


@dataclass
class Results:
    event: Event
    window: rules.Window
    state: rules.WindowState
    settings: MixerSettings
    me: Participant
    matches: list[ShownMatch]
    #: Mutual matches not yet shown (reveal at the close): only that some exist is never shown;
    #: the page says when results come.
    revealed: bool
    sent: list[ShownRequest] = field(default_factory=list)
    received: list[ShownRequest] = field(default_factory=list)
    #: Attendees the member may still ask to be introduced to.
    introducible: list[Participant] = field(default_factory=list)
    open_requests: int = 0

    @property
    def to_answer(self) -> list[ShownRequest]:
        """Requests to the member still waiting for their answer: the page points to these
        instead of offering to ask their senders (already visible to the member, who alone
        knows what they answered)."""
        return [r for r in self.received if r.view == rules.RequestView.TO_ANSWER]

    @property
    def may_request(self) -> bool:
        return (
            self.state == rules.WindowState.INTRODUCTIONS
            and self.open_requests < rules.MAX_OPEN_REQUESTS
            and bool(self.introducible)
        )


def _shown_matches(
    event: Event,
    user_id: int,
    settings: MixerSettings,
    win: rules.Window,
    people: dict[int, Participant],
    blocks: set[tuple[int, int]],
    now: datetime,
    matches: list[Match] | None = None,
) -> list[ShownMatch]:
    """The member's revealed, unhidden, unblocked matches with the card each may see."""
    me = people.get(user_id)
    shown = []
    for match in matches_of(event, user_id) if matches is None else matches:
        other = people.get(match.other(user_id))
        if me is None or other is None:
            continue
        revealed = now >= rules.match_revealed_at(
            match.source, settings.reveal, match.matched_at, win.closes_at
        )
        blocked = rules.is_blocked(blocks, user_id, other.user_id)
        both = rules.takes_part(me.attendee) and rules.takes_part(other.attendee)
        if not rules.match_shows(
            revealed=revealed,
            hidden=match.hidden_at is not None,
            blocked=blocked,
            both_take_part=both,
        ):
            continue
        visible = rules.card_visible(
            revealed=revealed,
            hidden=False,
            blocked=False,
            both_take_part=both,
            both_consent=me.card is not None and other.card is not None,
        )
        shown.append(ShownMatch(match, other, other.card if visible else None))
    return shown


def visible_cards(event: Event, user_id: int, now: datetime) -> dict[int, ContactCard]:
    """Whose contact cards the member sees at this mixer, by user id (the results page's rule)."""
    settings = settings_of(event)
    people = participants(event)
    shown = _shown_matches(
        event, user_id, settings, window_of(event, settings), people, _blocks_of(user_id), now
    )
    return {m.other.user_id: m.card for m in shown if m.card is not None}


def results(event: Event, user_id: int, now: datetime) -> Results:
    """The member's results: revealed matches with cards, their requests and those to answer."""
    settings = settings_of(event)
    win = window_of(event, settings)
    state = rules.window_state(win, now)
    people = participants(event)
    me = people.get(user_id)
    if me is None:
        raise MixerError(_("Only attendees who checked in take part in the exchange."), status=403)
    blocks = _blocks_of(user_id)
    all_matches = matches_of(event, user_id)
    shown = _shown_matches(event, user_id, settings, win, people, blocks, now, all_matches)
    requests = db.session.scalars(
        sa.select(IntroductionRequest)
        .where(
            IntroductionRequest.event_id == event.id,
            sa.or_(
                IntroductionRequest.requester_id == user_id,
                IntroductionRequest.recipient_id == user_id,
            ),
        )
        .order_by(IntroductionRequest.sent_at, IntroductionRequest.id)
    ).all()
    sent, received = [], []
    for request in requests:
        mine = request.requester_id == user_id
        other = people.get(request.recipient_id if mine else request.requester_id)
        if other is None or rules.is_blocked(blocks, user_id, other.user_id):
            continue
        view = rules.request_view(
            for_requester=mine,
            accepted_at=request.accepted_at,
            declined_at=request.declined_at,
            expires_at=request.expires_at,
            now=now,
        )
        (sent if mine else received).append(ShownRequest(request, other, view))
    open_requests = sum(
        rules.counts_as_open(r.request.accepted_at, r.request.expires_at, now) for r in sent
    )
    matched_ids = {m.other(user_id) for m in all_matches}
    asked = {r.request.recipient_id for r in sent}
    # Who waits for the member's answer is pointed to, not offered a request back.
    waiting = {r.request.requester_id for r in received if r.view == rules.RequestView.TO_ANSWER}
    introducible = [
        p
        for p in people.values()
        if rules.is_listed(me.attendee, p.attendee, settings.visibility, blocks)
        and p.user_id not in matched_ids
        and p.user_id not in asked
        and p.user_id not in waiting
    ]
    return Results(
        event=event,
        window=win,
        state=state,
        settings=settings,
        me=me,
        matches=shown,
        revealed=settings.reveal == Reveal.AT_ONCE or now >= win.closes_at,
        sent=sent,
        received=received,
        introducible=introducible,
        open_requests=open_requests,
    )


def hide_match(event: Event, user_id: int, number: int, now: datetime) -> Match:
    """Either side hides their revealed match with the attendee `number`: neither sees the
    other's card from now on. A match derived from marks is stored from then on, hidden, so that
    a mark taken back and given again cannot undo the hide.

    A match not yet revealed does not exist for its members: answering differently for it would
    tell a member, before the close, that someone they marked marked them too (so before the
    close of a mixer that reveals there, nothing is even looked up)."""
    missing = MixerError(_("This match does not exist."), status=404)
    settings = settings_of(event)
    win = window_of(event, settings)
    if settings.reveal != Reveal.AT_ONCE and now < win.closes_at:
        raise missing
    people = participants(
        event, sa.or_(MixerProfile.user_id == user_id, MixerProfile.number == number)
    )
    other = next((p for p in people.values() if p.number == number), None)
    if user_id not in people or other is None or other.user_id == user_id:
        raise missing
    match = pair_match(event, user_id, other.user_id)
    if match is None or now < rules.match_revealed_at(
        match.source, settings.reveal, match.matched_at, win.closes_at
    ):
        raise missing
    if match.id is None:
        db.session.add(match)
    match.hidden_at = match.hidden_at or now
    db.session.flush()
    return match


def send_request(event: Event, user_id: int, number: int, note: str, now: datetime):
    """Ask to be introduced to the attendee with `number`, with a short note."""
    note = _clean(note)
    if len(note) > rules.NOTE_MAX:
        raise MixerError(_("At most %(max)d characters.", max=rules.NOTE_MAX), "note", 400)
    settings = settings_of(event)
    win = window_of(event, settings)
    people = participants(event)
    me = people.get(user_id)
    if me is None:
        raise MixerError(_("Only attendees who checked in take part in the exchange."), status=403)
    other = _participant_by_number(people, number)
    matched = pair_match(event, user_id, other.user_id)
    mine = db.session.scalars(
        sa.select(IntroductionRequest).where(
            IntroductionRequest.event_id == event.id, IntroductionRequest.requester_id == user_id
        )
    ).all()
    theirs = db.session.scalars(
        sa.select(IntroductionRequest).where(
            IntroductionRequest.event_id == event.id,
            IntroductionRequest.requester_id == other.user_id,
            IntroductionRequest.recipient_id == user_id,
        )
    ).one_or_none()
    refusal = rules.request_refusal(
        state=rules.window_state(win, now),
        requester=me.attendee,
        recipient=other.attendee,
        visibility=settings.visibility,
        blocks=_blocks_of(user_id),
        matched=matched is not None,
        already_asked=any(r.recipient_id == other.user_id for r in mine),
        their_request_waits=theirs is not None
        and rules.may_answer(theirs.accepted_at, theirs.declined_at, theirs.expires_at, now),
        open_requests=sum(rules.counts_as_open(r.accepted_at, r.expires_at, now) for r in mine),
    )
    if refusal is not None:
        status = (
            404 if refusal in (rules.RequestRefusal.NOT_LISTED, rules.RequestRefusal.SELF) else 409
        )
        raise MixerError(REQUEST_REFUSALS[refusal], "note", status)
    request = IntroductionRequest(
        event_id=event.id,
        requester_id=user_id,
        recipient_id=other.user_id,
        note=note,
        sent_at=now,
        expires_at=rules.request_expires_at(now, win),
    )
    db.session.add(request)
    db.session.flush()
    return request


def answer_request(event: Event, user_id: int, request_id: int, accept: bool, now: datetime):
    """The recipient accepts (a match: cards both ways, and the requester is told at once) or
    declines (never announced: the requester sees the request expire like any other)."""
    request = db.session.get(IntroductionRequest, request_id)
    if request is None or request.event_id != event.id or request.recipient_id != user_id:
        raise MixerError(_("This request does not exist."), status=404)
    if not rules.may_answer(request.accepted_at, request.declined_at, request.expires_at, now):
        raise MixerError(_("This request can no longer be answered."))
    if accept:
        people = participants(event)
        me = people.get(user_id)
        if me is None or not (rules.takes_part(me.attendee) and me.attendee.ready):
            raise MixerError(NOT_READY)
        if rules.is_blocked(_blocks_of(user_id), user_id, request.requester_id):
            raise MixerError(_("This request does not exist."), status=404)
        request.accepted_at = now
        low, high = rules.pair(user_id, request.requester_id)
        if pair_match(event, low, high) is None:
            db.session.add(
                Match(
                    event_id=event.id,
                    user_low_id=low,
                    user_high_id=high,
                    source=MatchSource.INTRODUCTION,
                    matched_at=now,
                )
            )
        _tell_accepted(event, request.requester_id)
    else:
        request.declined_at = now
    db.session.flush()
    return request


def _tell_accepted(event: Event, requester_id: int) -> None:
    """The requester's notice of an accepted introduction; it names nobody (a notice can be read
    in the admins' mail outbox), the results page shows whom."""
    requester = db.session.get(User, requester_id)
    if requester is None or not requester.active:
        return
    title = event.title
    notify(
        requester,
        lambda: (
            _("Your introduction request at %(title)s was accepted", title=title),
            _(
                "Good news: an attendee of %(title)s accepted your introduction request. You can now see each other's contact cards on your results page.",
                title=title,
            ),
        ),
        link=f"/events/{event.id}/mixer/results",
    )


# =============================================================================================
# Safety: blocks, reports, removal
# =============================================================================================


def block(event: Event, user_id: int, number: int, now: datetime) -> Block:
    """Block the attendee with `number` everywhere: lists, marks and requests, both ways."""
    people = participants(event)
    if user_id not in people:
        raise MixerError(_("Only attendees who checked in take part in the exchange."), status=403)
    other = _participant_by_number(people, number)
    if other.user_id == user_id:
        raise MixerError(NOT_LISTED, status=404)
    existing = db.session.get(Block, (user_id, other.user_id))
    if existing is not None:
        return existing
    made = Block(blocker_id=user_id, blocked_id=other.user_id, event_id=event.id, created_at=now)
    db.session.add(made)
    db.session.flush()
    return made


@dataclass
class BlockRow:
    block: Block
    label: str


def blocks_of(user_id: int) -> list[BlockRow]:
    """The member's own blocks, each named as the blocked member appeared where it was made."""
    rows = db.session.execute(
        sa.select(Block, MixerProfile)
        .outerjoin(
            MixerProfile,
            sa.and_(
                MixerProfile.event_id == Block.event_id, MixerProfile.user_id == Block.blocked_id
            ),
        )
        .where(Block.blocker_id == user_id)
        .order_by(Block.created_at)
    ).all()
    return [BlockRow(b, p.label if p is not None else "—") for b, p in rows]


def unblock(user_id: int, blocked_id: int) -> None:
    """Take back one's own block."""
    found = db.session.get(Block, (user_id, blocked_id))
    if found is None:
        raise MixerError(_("This block does not exist."), status=404)
    db.session.delete(found)
    db.session.flush()


def report(event: Event, user_id: int, number: int, reason: str, now: datetime) -> Report:
    """Report an attendee to the mixer's organizers, who get an inbox message."""
    reason = _clean(reason)
    if not reason:
        raise MixerError(_("Please say what happened."), "reason", 400)
    if len(reason) > 500:
        raise MixerError(_("At most %(max)d characters.", max=500), "reason", 400)
    people = participants(event)
    if user_id not in people:
        raise MixerError(_("Only attendees who checked in take part in the exchange."), status=403)
    other = _participant_by_number(people, number)
    if other.user_id == user_id:
        raise MixerError(NOT_LISTED, status=404)
    made = Report(
        event_id=event.id,
        reporter_id=user_id,
        reported_id=other.user_id,
        reason=reason,
        created_at=now,
    )
    db.session.add(made)
    db.session.flush()
    organizers = db.session.scalars(
        sa.select(User).where(User.id.in_(event.organizer_ids), User.active.is_(True))
    ).all()
    link = f"/events/{event.id}/mixer/reports"
    for organizer in organizers:
        notify(
            organizer,
            lambda: (
                _("A report at %(title)s", title=event.title),
                _("An attendee reported another one. Please review it on the reports page."),
            ),
            link=link,
        )
    return made


@dataclass
class ReportRow:
    report: Report
    reporter: Participant | None
    reported: Participant | None
    reporter_name: str
    reported_name: str


def open_report_count(event: Event) -> int:
    """Reports not yet reviewed."""
    return db.session.scalar(
        sa.select(sa.func.count(Report.id)).where(
            Report.event_id == event.id, Report.reviewed_at.is_(None)
        )
    )


def reports_of(event: Event) -> list[ReportRow]:
    """The mixer's reports, newest first, with both members' numbers and names."""
    people = participants(event)
    found = db.session.scalars(
        sa.select(Report).where(Report.event_id == event.id).order_by(Report.created_at.desc())
    ).all()
    ids = {r.reporter_id for r in found} | {r.reported_id for r in found}
    names = dict(
        db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids or {0}))).all()
    )
    return [
        ReportRow(
            r,
            people.get(r.reporter_id),
            people.get(r.reported_id),
            names.get(r.reporter_id, "—"),
            names.get(r.reported_id, "—"),
        )
        for r in found
    ]


def review_report(event: Event, actor: User, report_id: int, now: datetime) -> Report:
    """Mark a report as reviewed."""
    found = db.session.get(Report, report_id)
    if found is None or found.event_id != event.id:
        raise MixerError(_("This report does not exist."), status=404)
    found.reviewed_at = found.reviewed_at or now
    found.reviewed_by_id = found.reviewed_by_id or actor.id
    audit.record("mixer.report_reviewed", actor=actor, event=event, detail=f"#{found.id}")
    db.session.flush()
    return found


def set_removed(event: Event, actor: User, number: int, removed: bool, now: datetime) -> None:
    """An organizer takes a participant out of the exchange (or back in): a removed member is
    listed nowhere, cannot mark or ask, and their matches stop showing."""
    people = participants(event)
    person = _participant_by_number(people, number)
    person.profile.removed_at = now if removed else None
    person.profile.removed_by_id = actor.id if removed else None
    audit.record(
        "mixer.remove" if removed else "mixer.restore",
        actor=actor,
        event=event,
        detail=f"{person.number} {person.registration.user.name}",
    )
    _tell_removed(event, person.registration.user, removed)
    db.session.flush()


def _tell_removed(event: Event, member: User, removed: bool) -> None:
    """The member's notice of being taken out of the exchange, or back in; it names nobody, so
    it never says who reported them."""
    title = event.title
    if removed:
        render = lambda: (  # noqa: E731
            _("You were taken out of the exchange at %(title)s", title=title),
            _(
                "The organizer took you out of the contact exchange of %(title)s: you are no longer listed, and cannot mark or ask for introductions there. If you think this is a mistake, please contact the organizer.",
                title=title,
            ),
        )
    else:
        render = lambda: (  # noqa: E731
            _("You are back in the exchange at %(title)s", title=title),
            _(
                "The organizer put you back into the contact exchange of %(title)s.",
                title=title,
            ),
        )
    notify(member, render, link=f"/events/{event.id}/mixer")


# =============================================================================================
# Counts for organizers, members' own data
# =============================================================================================


@dataclass(frozen=True)
class Counts:
    attendees: int
    #: None while the window is open: marks may still change, and a count that moved as an
    #: attendee marked would tell whoever watched it when they marked.
    markers: int | None
    #: None until matches are revealed, so a running count cannot hint at who marked whom.
    matches: int | None
    introductions_accepted: int


def counts(event: Event, now: datetime) -> Counts:
    """Counts of what is already revealed or final: checked-in attendees; members who marked,
    once the window has closed; matches, once revealed (at the close, or at once when the
    organizer chose so); accepted introductions."""
    settings = settings_of(event)
    win = window_of(event, settings)
    live = stats.live_counts(event.id)
    closed = now >= win.closes_at
    revealed = settings.reveal == Reveal.AT_ONCE or closed
    return Counts(
        live["attendees"],
        live["markers"] if closed else None,
        live["matches"] if revealed else None,
        live["introductions_accepted"],
    )


def participant_rows(event: Event) -> list[Participant]:
    """Every numbered attendee, for the organizer's list (no marks, no matches)."""
    people = participants(event)
    users = dict(
        db.session.execute(
            sa.select(User.id, User.name).where(User.id.in_(list(people) or [0]))
        ).all()
    )
    for person in people.values():
        person.name = users.get(person.user_id, "")
    return list(people.values())


@dataclass
class AttendedMixer:
    event: Event
    registration: Registration
    profile: MixerProfile | None
    state: rules.WindowState
    #: Introduction requests to the member they can still answer (their results page lists them).
    requests_to_answer: int = 0


def my_mixers(user_id: int, now: datetime) -> list[AttendedMixer]:
    """The mixers the member checked in at, newest first, with their profile, window state and
    how many introduction requests wait for their answer there, in four queries."""
    rows = db.session.execute(
        sa.select(Event, Registration, MixerProfile)
        .join(Registration, Registration.event_id == Event.id)
        .outerjoin(
            MixerProfile,
            sa.and_(
                MixerProfile.event_id == Event.id, MixerProfile.user_id == Registration.user_id
            ),
        )
        .where(
            Event.kind == EventKind.MIXER,
            Registration.user_id == user_id,
            Registration.checked_in_at.is_not(None),
        )
        .order_by(Event.starts_at.desc())
    ).all()
    hours = dict(
        db.session.execute(
            sa.select(MixerSettings.event_id, MixerSettings.window_hours).where(
                MixerSettings.event_id.in_([event.id for event, _r, _p in rows] or [0])
            )
        ).all()
    )
    to_answer = _requests_to_answer(user_id, [event.id for event, _r, _p in rows], now)
    return [
        AttendedMixer(
            event,
            registration,
            profile,
            rules.window_state(
                rules.window(event.ends_at, hours.get(event.id, rules.DEFAULT_WINDOW_HOURS)), now
            ),
            to_answer.get(event.id, 0),
        )
        for event, registration, profile in rows
    ]


def _requests_to_answer(user_id: int, event_ids: list[int], now: datetime) -> dict[int, int]:
    """By mixer, the requests to the member they may still answer, as their results page shows
    them (a request between members who blocked each other shows to neither)."""
    if not event_ids:
        return {}
    found = db.session.execute(
        sa.select(
            IntroductionRequest.event_id,
            IntroductionRequest.requester_id,
            IntroductionRequest.accepted_at,
            IntroductionRequest.declined_at,
            IntroductionRequest.expires_at,
        ).where(
            IntroductionRequest.event_id.in_(event_ids),
            IntroductionRequest.recipient_id == user_id,
            IntroductionRequest.accepted_at.is_(None),
            IntroductionRequest.declined_at.is_(None),
            IntroductionRequest.expires_at > now,
        )
    ).all()
    if not found:
        return {}
    blocks = _blocks_of(user_id)
    counts: dict[int, int] = {}
    for event_id, requester_id, accepted_at, declined_at, expires_at in found:
        if rules.may_answer(accepted_at, declined_at, expires_at, now) and not rules.is_blocked(
            blocks, user_id, requester_id
        ):
            counts[event_id] = counts.get(event_id, 0) + 1
    return counts


def member_data(event: Event, user_id: int, now: datetime) -> dict:
    """Everything the exchange holds about the member at this mixer that they may see: their
    profile, card and consents, their own marks, their visible matches, their requests as they
    see them (a decline stays "waiting" until it expires) and their blocks."""
    people = participants(event)
    me = people.get(user_id)
    if me is None:
        raise MixerError(_("Only attendees who checked in take part in the exchange."), status=403)
    mine = results(event, user_id, now)
    marks = db.session.scalars(
        sa.select(Mark.marked_id).where(Mark.event_id == event.id, Mark.marker_id == user_id)
    ).all()
    card = me.card
    return {
        "event": event.title,
        "number": me.number,
        "nickname": me.profile.nickname,
        "introduction": me.profile.introduction,
        "single_declared_at": _iso(me.registration.single_declared_at),
        "card": None
        if card is None
        else {
            "phone": card.phone,
            "wechat": card.wechat,
            "email": card.email,
            "consented_at": _iso(card.consented_at),
        },
        "my_marks": sorted(people[m].number for m in marks if m in people),
        "matches": [
            {
                "number": m.other.number,
                "nickname": m.other.profile.nickname,
                "card": None
                if m.card is None
                else {"phone": m.card.phone, "wechat": m.card.wechat, "email": m.card.email},
            }
            for m in mine.matches
        ],
        "requests_sent": [
            {"number": r.other.number, "note": r.request.note, "status": str(r.view)}
            for r in mine.sent
        ],
        "requests_received": [
            {"number": r.other.number, "note": r.request.note, "status": str(r.view)}
            for r in mine.received
        ],
        "blocks": [row.label for row in blocks_of(user_id)],
    }


def _iso(moment: datetime | None) -> str | None:
    """Beijing time with its offset, as every page states times (2026-11-29T21:00:00+08:00)."""
    return to_local(moment).isoformat(timespec="seconds") if moment else None


def _sheet_time(iso: str | None) -> str:
    """A time from the member's data as a spreadsheet shows it: 2026-11-29 21:00 (Beijing)."""
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M") if iso else ""


def member_data_rows(data: dict) -> list[list]:
    """The member's data as two-column rows for a spreadsheet."""
    rows: list[list] = [
        [_("Mixer"), data["event"]],
        [_("Participant number"), data["number"]],
        [_("Nickname"), data["nickname"]],
        [_("Self-introduction"), data["introduction"]],
        [_("Single-status declared at"), _sheet_time(data["single_declared_at"])],
    ]
    card = data["card"] or {}
    rows += [
        [_("Phone"), card.get("phone", "")],
        [_("WeChat id"), card.get("wechat", "")],
        [_("Email"), card.get("email", "")],
        [_("Card released at"), _sheet_time(card.get("consented_at"))],
        [_("My marks (participant numbers)"), ", ".join(str(n) for n in data["my_marks"])],
    ]
    for m in data["matches"]:
        shown = m["card"] or {}
        contact = " / ".join(v for v in shown.values() if v)
        rows.append([_("Match"), f"{m['number']} {m['nickname']} {contact}".strip()])
    for r in data["requests_sent"]:
        rows.append([_("Introduction request sent"), f"{r['number']}: {r['note']} ({r['status']})"])
    for r in data["requests_received"]:
        rows.append(
            [_("Introduction request received"), f"{r['number']}: {r['note']} ({r['status']})"]
        )
    for label in data["blocks"]:
        rows.append([_("Blocked"), label])
    return rows
