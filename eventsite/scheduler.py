"""APScheduler setup, the job registry, `flask scheduler run` and `flask scheduler tick`.

Exactly one process runs jobs: `flask scheduler run` in production, or, for development, a
background scheduler that `make run` starts inside the dev server (SCHEDULER_IN_PROCESS=1),
guarded so Werkzeug's reloader never starts two. Web workers never run jobs.

Every job run first compares the database's identity with the one it recorded
(`outbox.service.check_identity`): on a restored or copied database it holds outgoing mail and
SMS until an operator releases them, so the lost hours' messages are not sent a second time.

Jobs only notify (and purge what retention ended); what is due is derived from data and the
clock, and every notice leaves a sent-marker (`events.reminders`, `mixers.jobs`), so a restart, a
missed tick or a second scheduler never sends anything twice. Jobs live in APScheduler's own
table (`apscheduler_jobs`, created by APScheduler in SCHEDULER_JOBSTORE_URL, not by our
migrations) under explicit ids, replaced at every start.

Every job run writes its heartbeat (`health.models.SchedulerHeartbeat`: when it started and
ended, how, where) in its own short transactions; `flask scheduler status` and `/status` fail
when the newest run is older than SCHEDULER_STALE_SECONDS.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext

from eventsite.config import engine_options
from eventsite.core.notifications import deliver_outbox
from eventsite.core.time import utcnow
from eventsite.events import offers, reminders
from eventsite.events.models import Event
from eventsite.extensions import db
from eventsite.feedback import service as feedback
from eventsite.health import rules as health_rules
from eventsite.health import service as health
from eventsite.mixers import jobs as mixer_jobs
from eventsite.outbox import rules as hold_rules
from eventsite.outbox import service as hold
from eventsite.questions import answers as question_answers
from eventsite.sms import sending as sms_sending

log = logging.getLogger(__name__)

#: APScheduler's own table; our metadata and migrations leave it alone (see `include_name`).
JOBSTORE_TABLE = "apscheduler_jobs"
#: The mail job's period: queued mail leaves within a minute of its commit.
MAIL_INTERVAL_SECONDS = 60

#: The app whose context every job body runs in; set by `start()`.
_app: Flask | None = None


@dataclass(frozen=True)
class JobSpec:
    """One periodic job: its id, the textual reference the job store keeps, its period."""

    id: str
    func: str
    name: str
    seconds: int


def job_specs(app: Flask) -> list[JobSpec]:
    """Every job this app schedules."""
    return [
        JobSpec(
            "notices",
            "eventsite.scheduler:notices_job",
            "Event reminders, registration-closing notices, lapsed offers, feedback survey "
            "notices, mixer exchange notices and purge",
            app.config["SCHEDULER_TICK_SECONDS"],
        ),
        JobSpec(
            "mail", "eventsite.scheduler:mail_job", "Send the mail outbox", MAIL_INTERVAL_SECONDS
        ),
        JobSpec(
            "sms", "eventsite.scheduler:sms_job", "Send the SMS queue", sms_sending.INTERVAL_SECONDS
        ),
    ]


def include_name(name, type_, parent_names) -> bool:
    """Alembic filter: autogenerate and the migrations check ignore APScheduler's table."""
    return not (type_ == "table" and name == JOBSTORE_TABLE)


# --- job bodies -------------------------------------------------------------------------------


def outbox_held_since(now: datetime | None = None) -> datetime | None:
    """Check the database's identity (entering the hold on a restored one), commit, and return
    when the lasting hold began, or None when nothing is held (needs app context)."""
    hold.check_identity(now)
    since = hold.held_since()
    db.session.commit()
    return since


@dataclass
class NoticeTally:
    reminders: int = 0
    closing_notices: int = 0
    #: Offered places passed on to the next in line, their deadline having come unanswered.
    lapsed_offers: int = 0
    #: Attendees told an event's feedback survey is open (`feedback.service.send_notice`).
    feedback_notices: int = 0
    #: The 鹊桥 exchange's notices and retention purge (`mixers.jobs`).
    mixers: mixer_jobs.MixerTickTally = dataclasses.field(default_factory=mixer_jobs.MixerTickTally)
    #: Answers to sensitive registration questions deleted, their retention period over.
    sensitive_answers: int = 0


