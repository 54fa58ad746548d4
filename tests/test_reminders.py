"""Scheduled notices: event reminders and registration-closing notices, sent once each.

Ticks are run the way the scheduler runs them (`scheduler.run_notices`, or the job function in
its own app context for the concurrent cases) against the real database, with a frozen clock.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite import create_app, scheduler
from eventsite.core.models import Notification, OutboundEmail, SentNotice
from eventsite.events import reminders, rules
from eventsite.events.models import EventOrganizer, EventStatus, Registration, RegistrationStatus
from eventsite.extensions import db
from tests.conftest import ON_POSTGRES, base_config
from tests.factories import make_event, make_registration, make_user

S = RegistrationStatus


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Members here never log in: skip the deliberately slow password hash (0.25 s each)."""
    from werkzeug.security import generate_password_hash

    import eventsite.accounts.models as account_models

    monkeypatch.setattr(
        account_models,
        "generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"),
    )


def inbox(user) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def markers(kind: str | None = None) -> list[tuple[str, int, int]]:
    stmt = sa.select(SentNotice.kind, SentNotice.event_id, SentNotice.user_id)
    if kind:
        stmt = stmt.where(SentNotice.kind == kind)
    return sorted(tuple(row) for row in db.session.execute(stmt).all())


def outbox(address: str) -> list[OutboundEmail]:
    return list(
        db.session.scalars(sa.select(OutboundEmail).where(OutboundEmail.to_address == address))
    )


def tick():
    """One scheduler tick, then a clean session (the job committed; read fresh rows)."""
    tally = scheduler.run_notices()
    db.session.expire_all()
    return tally


@pytest.fixture
def scene(app, clock):
    """An event 12 h away whose registration closed already; members in every status."""
    organizer = make_user(roles=["organizer"], name="组织者")
    event = make_event(
        organizer=organizer,
        title="秋遇隅里 一叶知卿",
        starts_in=timedelta(hours=12),
        registration_closes_at=clock.now - timedelta(hours=1),
        capacity=2,
    )
    members = {
        "confirmed": make_user(name="张三", email="zhang@example.com", locale="en"),
        "confirmed_no_mail": make_user(name="李四"),
        "waitlisted": make_user(name="王五", email="wang@example.com"),
        "pending": make_user(name="赵六", email="zhao@example.com"),
        "cancelled": make_user(name="钱七", email="qian@example.com"),
        "rejected": make_user(name="孙八"),
    }
    make_registration(event, members["confirmed"], S.CONFIRMED)
    make_registration(event, members["confirmed_no_mail"], S.CONFIRMED)
    make_registration(event, members["waitlisted"], S.WAITLISTED)
    make_registration(event, members["pending"], S.PENDING)
    make_registration(event, members["cancelled"], S.CANCELLED)
    make_registration(event, members["rejected"], S.REJECTED)
    db.session.commit()
    return event, organizer, members


# --- the window rule --------------------------------------------------------------------------


def test_notice_due_is_after_now_and_at_most_lead_ahead(clock):
    now, lead = clock.now, timedelta(hours=24)
    assert rules.notice_due(now + lead, now, lead)
    assert rules.notice_due(now + timedelta(seconds=1), now, lead)
    assert not rules.notice_due(now + lead + timedelta(seconds=1), now, lead)
    assert not rules.notice_due(now, now, lead)  # it has started: too late to remind
    assert not rules.notice_due(now - timedelta(hours=1), now, lead)
    assert rules.notice_window(now, lead) == (now, now + lead)
    assert rules.REMINDER_LEAD == rules.CLOSING_NOTICE_LEAD == timedelta(hours=24)


# --- event reminders --------------------------------------------------------------------------


