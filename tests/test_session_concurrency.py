"""Sessions (场次) under a rush: members register for two sessions at the same instant, then
some cancel while others move between the sessions. No session ever holds more confirmed
places than its capacity, each session's waitlist is served in lock order, and a mover always
ends with a place (in the session they asked for, or the one they held).

The full rush (48 members) runs when DATABASE_URL points at PostgreSQL; a smaller one (16) on
the SQLite file database of the default test run.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from eventsite.accounts.models import User
from eventsite.events import service, sessions
from eventsite.events.models import Event, EventKind, EventSession, Registration
from eventsite.extensions import db
from tests.conftest import ON_POSTGRES
from tests.factories import make_event, make_user
from tests.test_concurrency import (  # noqa: F401 (fixtures)
    LockOrder,
    app_config,
    one_password_hash,
    run_together,
)

MEMBERS = 48 if ON_POSTGRES else 16
CAPS = (5, 7) if ON_POSTGRES else (3, 4)
#: Places in the third session, empty until members move into it.
THIRD = 3 if ON_POSTGRES else 2


def _rows(event_id: int) -> list[Registration]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(Registration).where(Registration.event_id == event_id))
    )


def _confirmed_by_session(event_id: int) -> Counter:
    return Counter(r.session_id for r in _rows(event_id) if r.status == "confirmed")


def test_a_rush_across_two_sessions_never_exceeds_either(app, monkeypatch):
    organizer = make_user(roles=["organizer"])
    event = make_event(
        organizer=organizer,
        kind=EventKind.GENERAL,
        title="快递小哥关爱日",
        starts_in=timedelta(days=3),
        promotion_confirm_hours=0,
    )
    one, two, three = (
        EventSession(
            event_id=event.id,
            label=label,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            capacity=cap,
            position=n,
        )
        for n, (label, cap) in enumerate(
            zip(("第一批", "第二批", "第三批"), (*CAPS, THIRD), strict=True)
        )
    )
    db.session.add_all([one, two, three])
    db.session.flush()
    event_id, session_ids, third_id = event.id, (one.id, two.id), three.id
    user_ids = [make_user().id for _ in range(MEMBERS)]
    db.session.commit()
    lock_order = LockOrder(monkeypatch)

    def register(user_id: int, session_id: int):
        def job():
            lock_order.acting_for(user_id)
            registration = service.register(
                db.session.get(Event, event_id),
                db.session.get(User, user_id),
                session_id=session_id,
            )
            return registration.status

        return job

    wanted = {uid: session_ids[n % 2] for n, uid in enumerate(user_ids)}
    run_together(app, [register(uid, wanted[uid]) for uid in user_ids])

    held = _confirmed_by_session(event_id)
    assert held == {session_ids[0]: CAPS[0], session_ids[1]: CAPS[1]}
    # Per session, the first to get the lock hold the places and the rest wait in that order.
    registrations = {r.user_id: r for r in _rows(event_id)}
    for session_id, cap in zip(session_ids, CAPS, strict=True):
        order = [uid for uid in lock_order.members if wanted[uid] == session_id]
        assert [registrations[uid].status for uid in order] == ["confirmed"] * cap + [
            "waitlisted"
        ] * (len(order) - cap)
        waiting = sorted(
            (r for r in registrations.values() if r.session_id == session_id and r.waitlisted_at),
            key=lambda r: (r.waitlisted_at, r.id),
        )
        assert [r.user_id for r in waiting] == order[cap:]

    # Then at once: two confirmed of the first session cancel (its waitlist takes the places),
    # and every confirmed member of the second tries to move to the third, which has fewer
    # places than movers: those first to the lock move, the others keep their place, and each
    # place left in the second goes to its own waitlist.
    lock_order.reset()
    first_confirmed = [
        r
        for r in registrations.values()
        if r.session_id == session_ids[0] and r.status == "confirmed"
    ]
    movers = [
        r
        for r in registrations.values()
        if r.session_id == session_ids[1] and r.status == "confirmed"
    ]

    def cancel(registration_id: int, user_id: int):
        def job():
            lock_order.acting_for(user_id)
            registration = db.session.get(Registration, registration_id)
            service.cancel_registration(registration, actor=registration.user)

        return job

    def move(registration_id: int, user_id: int):
        def job():
            lock_order.acting_for(user_id)
            registration = db.session.get(Registration, registration_id)
            try:
                sessions.move_to_session(registration, third_id, actor=registration.user)
            except service.RegistrationError:
                db.session.rollback()
                return "refused"
            return "moved"

        return job

    jobs = [cancel(r.id, r.user_id) for r in first_confirmed[:2]]
    jobs += [move(r.id, r.user_id) for r in movers]
    movers = [r.user_id for r in movers]
    before = {uid: r.status for uid, r in registrations.items()}
    db.session.rollback()  # this thread holds no transaction (on SQLite: no lock) meanwhile
    run_together(app, jobs)

    after = {r.user_id: r for r in _rows(event_id)}
    held = _confirmed_by_session(event_id)
    assert held == {session_ids[0]: CAPS[0], session_ids[1]: CAPS[1], third_id: THIRD}
    # Every mover still holds a place: in the third session or, refused, in the second; those
    # who moved are the first movers to get the lock.
    for mover in movers:
        assert after[mover].status == "confirmed"
        assert after[mover].session_id in (session_ids[1], third_id)
    order = [uid for uid in lock_order.members if uid in set(movers)]
    assert {uid for uid in movers if after[uid].session_id == third_id} == set(order[:THIRD])
    # The second session's freed places went to its own waitlist.
    moved = sum(after[mover].session_id == third_id for mover in movers)
    waiting_two = [
        uid for uid in user_ids if wanted[uid] == session_ids[1] and before[uid] == "waitlisted"
    ]
    promoted_two = [uid for uid in waiting_two if after[uid].status == "confirmed"]
    assert len(promoted_two) == min(moved, len(waiting_two))
