"""Capacity and quotas under a rush: many members register (and cancel) at the same instant.

Each thread pushes its own app context, so it has its own session and its own database
connection, and commits its own transaction, as a web worker would. A barrier releases them
together. The engine's lock (SELECT … FOR NO KEY UPDATE on PostgreSQL, BEGIN IMMEDIATE on
SQLite) must serialise them: we record the order in which `lock_event` returned, and the
outcome must be exactly what serving the members one by one in that order gives.

The full rush (60 members for 10 seats) runs when DATABASE_URL points at PostgreSQL; a smaller
one (20 members) runs on the SQLite file database of the default test run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from werkzeug.security import generate_password_hash

from eventsite.accounts.models import User
from eventsite.core.models import Notification
from eventsite.core.time import utcnow
from eventsite.events import service
from eventsite.events.models import Event, EventKind, Registration
from eventsite.extensions import db
from tests.conftest import ON_POSTGRES, _pg_url
from tests.factories import PASSWORD, make_event, make_user

on_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="the full 60-thread rush needs PostgreSQL: set DATABASE_URL=postgresql://…",
)
on_sqlite = pytest.mark.skipif(
    ON_POSTGRES, reason="the SQLite rush runs in the default (SQLite) test run"
)

THREAD_TIMEOUT = 120


@pytest.fixture(autouse=True)
def one_password_hash(monkeypatch):
    """Hash the factories' password once: these members never log in with it, and each hash
    costs a noticeable fraction of a second."""
    hashed = generate_password_hash(PASSWORD)
    monkeypatch.setattr(
        User, "set_password", lambda user, _password: setattr(user, "password_hash", hashed)
    )


@pytest.fixture
def app_config():
    """A connection for every thread at once, so all of them really wait on the lock together."""
    options = {"pool_pre_ping": True, "pool_size": 70, "max_overflow": 0}
    return {"SQLALCHEMY_ENGINE_OPTIONS": {**options, "pool_timeout": THREAD_TIMEOUT}}


class LockOrder:
    """Wraps `service.lock_event` to note which member's action got the lock, in order."""

    def __init__(self, monkeypatch):
        self.members: list[int] = []
        self._mutex = threading.Lock()
        self._local = threading.local()
        original = service.lock_event

        def recording_lock_event(event_id: int) -> Event:
            event = original(event_id)
            # Only one thread at a time gets here for an event: we hold its lock.
            with self._mutex:
                self.members.append(self._local.member_id)
            return event

        monkeypatch.setattr(service, "lock_event", recording_lock_event)

    def acting_for(self, member_id: int) -> None:
        self._local.member_id = member_id

    def reset(self) -> None:
        self.members = []


#: The advisory lock one rush holds on the PostgreSQL server while its threads run.
RUSH_LOCK_KEY = 0x7275_7368