def test_reminder_goes_to_confirmed_members_only_once_across_ticks(scene):
    event, organizer, members = scene
    first = tick()
    assert first.reminders == 2
    reminded = {m.id for m in members.values() if inbox(m)}
    assert reminded == {members["confirmed"].id, members["confirmed_no_mail"].id}
    note = inbox(members["confirmed"])[0]
    assert note.subject.startswith("Reminder: 秋遇隅里 一叶知卿 starts at ")
    assert event.venue in note.body and note.link == "/my/events"
    # Mail only for the member who gave an address, with the link made absolute.
    mails = outbox("zhang@example.com")
    assert len(mails) == 1 and mails[0].subject == note.subject
    assert mails[0].body.endswith("/my/events") and mails[0].sent_at is None
    assert outbox("wang@example.com") == outbox("zhao@example.com") == []
    assert markers(reminders.EVENT_REMINDER) == sorted(
        (reminders.EVENT_REMINDER, event.id, members[k].id)
        for k in ("confirmed", "confirmed_no_mail")
    )
    assert inbox(organizer) == []  # registration closed before this tick's window

    second = tick()
    assert second.reminders == 0
    assert len(inbox(members["confirmed"])) == 1
    assert len(outbox("zhang@example.com")) == 1
    assert len(markers(reminders.EVENT_REMINDER)) == 2


def test_the_reminder_start_time_is_local(scene, clock):
    event, _, members = scene
    tick()
    # 02:00 UTC + 12 h = 14:00 UTC = 22:00 in Asia/Shanghai.
    assert event.starts_at.hour == 14
    assert "2026-11-01 22:00" in inbox(members["confirmed"])[0].subject


def test_a_restarted_scheduler_sends_nothing_twice(scene, database_uri, app_config):
    event, _, members = scene
    tick()
    fresh = create_app({**base_config(database_uri), **app_config})
    with fresh.app_context():
        tally = scheduler.run_notices()
        db.session.remove()
    assert tally.reminders == 0
    db.session.expire_all()
    assert len(inbox(members["confirmed"])) == 1
    assert len(markers()) == 2


def test_member_confirmed_after_the_first_tick_is_reminded_on_the_next(scene, clock):
    event, _, members = scene
    tick()
    late = make_user(name="周九")
    make_registration(event, late, S.CONFIRMED)
    db.session.commit()
    clock.advance(minutes=1)
    assert tick().reminders == 1
    assert len(inbox(late)) == 1
    assert len(inbox(members["confirmed"])) == 1


def test_a_missed_tick_is_caught_up_inside_the_window(app, clock):
    member = make_user()
    event = make_event(starts_in=timedelta(hours=30))
    make_registration(event, member)
    db.session.commit()

    assert tick().reminders == 0  # 30 h ahead: not yet
    clock.advance(hours=5, minutes=59)
    assert tick().reminders == 0  # 24 h 1 min ahead: still not
    clock.advance(hours=3)  # the scheduler was down through 180 ticks
    assert tick().reminders == 1
    assert len(inbox(member)) == 1
    clock.advance(hours=10)
    assert tick().reminders == 0
    assert len(inbox(member)) == 1


def test_reminder_exactly_24_hours_ahead_is_due(app, clock):
    member = make_user()
    event = make_event(starts_in=timedelta(hours=24))
    make_registration(event, member)
    db.session.commit()
    assert tick().reminders == 1


def test_no_reminder_once_the_event_started(app, clock):
    member = make_user()
    event = make_event(starts_in=timedelta(hours=1))
    make_registration(event, member)
    db.session.commit()
    clock.advance(hours=2)  # the scheduler was down until after the start
    assert tick().reminders == 0
    assert inbox(member) == []
    assert markers() == []


@pytest.mark.parametrize("status", [EventStatus.CANCELLED, EventStatus.DRAFT])
def test_no_reminder_for_cancelled_or_draft_events(app, clock, status):
    organizer = make_user(roles=["organizer"])
    member = make_user()
    event = make_event(
        organizer=organizer,
        status=status,
        starts_in=timedelta(hours=5),
        registration_closes_at=clock.now + timedelta(hours=2),
    )
    make_registration(event, member)
    db.session.commit()
    tally = tick()
    assert (tally.reminders, tally.closing_notices) == (0, 0)
    assert inbox(member) == inbox(organizer) == []


def test_inactive_member_is_not_reminded(app, clock):
    member = make_user(active=False)
    event = make_event(starts_in=timedelta(hours=5))
    make_registration(event, member)
    db.session.commit()
    assert tick().reminders == 0


