"""Two saves of the same score sheet from the same loaded version, at the same instant.

Each save runs in its own thread, app context, session, connection and transaction, as two web
workers would (two tabs, or a tablet and a phone). The database decides: the sheet row is
updated only WHERE version = the loaded version (a new sheet is inserted under a unique
constraint), so exactly one save wins, the other is refused as stale, and the audit log shows
one change. Runs on SQLite by default and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from eventsite.accounts.models import User
from eventsite.competitions import service
from eventsite.competitions.models import Round, ScoreSheet, SheetChange
from eventsite.core.models import AuditEntry
from eventsite.events.models import Registration
from eventsite.extensions import db
from tests.competition_factories import make_contest, make_sheet
from tests.conftest import ON_POSTGRES

THREAD_TIMEOUT = 60


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 5, "pool_timeout": THREAD_TIMEOUT}}


def save_job(round_id, judge_id, registration_id, loaded_version, first, second):
    def job():
        round_ = db.session.get(Round, round_id)
        judge = db.session.get(User, judge_id)
        registration = db.session.get(Registration, registration_id)
        values = {round_.criteria[0].id: Decimal(first), round_.criteria[1].id: Decimal(second)}
        try:
            service.save_sheet(
                round_,
                judge,
                registration,
                judge,
                loaded_version=loaded_version,
                values=values,
                comment="",
            )
        except service.StaleSheet as refused:
            db.session.rollback()
            return ("stale", refused.sheet.version)
        return ("saved", None)

    return job


def run_together(app, jobs):
    """Each job in its own thread, app context and transaction, all released at once; each
    commits when its job returns."""
    barrier = threading.Barrier(len(jobs))
    return _run_in_threads(app, jobs, lambda: barrier.wait(timeout=THREAD_TIMEOUT))


def _run_in_threads(app, jobs, start):
    results = [None] * len(jobs)
    errors = []

    def worker(index, job):
        with app.app_context():
            try:
                start()
                results[index] = job()
                db.session.commit()
            except BaseException as exc:  # reported in the test's own thread
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


@pytest.mark.parametrize("attempt", range(3))
def test_two_saves_from_the_same_version_one_wins(app, attempt):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    make_sheet(contest, judge, contestant, ["5", "10"], submitted=False)
    ids = (contest.round.id, judge.id, contestant.id)
    criteria = [c.id for c in contest.criteria]
    # Commit and touch nothing after: on SQLite a read here would hold the write lock.
    db.session.commit()

    results = run_together(app, [save_job(*ids, 1, "6", "10"), save_job(*ids, 1, "9", "19")])

    outcomes = sorted(outcome for outcome, _ in results)
    assert outcomes == ["saved", "stale"]
    winner = 0 if results[0][0] == "saved" else 1
    assert results[1 - winner][1] == 2  # the refused save is shown the winner's version
    db.session.rollback()
    sheet = db.session.scalar(sa.select(ScoreSheet))
    expected = {0: ("6", "10"), 1: ("9", "19")}[winner]
    assert sheet.version == 2
    assert [sheet.values[c] for c in criteria] == [Decimal(v) for v in expected]
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "sheet.save")).all()
    assert len(audit) == 1
    changes = db.session.scalars(sa.select(SheetChange)).all()
    assert {(c.old_value, c.new_value) for c in changes} <= {("5", "6"), ("5", "9"), ("10", "19")}
    assert len(changes) == (1 if winner == 0 else 2)


def test_two_first_saves_of_a_new_sheet_one_wins(app):
    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    ids = (contest.round.id, judge.id, contestant.id)
    db.session.commit()

    results = run_together(app, [save_job(*ids, 0, "6", "10"), save_job(*ids, 0, "9", "19")])

    assert sorted(outcome for outcome, _ in results) == ["saved", "stale"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 1
    assert db.session.scalar(sa.select(ScoreSheet.version)) == 1
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "sheet.save")).all()
    assert len(audit) == 1


def run_apart(app, jobs):
    """Each job in its own thread, app context and transaction (no barrier: the jobs order
    themselves with events); each commits when its job returns."""
    return _run_in_threads(app, jobs, lambda: None)


#: The event's shared lock is PostgreSQL's (FOR SHARE); SQLite serialises every write transaction.
postgres_only = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="row locks are PostgreSQL's; SQLite serialises every write transaction",
)


@postgres_only
def test_two_judges_saving_different_sheets_do_not_wait_for_each_other(app):
    """A save holds the event's lock in share mode: a second judge's save of another sheet
    goes through while the first judge's transaction is still open."""
    contest = make_contest()
    first, second = contest.judges[0], contest.judges[1]
    contestant = contest.everyone()[0]
    round_id = contest.round.id
    db.session.commit()
    first_saved, second_done = threading.Event(), threading.Event()
    save_first = save_job(round_id, first.id, contestant.id, 0, "6", "10")
    save_second = save_job(round_id, second.id, contestant.id, 0, "7", "12")

    def first_judge():
        outcome = save_first()
        first_saved.set()
        # Still inside the first save's transaction: the second save must finish meanwhile.
        return outcome, second_done.wait(timeout=10)

    def second_judge():
        first_saved.wait(timeout=THREAD_TIMEOUT)
        outcome = save_second()
        db.session.commit()
        second_done.set()
        return outcome

    (first_outcome, overlapped), second_outcome = run_apart(app, [first_judge, second_judge])
    assert (first_outcome, second_outcome) == (("saved", None), ("saved", None))
    assert overlapped, "the second judge's save waited for the first judge's transaction"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 2


@postgres_only
def test_a_save_waits_for_a_publication_in_progress_and_is_refused(app):
    """A publication holds the event's lock while it reads the sheets: a save that comes
    meanwhile waits for it and then sees the results published, so nothing is written after
    the ranking was read."""
    from eventsite.core.time import utcnow
    from eventsite.events.service import lock_event

    contest = make_contest()
    judge, contestant = contest.judges[0], contest.everyone()[0]
    make_sheet(contest, judge, contestant, ["5", "10"], submitted=False)
    round_id, event_id = contest.round.id, contest.event.id
    db.session.commit()
    locked = threading.Event()

    def publication():
        lock_event(event_id)
        db.session.get(Round, round_id).published_at = utcnow()
        db.session.flush()
        locked.set()
        time.sleep(0.5)  # the ranking being read; the save below must wait for it

    def late_save():
        locked.wait(timeout=THREAD_TIMEOUT)
        started = time.monotonic()
        try:
            save_job(round_id, judge.id, contestant.id, 1, "6", "10")()
        except service.CompetitionError as refused:
            return "refused", refused.message, time.monotonic() - started
        return "saved", "", time.monotonic() - started

    _published, (outcome, message, waited) = run_apart(app, [publication, late_save])
    assert outcome == "refused"
    assert "published" in message or "公布" in message or "公示" in message, message
    assert waited >= 0.3
    db.session.rollback()
    sheet = db.session.scalar(sa.select(ScoreSheet))
    assert (sheet.version, sorted(sheet.values.values())) == (1, [Decimal(5), Decimal(10)])