@contextmanager
def one_rush_at_a_time():
    """On PostgreSQL, hold a server-wide advisory lock while a rush runs: a rush holds up to 64
    connections, and two at once in two test processes (`pytest -n 2`) would take the server
    past its 100. On SQLite, nothing to share."""
    if not ON_POSTGRES:
        yield
        return
    engine = sa.create_engine(_pg_url("postgres"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as holder:
            holder.execute(sa.select(sa.func.pg_advisory_lock(RUSH_LOCK_KEY)))
            try:
                yield
            finally:
                holder.execute(sa.select(sa.func.pg_advisory_unlock(RUSH_LOCK_KEY)))
    finally:
        engine.dispose()


def run_together(app, jobs: list[Callable[[], object]]) -> list[object]:
    """Run every job in its own thread, app context, session and transaction, all at once
    (one rush at a time on the server)."""
    with one_rush_at_a_time():
        try:
            return _run_together(app, jobs)
        finally:
            # The threads' connections wait in the pool: close them before the next rush may
            # open its own.
            with app.app_context():
                db.engine.dispose()


def _run_together(app, jobs: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []

    def worker(index: int, job: Callable[[], object]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=THREAD_TIMEOUT)
                results[index] = job()
                db.session.commit()
            except BaseException as exc:  # reported below, in the test's own thread
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    assert errors == []
    return results


def register_job(lock_order: LockOrder, event_id: int, user_id: int, **fields):
    def job():
        # Nothing is read before the barrier: on SQLite the first statement takes the write lock.
        lock_order.acting_for(user_id)
        registration = service.register(
            db.session.get(Event, event_id), db.session.get(User, user_id), **fields
        )
        return registration.id, registration.status

    return job


def cancel_job(lock_order: LockOrder, registration_id: int, user_id: int):
    def job():
        lock_order.acting_for(user_id)
        registration = db.session.get(Registration, registration_id)
        promoted = service.cancel_registration(registration, actor=registration.user)
        return [r.user_id for r in promoted]

    return job


def rows(event_id: int) -> list[Registration]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(Registration).where(Registration.event_id == event_id))
    )


def waitlist_order(event_id: int) -> list[int]:
    """Waitlisted members in the order the engine serves them: (waitlisted_at, id)."""
    waiting = [r for r in rows(event_id) if r.status == "waitlisted"]
    return [r.user_id for r in sorted(waiting, key=lambda r: (r.waitlisted_at, r.id))]


def subjects_by_member(user_ids) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {user_id: [] for user_id in user_ids}
    for note in db.session.scalars(
        sa.select(Notification).where(Notification.user_id.in_(user_ids)).order_by(Notification.id)
    ):
        found[note.user_id].append(note.subject)
    return found


def subject(app, message: str, **variables) -> str:
    """A notice subject as members read it: in the site's default language."""
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext(message, **variables)


def capacity_rush(app, monkeypatch, *, members: int, seats: int, cancellations: int) -> None:
    """`members` register at once for `seats`; then `cancellations` confirmed cancel at once."""
    confirmed_notice = subject(app, "Registration confirmed: %(title)s", title="拔河")
    waitlisted_notice = subject(app, "On the waitlist: %(title)s", title="拔河")
    promoted_notice = subject(app, "A place is offered to you: %(title)s", title="拔河")
    organizer = make_user(roles=["organizer"])
    event = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, capacity=seats, teams=["站前社区"],
        title="拔河", starts_in=timedelta(days=3),
    )  # fmt: skip
    event_id, team_id = event.id, event.teams[0].id
    user_ids = [make_user().id for _ in range(members)]
    db.session.commit()  # and nothing more from this thread until the rush is over
    lock_order = LockOrder(monkeypatch)

    started = utcnow()
    outcomes = run_together(
        app, [register_job(lock_order, event_id, uid, team_id=team_id) for uid in user_ids]
    )

    arrival = lock_order.members
    assert sorted(arrival) == sorted(user_ids)  # every member took the lock exactly once
    registrations = {r.user_id: r for r in rows(event_id)}
    assert len(registrations) == members
    confirmed = [uid for uid in user_ids if registrations[uid].status == "confirmed"]
    assert len(confirmed) == seats
    assert sum(status == "waitlisted" for _id, status in outcomes) == members - seats
    # Exactly the first `seats` to get the lock hold a place; the rest wait in that order.
    assert set(confirmed) == set(arrival[:seats])
    assert waitlist_order(event_id) == arrival[seats:]
    # The arrival time is read under the lock: it follows the lock order, strictly.
    times = [registrations[uid].registered_at for uid in arrival]
    assert times == sorted(times) and len(set(times)) == members
    assert started <= times[0] and times[-1] <= utcnow()
    assert [registrations[uid].id for uid in arrival] == sorted(
        r.id for r in registrations.values()
    )
    positions = [service.waitlist_position(registrations[uid]) for uid in arrival[seats:]]
    assert positions == list(range(1, members - seats + 1))
    told = subjects_by_member(user_ids)
    assert all(told[uid] == [confirmed_notice] for uid in arrival[:seats])
    assert all(told[uid] == [waitlisted_notice] for uid in arrival[seats:])

    # Now some confirmed members cancel at the same instant.
    leaving = arrival[:cancellations]
    waitlist_before = arrival[seats:]
    jobs = [cancel_job(lock_order, registrations[uid].id, uid) for uid in leaving]
    db.session.commit()  # end this thread's transaction: on SQLite it holds the write lock
    lock_order.reset()
    promoted_lists = run_together(app, jobs)

    assert sorted(lock_order.members) == sorted(leaving)
    # Each cancellation promoted exactly one, the head of the waitlist at its turn.
    by_canceller = dict(zip(leaving, promoted_lists, strict=True))
    assert [by_canceller[uid] for uid in lock_order.members] == [
        [promoted] for promoted in waitlist_before[:cancellations]
    ]
    after = {r.user_id: r.status for r in rows(event_id)}
    assert sum(status == "confirmed" for status in after.values()) == seats
    assert [uid for uid in leaving if after[uid] != "cancelled"] == []
    assert all(after[uid] == "confirmed" for uid in waitlist_before[:cancellations])
    assert waitlist_order(event_id) == waitlist_before[cancellations:]
    told = subjects_by_member(user_ids)
    for uid in waitlist_before[:cancellations]:
        assert told[uid] == [waitlisted_notice, promoted_notice]
    for uid in leaving:  # a member who cancels gets no message about their own action
        assert told[uid] == [confirmed_notice]
    for uid in waitlist_before[cancellations:]:
        assert told[uid] == [waitlisted_notice]