def run_notices(now: datetime | None = None) -> NoticeTally:
    """Send every due reminder and closing notice and pass on every lapsed offer, committing once
    per event (needs app context)."""
    now = now or utcnow()
    # While held, what the notices queue waits with the rest for the operator.
    outbox_held_since(now)
    tally = NoticeTally()
    batches = [
        (reminders.events_due_reminder, reminders.send_event_reminder, "reminders"),
        (
            reminders.events_with_sessions_due_reminder,
            reminders.send_session_reminders,
            "reminders",
        ),
        (reminders.events_due_closing_notice, reminders.send_closing_notice, "closing_notices"),
        (offers.events_with_lapsed_offers, offers.lapse_offers, "lapsed_offers"),
        (feedback.events_due_notice, feedback.send_notice, "feedback_notices"),
    ]
    for find_due, send, field in batches:
        event_ids = [event.id for event in find_due(now)]
        db.session.commit()  # end the read; each event below is its own transaction
        for event_id in event_ids:
            try:
                event = db.session.get(Event, event_id)
                sent = send(event, now) if event is not None else 0
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("%s for event %s failed; the next tick retries", field, event_id)
                continue
            setattr(tally, field, getattr(tally, field) + sent)
    if tally.reminders or tally.closing_notices or tally.lapsed_offers or tally.feedback_notices:
        log.info(
            "Sent %d event reminders, %d registration-closing notices and %d feedback survey "
            "notices; %d offers lapsed",
            tally.reminders,
            tally.closing_notices,
            tally.feedback_notices,
            tally.lapsed_offers,
        )
    # The mixers' exchange notices and retention purge: one transaction per mixer, like above.
    tally.mixers = mixer_jobs.run_mixer_jobs(now)
    tally.sensitive_answers = purge_sensitive_answers(now)
    return tally


def purge_sensitive_answers(now: datetime) -> int:
    """Delete the sensitive registration answers whose retention ended, in one transaction
    (needs app context); a failure is logged and the next tick tries again."""
    try:
        purged = question_answers.purge_sensitive_answers(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("purging sensitive answers failed; the next tick retries")
        return 0
    if purged:
        log.info("Deleted %d answers to sensitive registration questions", purged)
    return purged


def run_mail() -> int:
    """Send the mail outbox when MAIL_SERVER is set and no hold lasts (needs app context)."""
    if not hold_rules.mail_sendable(outbox_held_since()):
        return 0
    sent = deliver_outbox()
    if sent:
        log.info("Sent %d mails", sent)
    return sent


def run_sms() -> sms_sending.SmsTally:
    """Send the due SMS queue through SMS_BACKEND's gateway; while held, only what
    `outbox.rules.sms_sendable` lets through (needs app context)."""
    since = outbox_held_since()
    tally = sms_sending.deliver_sms(only=hold.sendable_sms(since) if since else None)
    if tally.sent or tally.retried or tally.failed or tally.withdrawn:
        log.info(
            "SMS: %d sent, %d to retry, %d failed, %d withdrawn (no longer true)",
            tally.sent,
            tally.retried,
            tally.failed,
            tally.withdrawn,
        )
    return tally


def run_with_heartbeat(job_id: str, body):
    """Run `body` as a run of the job `job_id`, its start and end written to the heartbeat
    (needs app context); the heartbeat never fails the run, and the run's error still raises."""
    started = utcnow()
    health.record_start(job_id, started)
    try:
        result = body()
    except Exception:
        health.record_finish(job_id, started, utcnow(), health_rules.JobOutcome.ERROR)
        raise
    health.record_finish(job_id, started, utcnow(), health_rules.JobOutcome.OK)
    return result


def _in_app_context(job_id: str, body):
    if _app is None:
        raise RuntimeError("The scheduler was not started with an app (eventsite.scheduler.start)")
    with _app.app_context():
        return run_with_heartbeat(job_id, body)


def notices_job():
    """Scheduled entry point: `run_notices` inside the scheduler's app context."""
    return _in_app_context("notices", run_notices)


def mail_job():
    """Scheduled entry point: `run_mail` inside the scheduler's app context."""
    return _in_app_context("mail", run_mail)


def sms_job():
    """Scheduled entry point: `run_sms` inside the scheduler's app context."""
    return _in_app_context("sms", run_sms)


# --- the scheduler ----------------------------------------------------------------------------


def make_jobstore(url: str, prepared_statements: bool = True):
    """APScheduler's SQLAlchemy job store at `url`; `sqlite://` (in memory) keeps jobs in memory.
    `prepared_statements=False` behind PgBouncer in transaction mode, as for the app's engine."""
    if url in ("sqlite://", "sqlite:///:memory:"):
        return MemoryJobStore()
    options = engine_options(url, prepared_statements)
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}  # wait for the app's writers, don't fail
    return SQLAlchemyJobStore(url=url, tablename=JOBSTORE_TABLE, engine_options=options)


def build_scheduler(app: Flask, *, blocking: bool = False) -> BaseScheduler:
    """A scheduler (not started) with every job of `job_specs` added under its explicit id."""
    zone = ZoneInfo(app.config["TIMEZONE"])
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(
        jobstores={
            "default": make_jobstore(
                app.config["SCHEDULER_JOBSTORE_URL"],
                app.config.get("DATABASE_PREPARED_STATEMENTS", True),
            )
        },
        timezone=zone,
    )
    for spec in job_specs(app):
        scheduler.add_job(
            spec.func,
            trigger=IntervalTrigger(seconds=spec.seconds, timezone=zone),
            id=spec.id,
            name=spec.name,
            replace_existing=True,
            # A run later than one period is dropped: the next one covers the same ground.
            misfire_grace_time=spec.seconds,
            coalesce=True,
            max_instances=1,
        )
    known = {spec.id for spec in job_specs(app)}

    def on_started(_event):
        # Jobs a former version stored and this one no longer has would otherwise run forever.
        for job in scheduler.get_jobs():
            if job.id not in known:
                log.info("Removing job %s no longer scheduled", job.id)
                job.remove()
        for job in scheduler.get_jobs():
            log.info(
                "Scheduled %s (%s): every %s, next at %s",
                job.id,
                job.name,
                job.trigger.interval,
                job.next_run_time,
            )

    scheduler.add_listener(on_started, EVENT_SCHEDULER_STARTED)
    return scheduler


