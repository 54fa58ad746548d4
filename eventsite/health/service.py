"""Writing the scheduler's heartbeat and reading the facts the health checks judge."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from eventsite.core.models import OutboundEmail
from eventsite.core.notifications import MAX_ATTEMPTS as MAIL_MAX_ATTEMPTS
from eventsite.extensions import db
from eventsite.health import rules
from eventsite.health.models import SchedulerHeartbeat
from eventsite.outbox import rules as outbox_rules
from eventsite.outbox.models import OutboxHold
from eventsite.sms.models import SmsMessage, SmsStatus

log = logging.getLogger(__name__)

#: The SMS_BACKEND that keeps texts in the outbox instead of sending them.
OUTBOX_BACKEND = "outbox"


def _upsert(values: dict, update: list[str]) -> None:
    """Insert the job's heartbeat row, or update `update` of it when it exists (two schedulers
    writing the same row at once never fail on each other's insert)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SchedulerHeartbeat).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[SchedulerHeartbeat.job_id],
        set_={name: statement.excluded[name] for name in update},
    )
    db.session.execute(statement)


def _beat(job_id: str, values: dict, update: list[str]) -> None:
    """Write one heartbeat in its own short transaction; a failure is logged, never raised, so
    the heartbeat never fails the job. Whatever the job left uncommitted is rolled back first,
    as the end of its app context would have done."""
    try:
        db.session.rollback()
        _upsert(
            {"job_id": job_id, "host": socket.gethostname()[:255], "pid": os.getpid(), **values},
            update,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("could not record the heartbeat of job %s", job_id, exc_info=True)


def record_start(job_id: str, started_at: datetime) -> None:
    """A run of `job_id` began at `started_at` in this process."""
    _beat(job_id, {"last_started_at": started_at}, ["last_started_at", "host", "pid"])


def record_finish(job_id: str, started_at: datetime, finished_at: datetime, outcome: str) -> None:
    """The run of `job_id` that began at `started_at` ended at `finished_at` with `outcome`."""
    _beat(
        job_id,
        {"last_started_at": started_at, "last_finished_at": finished_at, "last_outcome": outcome},
        ["last_finished_at", "last_outcome"],
    )


def thresholds(config) -> rules.Thresholds:
    """The checks' thresholds from the app's settings."""
    return rules.Thresholds(
        scheduler=timedelta(seconds=config["SCHEDULER_STALE_SECONDS"]),
        mail=timedelta(seconds=config["MAIL_STALE_SECONDS"]),
    )


def read_facts(now: datetime, config) -> rules.HealthFacts:
    """Read what the checks judge, four small queries; a database that does not answer is a
    fact too (needs app context)."""
    mail_enabled = bool(config.get("MAIL_SERVER"))
    backend = config.get("SMS_BACKEND") or OUTBOX_BACKEND
    provider = None if backend == OUTBOX_BACKEND else backend
    try:
        heartbeats = db.session.scalars(
            sa.select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.job_id)
        ).all()
        oldest_mail = (
            db.session.scalar(
                sa.select(sa.func.min(OutboundEmail.created_at)).where(
                    OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < MAIL_MAX_ATTEMPTS
                )
            )
            if mail_enabled
            else None
        )
        oldest_sms = (
            db.session.scalar(
                sa.select(sa.func.min(SmsMessage.send_after)).where(
                    SmsMessage.status == SmsStatus.QUEUED, SmsMessage.send_after <= now
                )
            )
            if provider
            else None
        )
        hold = db.session.execute(
            sa.select(OutboxHold.held_since, OutboxHold.released_at, OutboxHold.hold_reason)
        ).first()
        db.session.rollback()  # end the read: a monitoring request holds no transaction open
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        cause = getattr(error, "orig", None) or error
        return rules.HealthFacts(
            now=now,
            database_error=type(cause).__name__,
            mail_enabled=mail_enabled,
            sms_provider=provider,
        )
    held = hold is not None and outbox_rules.is_held(hold.held_since, hold.released_at)
    return rules.HealthFacts(
        now=now,
        job_runs=tuple(
            rules.JobRun(
                job_id=beat.job_id,
                started_at=beat.last_started_at,
                finished_at=beat.last_finished_at,
                outcome=beat.last_outcome,
                host=beat.host,
                pid=beat.pid,
            )
            for beat in heartbeats
        ),
        mail_enabled=mail_enabled,
        oldest_unsent_mail_at=oldest_mail,
        sms_provider=provider,
        oldest_due_sms_at=oldest_sms,
        outbox_held_since=hold.held_since if held else None,
        outbox_hold_reason=hold.hold_reason if held else None,
    )


def check_health(now: datetime, config) -> tuple[rules.HealthFacts, list[rules.CheckResult]]:
    """The facts read at `now` and every check's result on them."""
    facts = read_facts(now, config)
    return facts, rules.run_checks(facts, thresholds(config))


def report(facts: rules.HealthFacts, results: list[rules.CheckResult]) -> dict:
    """The health as `/status` answers it in JSON: overall status, each check, each job's last
    run (no member's data)."""

    def moment(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value is not None else None

    return {
        "status": "ok" if rules.all_ok(results) else "failing",
        "checked_at": moment(facts.now),
        "checks": {
            result.name: {"status": result.status, "reason": result.reason} for result in results
        },
        "jobs": [
            {
                "job": run.job_id,
                "last_started_at": moment(run.started_at),
                "last_finished_at": moment(run.finished_at),
                "last_outcome": run.outcome,
                "host": run.host,
                "pid": run.pid,
            }
            for run in facts.job_runs
        ],
    }
