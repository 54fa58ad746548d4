"""The exchange's decisions as plain functions: window, who takes part, who is listed, matches,
card visibility, introduction requests and retention. No Flask, no database."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

#: Defaults; the window length is per mixer (MixerSettings.window_hours).
DEFAULT_WINDOW_HOURS = 72
#: Introduction requests may be sent for this long after the window closes.
INTRODUCTION_DAYS = 14
#: An unanswered request lapses this long after it was sent (never after the period ends).
REQUEST_ANSWER_DAYS = 7
#: Open requests one member may have at one mixer.
MAX_OPEN_REQUESTS = 3
#: Marks, declined and expired requests are deleted this long after the window closes.
DEFAULT_RETENTION_DAYS = 30
#: Everyone taking part must be an adult.
ADULT_AGE = 18
NOTE_MAX = 200
INTRODUCTION_MAX = 200


class WindowState(enum.StrEnum):
    NOT_YET = "not_yet"  # the event has not ended
    OPEN = "open"  # marking
    INTRODUCTIONS = "introductions"  # closed; introduction requests may be sent
    OVER = "over"  # closed, introduction period over


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    @property
    def introductions_until(self) -> datetime:
        return self.closes_at + timedelta(days=INTRODUCTION_DAYS)


def window(event_ends_at: datetime, hours: int) -> Window:
    """The exchange window opens when the event ends and closes `hours` later."""
    return Window(event_ends_at, event_ends_at + timedelta(hours=hours))


def window_state(win: Window, now: datetime) -> WindowState:
    """Open from the event's end (inclusive) to the close (exclusive); then 14 days of
    introductions; then over."""
    if now < win.opens_at:
        return WindowState.NOT_YET
    if now < win.closes_at:
        return WindowState.OPEN
    if now < win.introductions_until:
        return WindowState.INTRODUCTIONS
    return WindowState.OVER


def time_left(win: Window, now: datetime) -> timedelta:
    """How long marks may still change: zero outside the open window."""
    if window_state(win, now) != WindowState.OPEN:
        return timedelta(0)
    return win.closes_at - now


def is_adult(birth_year: int, event_year: int) -> bool:
    """18+ only: a member is an adult when the event's year minus their birth year is ≥ 18."""
    return event_year - birth_year >= ADULT_AGE


@dataclass(frozen=True)
class Attendee:
    """What the rules need to know about one member's place in one mixer's exchange."""

    user_id: int
    gender: str
    checked_in: bool = True
    confirmed: bool = True
    single_declared: bool = True
    adult: bool = True
    removed: bool = False
    left: bool = False
    #: Nickname given and card released with consent: the member can be marked and matched.
    ready: bool = True


def takes_part(a: Attendee) -> bool:
    """Only confirmed, checked-in, declared-single adults who were neither removed by an organizer
    nor left the exchange take part."""
    return (
        a.confirmed
        and a.checked_in
        and a.single_declared
        and a.adult
        and not a.removed
        and not a.left
    )


def is_blocked(blocks: set[tuple[int, int]], a: int, b: int) -> bool:
    """A block works both ways: (a, b) or (b, a) among the blocks hides each from the other."""
    return (a, b) in blocks or (b, a) in blocks


def is_listed(
    viewer: Attendee, other: Attendee, visibility: str, blocks: set[tuple[int, int]]
) -> bool:
    """`other` appears on `viewer`'s marking page: both take part, other is ready, not the same
    member, no block either way, and of the other gender unless the mixer lists everyone."""
    if viewer.user_id == other.user_id:
        return False
    if not (takes_part(viewer) and takes_part(other) and other.ready):
        return False
    if is_blocked(blocks, viewer.user_id, other.user_id):
        return False
    return visibility == "everyone" or viewer.gender != other.gender


class MarkRefusal(enum.StrEnum):
    WINDOW = "window"  # not open
    NOT_READY = "not_ready"  # the marker has no nickname or no released card
    NOT_LISTED = "not_listed"  # the other is not on the marker's page


def mark_refusal(
    state: WindowState,
    viewer: Attendee,
    other: Attendee,
    visibility: str,
    blocks: set[tuple[int, int]],
) -> MarkRefusal | None:
    """A mark may change only while the window is open, by a ready participant, for someone on
    their page."""
    if state != WindowState.OPEN:
        return MarkRefusal.WINDOW
    if not (takes_part(viewer) and viewer.ready):
        return MarkRefusal.NOT_READY
    if not is_listed(viewer, other, visibility, blocks):
        return MarkRefusal.NOT_LISTED
    return None


def pair(a: int, b: int) -> tuple[int, int]:
    """A pair of members as stored: smaller id first."""
    return (a, b) if a < b else (b, a)


