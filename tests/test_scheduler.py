"""The scheduler: its jobs' configuration, the job store, the reloader guard, and the commands.

`flask scheduler run` is run for real in a child process (ticking every second against the
test's database) and stopped with Ctrl-C; nothing else here starts threads for long.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from eventsite import create_app, scheduler
from eventsite.core.models import Notification, SentNotice
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import queue_sms
from tests.conftest import base_config
from tests.factories import make_event, make_registration, make_user

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


@pytest.fixture
def app_config():
    return {"TIMEZONE": "Asia/Urumqi", "SCHEDULER_TICK_SECONDS": 30}


@pytest.fixture(autouse=True)
def keep_scheduler_app(monkeypatch):
    """Whatever a test starts, the module-level app reference is put back afterwards."""
    monkeypatch.setattr(scheduler, "_app", None)


def jobs_of(sched) -> dict:
    return {job.id: job for job in sched.get_jobs()}


def test_jobs_have_ids_triggers_with_the_zone_and_misfire_settings(app):
    sched = scheduler.build_scheduler(app)
    assert isinstance(sched, BackgroundScheduler)
    jobs = jobs_of(sched)
    assert set(jobs) == {"notices", "mail", "sms"}
    expected = {
        "notices": ("eventsite.scheduler:notices_job", 30),
        "mail": ("eventsite.scheduler:mail_job", 60),
        "sms": ("eventsite.scheduler:sms_job", 10),
    }
    for job_id, (func_ref, seconds) in expected.items():
        job = jobs[job_id]
        assert job.func_ref == func_ref
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.timezone == ZoneInfo("Asia/Urumqi")
        assert job.trigger.interval == timedelta(seconds=seconds)
        assert job.misfire_grace_time == seconds
        assert job.coalesce is True
        assert job.max_instances == 1
    # Every pending job is added with replace_existing (APScheduler keeps the flag beside it).
    assert [(job.id, replace) for job, _store, replace in sched._pending_jobs] == [
        ("notices", True),
        ("mail", True),
        ("sms", True),
    ]
    assert sched.timezone == ZoneInfo("Asia/Urumqi")
    assert isinstance(scheduler.build_scheduler(app, blocking=True), BlockingScheduler)


def test_the_job_store_keeps_jobs_across_restarts_without_duplicates(app, tmp_path):
    app.config["SCHEDULER_JOBSTORE_URL"] = f"sqlite:///{tmp_path / 'jobs.db'}"
    # A job a former version stored and this one no longer has.
    former = BackgroundScheduler(
        jobstores={"default": scheduler.make_jobstore(app.config["SCHEDULER_JOBSTORE_URL"])}
    )
    former.add_job("eventsite.scheduler:mail_job", "interval", minutes=5, id="retired")
    former.start(paused=True)
    former.shutdown(wait=False)

    for _restart in range(2):
        sched = scheduler.build_scheduler(app)
        sched.start(paused=True)  # raises ConflictingIdError without replace_existing
        try:
            jobs = jobs_of(sched)
            assert set(jobs) == {"notices", "mail", "sms"}
            # Read back from the store: the trigger kept its zone and the job its settings.
            assert jobs["notices"].trigger.timezone == ZoneInfo("Asia/Urumqi")
            assert jobs["notices"].misfire_grace_time == 30 and jobs["notices"].coalesce
        finally:
            sched.shutdown(wait=False)
    engine = sa.create_engine(app.config["SCHEDULER_JOBSTORE_URL"])
    with engine.connect() as conn:
        ids = sorted(conn.exec_driver_sql(f"SELECT id FROM {scheduler.JOBSTORE_TABLE}").scalars())
    engine.dispose()
    assert ids == ["mail", "notices", "sms"]


def test_apschedulers_table_is_not_ours_and_migrations_ignore_it(app, database_uri):
    """With the job store in the app's own database, autogenerate still finds nothing to drop."""
    assert scheduler.JOBSTORE_TABLE not in db.metadata.tables
    app.config["SCHEDULER_JOBSTORE_URL"] = database_uri
    sched = scheduler.build_scheduler(app)
    sched.start(paused=True)
    sched.shutdown(wait=False)
    try:
        with db.engine.connect() as conn:
            assert scheduler.JOBSTORE_TABLE in sa.inspect(conn).get_table_names()
            unfiltered = compare_metadata(MigrationContext.configure(conn), db.metadata)
            options = {"include_name": app.extensions["migrate"].configure_args["include_name"]}
            filtered = compare_metadata(MigrationContext.configure(conn, opts=options), db.metadata)
        assert any(scheduler.JOBSTORE_TABLE in str(diff) for diff in unfiltered)
        assert not any(scheduler.JOBSTORE_TABLE in str(diff) for diff in filtered)
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {scheduler.JOBSTORE_TABLE}")


# --- who runs jobs in process -----------------------------------------------------------------


def dev_app(database_uri, **settings):
    return create_app({**base_config(database_uri), "SCHEDULER_IN_PROCESS": True, **settings})