def quota_rush(app, monkeypatch, *, per_gender: int, quota: int, cancellations: int) -> None:
    """Men and women rush a mixer with a quota per gender; then some women cancel at once."""
    organizer = make_user(roles=["organizer"])
    event = make_event(
        organizer=organizer, kind=EventKind.MIXER, capacity=2 * quota, quota_male=quota,
        quota_female=quota, title="鹊桥联谊", starts_in=timedelta(days=3),
    )  # fmt: skip
    event_id = event.id
    gender = {}
    for _ in range(per_gender):
        for sex in ("male", "female"):
            gender[make_user(gender=sex, birth_year=1996).id] = sex
    db.session.commit()
    lock_order = LockOrder(monkeypatch)

    run_together(
        app,
        [register_job(lock_order, event_id, uid, single_declared=True) for uid in gender],
    )

    arrival = lock_order.members
    assert sorted(arrival) == sorted(gender)
    status = {r.user_id: r.status for r in rows(event_id)}
    for sex in ("male", "female"):
        in_order = [uid for uid in arrival if gender[uid] == sex]
        confirmed = [uid for uid in in_order if status[uid] == "confirmed"]
        assert confirmed == in_order[:quota]  # never more, and the earliest of that gender
    assert sum(s == "confirmed" for s in status.values()) == 2 * quota
    waitlist = waitlist_order(event_id)
    assert waitlist == [uid for uid in arrival if status[uid] == "waitlisted"]

    women_waiting = [uid for uid in waitlist if gender[uid] == "female"]
    women_leaving = [uid for uid in arrival if gender[uid] == "female"][:cancellations]
    registration_of = {r.user_id: r.id for r in rows(event_id)}
    db.session.commit()
    lock_order.reset()
    promoted_lists = run_together(
        app, [cancel_job(lock_order, registration_of[uid], uid) for uid in women_leaving]
    )

    promoted = [uid for promoted in promoted_lists for uid in promoted]
    # Freed women's seats go to the first waitlisted women, skipping the men ahead of them.
    assert sorted(promoted) == sorted(women_waiting[:cancellations])
    status = {r.user_id: r.status for r in rows(event_id)}
    confirmed_by_gender = {
        sex: sum(status[uid] == "confirmed" for uid in gender if gender[uid] == sex)
        for sex in ("male", "female")
    }
    assert confirmed_by_gender == {"male": quota, "female": quota}
    assert waitlist_order(event_id) == [uid for uid in waitlist if uid not in promoted]


@on_postgres
def test_sixty_members_rush_ten_seats_on_postgres(app, monkeypatch):
    capacity_rush(app, monkeypatch, members=60, seats=10, cancellations=4)


@on_postgres
def test_mixer_quotas_hold_under_a_rush_on_postgres(app, monkeypatch):
    quota_rush(app, monkeypatch, per_gender=20, quota=5, cancellations=3)


