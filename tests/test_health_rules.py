"""The health checks as pure functions: every branch, each threshold at its edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eventsite.health import rules
from eventsite.health.rules import CheckResult, HealthFacts, JobRun, Thresholds

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LIMITS = Thresholds()


def run(job_id="mail", *, started=60, finished=None, outcome="ok", host="sched-1", pid=4242):
    """A job run that started `started` seconds before NOW and finished `finished` s before."""
    return JobRun(
        job_id=job_id,
        started_at=NOW - timedelta(seconds=started),
        finished_at=None if finished is None else NOW - timedelta(seconds=finished),
        outcome=outcome,
        host=host,
        pid=pid,
    )


def facts(**given) -> HealthFacts:
    return HealthFacts(now=NOW, **given)


# --- ages as operators read them ------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-30, "0 s"),
        (0, "0 s"),
        (59.9, "59 s"),
        (119, "119 s"),
        (120, "2 min"),
        (7199, "119 min"),
        (7200, "2 h"),
        (2 * 86400 - 1, "47 h"),
        (2 * 86400, "2 d"),
    ],
)
def test_describe_age(seconds, shown):
    assert rules.describe_age(timedelta(seconds=seconds)) == shown


# --- the job run's latest sign of life ----------------------------------------------------------


def test_a_runs_last_sign_of_life_is_its_end_when_it_ended_after_it_started():
    assert run(started=50, finished=10).last_seen == NOW - timedelta(seconds=10)


def test_a_run_still_under_way_is_seen_at_its_start():
    assert run(started=50, finished=None).last_seen == NOW - timedelta(seconds=50)


def test_an_end_from_an_earlier_run_does_not_hide_a_later_start():
    # Started again 20 s ago; the row still holds the previous run's end, 80 s ago.
    assert run(started=20, finished=80).last_seen == NOW - timedelta(seconds=20)


# --- database -------------------------------------------------------------------------------------


def test_database_ok_when_it_answered():
    assert rules.database_check(facts(), LIMITS) == CheckResult(
        "database", True, "the database answers"
    )


def test_database_failing_names_the_error():
    result = rules.database_check(facts(database_error="OperationalError"), LIMITS)
    assert (result.ok, result.status) == (False, "failing")
    assert "OperationalError" in result.reason


# --- scheduler ------------------------------------------------------------------------------------


def test_scheduler_that_never_ran_fails():
    result = rules.scheduler_check(facts(), LIMITS)
    assert result == CheckResult("scheduler", False, "no scheduler job has ever run")


def test_scheduler_ok_names_the_newest_run_and_where_it_ran():
    result = rules.scheduler_check(
        facts(
            job_runs=(
                run("notices", started=100, finished=99),
                run("mail", started=40, finished=35, host="sched-2", pid=7),
            )
        ),
        LIMITS,
    )
    assert result == CheckResult(
        "scheduler", True, "last job run 35 s ago (mail on sched-2, pid 7)"
    )


@pytest.mark.parametrize(("age", "ok"), [(119, True), (120, True), (121, False)])
def test_scheduler_fails_only_beyond_the_threshold(age, ok):
    result = rules.scheduler_check(facts(job_runs=(run(started=age + 5, finished=age),)), LIMITS)
    assert result.ok is ok


def test_a_stale_scheduler_says_how_long_and_who_ran_last():
    result = rules.scheduler_check(
        facts(job_runs=(run("sms", started=400, finished=390, host="sched-1", pid=12),)), LIMITS
    )
    assert result == CheckResult(
        "scheduler", False, "no job has run for 6 min (limit 2 min; last: sms on sched-1, pid 12)"
    )


def test_one_fresh_job_keeps_the_scheduler_ok_though_another_is_old():
    runs = (run("notices", started=3600, finished=3590), run("sms", started=5, finished=4))
    assert rules.scheduler_check(facts(job_runs=runs), LIMITS).ok


def test_a_long_run_under_way_counts_from_its_start():
    # Started 3 min ago and still running: no sign of life within the limit.
    stale = rules.scheduler_check(facts(job_runs=(run(started=180, finished=240),)), LIMITS)
    assert not stale.ok
    fresh = rules.scheduler_check(facts(job_runs=(run(started=30, finished=240),)), LIMITS)
    assert fresh.ok


def test_the_threshold_comes_from_the_settings():
    runs = (run(started=200, finished=200),)
    assert not rules.scheduler_check(facts(job_runs=runs), LIMITS).ok
    assert rules.scheduler_check(
        facts(job_runs=runs), Thresholds(scheduler=timedelta(minutes=5))
    ).ok


def test_failed_runs_are_named_but_do_not_fail_a_ticking_scheduler():
    runs = (run("sms", started=10, finished=9, outcome="error"), run("mail", started=20))
    result = rules.scheduler_check(facts(job_runs=runs), LIMITS)
    assert result.ok
    assert result.reason.endswith("; the last run of sms failed (see its log)")


def test_scheduler_not_checked_without_a_database():
    result = rules.scheduler_check(
        facts(database_error="OperationalError", job_runs=(run(),)), LIMITS
    )
    assert not result.ok
    assert result.reason.startswith("not checked: the database does not answer")


# --- mail -------------------------------------------------------------------------------------


def test_mail_without_a_server_is_ok_whatever_waits():
    result = rules.mail_check(
        facts(mail_enabled=False, oldest_unsent_mail_at=NOW - timedelta(days=3)), LIMITS
    )
    assert result == CheckResult("mail", True, "MAIL_SERVER not set: mail stays in the outbox")


def test_mail_with_nothing_waiting_is_ok():
    assert rules.mail_check(facts(mail_enabled=True), LIMITS) == CheckResult(
        "mail", True, "no mail waiting"
    )


@pytest.mark.parametrize(("age", "ok"), [(0, True), (299, True), (300, True), (301, False)])
def test_mail_fails_only_beyond_the_threshold(age, ok):
    result = rules.mail_check(
        facts(mail_enabled=True, oldest_unsent_mail_at=NOW - timedelta(seconds=age)), LIMITS
    )
    assert result.ok is ok


def test_stale_mail_says_how_long_it_waited():
    result = rules.mail_check(
        facts(mail_enabled=True, oldest_unsent_mail_at=NOW - timedelta(minutes=12)), LIMITS
    )
    assert result == CheckResult(
        "mail", False, "the oldest unsent mail has waited 12 min (limit 5 min)"
    )


def test_mail_threshold_comes_from_the_settings():
    waiting = facts(mail_enabled=True, oldest_unsent_mail_at=NOW - timedelta(minutes=8))
    assert not rules.mail_check(waiting, LIMITS).ok
    assert rules.mail_check(waiting, Thresholds(mail=timedelta(minutes=10))).ok


def test_mail_not_checked_without_a_database():
    result = rules.mail_check(facts(mail_enabled=True, database_error="OperationalError"), LIMITS)
    assert not result.ok


# --- sms --------------------------------------------------------------------------------------


def test_sms_kept_in_the_outbox_is_ok_whatever_waits():
    result = rules.sms_check(
        facts(sms_provider=None, oldest_due_sms_at=NOW - timedelta(days=1)), LIMITS
    )
    assert result == CheckResult("sms", True, "SMS_BACKEND is outbox: texts stay in the outbox")


def test_sms_with_nothing_due_is_ok():
    assert rules.sms_check(facts(sms_provider="tencent"), LIMITS) == CheckResult(
        "sms", True, "no text waiting for tencent"
    )


@pytest.mark.parametrize(("age", "ok"), [(10, True), (300, True), (301, False)])
def test_sms_fails_only_beyond_five_minutes(age, ok):
    result = rules.sms_check(
        facts(sms_provider="aliyun", oldest_due_sms_at=NOW - timedelta(seconds=age)), LIMITS
    )
    assert result.ok is ok


def test_stale_sms_names_the_provider():
    result = rules.sms_check(
        facts(sms_provider="aliyun", oldest_due_sms_at=NOW - timedelta(minutes=30)), LIMITS
    )
    assert result == CheckResult(
        "sms", False, "a due text has waited 30 min for aliyun (limit 5 min)"
    )


def test_sms_not_checked_without_a_database():
    assert not rules.sms_check(
        facts(sms_provider="tencent", database_error="OperationalError"), LIMITS
    ).ok


# --- all together -------------------------------------------------------------------------------


def test_every_check_reports_in_order():
    results = rules.run_checks(facts(job_runs=(run(),)), LIMITS)
    assert [result.name for result in results] == [
        "database",
        "scheduler",
        "mail",
        "sms",
        "outbox",
    ]
    assert rules.all_ok(results)


def test_one_failing_check_makes_the_whole_failing():
    results = rules.run_checks(facts(), LIMITS)  # the scheduler never ran
    assert [result.ok for result in results] == [True, False, True, True, True]
    assert not rules.all_ok(results)


def test_a_dead_database_fails_every_check_that_needs_it():
    results = rules.run_checks(
        facts(database_error="OperationalError", mail_enabled=True, sms_provider="tencent"),
        LIMITS,
    )
    assert [result.ok for result in results] == [False, False, False, False, False]


def test_no_checks_is_not_healthy():
    assert not rules.all_ok([])


def test_one_more_check_joins_the_list():
    def backlog_check(facts, thresholds):
        return CheckResult("backlog", False, "too long")

    results = rules.run_checks(facts(job_runs=(run(),)), LIMITS, (*rules.CHECKS, backlog_check))
    assert [result.name for result in results][-1] == "backlog"
    assert not rules.all_ok(results)


# --- outbox -------------------------------------------------------------------------------------


def test_an_outbox_not_held_is_ok():
    assert rules.outbox_check(facts(), LIMITS) == CheckResult("outbox", True, "not held")


def test_a_held_outbox_fails_and_says_since_when_why_and_what_to_do():
    result = rules.outbox_check(
        facts(
            outbox_held_since=NOW - timedelta(minutes=7),
            outbox_hold_reason="database restored or copied",
        ),
        LIMITS,
    )
    assert not result.ok
    assert result.reason == (
        "mail and SMS held for 7 min (database restored or copied): review at"
        " /admin/outbox/hold, then flask outbox release [--discard]"
    )


def test_a_held_outbox_without_a_reason_still_fails():
    result = rules.outbox_check(facts(outbox_held_since=NOW), LIMITS)
    assert not result.ok
    assert result.reason.startswith("mail and SMS held for 0 s: review")


def test_outbox_not_checked_without_a_database():
    result = rules.outbox_check(
        facts(database_error="OperationalError", outbox_held_since=NOW), LIMITS
    )
    assert not result.ok
    assert result.reason.startswith("not checked")


def test_each_check_names_itself_and_says_why_all_down_and_all_up():
    down = rules.run_checks(
        facts(
            database_error="OperationalError",
            mail_enabled=True,
            sms_provider="tencent",
            outbox_held_since=NOW,
        ),
        LIMITS,
    )
    unread = "not checked: the database does not answer (OperationalError)"
    assert down == [
        CheckResult("database", False, "the database does not answer (OperationalError)"),
        CheckResult("scheduler", False, unread),
        CheckResult("mail", False, unread),
        CheckResult("sms", False, unread),
        CheckResult("outbox", False, unread),
    ]
    assert not rules.all_ok(down)
    runs = tuple(
        run(job_id, started=30, finished=29, host="h", pid=1)
        for job_id in ("mail", "sms", "scheduler_heartbeat")
    )
    up = rules.run_checks(facts(job_runs=runs, mail_enabled=True, sms_provider="tencent"), LIMITS)
    assert up == [
        CheckResult("database", True, "the database answers"),
        CheckResult("scheduler", True, "last job run 29 s ago (mail on h, pid 1)"),
        CheckResult("mail", True, "no mail waiting"),
        CheckResult("sms", True, "no text waiting for tencent"),
        CheckResult("outbox", True, "not held"),
    ]
    assert rules.all_ok(up)
    assert not rules.all_ok([*up, CheckResult("outbox", False, "held")])
