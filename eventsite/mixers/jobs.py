"""Scheduled work for the 鹊桥 exchange: window opened, 12 h before the close, results ready,
a new match at a mixer that shows matches at once, introduction received and expired, and the
retention purge.

What is due is computed from the mixer's timestamps and the clock, never from a job having run.
Each notice leaves a `SentNotice` marker claimed with `events.reminders.claim` (INSERT … ON
CONFLICT DO NOTHING RETURNING) in the same transaction as the inbox message and the mail, so a
restart, a missed tick or a second scheduler sends each notice once; a late tick still sends
everything whose wording is still true (a window notice only while the window is open, the
received notice only while the request can be answered).

Introduction notices are per request: their marker's kind carries the request id. The purge
deletes those markers with the request, so after the retention period nothing records who asked
whom. The texts name nobody: a notice can be read in the admins' mail outbox, and the requester
of a declined request learns only that it ended with no match, at its expiry like any other.

Match notices are per pair (`service.match_notice_kind`): a marking tap writes only the
member's own mark (whether the other side marked must not change its work), so the next tick
tells both members of a match that shows, where matches show at once and only while the window
is open. They go to the inbox only: two mails of the same minute, side by side in the admins'
outbox, would say who matched whom. Their markers go with either member's exchange data and
with the retention purge.

Functions flush, never commit: `run_mixer_jobs` commits once per mixer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from eventsite.accounts.models import User
from eventsite.core.models import SentNotice
from eventsite.core.notifications import notify
from eventsite.core.privacy import RedactDatabaseDetail
from eventsite.core.time import format_local
from eventsite.events.models import Event, EventKind, EventStatus
from eventsite.events.notices import sms_name
from eventsite.events.reminders import claim
from eventsite.extensions import db
from eventsite.mixers import rules, service, stats
from eventsite.mixers.models import IntroductionRequest, Mark, MixerProfile, MixerTally, Reveal
from eventsite.sms.rules import SmsKind

log = logging.getLogger(__name__)
# A failed mixer's traceback may carry PostgreSQL's row details (members' data): blank them.
log.addFilter(RedactDatabaseDetail())

#: SentNotice kinds; the introduction kinds get ":<request id>" appended.
WINDOW_OPENED = "mixer_window_opened"
WINDOW_CLOSING = "mixer_window_closing"
RESULTS_READY = "mixer_results_ready"
INTRODUCTION_RECEIVED = service.INTRODUCTION_RECEIVED
INTRODUCTION_EXPIRED = service.INTRODUCTION_EXPIRED
#: A match notice's kind: this, then the pair's user ids ("mixer_match:12-34").
MATCH_MADE = service.MATCH_NOTICE

#: The closing reminder goes this long before the window closes.
CLOSING_LEAD = timedelta(hours=12)
#: The settings form's longest window (720 h): bounds which mixers a tick looks at.
LONGEST_WINDOW = timedelta(hours=720)


# =============================================================================================
# What is due (pure)
# =============================================================================================


def window_notices_due(win: rules.Window, now: datetime) -> set[str]:
    """The window notices due at `now`: "opened" while the window is open and more than 12 h from
    its close (a first tick inside the last 12 h sends only the reminder, which says the same and
    when it closes), the reminder in the last 12 h, results from the close until the introduction
    period ends."""
    due = set()
    if win.opens_at <= now < win.closes_at - CLOSING_LEAD:
        due.add(WINDOW_OPENED)
    if max(win.opens_at, win.closes_at - CLOSING_LEAD) <= now < win.closes_at:
        due.add(WINDOW_CLOSING)
    if win.closes_at <= now < win.introductions_until:
        due.add(RESULTS_READY)
    return due


def received_kind(request_id: int) -> str:
    return f"{INTRODUCTION_RECEIVED}{request_id}"


def expired_kind(request_id: int) -> str:
    return f"{INTRODUCTION_EXPIRED}{request_id}"


# =============================================================================================
# Finding mixers
# =============================================================================================


def mixers_in_play(now: datetime) -> list[int]:
    """Published mixers that ended and may still have a window notice, an introduction notice or
    a purge due (the longest window, the introduction period and the retention period)."""
    earliest = (
        now - LONGEST_WINDOW - timedelta(days=rules.INTRODUCTION_DAYS + service.retention_days())
    )
    return list(
        db.session.scalars(
            sa.select(Event.id)
            .where(
                Event.kind == EventKind.MIXER,
                Event.status == EventStatus.PUBLISHED,
                Event.ends_at <= now,
                Event.ends_at > earliest,
            )
            .order_by(Event.ends_at, Event.id)
        )
    )


def mixers_to_purge(now: datetime) -> list[int]:
    """Mixers (any status) that ended more than the retention period ago and still hold marks,
    unaccepted introduction requests or match-notice markers; the exact rule is checked per
    mixer."""
    latest_end = now - timedelta(days=service.retention_days())
    holds_marks = sa.exists().where(Mark.event_id == Event.id)
    holds_requests = sa.exists().where(
        IntroductionRequest.event_id == Event.id, IntroductionRequest.accepted_at.is_(None)
    )
    holds_match_markers = sa.exists().where(service.match_notice_markers(Event.id))
    return list(
        db.session.scalars(
            sa.select(Event.id)
            .where(
                Event.kind == EventKind.MIXER,
                Event.ends_at <= latest_end,
                sa.or_(holds_marks, holds_requests, holds_match_markers),
            )
            .order_by(Event.ends_at, Event.id)
        )
    )


# =============================================================================================
# Notices
# =============================================================================================


def _not_yet_sent(kind: str, event_id: int):
    return ~sa.exists().where(
        SentNotice.kind == kind,
        SentNotice.event_id == event_id,
        SentNotice.user_id == User.id,
    )


def _claimed_users(kind: str, event: Event, user_ids: list[int], now: datetime) -> list[User]:
    """Claim the notice `kind` for the active members among `user_ids`; the claimed ones, by id."""
    if not user_ids:
        return []
    recipients = sa.select(User.id.label("user_id")).where(
        User.id.in_(user_ids), User.active.is_(True), _not_yet_sent(kind, event.id)
    )
    claimed = claim(kind, event, recipients, now)
    if not claimed:
        return []
    return list(db.session.scalars(sa.select(User).where(User.id.in_(claimed)).order_by(User.id)))


def _exchange_path(event: Event, page: str = "") -> str:
    return f"/events/{event.id}/mixer{page}"


def send_window_notices(event: Event, now: datetime) -> int:
    """Send the window notices due at `now` to every attendee taking part; returns how many."""
    settings = service.settings_of(event)
    win = service.window_of(event, settings)
    due = window_notices_due(win, now)
    if not due:
        return 0
    people = service.participants(event)
    taking_part = [p.user_id for p in people.values() if rules.takes_part(p.attendee)]
    title, closes = event.title, win.closes_at
    at_once = settings.reveal == Reveal.AT_ONCE
    sent = 0

    def opened():
        body = _(
            "The contact exchange of %(title)s is open until %(closes)s. Mark the attendees you would like to exchange contact details with; only the two of you will know, and only if you both marked each other.",
            title=title,
            closes=format_local(closes),
        )
        if at_once:
            body += " " + _("At this mixer a match shows as soon as both of you have marked.")
        else:
            body += " " + _("Matches show when the window closes.")
        return _("The contact exchange of %(title)s is open", title=title), body

    def closing():
        return (
            _("The contact exchange of %(title)s closes soon", title=title),
            _(
                "The contact exchange of %(title)s closes at %(closes)s. Until then you can still mark attendees or change your marks.",
                title=title,
                closes=format_local(closes),
            ),
        )

    def results():
        return (
            _("The contact exchange of %(title)s has closed", title=title),
            _(
                "The contact exchange of %(title)s has closed. Your results are on the results page. For 14 days you may also ask to be introduced to an attendee you did not match.",
                title=title,
            ),
        )

    # Only the results notice goes by SMS as well: it says what the inbox says, the same to every
    # attendee whether or not they matched anyone.
    by_sms = {RESULTS_READY: SmsKind.MIXER_RESULTS}
    sms_params = {"event": sms_name(title)}
    for kind, render, page in (
        (WINDOW_OPENED, opened, "/mark"),
        (WINDOW_CLOSING, closing, "/mark"),
        (RESULTS_READY, results, "/results"),
    ):
        if kind not in due:
            continue
        for user in _claimed_users(kind, event, taking_part, now):
            notify(
                user,
                render,
                link=_exchange_path(event, page),
                sms=by_sms.get(kind),
                sms_params=sms_params,
            )
            sent += 1
    db.session.flush()
    return sent


def send_match_notices(event: Event, now: datetime) -> int:
    """Where matches show at once and while the window is open, tell both members of each match
    that shows (revealed, not hidden, no block, both taking part) and was not told yet; returns
    how many were told. Inbox only, naming nobody."""
    settings = service.settings_of(event)
    win = service.window_of(event, settings)
    if not rules.match_notices_due(settings.reveal, rules.window_state(win, now)):
        return 0
    told = set(
        db.session.scalars(sa.select(SentNotice.kind).where(service.match_notice_markers(event.id)))
    )
    new = [
        m
        for m in service.matches_at(event)
        if service.match_notice_kind(m.user_low_id, m.user_high_id) not in told
    ]
    if not new:
        return 0
    ids = {m.user_low_id for m in new} | {m.user_high_id for m in new}
    people = service.participants(event, MixerProfile.user_id.in_(ids))
    blocks = service.blocks_touching(ids)
    title = event.title

    def render():
        return (
            _("A match at %(title)s", title=title),
            _(
                "Good news: you and another attendee of %(title)s marked each other. Matches at this mixer show at once: you can now see each other's contact cards on your results page.",
                title=title,
            ),
        )

    sent = 0
    for match in new:
        low, high = people.get(match.user_low_id), people.get(match.user_high_id)
        if low is None or high is None:
            continue
        shows = rules.match_shows(
            revealed=now
            >= rules.match_revealed_at(
                match.source, settings.reveal, match.matched_at, win.closes_at
            ),
            hidden=match.hidden_at is not None,
            blocked=rules.is_blocked(blocks, low.user_id, high.user_id),
            both_take_part=rules.takes_part(low.attendee) and rules.takes_part(high.attendee),
        )
        if not shows:
            continue
        kind = service.match_notice_kind(low.user_id, high.user_id)
        for user in _claimed_users(kind, event, [low.user_id, high.user_id], now):
            notify(user, render, link=_exchange_path(event, "/results"), mail=False)
            sent += 1
    db.session.flush()
    return sent


def _unsent_requests(event: Event, kind_prefix: str, user_column, *conditions):
    """The mixer's requests matching `conditions` whose `kind_prefix` notice to the member in
    `user_column` has no marker yet."""
    marker = sa.literal(kind_prefix, sa.String) + sa.cast(IntroductionRequest.id, sa.String)
    return list(
        db.session.scalars(
            sa.select(IntroductionRequest)
            .where(
                IntroductionRequest.event_id == event.id,
                *conditions,
                ~sa.exists().where(
                    SentNotice.kind == marker,
                    SentNotice.event_id == event.id,
                    SentNotice.user_id == user_column,
                ),
            )
            .order_by(IntroductionRequest.id)
        )
    )


def send_introduction_notices(event: Event, now: datetime) -> int:
    """Tell each recipient of an open request that it waits for their answer, and each requester
    whose request ended unaccepted that it ended with no match (at its expiry: a decline is
    never told earlier or differently). Requests between members who since blocked each other
    are left alone: neither sees them any more."""
    received = _unsent_requests(
        event,
        INTRODUCTION_RECEIVED,
        IntroductionRequest.recipient_id,
        IntroductionRequest.accepted_at.is_(None),
        IntroductionRequest.declined_at.is_(None),
        IntroductionRequest.expires_at > now,
    )
    expired = _unsent_requests(
        event,
        INTRODUCTION_EXPIRED,
        IntroductionRequest.requester_id,
        IntroductionRequest.accepted_at.is_(None),
        IntroductionRequest.expires_at <= now,
    )
    if not received and not expired:
        return 0
    blocks = service.blocks_touching(
        {r.requester_id for r in received + expired} | {r.recipient_id for r in received + expired}
    )
    title = event.title
    sent = 0
    for request in received:
        if rules.is_blocked(blocks, request.requester_id, request.recipient_id):
            continue
        for user in _claimed_users(received_kind(request.id), event, [request.recipient_id], now):
            notify(
                user,
                lambda expires=request.expires_at: (
                    _("An introduction request at %(title)s", title=title),
                    _(
                        "An attendee of %(title)s would like to be introduced to you. Their note and your answer are on your results page; the request is open until %(expires)s. If you decline, they are not told.",
                        title=title,
                        expires=format_local(expires),
                    ),
                ),
                link=_exchange_path(event, "/results"),
                # Like the inbox notice, the text names nobody: only the mixer.
                sms=SmsKind.INTRODUCTION_REQUEST,
                sms_params={"event": sms_name(title)},
                sms_event=event,
            )
            sent += 1
    for request in expired:
        if rules.is_blocked(blocks, request.requester_id, request.recipient_id):
            continue
        for user in _claimed_users(expired_kind(request.id), event, [request.requester_id], now):
            notify(
                user,
                lambda: (
                    _("An introduction request at %(title)s has ended", title=title),
                    _(
                        "One of your introduction requests at %(title)s has ended: no match. Thank you for taking part.",
                        title=title,
                    ),
                ),
                link=_exchange_path(event, "/results"),
            )
            sent += 1
    db.session.flush()
    return sent


# =============================================================================================
# Retention purge
# =============================================================================================


@dataclass
class Purged:
    marks: int = 0
    requests: int = 0


def purge(event: Event, now: datetime) -> Purged:
    """Once the retention period has passed since the window closed: keep the mixer's counts in a
    `MixerTally` (written once, before anything goes), store its mutual matches that were only
    pairs of marks, then delete its marks with the match notices' markers, and its expired
    unaccepted introduction requests with their notice markers. Matches, accepted requests,
    profiles and cards stay."""
    win = service.window_of(event)
    days = service.retention_days()
    if not rules.purge_due(win.closes_at, days, now):
        return Purged()
    if db.session.get(MixerTally, event.id) is None:
        # A second scheduler purging at the same moment writes the same counts: keep the first.
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        db.session.execute(
            dialect.insert(MixerTally)
            .values(event_id=event.id, **stats.live_counts(event.id), written_at=now)
            .on_conflict_do_nothing()
        )
    service.keep_mutual_matches(event)  # matches outlive the marks they come from
    marks = db.session.execute(sa.delete(Mark).where(Mark.event_id == event.id)).rowcount
    candidates = db.session.execute(
        sa.select(
            IntroductionRequest.id,
            IntroductionRequest.accepted_at,
            IntroductionRequest.expires_at,
        ).where(IntroductionRequest.event_id == event.id, IntroductionRequest.accepted_at.is_(None))
    ).all()
    doomed = [
        r.id
        for r in candidates
        if rules.request_purgeable(r.accepted_at, r.expires_at, win.closes_at, days, now)
    ]
    # The match notices' markers name their pairs: they go with the marks.
    db.session.execute(sa.delete(SentNotice).where(service.match_notice_markers(event.id)))
    if doomed:
        db.session.execute(
            sa.delete(SentNotice).where(
                SentNotice.event_id == event.id,
                SentNotice.kind.in_(service.introduction_notice_kinds(doomed)),
            )
        )
        db.session.execute(sa.delete(IntroductionRequest).where(IntroductionRequest.id.in_(doomed)))
    db.session.flush()
    return Purged(marks=marks, requests=len(doomed))


# =============================================================================================
# The tick
# =============================================================================================


@dataclass
class MixerTickTally:
    window_notices: int = 0
    match_notices: int = 0
    introduction_notices: int = 0
    purged_marks: int = 0
    purged_requests: int = 0

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def _each_event(event_ids: list[int], what: str, body) -> list:
    """Run `body(event)` for each mixer in its own transaction; returns the results of those that
    committed. A failure is logged (without any member's data), retried by the next tick, and
    does not stop the others."""
    done = []
    for event_id in event_ids:
        try:
            event = db.session.get(Event, event_id)
            result = body(event) if event is not None else None
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("Mixer %s for event %s failed; the next tick retries", what, event_id)
            continue
        if result is not None:
            done.append(result)
    return done


def run_mixer_jobs(now: datetime) -> MixerTickTally:
    """Send every due exchange notice, then purge what the retention period ended (app context).

    Notices go first, so a tick after a long outage still tells a requester their request ended
    before the purge deletes it."""
    tally = MixerTickTally()
    in_play = mixers_in_play(now)
    db.session.commit()  # end the read; each mixer below is its own transaction
    for window, matches, introductions in _each_event(
        in_play,
        "notices",
        lambda event: (
            send_window_notices(event, now),
            send_match_notices(event, now),
            send_introduction_notices(event, now),
        ),
    ):
        tally.window_notices += window
        tally.match_notices += matches
        tally.introduction_notices += introductions
    to_purge = mixers_to_purge(now)
    db.session.commit()
    for done in _each_event(to_purge, "purge", lambda event: purge(event, now)):
        tally.purged_marks += done.marks
        tally.purged_requests += done.requests
    if tally:
        log.info(
            "Mixers: %d window notices, %d match notices, %d introduction notices; purged %d "
            "marks and %d requests",
            tally.window_notices,
            tally.match_notices,
            tally.introduction_notices,
            tally.purged_marks,
            tally.purged_requests,
        )
    return tally