def test_a_marker_another_scheduler_wrote_skips_only_that_member(scene):
    """The insert skips a conflicting marker without losing the others (ON CONFLICT DO NOTHING)."""
    event, _, members = scene
    taken = members["confirmed"]
    db.session.add(SentNotice(kind=reminders.EVENT_REMINDER, event_id=event.id, user_id=taken.id))
    db.session.commit()
    # Claim without the "not yet sent" filter, as a racing scheduler would see the candidates.
    everyone = sa.select(Registration.user_id).where(Registration.event_id == event.id)
    claimed = reminders.claim(reminders.EVENT_REMINDER, event, everyone, event.starts_at)
    db.session.commit()
    others = {m.id for k, m in members.items() if k not in ("confirmed",)}
    assert set(claimed) == others
    assert taken.id not in claimed
    assert len(markers(reminders.EVENT_REMINDER)) == len(members)


def test_the_job_runs_in_the_scheduler_apps_context(scene, monkeypatch, app):
    _, _, members = scene
    monkeypatch.setattr(scheduler, "_app", app)
    result: list = []
    worker = threading.Thread(target=lambda: result.append(scheduler.notices_job()))
    worker.start()
    worker.join(60)
    assert result and result[0].reminders == 2
    db.session.expire_all()
    assert len(inbox(members["confirmed"])) == 1


def test_the_job_refuses_to_run_without_an_app(monkeypatch):
    monkeypatch.setattr(scheduler, "_app", None)
    with pytest.raises(RuntimeError, match="not started with an app"):
        scheduler.notices_job()


def test_two_schedulers_at_once_send_each_notice_once(app, clock, monkeypatch, caplog):
    """Two job runs racing, each in its own app context, session and connection."""
    organizers = [make_user(roles=["organizer"]) for _ in range(2)]
    members = [make_user(email=f"m{i}@example.com") for i in range(40)]
    events = []
    for n in range(3):
        event = make_event(
            organizer=organizers[0],
            starts_in=timedelta(hours=6 + n),
            registration_closes_at=clock.now + timedelta(hours=3),
        )
        db.session.add(EventOrganizer(event_id=event.id, user_id=organizers[1].id))
        for member in members:
            make_registration(event, member)
        events.append(event)
    db.session.commit()

    monkeypatch.setattr(scheduler, "_app", app)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(10)
            results.append(scheduler.notices_job())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert errors == []
    # No batch failed and was rolled back (a conflict is skipped, not raised).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert sum(r.reminders for r in results) == 3 * 40
    assert sum(r.closing_notices for r in results) == 3 * 2
    db.session.expire_all()
    for member in members:
        assert len(inbox(member)) == 3
        assert len(outbox(member.email)) == 3
    for organizer in organizers:
        assert len(inbox(organizer)) == 3
    assert len(markers()) == 3 * 40 + 3 * 2
    if ON_POSTGRES:
        # Both runs really ran concurrently against the server; neither lost its work.
        assert len(results) == 2


# --- registration-closing notices -------------------------------------------------------------


def test_closing_notice_to_each_organizer_once_with_counts(app, clock):
    creator = make_user(roles=["organizer"], locale="en")
    co_organizer = make_user(roles=["organizer"], locale="en", email="co@example.com")
    event = make_event(
        organizer=creator,
        title="Skills contest",
        starts_in=timedelta(days=3),
        registration_closes_at=clock.now + timedelta(hours=10),
        capacity=3,
    )
    db.session.add(EventOrganizer(event_id=event.id, user_id=co_organizer.id))
    counts = {S.CONFIRMED: 3, S.WAITLISTED: 2, S.PENDING: 1, S.CANCELLED: 4, S.REJECTED: 1}
    member_ids = set()
    for status, n in counts.items():
        for _ in range(n):
            member = make_user()
            member_ids.add(member.id)
            make_registration(event, member, status)
    db.session.commit()

    tally = tick()
    assert (tally.reminders, tally.closing_notices) == (0, 2)
    for organizer in (creator, co_organizer):
        notes = inbox(organizer)
        assert len(notes) == 1
        assert notes[0].subject == "Registration closes soon: Skills contest"
        assert notes[0].body.startswith(
            "Registration for Skills contest closes at 2026-11-01 20:00. "
            "So far: 3 confirmed, 2 on the waitlist, 1 awaiting approval."
        )
        assert "Please approve or decline" in notes[0].body
        assert notes[0].link == f"/events/{event.id}/roster"
    assert len(outbox("co@example.com")) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id.in_(member_ids))
        )
        == 0
    )

    clock.advance(hours=2)
    assert tick().closing_notices == 0
    assert len(inbox(creator)) == len(inbox(co_organizer)) == 1


