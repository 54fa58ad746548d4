"""Database faults that pass by themselves: a lock or statement timeout, a serialization failure,
a deadlock, a busy SQLite file. Such a fault answers a "busy, please try again" page with 503
and Retry-After, never a bare 500; a member's registration and cancellation are tried once
more on the server first, from the start, so nothing half-done is ever committed.

The last test holds the event's row lock from another connection while the app runs with a
short lock_timeout, as under a real rush (PostgreSQL only).
"""

from __future__ import annotations

import sqlite3

import psycopg.errors
import pytest
import sqlalchemy as sa

from eventsite.core.db import transient_fault
from eventsite.core.models import Notification
from eventsite.events import service
from eventsite.events.models import EventKind, Registration
from eventsite.extensions import db
from tests.conftest import ON_POSTGRES
from tests.factories import make_event, make_registration, make_user

on_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="a real lock_timeout needs PostgreSQL: set DATABASE_URL=postgresql://…"
)

#: The app's connections give up waiting for a lock after this long.
LOCK_TIMEOUT_MS = 300


@pytest.fixture
def app_config():
    """Answer errors as production does (the error pages), and on PostgreSQL wait for a lock
    only briefly."""
    config = {"PROPAGATE_EXCEPTIONS": False}
    if ON_POSTGRES:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"}
        }
    return config


def fault(original: Exception) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT … FOR NO KEY UPDATE", {}, original)


# --- Which faults pass by themselves ------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (fault(psycopg.errors.lookup("55P03")()), True),  # lock_timeout
        (fault(psycopg.errors.lookup("57014")()), True),  # statement_timeout
        (fault(psycopg.errors.lookup("40001")()), True),  # serialization failure
        (fault(psycopg.errors.lookup("40P01")()), True),  # deadlock
        (fault(sqlite3.OperationalError("database is locked")), True),
        (sa.exc.TimeoutError("QueuePool limit reached"), True),
        (fault(psycopg.errors.lookup("42P01")()), False),  # undefined table: a bug
        (fault(sqlite3.OperationalError("no such table: event")), False),
        (sa.exc.IntegrityError("INSERT", {}, psycopg.errors.lookup("23505")()), False),
        (ValueError("not a database fault"), False),
    ],
)
def test_a_transient_fault_is_told_by_its_code(error, transient):
    assert transient_fault(error) is transient


# --- Through the member's buttons, with the fault injected --------------------------------------


class LockTimeouts:
    """`service.lock_event` that times out the first `failures` times it is called."""

    def __init__(self, monkeypatch, failures: int):
        self.calls = 0
        self.failures = failures
        original = service.lock_event

        def lock_event(event_id):
            self.calls += 1
            if self.calls <= self.failures:
                # Statements ran before the lock; the real fault also ends the transaction.
                raise fault(
                    psycopg.errors.lookup("55P03")("canceling statement due to lock timeout")
                )
            return original(event_id)

        monkeypatch.setattr(service, "lock_event", lock_event)


@pytest.fixture
def meet(app):
    organizer = make_user(roles=["organizer"])
    event = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, teams=["站前社区队"], capacity=1
    )
    db.session.commit()
    return event


def registrations(event) -> list[tuple[int, str]]:
    db.session.rollback()
    return [
        (r.user_id, r.status)
        for r in db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(Registration.id)
        )
    ]


def notices(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id)
    )


def assert_busy_page(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    text = response.get_data(as_text=True)
    assert "系统繁忙，请稍后再试" in text  # the site speaks Chinese by default
    assert "本次未作任何保存" in text


def test_a_registration_that_stays_busy_is_tried_twice_then_answers_503(
    client, auth, meet, monkeypatch
):
    member = make_user()
    db.session.commit()
    auth.become(member)
    timeouts = LockTimeouts(monkeypatch, failures=2)
    response = client.post(f"/events/{meet.id}/register", data={"team_id": meet.teams[0].id})
    assert_busy_page(response)
    assert timeouts.calls == 2
    assert registrations(meet) == []
    assert notices(member) == 0


def test_a_registration_whose_lock_frees_goes_through_on_the_second_try(
    client, auth, meet, monkeypatch
):
    member = make_user()
    db.session.commit()
    auth.become(member)
    timeouts = LockTimeouts(monkeypatch, failures=1)
    response = client.post(f"/events/{meet.id}/register", data={"team_id": meet.teams[0].id})
    assert response.status_code == 303
    assert timeouts.calls == 2
    assert registrations(meet) == [(member.id, "confirmed")]
    assert notices(member) == 1  # told once, by the try that committed


def test_a_cancellation_that_stays_busy_changes_nothing(client, auth, meet, monkeypatch):
    member, waiting = make_user(), make_user()
    make_registration(meet, member, team_id=meet.teams[0].id)
    make_registration(meet, waiting, team_id=meet.teams[0].id, status="waitlisted")
    db.session.commit()
    before = registrations(meet)
    auth.become(member)
    timeouts = LockTimeouts(monkeypatch, failures=2)
    response = client.post(f"/events/{meet.id}/cancel-registration")
    assert_busy_page(response)
    assert timeouts.calls == 2
    assert registrations(meet) == before == [(member.id, "confirmed"), (waiting.id, "waitlisted")]
    assert notices(waiting) == 0


def test_a_fault_that_does_not_pass_by_itself_is_still_a_500(client, auth, meet, monkeypatch):
    member = make_user()
    db.session.commit()
    auth.become(member)

    def broken(_event_id):
        raise fault(psycopg.errors.lookup("42P01")("relation does not exist"))

    monkeypatch.setattr(service, "lock_event", broken)
    response = client.post(f"/events/{meet.id}/register", data={"team_id": meet.teams[0].id})
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


# --- A real lock held by another connection (PostgreSQL) ----------------------------------------


@pytest.mark.postgres
@on_postgres
def test_register_and_cancel_wait_out_a_held_event_lock_then_answer_503(
    app, client, auth, meet, monkeypatch
):
    member = make_user()
    db.session.commit()
    auth.become(member)
    calls = []
    original = service.lock_event
    monkeypatch.setattr(
        service, "lock_event", lambda event_id: calls.append(1) or original(event_id)
    )
    other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    holders = []

    def hold_event_lock():
        connection = other.connect()
        holders.append(connection)
        connection.begin()
        # As the app's lockers hold it (`service.lock_event`): rows that merely reference the
        # event (a message written before the lock) may still be inserted.
        connection.execute(
            sa.text("SELECT id FROM event WHERE id = :id FOR NO KEY UPDATE"), {"id": meet.id}
        )

    def release():
        while holders:
            holders.pop().close()  # ends its transaction, and the lock with it

    try:
        hold_event_lock()
        response = client.post(f"/events/{meet.id}/register", data={"team_id": meet.teams[0].id})
        assert_busy_page(response)
        assert len(calls) == 2  # the first try and the one retry, each waiting out the timeout
        assert registrations(meet) == []
        release()

        response = client.post(f"/events/{meet.id}/register", data={"team_id": meet.teams[0].id})
        assert response.status_code == 303
        assert registrations(meet) == [(member.id, "confirmed")]

        calls.clear()
        hold_event_lock()
        response = client.post(f"/events/{meet.id}/cancel-registration")
        assert_busy_page(response)
        assert len(calls) == 2
        assert registrations(meet) == [(member.id, "confirmed")]
    finally:
        release()
        other.dispose()