@on_sqlite
def test_twenty_members_rush_five_seats_on_sqlite(app, monkeypatch):
    capacity_rush(app, monkeypatch, members=20, seats=5, cancellations=2)


@on_sqlite
def test_mixer_quotas_hold_under_a_rush_on_sqlite(app, monkeypatch):
    quota_rush(app, monkeypatch, per_gender=8, quota=3, cancellations=2)


def companions_job(lock_order: LockOrder, registration_id: int, user_id: int, companions: int):
    """Change a member's companions; a refusal (the seats do not fit) is an outcome, not a fault."""

    def job():
        lock_order.acting_for(user_id)
        registration = db.session.get(Registration, registration_id)
        try:
            promoted = service.change_companions(registration, companions, actor=registration.user)
        except service.RegistrationError:
            return "refused"
        return [r.user_id for r in promoted]

    return job


def companions_rush(app, monkeypatch, *, members: int, capacity: int) -> None:
    """Members bringing 0 to 3 companions rush a union activity's seats; then every confirmed
    member changes their companions at once (some more, some fewer). Seats never exceed the
    capacity, and the outcome is the one serving them one by one in lock order gives."""
    organizer = make_user(roles=["organizer"])
    event = make_event(
        organizer=organizer, kind=EventKind.GENERAL, capacity=capacity, max_companions=3,
        promotion_confirm_hours=0, title="疗休养", starts_in=timedelta(days=3),
    )  # fmt: skip
    event_id = event.id
    brings = {make_user().id: i % 4 for i in range(members)}
    db.session.commit()
    lock_order = LockOrder(monkeypatch)

    run_together(
        app,
        [register_job(lock_order, event_id, uid, companions=n) for uid, n in brings.items()],
    )
    arrival = lock_order.members
    assert sorted(arrival) == sorted(brings)
    # Served one by one in lock order: a party takes its seats if they fit, else waits.
    free, expected, waiting = capacity, {}, []
    for uid in arrival:
        seats = 1 + brings[uid]
        expected[uid] = "confirmed" if seats <= free else "waitlisted"
        if seats <= free:
            free -= seats
        else:
            waiting.append(uid)
    regs = {r.user_id: r for r in rows(event_id)}
    assert {uid: r.status for uid, r in regs.items()} == expected
    assert sum(r.seats for r in regs.values() if r.status == "confirmed") <= capacity
    assert waitlist_order(event_id) == waiting

    # Every confirmed member changes at once: the first half to 3 companions, the rest to none.
    confirmed = [uid for uid in arrival if expected[uid] == "confirmed"]
    wanted = {uid: 3 if i % 2 == 0 else 0 for i, uid in enumerate(confirmed)}
    jobs = [companions_job(lock_order, regs[uid].id, uid, n) for uid, n in wanted.items()]
    db.session.commit()
    lock_order.reset()
    run_together(app, jobs)

    seats = {uid: 1 + brings[uid] for uid in confirmed}
    for uid in lock_order.members:  # replay in lock order
        extra = wanted[uid] - brings[uid]
        if extra > 0 and sum(seats.values()) + extra > capacity:
            continue  # refused: nothing changes
        seats[uid] = 1 + wanted[uid]
        if extra < 0:
            free = capacity - sum(seats.values())
            for waiting_uid in list(waiting):
                if 1 + brings[waiting_uid] <= free:
                    seats[waiting_uid] = 1 + brings[waiting_uid]
                    free -= seats[waiting_uid]
                    waiting.remove(waiting_uid)
    after = {r.user_id: r for r in rows(event_id)}
    held = {uid: r.seats for uid, r in after.items() if r.status == "confirmed"}
    assert held == seats
    assert sum(held.values()) <= capacity
    assert service.occupancy_of(event_id).confirmed == sum(held.values())
    assert waitlist_order(event_id) == waiting


@on_postgres
def test_companions_never_take_more_seats_than_capacity_on_postgres(app, monkeypatch):
    companions_rush(app, monkeypatch, members=40, capacity=25)


@on_sqlite
def test_companions_never_take_more_seats_than_capacity_on_sqlite(app, monkeypatch):
    companions_rush(app, monkeypatch, members=14, capacity=12)