def test_the_reloaders_watcher_process_starts_no_scheduler(database_uri, monkeypatch):
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    app = dev_app(database_uri, TESTING=False, DEBUG=True)
    assert app.debug
    assert app.extensions["eventsite.scheduler"] is None
    assert scheduler._app is None


def test_the_reloaders_serving_child_starts_one(database_uri, monkeypatch):
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    app = dev_app(database_uri, TESTING=False, DEBUG=True)
    sched = app.extensions["eventsite.scheduler"]
    try:
        assert isinstance(sched, BackgroundScheduler) and sched.running
        assert set(jobs_of(sched)) == {"notices", "mail", "sms"}
        assert scheduler._app is app
    finally:
        scheduler.stop(app)
    assert not sched.running and app.extensions["eventsite.scheduler"] is None


def test_without_the_reloader_the_dev_server_starts_one(database_uri, monkeypatch):
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    app = dev_app(database_uri, TESTING=False, DEBUG=False)
    sched = app.extensions["eventsite.scheduler"]
    try:
        assert sched is not None and sched.running
    finally:
        scheduler.stop(app)


def test_a_production_web_worker_never_starts_one(database_uri, monkeypatch):
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    app = dev_app(database_uri, TESTING=False, DEBUG=False, ENV_NAME="production")
    assert app.extensions["eventsite.scheduler"] is None


@pytest.mark.parametrize(
    "settings",
    [
        {"TESTING": True, "DEBUG": False},  # tests never run jobs
        {"TESTING": False, "DEBUG": False, "SCHEDULER_IN_PROCESS": False},  # gunicorn workers
    ],
)
def test_tests_and_web_workers_start_none(database_uri, monkeypatch, settings):
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    app = dev_app(database_uri, **settings)
    assert app.extensions["eventsite.scheduler"] is None
    assert scheduler._app is None


# --- commands ---------------------------------------------------------------------------------


def test_tick_runs_every_job_once(app, runner, clock):
    member = make_user()
    organizer = make_user(roles=["organizer"])
    event = make_event(
        organizer=organizer,
        starts_in=timedelta(hours=20),
        registration_closes_at=clock.now + timedelta(hours=2),
    )
    make_registration(event, member)
    db.session.commit()
    result = runner.invoke(args=["scheduler", "tick"])
    assert result.exit_code == 0, result.output
    assert "notices: 1 event reminders, 1 registration-closing notices" in result.output
    again = runner.invoke(args=["scheduler", "tick"])
    assert "notices: 0 event reminders, 0 registration-closing notices" in again.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(SentNotice.id))) == 2


def test_tick_sends_the_sms_queue(app, runner, clock):
    queue_sms("13800000001", SmsKind.CODE, {"code": "493817", "minutes": "10"})
    db.session.commit()
    result = runner.invoke(args=["scheduler", "tick"])
    assert result.exit_code == 0, result.output
    assert "sms (outbox): 1 sent, 0 to retry, 0 failed" in result.output
    again = runner.invoke(args=["scheduler", "tick"])
    assert "sms (outbox): 0 sent, 0 to retry, 0 failed" in again.output
    db.session.expire_all()
    message = db.session.scalars(sa.select(SmsMessage)).one()
    assert (message.status, message.attempts) == ("sent", 1)


def test_scheduler_run_ticks_in_the_foreground_and_stops_on_ctrl_c(app, database_uri, tmp_path):
    """The production command, for real: due reminders go out within seconds, Ctrl-C stops it."""
    now = datetime.now(UTC)
    member = make_user()
    event = make_event(
        starts_at=now + timedelta(hours=5),
        registration_opens_at=now - timedelta(days=2),
        registration_closes_at=now - timedelta(hours=1),
    )
    make_registration(event, member)
    db.session.commit()

    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "SCHEDULER_JOBSTORE_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
        "SCHEDULER_TICK_SECONDS": "1",
        "SECRET_KEY": "test-secret",
        "EVENTSITE_INSTANCE_PATH": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SCHEDULER_IN_PROCESS", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Started as a shell script's background job is: ignoring SIGINT, which a child
        # inherits. Ctrl-C must stop it all the same.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    watcher = sa.create_engine(database_uri)
    try:
        deadline = time.monotonic() + 30
        sent = 0
        while time.monotonic() < deadline and not sent and child.poll() is None:
            time.sleep(0.3)
            with watcher.connect() as conn:
                sent = conn.scalar(sa.select(sa.func.count()).select_from(SentNotice.__table__))
        time.sleep(2.5)  # two more ticks: they must not send it again
        child.send_signal(signal.SIGINT)
        output, _ = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
        with watcher.connect() as conn:
            notes = conn.scalar(
                sa.select(sa.func.count())
                .select_from(Notification.__table__)
                .where(Notification.__table__.c.user_id == member.id)
            )
        watcher.dispose()
    assert sent == 1, output
    assert notes == 1, output
    assert child.returncode == 0, output
    assert "Scheduled notices" in output and "Scheduled mail" in output
    assert "Sent 1 event reminders" in output
    assert output.rstrip().endswith("Scheduler stopped."), output
