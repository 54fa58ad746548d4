"""Two saves of the same score sheet from the same loaded version, at the same instant.

Each save runs in its own thread, app context, session, connection and transaction, as two web
workers would (two tabs, or a tablet and a phone). The database decides: the sheet row is
updated only WHERE version = the loaded version (a new sheet is inserted under a unique
constraint), so exactly one save wins, the other is refused as stale, and the audit log shows
one change. Runs on SQLite by default and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import threading
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
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)
    errors = []

    def worker(index, job):
        with app.app_context():
            try:
                barrier.wait(timeout=THREAD_TIMEOUT)
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
