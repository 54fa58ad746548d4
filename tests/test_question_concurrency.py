"""Per-choice stock under a rush: many members register at once, every one picking the same
shirt size of which only a few are left. Each reads the stock before the lock (as the page
does) while the shirts are all still there, and only then do they all register at once: the
engine decides again under the event's lock (`answers_check`), so exactly the stock's number
hold it, never more, and the rest are refused beside the question with nothing written. The harness is `tests/test_concurrency.py`'s: a thread, an app context, a session and a
real connection per member, released together by a barrier.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from eventsite.accounts.models import User
from eventsite.events import service
from eventsite.events.models import Event, EventKind, Registration
from eventsite.extensions import db
from eventsite.questions import answers
from eventsite.questions.models import Answer, AnswerChoice
from tests.factories import make_event, make_user
from tests.question_factories import make_question
from tests.test_concurrency import (  # noqa: F401 (fixtures used by name)
    THREAD_TIMEOUT,
    LockOrder,
    app_config,
    on_postgres,
    on_sqlite,
    one_password_hash,
    run_together,
)


def answering_job(
    lock_order: LockOrder, app, read: threading.Barrier, event_id: int, user_id: int, sent
):
    def job():
        lock_order.acting_for(user_id)
        with app.test_request_context():
            event, user = db.session.get(Event, event_id), db.session.get(User, user_id)
            asked = answers.on_form(event, user, sent)
            # End the read (on SQLite it holds the write lock) and wait until everyone has read.
            db.session.rollback()
            read.wait(timeout=THREAD_TIMEOUT)
            if not asked.ok:
                return "refused before the lock"
            event, user = db.session.get(Event, event_id), db.session.get(User, user_id)
            try:
                registration = service.register(event, user, answers_check=asked.check_stock)
                asked.save(registration)
            except service.RegistrationError as refusal:
                db.session.rollback()
                assert asked.shows(refusal)
                return "refused under the lock"
            db.session.commit()
            return "registered"

    return job


def shirt_rush(app, monkeypatch, *, members: int, stock: int) -> None:
    organizer = make_user(roles=["organizer"])
    event = make_event(
        organizer=organizer, kind=EventKind.GENERAL, title="快递小哥关爱日",
        starts_in=timedelta(days=3),
    )  # fmt: skip
    shirt = make_question(
        event, "single_choice", "T恤尺码", choices=[("XL", stock), "M"], required=True
    )
    event_id, question_id, xl = event.id, shirt.id, shirt.choices[0].id
    user_ids = [make_user().id for _ in range(members)]
    db.session.commit()
    lock_order = LockOrder(monkeypatch)
    sent = MultiDict([(f"q-{question_id}", str(xl))])
    read = threading.Barrier(members)

    outcomes = run_together(
        app, [answering_job(lock_order, app, read, event_id, uid, sent) for uid in user_ids]
    )

    db.session.expire_all()
    holders = db.session.scalars(
        sa.select(Registration.user_id)
        .join(Answer, Answer.registration_id == Registration.id)
        .join(AnswerChoice, AnswerChoice.answer_id == Answer.id)
        .where(AnswerChoice.choice_id == xl)
    ).all()
    assert len(holders) == stock
    assert outcomes.count("registered") == stock
    # Every member saw a shirt left; the lock alone turned the latecomers away.
    assert outcomes.count("refused under the lock") == members - stock
    # Nobody refused left a registration or an answer behind.
    registered = db.session.scalars(
        sa.select(Registration.user_id).where(Registration.event_id == event_id)
    ).all()
    assert sorted(registered) == sorted(holders)
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == stock
    # The first `stock` to take the lock are the ones holding it.
    assert set(holders) == set(lock_order.members[:stock])


@on_postgres
def test_thirty_members_rush_five_shirts_on_postgres(app, monkeypatch):
    shirt_rush(app, monkeypatch, members=30, stock=5)


@on_sqlite
def test_twenty_members_rush_five_shirts_on_sqlite(app, monkeypatch):
    shirt_rush(app, monkeypatch, members=20, stock=5)
