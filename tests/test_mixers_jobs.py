"""The exchange's scheduled work with a frozen clock: window opened, closing reminder, results,
a new match where matches show at once, introduction received and expired, and the retention
purge, each done once.

Ticks run the way the scheduler runs them (`scheduler.run_notices`, which runs
`mixers.jobs.run_mixer_jobs` after the event reminders), against the real database.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite import create_app, scheduler
from eventsite.core.models import Notification, OutboundEmail, SentNotice
from eventsite.core.privacy import RedactDatabaseDetail
from eventsite.core.time import utcnow
from eventsite.extensions import db
from eventsite.mixers import jobs, rules, service
from eventsite.mixers.models import IntroductionRequest, Mark, Match, MixerProfile, MixerTally
from tests.conftest import ON_POSTGRES, base_config
from tests.mixer_factories import attend, make_mixer, mark, number_of, set_up

HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def no_feedback_notices(monkeypatch):
    """These tests count a mixer's own notices and mails; the feedback survey, offered after
    every kind of event, has its tests in tests/test_feedback.py."""
    from eventsite.feedback import service as feedback

    monkeypatch.setattr(feedback, "events_due_notice", lambda now: [])


def inbox(user) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def subjects(user) -> list[str]:
    return [n.subject for n in inbox(user)]


def tick() -> jobs.MixerTickTally:
    """One scheduler tick, then fresh rows (the job committed)."""
    tally = scheduler.run_notices()
    db.session.expire_all()
    return tally.mixers


def window(mixer) -> rules.Window:
    return service.window_of(mixer.event)


@pytest.fixture
def pair(app, clock):
    """A mixer that ended an hour ago (window open for 71 more hours) with two attendees."""
    mixer = make_mixer(title="鹊桥秋会")
    he = attend(mixer, gender="male", nickname="山行", locale="en")
    she = attend(mixer, gender="female", nickname="云舒")
    he.email, she.email = "he@example.com", "she@example.com"
    db.session.commit()
    return mixer, he, she


# --- what is due (pure) -----------------------------------------------------------------------


def test_window_notices_due_over_the_window(clock):
    win = rules.window(clock.now, 72)
    assert jobs.window_notices_due(win, clock.now - timedelta(seconds=1)) == set()
    assert jobs.window_notices_due(win, clock.now) == {jobs.WINDOW_OPENED}
    assert jobs.window_notices_due(win, win.closes_at - 12 * HOUR - timedelta(seconds=1)) == {
        jobs.WINDOW_OPENED
    }
    assert jobs.window_notices_due(win, win.closes_at - 12 * HOUR) == {jobs.WINDOW_CLOSING}
    assert jobs.window_notices_due(win, win.closes_at) == {jobs.RESULTS_READY}
    assert jobs.window_notices_due(win, win.introductions_until) == set()


def test_a_window_shorter_than_the_reminder_lead_gets_the_reminder_from_its_opening(clock):
    win = rules.window(clock.now, 6)
    assert jobs.window_notices_due(win, clock.now) == {jobs.WINDOW_CLOSING}


# --- window notices ---------------------------------------------------------------------------


def test_window_opened_goes_to_each_attendee_once_in_their_language(pair, clock):
    mixer, he, she = pair
    assert tick().window_notices == 2
    assert tick().window_notices == 0
    clock.advance(hours=1)
    assert tick().window_notices == 0
    assert subjects(he) == ["The contact exchange of 鹊桥秋会 is open"]
    assert len(subjects(she)) == 1
    body = inbox(he)[0].body
    assert "Matches show when the window closes." in body
    # 1 h ago + 72 h, shown in Asia/Shanghai (UTC+8): 2026-11-04 09:00.
    assert "2026-11-04 09:00" in body
    assert inbox(he)[0].link == f"/events/{mixer.event.id}/mixer/mark"
    mail = db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.to_address == "he@example.com")
    ).all()
    assert len(mail) == 1


def test_reveal_at_once_is_said_in_the_opened_notice(app, clock):
    mixer = make_mixer(reveal="at_once")
    member = attend(mixer, locale="en")
    db.session.commit()
    tick()
    assert "a match shows as soon as both of you have marked" in inbox(member)[0].body


def test_only_attendees_taking_part_are_told(app, clock):
    mixer = make_mixer()
    taking_part = attend(mixer)
    not_ready = attend(mixer, ready=False)  # checked in, profile without nickname: still told
    removed = attend(mixer)
    left = attend(mixer, gender="female")
    undeclared = attend(mixer, gender="female")
    inactive = attend(mixer, gender="female")
    service.set_removed(mixer.event, mixer.organizer, number_of(mixer, removed), True, clock.now)
    service.delete_member_data(mixer.event, left.id, clock.now)
    service.registration_of(mixer.event, undeclared.id).single_declared_at = None
    inactive.active = False
    db.session.commit()

    assert tick().window_notices == 2
    assert len(inbox(taking_part)) == 1
    assert len(inbox(not_ready)) == 1
    for member in (left, undeclared, inactive, mixer.organizer):
        assert inbox(member) == []
    # The removed member has only the notice of the removal, no window notice.
    assert [n.subject for n in inbox(removed)] == [
        f"您已被移出「{mixer.event.title}」的联系方式交换"
    ]


def test_an_attendee_checked_in_after_the_first_tick_is_told_on_the_next(pair, clock):
    mixer, he, she = pair
    tick()
    late = attend(mixer, gender="female")
    db.session.commit()
    clock.advance(minutes=1)
    assert tick().window_notices == 1
    assert len(inbox(late)) == 1
    assert len(inbox(he)) == 1


def test_closing_reminder_and_results_each_once(pair, clock):
    mixer, he, she = pair
    win = window(mixer)
    tick()
    clock.now = win.closes_at - 11 * HOUR
    assert tick().window_notices == 2
    clock.advance(hours=1)
    assert tick().window_notices == 0
    clock.now = win.closes_at
    assert tick().window_notices == 2
    clock.advance(days=3)
    assert tick().window_notices == 0
    assert subjects(he) == [
        "The contact exchange of 鹊桥秋会 is open",
        "The contact exchange of 鹊桥秋会 closes soon",
        "The contact exchange of 鹊桥秋会 has closed",
    ]
    assert "2026-11-04 09:00" in inbox(he)[1].body
    assert inbox(he)[2].link == f"/events/{mixer.event.id}/mixer/results"
    assert len(inbox(she)) == 3


def test_a_missed_tick_sends_what_is_still_true(pair, clock):
    """The scheduler was down from before the window opened until 6 h before the close: the
    opened notice is not sent late (the reminder says the same and when it closes); down again
    over the close: the results still go."""
    mixer, he, she = pair
    win = window(mixer)
    clock.now = win.closes_at - 6 * HOUR
    assert tick().window_notices == 2
    assert subjects(he) == ["The contact exchange of 鹊桥秋会 closes soon"]
    clock.now = win.closes_at + timedelta(days=5)
    assert tick().window_notices == 2
    assert subjects(he)[-1] == "The contact exchange of 鹊桥秋会 has closed"
    clock.now = win.introductions_until + HOUR
    assert tick().window_notices == 0


def test_no_window_notice_before_the_event_ends_or_for_a_cancelled_mixer(app, clock):
    upcoming = make_mixer(ended_ago=-HOUR)
    early = attend(upcoming)
    cancelled = make_mixer()
    member = attend(cancelled)
    cancelled.event.status = "cancelled"
    db.session.commit()
    assert tick().window_notices == 0
    assert inbox(early) == [] and inbox(member) == []
    clock.advance(hours=2)
    assert tick().window_notices == 1
    assert len(inbox(early)) == 1


def test_a_restarted_scheduler_sends_nothing_twice(pair, clock, database_uri, app_config):
    mixer, he, she = pair
    tick()
    fresh = create_app({**base_config(database_uri), **app_config})
    with fresh.app_context():
        again = scheduler.run_notices().mixers
        db.session.remove()
    assert again.window_notices == 0
    db.session.expire_all()
    assert len(inbox(he)) == 1


def test_two_schedulers_at_once_send_each_notice_once(app, clock, monkeypatch, caplog):
    """Two job runs racing, each in its own app context, session and connection."""
    mixers = [make_mixer(title=f"鹊桥{n}") for n in range(3)]
    members = []
    for mixer in mixers:
        for i in range(12):
            member = attend(mixer, gender="male" if i % 2 else "female")
            member.email = f"m{mixer.event.id}-{i}@example.com"
            members.append(member)
    db.session.commit()

    monkeypatch.setattr(scheduler, "_app", app)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(10)
            results.append(scheduler.notices_job().mixers)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert errors == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert sum(r.window_notices for r in results) == 36
    db.session.expire_all()
    for member in members:
        assert len(inbox(member)) == 1
    assert db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))) == 36
    if ON_POSTGRES:
        assert len(results) == 2


def test_one_failing_mixer_does_not_stop_the_others(app, clock, monkeypatch):
    first, second = make_mixer(title="甲"), make_mixer(title="乙")
    one, two = attend(first), attend(second)
    db.session.commit()
    real = jobs.send_window_notices

    def flaky(event, now):
        if event.id == first.event.id:
            raise RuntimeError("boom")
        return real(event, now)

    monkeypatch.setattr(jobs, "send_window_notices", flaky)
    assert tick().window_notices == 1
    assert inbox(one) == [] and len(inbox(two)) == 1
    monkeypatch.setattr(jobs, "send_window_notices", real)
    assert tick().window_notices == 1
    assert len(inbox(one)) == 1


# --- match notices (reveal at once) -----------------------------------------------------------

MATCH_SUBJECT = "A match at 鹊桥秋会"


def match_notes(user) -> list[Notification]:
    return [n for n in inbox(user) if n.subject in (MATCH_SUBJECT, "您在「鹊桥秋会」有了新的配对")]


@pytest.fixture
def at_once(app, clock):
    """A mixer that shows matches at once, its window open, six attendees, the opened notices
    sent; the women read Chinese, the men English."""
    mixer = make_mixer(title="鹊桥秋会", reveal="at_once")
    men = [attend(mixer, gender="male", nickname=f"山{i}", locale="en") for i in range(3)]
    women = [attend(mixer, gender="female", nickname=f"云{i}") for i in range(3)]
    for member in men + women:
        member.email = f"m{member.id}@example.com"
    db.session.commit()
    tick()
    return mixer, men, women


def test_a_match_at_a_mixer_that_shows_them_at_once_is_told_to_both_once(at_once, clock):
    """The tap writes only the mark; the next tick tells both sides, naming nobody, in the inbox
    only (mail waits in an outbox admins read: two mails of the same minute would pair them)."""
    mixer, men, women = at_once
    mails = db.session.scalar(sa.select(sa.func.count(OutboundEmail.id)))
    service.set_mark(mixer.event, men[0].id, number_of(mixer, women[0]), True, clock.now)
    tap = service.set_mark(mixer.event, women[0].id, number_of(mixer, men[0]), True, clock.now)
    assert tap.match is True
    db.session.commit()
    assert match_notes(men[0]) == [] and match_notes(women[0]) == []
    clock.advance(minutes=1)
    assert tick().match_notices == 2
    assert tick().match_notices == 0
    clock.advance(hours=1)
    assert tick().match_notices == 0
    [his] = match_notes(men[0])
    [hers] = match_notes(women[0])
    assert his.subject == MATCH_SUBJECT and "contact card" in his.body
    assert hers.subject == "您在「鹊桥秋会」有了新的配对"
    for note in (his, hers):
        assert note.link == f"/events/{mixer.event.id}/mixer/results"
        assert not any(f"{c}{i}" in note.subject + note.body for c in "山云" for i in range(3))
    assert db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))) == mails
    for member in men[1:] + women[1:]:
        assert match_notes(member) == []


def test_only_matches_that_show_are_told(at_once, clock):
    """A one-sided mark, a match taken back before the tick, a hidden match, a match with a
    member blocked, and a match with a member taken out of the exchange: no notice at all."""
    mixer, men, women = at_once
    event, now = mixer.event, clock.now

    def both(man, woman):
        mark(mixer, man, woman)
        mark(mixer, woman, man)

    mark(mixer, men[0], women[0])  # one-sided
    both(men[1], women[1])
    mark(mixer, women[1], men[1], on=False)  # taken back
    both(men[2], women[2])
    service.hide_match(event, women[2].id, number_of(mixer, men[2]), now)
    db.session.commit()
    assert tick().match_notices == 0
    late = attend(mixer, gender="female", nickname="云9")
    other = attend(mixer, gender="female", nickname="云8")
    both(men[0], late)
    both(men[1], other)
    service.block(event, late.id, number_of(mixer, men[0]), now)
    service.set_removed(event, mixer.organizer, number_of(mixer, other), True, now)
    db.session.commit()
    assert tick().match_notices == 0
    assert all(match_notes(m) == [] for m in mixer.attendees)


def test_a_mixer_that_shows_matches_at_the_close_says_nothing_of_them_before(pair, clock):
    """Where matches show at the close, a match is told by nothing but the results notice at
    the close (which goes to everyone), and no match notice follows it."""
    mixer, he, she = pair
    mark(mixer, he, she)
    mark(mixer, she, he)
    db.session.commit()
    tally = tick()
    assert (tally.window_notices, tally.match_notices) == (2, 0)
    clock.now = window(mixer).closes_at - 11 * HOUR
    assert tick().match_notices == 0
    clock.now = window(mixer).closes_at
    tally = tick()
    assert (tally.window_notices, tally.match_notices) == (2, 0)
    assert subjects(he)[-1] == "The contact exchange of 鹊桥秋会 has closed"
    assert len(inbox(he)) == len(inbox(she)) == 3
    kinds = db.session.scalars(sa.select(SentNotice.kind))
    assert not any(k.startswith(jobs.MATCH_MADE) for k in kinds)


def test_a_match_is_told_only_while_the_window_is_open(at_once, clock):
    """A match made in the last minutes before the close, and a tick that comes only after it:
    the results notice tells everyone, no match notice goes late."""
    mixer, men, women = at_once
    clock.now = window(mixer).closes_at - timedelta(minutes=2)
    mark(mixer, men[0], women[0])
    mark(mixer, women[0], men[0])
    db.session.commit()
    clock.now = window(mixer).closes_at
    tally = tick()
    assert tally.match_notices == 0 and tally.window_notices == 6
    assert match_notes(men[0]) == []


def test_a_match_made_after_a_tick_is_told_on_the_next(at_once, clock):
    mixer, men, women = at_once
    mark(mixer, men[0], women[0])
    mark(mixer, women[0], men[0])
    db.session.commit()
    assert tick().match_notices == 2
    clock.advance(minutes=1)
    mark(mixer, men[0], women[1])
    mark(mixer, women[1], men[0])
    db.session.commit()
    assert tick().match_notices == 2
    assert len(match_notes(men[0])) == 2
    assert len(match_notes(women[0])) == len(match_notes(women[1])) == 1


def test_two_schedulers_at_once_tell_each_match_once(at_once, clock, app, monkeypatch, caplog):
    mixer, men, women = at_once
    for man, woman in zip(men, women, strict=True):
        mark(mixer, man, woman)
        mark(mixer, woman, man)
    db.session.commit()
    monkeypatch.setattr(scheduler, "_app", app)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(10)
            results.append(scheduler.notices_job().mixers)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert errors == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert sum(r.match_notices for r in results) == 6
    db.session.expire_all()
    assert all(len(match_notes(m)) == 1 for m in men + women)


def test_match_markers_go_with_the_members_data_and_with_the_purge(at_once, clock):
    """The markers name the pair, so they go when a member deletes their exchange data (a
    match made again after rejoining is told again) and with the retention purge."""
    mixer, men, women = at_once
    for man, woman in zip(men[:2], women[:2], strict=True):
        mark(mixer, man, woman)
        mark(mixer, woman, man)
    db.session.commit()
    assert tick().match_notices == 4

    def pairs_marked() -> set[str]:
        kinds = db.session.scalars(sa.select(SentNotice.kind))
        return {k for k in kinds if k.startswith(jobs.MATCH_MADE)}

    assert len(pairs_marked()) == 2
    service.delete_member_data(mixer.event, women[0].id, clock.now)
    db.session.commit()
    assert len(pairs_marked()) == 1
    set_up(mixer, women[0], nickname="云0")
    mark(mixer, women[0], men[0])
    mark(mixer, men[0], women[0])
    db.session.commit()
    clock.advance(minutes=1)
    assert tick().match_notices == 2
    assert len(match_notes(men[0])) == 2
    clock.now = window(mixer).closes_at + timedelta(days=30)
    tick()
    assert pairs_marked() == set()


# --- introduction notices ---------------------------------------------------------------------


@pytest.fixture
def introductions(app, clock):
    """A closed mixer: one requester asks three attendees, none of whom they matched."""
    mixer = make_mixer(title="鹊桥冬会")
    asker = attend(mixer, gender="male", nickname="暗恋者", name="孟求", locale="en")
    shy = attend(mixer, gender="female", nickname="小鹿", locale="en")
    busy = attend(mixer, gender="female", nickname="白鹭")
    kind = attend(mixer, gender="female", nickname="喜鹊")
    db.session.commit()
    tick()  # the opened notices
    clock.now = window(mixer).closes_at + HOUR
    tick()  # the results notices
    requests = {
        who: service.send_request(
            mixer.event, asker.id, number_of(mixer, member), f"给{who}的留言", clock.now
        )
        for who, member in (("shy", shy), ("busy", busy), ("kind", kind))
    }
    db.session.commit()
    return mixer, asker, {"shy": shy, "busy": busy, "kind": kind}, requests


def test_introduction_received_goes_to_the_recipient_once_naming_nobody(introductions, clock):
    mixer, asker, people, _ = introductions
    before = len(inbox(asker))
    assert tick().introduction_notices == 3
    assert tick().introduction_notices == 0
    note = inbox(people["shy"])[-1]
    assert note.subject == "An introduction request at 鹊桥冬会"
    assert note.link == f"/events/{mixer.event.id}/mixer/results"
    for text in (note.subject, note.body):
        assert "暗恋者" not in text and "孟求" not in text and "留言" not in text
    assert len(inbox(asker)) == before


def test_deleting_ones_data_takes_the_markers_of_ones_requests_along(introductions, clock):
    """The notice markers name a request by id; once a member deletes their exchange data the
    requests go, and so do their markers, so nothing records who was asked."""
    mixer, asker, people, requests = introductions
    tick()

    def intro_kinds() -> set[str]:
        kinds = db.session.scalars(sa.select(SentNotice.kind))
        return {k for k in kinds if k.startswith(jobs.INTRODUCTION_RECEIVED)}

    assert intro_kinds() == {jobs.received_kind(r.id) for r in requests.values()}
    service.delete_member_data(mixer.event, people["shy"].id, clock.now)
    db.session.commit()
    assert intro_kinds() == {jobs.received_kind(requests[w].id) for w in ("busy", "kind")}
    service.delete_member_data(mixer.event, asker.id, clock.now)
    db.session.commit()
    assert intro_kinds() == set()
    assert db.session.scalar(sa.select(sa.func.count(IntroductionRequest.id))) == 0


def test_a_decline_is_told_only_at_expiry_and_like_a_lapse(introductions, clock):
    mixer, asker, people, requests = introductions
    tick()
    service.answer_request(mixer.event, people["shy"].id, requests["shy"].id, False, clock.now)
    service.answer_request(mixer.event, people["kind"].id, requests["kind"].id, True, clock.now)
    db.session.commit()
    assert subjects(asker)[-1] == "Your introduction request at 鹊桥冬会 was accepted"
    before = len(inbox(asker))
    clock.advance(days=1)
    assert tick().introduction_notices == 0
    assert len(inbox(asker)) == before  # nothing on the decline (the accept was told at once)
    clock.now = requests["shy"].expires_at
    assert tick().introduction_notices == 2  # the declined and the unanswered one, together
    ended = inbox(asker)[before:]
    assert [n.subject for n in ended] == ["An introduction request at 鹊桥冬会 has ended"] * 2
    assert ended[0].body == ended[1].body
    assert "no match" in ended[0].body
    for text in (ended[0].subject, ended[0].body):
        assert "小鹿" not in text and "白鹭" not in text and "declin" not in text.lower()
    assert tick().introduction_notices == 0


def test_the_requester_is_told_at_once_when_a_request_is_accepted(introductions, clock):
    """An accept is told to the requester in their inbox (and by mail) as it happens, naming
    nobody; a decline is told nothing, ever, until the request expires like any other."""
    mixer, asker, people, requests = introductions
    asker.email = "asker@example.com"
    db.session.commit()
    before, mails = len(inbox(asker)), db.session.scalar(sa.select(sa.func.count(OutboundEmail.id)))
    recipient_before = len(inbox(people["kind"]))
    service.answer_request(mixer.event, people["shy"].id, requests["shy"].id, False, clock.now)
    db.session.commit()
    assert len(inbox(asker)) == before
    service.answer_request(mixer.event, people["kind"].id, requests["kind"].id, True, clock.now)
    db.session.commit()
    [told] = inbox(asker)[before:]
    assert told.subject == "Your introduction request at 鹊桥冬会 was accepted"
    assert "contact card" in told.body and told.link == f"/events/{mixer.event.id}/mixer/results"
    for text in (told.subject, told.body):
        assert "喜鹊" not in text and "小鹿" not in text and "留言" not in text
    assert db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))) == mails + 1
    assert len(inbox(people["kind"])) == recipient_before  # the recipient knows: nothing new


def test_a_late_tick_does_not_announce_a_request_that_can_no_longer_be_answered(
    introductions, clock
):
    mixer, asker, people, requests = introductions
    clock.now = requests["shy"].expires_at + HOUR
    assert tick().introduction_notices == 3  # the three "ended" notices only
    assert inbox(people["shy"])[-1].subject != "An introduction request at 鹊桥冬会"
    assert len(inbox(asker)) == 2 + 3  # opened, results, three "ended"


def test_no_introduction_notices_between_members_who_blocked_each_other(introductions, clock):
    mixer, asker, people, requests = introductions
    service.block(mixer.event, people["busy"].id, number_of(mixer, asker), clock.now)
    db.session.commit()
    assert tick().introduction_notices == 2
    assert all(n.subject != "An introduction request at 鹊桥冬会" for n in inbox(people["busy"]))


# --- retention purge --------------------------------------------------------------------------


@pytest.fixture
def retention(app, clock):
    """Two mixers: the old one with marks, matches, an accepted, a declined and a lapsed request;
    a recent one whose window is still open with marks of its own."""
    old = make_mixer(title="旧鹊桥")
    a = attend(old, gender="male")
    b = attend(old, gender="female")
    c = attend(old, gender="female")
    d = attend(old, gender="male")
    mark(old, a, b)
    mark(old, b, a)  # a match
    mark(old, c, a)  # one-sided
    mark(old, d, c)  # one-sided
    db.session.commit()
    clock.now = window(old).closes_at + HOUR
    accepted = service.send_request(old.event, d.id, number_of(old, b), "你好", clock.now)
    declined = service.send_request(old.event, a.id, number_of(old, c), "你好", clock.now)
    lapsed = service.send_request(old.event, d.id, number_of(old, c), "你好", clock.now)
    service.answer_request(old.event, b.id, accepted.id, True, clock.now)
    service.answer_request(old.event, c.id, declined.id, False, clock.now)
    db.session.commit()
    tick()
    recent = make_mixer(title="新鹊桥", ended_ago=HOUR)
    x = attend(recent, gender="male")
    y = attend(recent, gender="female")
    mark(recent, x, y)
    db.session.commit()
    ids = {"accepted": accepted.id, "declined": declined.id, "lapsed": lapsed.id}
    return old, recent, ids


def marks_of(mixer) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Mark).where(Mark.event_id == mixer.event.id)
    )


def matches_seen(mixer) -> dict[int, list]:
    """Each attendee's shown matches: (the other's id, source, matched at)."""
    return {
        user.id: [
            (m.other.user_id, m.match.source, m.match.matched_at)
            for m in service.results(mixer.event, user.id, utcnow()).matches
        ]
        for user in mixer.attendees
    }


def request_ids(mixer) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(IntroductionRequest.id).where(IntroductionRequest.event_id == mixer.event.id)
        )
    )


def test_the_purge_waits_for_the_retention_period(retention, clock):
    old, recent, ids = retention
    purge_at = window(old).closes_at + timedelta(days=30)
    clock.now = purge_at - timedelta(seconds=1)
    tally = tick()
    assert (tally.purged_marks, tally.purged_requests) == (0, 0)
    assert marks_of(old) == 4
    assert request_ids(old) == set(ids.values())
    assert db.session.get(MixerTally, old.event.id) is None


def test_the_purge_removes_exactly_marks_and_unaccepted_requests(retention, clock):
    old, recent, ids = retention
    matches_before = matches_seen(old)
    profiles_before = db.session.scalar(sa.select(sa.func.count(MixerProfile.id)))
    assert jobs.received_kind(ids["lapsed"]) in set(db.session.scalars(sa.select(SentNotice.kind)))
    clock.now = window(old).closes_at + timedelta(days=30)
    tally = tick()
    assert (tally.purged_marks, tally.purged_requests) == (4, 2)
    assert marks_of(old) == 0
    assert request_ids(old) == {ids["accepted"]}
    # Matches (mutual, now stored, and the accepted introduction), profiles and cards stay; so
    # does the recent mixer's open-window mark.
    assert matches_seen(old) == matches_before
    assert sorted(db.session.scalars(sa.select(Match.source))) == ["introduction", "mutual"]
    assert db.session.scalar(sa.select(sa.func.count(MixerProfile.id))) == profiles_before
    assert all(p.card is not None for p in service.participants(old.event).values())
    assert marks_of(recent) == 1
    # The notice markers of the purged requests went with them: nothing records who asked whom.
    kinds = set(db.session.scalars(sa.select(SentNotice.kind)))
    for name in ("declined", "lapsed"):
        assert jobs.received_kind(ids[name]) not in kinds
        assert jobs.expired_kind(ids[name]) not in kinds
    assert jobs.RESULTS_READY in kinds


def test_the_purge_keeps_the_counts_and_runs_once(retention, clock):
    old, recent, ids = retention
    clock.now = window(old).closes_at + timedelta(days=30)
    tick()
    tally = db.session.get(MixerTally, old.event.id)
    assert (
        tally.attendees,
        tally.markers,
        tally.matches,
        tally.matched_members,
        tally.introductions_accepted,
    ) == (4, 4, 1, 3, 1)
    assert tally.written_at == clock.now
    clock.advance(days=1)
    again = tick()
    assert (again.purged_marks, again.purged_requests) == (0, 0)
    assert db.session.get(MixerTally, old.event.id).written_at == clock.now - timedelta(days=1)
    assert db.session.get(MixerTally, recent.event.id) is None


def test_a_tick_after_a_long_outage_tells_then_purges(retention, clock):
    """The scheduler was down from before the lapsed request expired until after the purge was
    due: the requester still hears the request ended, then it is deleted."""
    old, recent, ids = retention
    clock.now = window(old).closes_at + timedelta(days=40)
    tally = tick()
    assert tally.introduction_notices == 2  # the declined and the lapsed request, as "no match"
    assert tally.purged_requests == 2
    assert request_ids(old) == {ids["accepted"]}


def test_the_retention_period_is_configurable(retention, clock, app, monkeypatch):
    old, recent, ids = retention
    monkeypatch.setitem(app.config, "MIXER_RETENTION_DAYS", 20)
    clock.now = window(old).closes_at + timedelta(days=20)
    assert tick().purged_marks == 4


def test_a_retention_shorter_than_the_introduction_period_keeps_open_requests(
    retention, clock, app, monkeypatch
):
    """Marks go after 3 days, but the declined request (which its requester still sees waiting)
    and the unanswered one stay until they expire: the requester hears both ended together, as
    "no match", and only then are they deleted."""
    old, recent, ids = retention
    monkeypatch.setitem(app.config, "MIXER_RETENTION_DAYS", 3)
    requester = db.session.get(IntroductionRequest, ids["declined"]).requester_id
    expires = db.session.get(IntroductionRequest, ids["declined"]).expires_at
    clock.now = window(old).closes_at + timedelta(days=3)
    tally = tick()
    assert (tally.purged_marks, tally.purged_requests) == (4, 0)
    assert request_ids(old) == set(ids.values())
    sent = service.results(old.event, requester, clock.now).sent
    assert [str(r.view) for r in sent] == ["waiting"]
    clock.now = expires
    tally = tick()
    assert tally.introduction_notices == 2 and tally.purged_requests == 2
    assert request_ids(old) == {ids["accepted"]}


def test_two_schedulers_purging_at_once_keep_one_tally(retention, clock, app, monkeypatch, caplog):
    old, recent, ids = retention
    clock.now = window(old).closes_at + timedelta(days=30)
    db.session.commit()  # end this thread's read: the two runs below write
    monkeypatch.setattr(scheduler, "_app", app)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(10)
            results.append(scheduler.notices_job().mixers)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert errors == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert sum(r.purged_marks for r in results) == 4
    assert sum(r.purged_requests for r in results) == 2
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MixerTally)) == 1
    assert marks_of(old) == 0 and request_ids(old) == {ids["accepted"]}


def test_the_job_logger_blanks_database_row_details():
    assert any(
        isinstance(f, RedactDatabaseDetail) for f in logging.getLogger(jobs.__name__).filters
    )
