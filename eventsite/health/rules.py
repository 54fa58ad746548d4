"""The named health checks: pure functions from the facts (read from the database, and the
clock) and the thresholds to one result each, ok or failing with a reason an operator reads.

`CHECKS` lists them in the order `/status` and `flask scheduler status` report them; a new check
is one more function here, with its facts added to `HealthFacts`. Reasons are in English: they
are for the operator's monitoring and shell, like the CLI's other output.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


class JobOutcome(enum.StrEnum):
    """How a scheduler job's run ended, as its heartbeat records it."""

    OK = "ok"
    #: The run raised (its log has the traceback).
    ERROR = "error"


@dataclass(frozen=True)
class JobRun:
    """What a job's heartbeat row says about its last run."""

    job_id: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    host: str
    pid: int

    @property
    def last_seen(self) -> datetime:
        """The latest sign of life of this job: its last start or, when later, its last end."""
        if self.finished_at is not None and self.finished_at > self.started_at:
            return self.finished_at
        return self.started_at


@dataclass(frozen=True)
class HealthFacts:
    """Everything the checks look at, read in one go at `now`."""

    now: datetime
    #: Why the database did not answer (the error's class name); None when it answered. When
    #: set, the facts below were not read and every check that needs them says so.
    database_error: str | None = None
    #: One entry per scheduler job that ever ran.
    job_runs: tuple[JobRun, ...] = ()
    #: MAIL_SERVER is set: the outbox is meant to leave by SMTP.
    mail_enabled: bool = False
    #: When the oldest mail still to send (unsent, attempts left) was queued; None: none waits.
    oldest_unsent_mail_at: datetime | None = None
    #: The SMS provider SMS_BACKEND names ("tencent", "aliyun"); None: texts stay in the outbox.
    sms_provider: str | None = None
    #: Since when the longest-waiting due text (queued, `send_after` passed) has been due.
    oldest_due_sms_at: datetime | None = None
    #: Since when outgoing mail and SMS are held (a restored or copied database, or an operator's
    #: `flask outbox hold`) and why; None: not held.
    outbox_held_since: datetime | None = None
    outbox_hold_reason: str | None = None


@dataclass(frozen=True)
class Thresholds:
    """How old each waiting thing may get before its check fails."""

    #: SCHEDULER_STALE_SECONDS: the newest job run may be this old.
    scheduler: timedelta = timedelta(seconds=120)
    #: MAIL_STALE_SECONDS: the oldest unsent mail may have waited this long.
    mail: timedelta = timedelta(seconds=300)
    #: A due text may have waited this long (the sms job runs every 10 seconds).
    sms: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    reason: str

    @property
    def status(self) -> str:
        return "ok" if self.ok else "failing"


Check = Callable[[HealthFacts, Thresholds], CheckResult]


def describe_age(age: timedelta) -> str:
    """A waiting time as an operator reads it: "45 s", "7 min", "3 h", "2 d" (rounded down;
    a moment in the future, another host's clock being ahead, is "0 s")."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _unread(name: str, facts: HealthFacts) -> CheckResult:
    return CheckResult(
        name, False, f"not checked: the database does not answer ({facts.database_error})"
    )


def database_check(facts: HealthFacts, thresholds: Thresholds) -> CheckResult:
    """The database is ok when it answered the reads of the other checks."""
    if facts.database_error is not None:
        return CheckResult(
            "database", False, f"the database does not answer ({facts.database_error})"
        )
    return CheckResult("database", True, "the database answers")


def scheduler_check(facts: HealthFacts, thresholds: Thresholds) -> CheckResult:
    """The scheduler fails when no job ever ran or the newest run (start or end) is older than
    the scheduler threshold."""
    if facts.database_error is not None:
        return _unread("scheduler", facts)
    if not facts.job_runs:
        return CheckResult("scheduler", False, "no scheduler job has ever run")
    newest = max(facts.job_runs, key=lambda run: run.last_seen)
    age = facts.now - newest.last_seen
    where = f"{newest.job_id} on {newest.host}, pid {newest.pid}"
    failed = sorted(run.job_id for run in facts.job_runs if run.outcome == JobOutcome.ERROR)
    note = f"; the last run of {', '.join(failed)} failed (see its log)" if failed else ""
    if age > thresholds.scheduler:
        return CheckResult(
            "scheduler",
            False,
            f"no job has run for {describe_age(age)} (limit {describe_age(thresholds.scheduler)};"
            f" last: {where}){note}",
        )
    return CheckResult("scheduler", True, f"last job run {describe_age(age)} ago ({where}){note}")


def mail_check(facts: HealthFacts, thresholds: Thresholds) -> CheckResult:
    """Mail fails when MAIL_SERVER is set and the oldest unsent mail with attempts left has
    waited longer than the mail threshold."""
    if not facts.mail_enabled:
        return CheckResult("mail", True, "MAIL_SERVER not set: mail stays in the outbox")
    if facts.database_error is not None:
        return _unread("mail", facts)
    if facts.oldest_unsent_mail_at is None:
        return CheckResult("mail", True, "no mail waiting")
    age = facts.now - facts.oldest_unsent_mail_at
    if age > thresholds.mail:
        return CheckResult(
            "mail",
            False,
            f"the oldest unsent mail has waited {describe_age(age)}"
            f" (limit {describe_age(thresholds.mail)})",
        )
    return CheckResult("mail", True, f"the oldest unsent mail has waited {describe_age(age)}")


def sms_check(facts: HealthFacts, thresholds: Thresholds) -> CheckResult:
    """SMS fails when SMS_BACKEND is a provider and a queued text has been due for longer than
    the SMS threshold."""
    if facts.sms_provider is None:
        return CheckResult("sms", True, "SMS_BACKEND is outbox: texts stay in the outbox")
    if facts.database_error is not None:
        return _unread("sms", facts)
    if facts.oldest_due_sms_at is None:
        return CheckResult("sms", True, f"no text waiting for {facts.sms_provider}")
    age = facts.now - facts.oldest_due_sms_at
    if age > thresholds.sms:
        return CheckResult(
            "sms",
            False,
            f"a due text has waited {describe_age(age)} for {facts.sms_provider}"
            f" (limit {describe_age(thresholds.sms)})",
        )
    return CheckResult("sms", True, f"the longest-waiting due text has waited {describe_age(age)}")


def outbox_check(facts: HealthFacts, thresholds: Thresholds) -> CheckResult:
    """The outbox fails while it is held: nothing leaves until an operator releases or discards
    what is held (/admin/outbox/hold, `flask outbox release`), so monitoring must say so."""
    if facts.database_error is not None:
        return _unread("outbox", facts)
    if facts.outbox_held_since is None:
        return CheckResult("outbox", True, "not held")
    age = facts.now - facts.outbox_held_since
    why = f" ({facts.outbox_hold_reason})" if facts.outbox_hold_reason else ""
    return CheckResult(
        "outbox",
        False,
        f"mail and SMS held for {describe_age(age)}{why}: review at /admin/outbox/hold, then"
        " flask outbox release [--discard]",
    )


#: Every check, in the order they are reported.
CHECKS: tuple[Check, ...] = (database_check, scheduler_check, mail_check, sms_check, outbox_check)


def run_checks(
    facts: HealthFacts, thresholds: Thresholds, checks: tuple[Check, ...] = CHECKS
) -> list[CheckResult]:
    """Each check's result, in the order of `checks`."""
    return [check(facts, thresholds) for check in checks]


def all_ok(results: list[CheckResult]) -> bool:
    """Healthy when every check is ok (no checks at all: nothing is known, so not healthy)."""
    return bool(results) and all(result.ok for result in results)