def mutual_pairs(marks: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """A pair matches when each marked the other; (marker, marked) in, ordered pairs out."""
    marked = set(marks)
    return {pair(a, b) for a, b in marked if a != b and (b, a) in marked}


def match_revealed_at(
    source: str, reveal: str, matched_at: datetime, closes_at: datetime
) -> datetime:
    """An introduction shows when accepted; a mutual mark at once when the organizer chose so,
    otherwise at the close."""
    if source == "introduction" or reveal == "at_once":
        return matched_at
    return max(matched_at, closes_at)


def match_shows(*, revealed: bool, hidden: bool, blocked: bool, both_take_part: bool) -> bool:
    """A match shows on its members' results pages when it is revealed, neither side hid it,
    neither blocked the other and both still take part."""
    return revealed and not hidden and not blocked and both_take_part


def card_visible(
    *,
    revealed: bool,
    hidden: bool,
    blocked: bool,
    both_take_part: bool,
    both_consent: bool,
) -> bool:
    """A match shows the other's card exactly when the match shows and both currently consent
    to releasing their cards (nobody receives a card while withholding their own)."""
    return (
        match_shows(
            revealed=revealed, hidden=hidden, blocked=blocked, both_take_part=both_take_part
        )
        and both_consent
    )


def match_notices_due(reveal: str, state: WindowState) -> bool:
    """A new match is told in a notice only at a mixer that shows matches at once and only while
    its window is open: where matches show at the close nothing may hint at one before it, and
    from the close the results notice tells everyone."""
    return reveal == "at_once" and state == WindowState.OPEN


def request_expires_at(sent_at: datetime, win: Window) -> datetime:
    """An unanswered request lapses 7 days after it was sent, and at the latest when the
    introduction period ends."""
    return min(sent_at + timedelta(days=REQUEST_ANSWER_DAYS), win.introductions_until)


def counts_as_open(accepted_at: datetime | None, expires_at: datetime, now: datetime) -> bool:
    """For the requester's limit a request is open until accepted or expired; a decline does not
    free the place early, or the freed place would announce the decline."""
    return accepted_at is None and now < expires_at


class RequestRefusal(enum.StrEnum):
    PERIOD = "period"  # outside the 14 days after the close
    NOT_PARTICIPANT = "not_participant"  # requester or recipient not taking part / not ready
    SELF = "self"
    MATCHED = "matched"  # already a match: nothing to introduce
    ALREADY_ASKED = "already_asked"  # one request per recipient
    THEIR_REQUEST_WAITS = "their_request_waits"  # they asked the requester: answer them instead
    TOO_MANY = "too_many"  # 3 open requests already
    NOT_LISTED = "not_listed"  # blocked, or not someone the requester could see


def request_refusal(
    *,
    state: WindowState,
    requester: Attendee,
    recipient: Attendee,
    visibility: str,
    blocks: set[tuple[int, int]],
    matched: bool,
    already_asked: bool,
    their_request_waits: bool,
    open_requests: int,
) -> RequestRefusal | None:
    """In the 14 days after the close, a ready attendee may ask for one introduction to each
    attendee they could see and did not match, unless that attendee's own request to them
    still waits for their answer (answering it is the way), with at most 3 open at once."""
    if state != WindowState.INTRODUCTIONS:
        return RequestRefusal.PERIOD
    if requester.user_id == recipient.user_id:
        return RequestRefusal.SELF
    if not (takes_part(requester) and requester.ready):
        return RequestRefusal.NOT_PARTICIPANT
    if not is_listed(requester, recipient, visibility, blocks):
        return RequestRefusal.NOT_LISTED
    if matched:
        return RequestRefusal.MATCHED
    if already_asked:
        return RequestRefusal.ALREADY_ASKED
    if their_request_waits:
        return RequestRefusal.THEIR_REQUEST_WAITS
    if open_requests >= MAX_OPEN_REQUESTS:
        return RequestRefusal.TOO_MANY
    return None


class RequestView(enum.StrEnum):
    """What one side sees of a request."""

    WAITING = "waiting"  # requester: not answered yet (or declined but not yet expired)
    NO_MATCH = "no_match"  # requester: lapsed or declined, shown only once it expired
    MATCHED = "matched"  # both: accepted
    TO_ANSWER = "to_answer"  # recipient: open
    DECLINED = "declined"  # recipient: they declined
    EXPIRED = "expired"  # recipient: lapsed unanswered


def request_view(
    *,
    for_requester: bool,
    accepted_at: datetime | None,
    declined_at: datetime | None,
    expires_at: datetime,
    now: datetime,
) -> RequestView:
    """The requester never learns of a decline: until the request's expiry it waits, then it is
    "no match"; the recipient sees their own answer."""
    if accepted_at is not None:
        return RequestView.MATCHED
    if for_requester:
        return RequestView.WAITING if now < expires_at else RequestView.NO_MATCH
    if declined_at is not None:
        return RequestView.DECLINED
    return RequestView.TO_ANSWER if now < expires_at else RequestView.EXPIRED


def may_answer(accepted_at, declined_at, expires_at: datetime, now: datetime) -> bool:
    """A recipient answers once, before the request expires."""
    return accepted_at is None and declined_at is None and now < expires_at


def purge_due(closes_at: datetime, retention_days: int, now: datetime) -> bool:
    """Marks and expired requests of a mixer are deleted once `retention_days` have passed since
    its window closed."""
    return now >= closes_at + timedelta(days=retention_days)


def request_purgeable(
    accepted_at: datetime | None,
    expires_at: datetime,
    closes_at: datetime,
    retention_days: int,
    now: datetime,
) -> bool:
    """An unaccepted request goes with the marks once it has expired, declined or not (a decline
    never ends it early: until its expiry the requester sees it waiting, and its vanishing would
    announce the decline); an accepted one lives on as its match."""
    return accepted_at is None and now >= expires_at and purge_due(closes_at, retention_days, now)


def visible_card_owners(
    viewer: int,
    *,
    matches: Iterable[tuple[int, int, bool, bool]],
    attendees: dict[int, Attendee],
    consenting: set[int],
    blocks: set[tuple[int, int]],
) -> set[int]:
    """Whose cards `viewer` sees: for each (low, high, revealed, hidden) match including the
    viewer, the other side when `card_visible` says so."""
    seen = set()
    for low, high, revealed, hidden in matches:
        if viewer not in (low, high):
            continue
        other = high if viewer == low else low
        both = (
            viewer in attendees
            and other in attendees
            and takes_part(attendees[viewer])
            and takes_part(attendees[other])
        )
        if card_visible(
            revealed=revealed,
            hidden=hidden,
            blocked=is_blocked(blocks, viewer, other),
            both_take_part=both,
            both_consent=viewer in consenting and other in consenting,
        ):
            seen.add(other)
    return seen
