"""What a registration does while it holds the event's lock: the lock, one aggregate read and
its writes, nothing else; the message each outcome sends is rendered before it, and the likely
outcome's is written before it too (taken back when the outcome differs or the attempt is
refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite.core.models import Notification
from eventsite.events import service
from eventsite.events.models import (
    Event,
    EventKind,
    EventSession,
    Registration,
    RegistrationStatus,
)
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage
from tests.factories import make_event, make_registration, make_user

S = RegistrationStatus


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def test_the_aggregate_finds_the_members_own_registrations_and_counts_only_places(app):
    event = make_event(kind=EventKind.GENERAL, capacity=10)
    came_back, seated, waiting, declined = (make_user() for _ in range(4))
    gone = make_registration(event, came_back, S.CANCELLED)
    held = make_registration(event, seated, S.CONFIRMED, companions=2)
    queued = make_registration(event, waiting, S.WAITLISTED)
    refused = make_registration(event, declined, S.REJECTED)

    occupancy, own = service._occupancy_and_own(event.id, came_back.id)
    assert own == [service.OwnRegistration(gone.id, S.CANCELLED, None)]
    # The member's cancelled row joins the read but takes no place.
    assert (occupancy.confirmed, occupancy.waitlisted) == (3, 1)
    assert occupancy == service.occupancy_of(event.id)

    assert service._occupancy_and_own(event.id, seated.id)[1] == [
        service.OwnRegistration(held.id, S.CONFIRMED, None)
    ]
    assert service._occupancy_and_own(event.id, waiting.id)[1] == [
        service.OwnRegistration(queued.id, S.WAITLISTED, None)
    ]
    assert service._occupancy_and_own(event.id, declined.id)[1] == [
        service.OwnRegistration(refused.id, S.REJECTED, None)
    ]
    assert service._occupancy_and_own(event.id, make_user().id) == (occupancy, [])


class LockedStatements:
    """The statements run from the moment `service.lock_event` is entered."""

    def __init__(self, monkeypatch):
        self.statements: list[str] | None = None
        original = service.lock_event

        def lock_event(event_id: int) -> Event:
            self.statements = []
            return original(event_id)

        monkeypatch.setattr(service, "lock_event", lock_event)
        sa.event.listen(db.engine, "before_cursor_execute", self._note)

    def _note(self, _conn, _cursor, statement, *_args) -> None:
        if self.statements is not None:
            self.statements.append(" ".join(statement.split()))

    def close(self) -> None:
        sa.event.remove(db.engine, "before_cursor_execute", self._note)


@pytest.fixture
def locked(app, monkeypatch):
    statements = LockedStatements(monkeypatch)
    yield statements
    statements.close()


@pytest.fixture
def no_arrivals_yet(monkeypatch):
    """No registration in this process has arrived yet (the likely outcome is a place)."""
    monkeypatch.setattr(service, "_last_arrival", {})


def _messages_of(member) -> tuple[list[str], list[str]]:
    notes = db.session.scalars(
        sa.select(Notification.subject).where(Notification.user_id == member.id)
    )
    texts = db.session.scalars(sa.select(SmsMessage.kind).where(SmsMessage.user_id == member.id))
    return list(notes), [str(kind) for kind in texts]


def _register(event, member):
    return service.register(db.session.get(Event, event.id), member, single_declared=True)


def test_under_the_lock_only_the_lock_one_read_and_the_registration(app, locked, no_arrivals_yet):
    """A place free, as the last arrival found: the message was written before the lock."""
    event = make_event(kind=EventKind.MIXER, capacity=2)
    first, second = make_user(), make_user()
    db.session.commit()

    for member in (first, second):
        registration = _register(event, member)

        reads = [s for s in locked.statements if s.startswith("SELECT")]
        assert len(reads) == 2, reads
        assert reads[0].startswith("SELECT event.")
        assert "FROM registration" in reads[1]
        assert [s.split(" ")[:3] for s in locked.statements if s not in reads] == [
            ["INSERT", "INTO", "registration"]
        ]
        assert registration.status == S.CONFIRMED
        assert _messages_of(member) == (
            [f"Registration confirmed: {event.title}"],
            ["registration_confirmed"],
        )


def test_an_outcome_other_than_the_likely_one_rewrites_its_message_under_the_lock(
    app, locked, no_arrivals_yet
):
    """The places gone since the last arrival: the confirmation written before the lock is taken
    back (no text either), the waitlist message written instead; the next arrival expects the
    waitlist and writes only its registration under the lock."""
    event = make_event(kind=EventKind.MIXER, capacity=1)
    make_registration(event, make_user(gender="female"))
    first, second = make_user(), make_user()
    db.session.commit()

    assert _register(event, first).status == S.WAITLISTED
    changed = sorted(s.split(" ")[0] + " " + s.split(" ")[2] for s in locked.statements[2:])
    assert changed == [
        "DELETE notification",
        "DELETE sms_message",
        "INSERT notification",
        "INSERT registration",
    ]
    assert _messages_of(first) == ([f"On the waitlist: {event.title}"], [])

    assert _register(event, second).status == S.WAITLISTED
    assert [s.split(" ")[2] for s in locked.statements[2:]] == ["registration"]
    assert _messages_of(second) == ([f"On the waitlist: {event.title}"], [])


def test_a_refusal_under_the_lock_takes_back_the_message_written_before_it(app, no_arrivals_yet):
    """Already registered (found only under the lock): nothing of the refused attempt stays, even
    when the caller goes on and commits."""
    event = make_event(kind=EventKind.GENERAL, capacity=5)
    member = make_user()
    db.session.commit()
    _register(event, member)
    db.session.commit()
    before = _messages_of(member)

    with pytest.raises(service.RegistrationError, match="already registered"):
        _register(event, member)
    db.session.commit()

    assert _messages_of(member) == before
    assert len(before[0]) == 1


def test_an_outcome_not_rendered_before_the_lock_is_rendered_under_it(app):
    """The event as the caller loaded it asked no approval; by the time the lock is granted it
    does: the member is pending, and told so."""
    event = make_event(kind=EventKind.GENERAL, capacity=5)
    member = make_user()
    db.session.commit()
    loaded = db.session.get(Event, event.id)
    db.session.execute(
        sa.update(Event).where(Event.id == event.id).values(approval_required=True),
        execution_options={"synchronize_session": False},
    )
    assert loaded.approval_required is False

    registration = service.register(loaded, member)

    assert registration.status == S.PENDING
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == member.id))
    assert [note.subject for note in notes] == [f"Registration received: {event.title}"]
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 0


def _edited_while_waiting(monkeypatch, **fields):
    """An organizer's edit lands between the registration's look at the event and its lock
    (a rush: the lock can take seconds to come)."""
    original = service.lock_event

    def edit_then_lock(event_id):
        changes = {**fields, "updated_at": service.utcnow()}
        db.session.execute(sa.update(Event).where(Event.id == event_id).values(**changes))
        return original(event_id)

    monkeypatch.setattr(service, "lock_event", edit_then_lock)


def test_a_message_tells_the_place_the_event_has_when_the_lock_comes(app, monkeypatch):
    event = make_event(kind=EventKind.GENERAL, capacity=10, venue="工人文化宫")
    member = make_user()
    _edited_while_waiting(monkeypatch, venue="职工之家三楼")
    service.register(event, member)
    body = db.session.scalars(
        sa.select(Notification.body).where(Notification.user_id == member.id)
    ).one()
    assert "职工之家三楼" in body
    assert "工人文化宫" not in body


def test_an_audience_narrowed_while_waiting_refuses_the_member(app, monkeypatch):
    event = make_event(kind=EventKind.GENERAL, capacity=10)
    outsider = make_user()  # no verified membership
    _edited_while_waiting(monkeypatch, audience="members")
    with pytest.raises(service.RegistrationError):
        service.register(event, outsider)


def test_any_failure_under_the_lock_takes_back_the_message(app, no_arrivals_yet):
    """Not only a refusal: a receiver of `registrations_changing` that fails leaves nothing of
    the attempt, should the caller commit anyway."""
    event = make_event(kind=EventKind.GENERAL, capacity=5)
    member = make_user()
    db.session.commit()

    def broken(_event, **_kwargs):
        raise LookupError("a feature's check failed")

    service.registrations_changing.connect(broken)
    try:
        with pytest.raises(LookupError):
            _register(event, member)
    finally:
        service.registrations_changing.disconnect(broken)
    db.session.commit()

    assert _messages_of(member) == ([], [])


def test_on_a_mixer_with_quotas_each_gender_expects_its_own_outcome(app, locked, no_arrivals_yet):
    """The men's places gone, the women's not: once each has arrived, a man's waitlist message
    and a woman's confirmation are both written before the lock (no message written under it),
    however they alternate."""
    event = make_event(kind=EventKind.MIXER, capacity=10, quota_male=1, quota_female=5)
    make_registration(event, make_user(gender="male"))
    men = [make_user(gender="male") for _ in range(3)]
    women = [make_user(gender="female") for _ in range(3)]
    db.session.commit()

    rewritten = []
    for man, woman in zip(men, women, strict=True):
        assert _register(event, man).status == S.WAITLISTED
        rewritten.append(_messages_written(locked.statements))
        assert _register(event, woman).status == S.CONFIRMED
        rewritten.append(_messages_written(locked.statements))

    # Only the first man's guess (a place, as nobody had arrived yet) was rewritten.
    assert rewritten == [True] + [False] * 5
    for man in men:
        assert _messages_of(man) == ([f"On the waitlist: {event.title}"], [])
    for woman in women:
        assert _messages_of(woman) == (
            [f"Registration confirmed: {event.title}"],
            ["registration_confirmed"],
        )


def _messages_written(statements: list[str]) -> bool:
    """Whether a message was written (or taken back) under the lock."""
    return any(
        s.startswith(("INSERT INTO notification", "DELETE FROM notification")) for s in statements
    )


def test_an_arrival_does_not_look_at_a_waitlist_nobody_on_it_may_leave(
    app, locked, no_arrivals_yet
):
    """A mixer whose men's places are gone, men waiting: a woman's registration runs the lock,
    its read and its insert, without reading the waitlist (no man could take a place)."""
    event = make_event(kind=EventKind.MIXER, capacity=10, quota_male=1, quota_female=5)
    make_registration(event, make_user(gender="male"))
    for _ in range(2):
        make_registration(event, make_user(gender="male"), S.WAITLISTED)
    woman = make_user(gender="female")
    db.session.commit()

    assert _register(event, woman).status == S.CONFIRMED
    assert [" ".join(s.split(" ")[:3]) for s in locked.statements] == [
        "SELECT event.id, event.kind,",
        "SELECT registration.status, registration.gender,",
        "INSERT INTO registration",
    ]


def test_a_waiting_member_who_fits_takes_the_place_before_the_newcomer(app, no_arrivals_yet):
    """A man's place freed without anyone promoted (the quota raised by a direct edit): the man
    waiting longest takes it when the next man arrives, and the newcomer waits behind him."""
    event = make_event(kind=EventKind.MIXER, capacity=10, quota_male=1, quota_female=5)
    make_registration(event, make_user(gender="male"))
    waiting = make_registration(event, make_user(gender="male"), S.WAITLISTED)
    newcomer = make_user(gender="male")
    db.session.commit()
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(quota_male=2))

    assert _register(event, newcomer).status == S.WAITLISTED
    db.session.refresh(waiting)
    assert waiting.status == S.CONFIRMED


def test_in_sessions_only_a_waiting_session_with_room_is_looked_at(app, locked, no_arrivals_yet):
    """An event held in two sessions of two places: the first full with members waiting, the
    second not. An arrival for the second reads no waitlist (nobody waiting could move into the
    first); once a place in the second has also freed up for a member waiting for it (capacity
    raised by a direct edit), the next arrival there promotes them first."""
    event = make_event(kind=EventKind.GENERAL, starts_in=timedelta(days=7))
    first, second = (
        EventSession(
            event_id=event.id,
            label=label,
            starts_at=event.starts_at + timedelta(hours=3 * position),
            ends_at=event.starts_at + timedelta(hours=3 * position + 2),
            capacity=2,
            position=position,
        )
        for position, label in enumerate(["第一场", "第二场"])
    )
    db.session.add_all([first, second])
    db.session.flush()
    for _ in range(2):
        make_registration(event, make_user(), session_id=first.id)
    make_registration(event, make_user(), S.WAITLISTED, session_id=first.id)
    db.session.commit()

    def arrive(session):
        loaded = db.session.get(Event, event.id)
        return service.register(loaded, make_user(), session_id=session.id).status

    assert arrive(second) == S.CONFIRMED
    assert not _reads_waitlist(locked.statements)
    assert arrive(second) == S.CONFIRMED  # the second is full now
    waiting_second = make_registration(event, make_user(), S.WAITLISTED, session_id=second.id)
    db.session.commit()
    db.session.execute(
        sa.update(EventSession).where(EventSession.id == second.id).values(capacity=4)
    )

    assert arrive(second) == S.CONFIRMED
    db.session.refresh(waiting_second)
    assert waiting_second.status == S.CONFIRMED  # before the newcomer, who took the last place
    assert _reads_waitlist(locked.statements)
    first_waiting = db.session.scalars(
        sa.select(Registration.status).where(
            Registration.session_id == first.id,
            Registration.status == S.WAITLISTED,
        )
    ).all()
    assert first_waiting == [S.WAITLISTED]


def _reads_waitlist(statements: list[str]) -> bool:
    """Whether the waitlist was read, in its order, to look for members to promote."""
    return any("ORDER BY registration.waitlisted_at" in s for s in statements)