def test_closing_notice_skips_a_link_left_from_a_revoked_organizer_role(app, clock):
    organizer = make_user(roles=["organizer"], locale="en")
    former = make_user(locale="en")  # on the list, no longer an organizer
    admin = make_user(roles=["admin"], locale="en")
    event = make_event(organizer=organizer, registration_closes_at=clock.now + timedelta(hours=1))
    db.session.add_all(
        [
            EventOrganizer(event_id=event.id, user_id=former.id),
            EventOrganizer(event_id=event.id, user_id=admin.id),
        ]
    )
    db.session.commit()
    assert tick().closing_notices == 2
    assert len(inbox(organizer)) == len(inbox(admin)) == 1
    assert inbox(former) == []


def test_closing_notice_without_pending_has_no_approval_line(app, clock):
    organizer = make_user(roles=["organizer"], locale="en")
    event = make_event(organizer=organizer, registration_closes_at=clock.now + timedelta(hours=1))
    make_registration(event, make_user(), S.CONFIRMED)
    db.session.commit()
    tick()
    (note,) = inbox(organizer)
    assert "So far: 1 confirmed, 0 on the waitlist, 0 awaiting approval." in note.body
    assert "Please approve" not in note.body


def test_closing_notice_window(app, clock):
    organizer = make_user(roles=["organizer"])
    make_event(organizer=organizer, registration_closes_at=clock.now + timedelta(hours=25))
    closed = make_event(
        organizer=organizer, registration_closes_at=clock.now - timedelta(minutes=1)
    )
    db.session.commit()
    assert tick().closing_notices == 0
    clock.advance(hours=1)
    assert tick().closing_notices == 1  # now exactly 24 h before it closes
    clock.advance(hours=30)
    assert tick().closing_notices == 0
    assert len(inbox(organizer)) == 1
    assert not any(
        kind == reminders.REGISTRATION_CLOSING and e == closed.id for kind, e, _ in markers()
    )


def test_registration_counts_cover_every_status(app):
    event = make_event()
    make_registration(event, make_user(), S.WAITLISTED)
    counts = reminders.registration_counts(event.id)
    assert counts == {"pending": 0, "confirmed": 0, "waitlisted": 1, "cancelled": 0, "rejected": 0}


def test_one_failing_event_does_not_stop_the_others(app, clock, monkeypatch):
    first, second = make_user(), make_user()
    broken = make_event(starts_in=timedelta(hours=2), title="broken")
    fine = make_event(starts_in=timedelta(hours=3), title="fine")
    make_registration(broken, first)
    make_registration(fine, second)
    db.session.commit()
    original = reminders.send_event_reminder

    def flaky(event, now):
        if event.title == "broken":
            original(event, now)
            raise RuntimeError("boom")
        return original(event, now)

    monkeypatch.setattr(reminders, "send_event_reminder", flaky)
    assert tick().reminders == 1
    assert inbox(first) == []  # rolled back whole: no marker without its message
    assert markers() == [(reminders.EVENT_REMINDER, fine.id, second.id)]
    monkeypatch.setattr(reminders, "send_event_reminder", original)
    assert tick().reminders == 1  # the next tick retries the broken one
    assert len(inbox(first)) == 1


def test_an_event_cancelled_after_it_was_listed_gets_no_reminder(app, clock):
    member = make_user()
    organizer = make_user(roles=["organizer"])
    event = make_event(
        organizer=organizer,
        starts_in=timedelta(hours=2),
        registration_closes_at=clock.now + timedelta(hours=1),
    )
    make_registration(event, member)
    db.session.commit()
    event.status = EventStatus.CANCELLED
    assert reminders.send_event_reminder(event, clock.now) == 0
    assert reminders.send_closing_notice(event, clock.now) == 0
    event.status = EventStatus.PUBLISHED
    assert reminders.send_event_reminder(event, clock.now + timedelta(hours=3)) == 0
    assert reminders.send_closing_notice(event, clock.now + timedelta(hours=3)) == 0
    assert markers() == []