def start(app: Flask, *, blocking: bool = False) -> BaseScheduler:
    """Build and start a scheduler whose jobs run in `app`'s context; blocking runs until stopped."""
    global _app
    _app = app
    scheduler = build_scheduler(app, blocking=blocking)
    if not blocking:
        app.extensions["eventsite.scheduler"] = scheduler
    scheduler.start()
    return scheduler


def runs_in_process(app: Flask) -> bool:
    """Start jobs inside this process? Only when asked, never in tests, once under the reloader.

    Werkzeug's reloader runs the app twice: a watcher (WERKZEUG_RUN_MAIN unset) and the serving
    child (WERKZEUG_RUN_MAIN=true); only the child, or a server without the reloader, runs jobs.
    """
    if not app.config.get("SCHEDULER_IN_PROCESS") or app.config.get("TESTING"):
        return False
    if app.config.get("ENV_NAME") == "production":
        return False  # every gunicorn worker would start one: production runs `scheduler run`
    return os.environ.get("WERKZEUG_RUN_MAIN") == "true" or not app.debug


def init_app(app: Flask) -> None:
    """Start the in-process background scheduler when `runs_in_process` says so."""
    app.extensions["eventsite.scheduler"] = None
    if runs_in_process(app):
        start(app)


def stop(app: Flask) -> None:
    """Stop the app's in-process scheduler, if it has one."""
    scheduler = app.extensions.get("eventsite.scheduler")
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
    app.extensions["eventsite.scheduler"] = None


# --- command line -----------------------------------------------------------------------------

scheduler_cli = click.Group("scheduler", help="Run scheduled notices.")


@scheduler_cli.command("run")
@with_appcontext
def run_command():
    """Run the scheduler in the foreground (the one process that sends scheduled notices)."""
    app = current_app._get_current_object()
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    log.setLevel(logging.INFO)
    stop(app)  # an in-process scheduler from SCHEDULER_IN_PROCESS would be a second one

    def terminate(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminate)
    # Ctrl-C stops it even when it was started from something that ignores SIGINT (a shell
    # script's background job does: the ignoring is inherited, and Python then keeps it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    scheduler = build_scheduler(app, blocking=True)
    global _app
    _app = app
    click.echo("Scheduler running; press Ctrl-C to stop.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
    click.echo("Scheduler stopped.")


@scheduler_cli.command("tick")
@with_appcontext
def tick_command():
    """Run every job once, now (each run writes its heartbeat, as the scheduler's do)."""
    tally = run_with_heartbeat("notices", run_notices)
    sent = run_with_heartbeat("mail", run_mail)
    click.echo(
        f"notices: {tally.reminders} event reminders, {tally.closing_notices} registration-closing "
        f"notices, {tally.feedback_notices} feedback survey notices"
    )
    mixers = tally.mixers
    click.echo(
        f"mixers: {mixers.window_notices} window notices, {mixers.introduction_notices} "
        f"introduction notices, purged {mixers.purged_marks} marks and "
        f"{mixers.purged_requests} requests"
    )
    mail = (
        f"{sent} sent"
        if current_app.config.get("MAIL_SERVER")
        else "MAIL_SERVER not set, kept in the outbox"
    )
    since = hold.held_since()
    if since is not None:
        mail = f"held since {since.isoformat(timespec='seconds')} (see `flask outbox status`)"
    click.echo(f"mail: {mail}")
    sms = run_with_heartbeat("sms", run_sms)
    click.echo(
        f"sms ({current_app.config['SMS_BACKEND']}): {sms.sent} sent, {sms.retried} to retry, "
        f"{sms.failed} failed, {sms.withdrawn} withdrawn"
    )


@scheduler_cli.command("status")
@with_appcontext
def status_command():
    """Print each health check (database, scheduler heartbeat, mail, SMS), one line each; exit 1
    when any fails (for monitoring)."""
    _facts, results = health.check_health(utcnow(), current_app.config)
    width = max(len(result.name) for result in results)
    for result in results:
        click.echo(f"{result.status:<8} {result.name:<{width}}  {result.reason}")
    if not health_rules.all_ok(results):
        sys.exit(1)


__all__ = [
    "JOBSTORE_TABLE",
    "build_scheduler",
    "include_name",
    "init_app",
    "job_specs",
    "mail_job",
    "notices_job",
    "run_mail",
    "run_notices",
    "run_sms",
    "run_with_heartbeat",
    "scheduler_cli",
    "sms_job",
    "start",
    "stop",
]
