"""Health that monitoring reads: /healthz, the scheduler's heartbeat, /status and
`flask scheduler status`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite import create_app, scheduler
from eventsite.core.models import OutboundEmail
from eventsite.core.notifications import MAX_ATTEMPTS
from eventsite.extensions import db
from eventsite.health import service as health
from eventsite.health.models import SchedulerHeartbeat
from eventsite.sms.models import SmsMessage
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import queue_sms
from tests.conftest import base_config
from tests.factories import make_user

TOKEN = "k3Qy-monitoring-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app_config():
    return {"STATUS_TOKEN": TOKEN}


@pytest.fixture(autouse=True)
def keep_scheduler_app(monkeypatch):
    monkeypatch.setattr(scheduler, "_app", None)


def heartbeats() -> dict[str, SchedulerHeartbeat]:
    db.session.expire_all()
    return {beat.job_id: beat for beat in db.session.scalars(sa.select(SchedulerHeartbeat))}


def tick_all(clock):
    """Every job runs once now, as the scheduler runs them."""
    for job_id in ("notices", "mail", "sms"):
        scheduler.run_with_heartbeat(job_id, lambda: None)


def unreachable_app():
    """An app whose database refuses connections (nothing listens on port 1)."""
    return create_app(base_config("postgresql+psycopg://nobody@127.0.0.1:1/nothing"))


# --- /healthz -------------------------------------------------------------------------------


def test_healthz_answers_json_after_one_cheap_query(client, count_queries):
    with count_queries() as counter:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert [s for s in counter.statements if s != "BEGIN"] == ["SELECT 1"]  # SQLite's BEGIN
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_sets_no_cookie_and_needs_no_sign_in(client, auth):
    assert "Set-Cookie" not in client.get("/healthz").headers
    auth.become(make_user(privacy_version=None))  # signed in, the notice not yet accepted
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_healthz_answers_head(client):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.data == b""


def test_healthz_is_never_rate_limited(database_uri):
    app = create_app({**base_config(database_uri), "RATELIMIT_ENABLED": True})
    client = app.test_client()
    statuses = {client.get("/healthz").status_code for _ in range(120)}
    assert statuses == {200}


def test_healthz_reports_a_database_that_does_not_answer():
    app = unreachable_app()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "failing", "database": "failing"}
    assert app.test_client().head("/healthz").status_code == 503


def test_healthz_reports_a_failing_query_and_the_session_stays_usable(client, monkeypatch):
    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    monkeypatch.undo()
    assert client.get("/healthz").status_code == 200


# --- the heartbeat --------------------------------------------------------------------------


def test_a_job_run_records_its_start_end_outcome_host_and_pid(app, clock):
    started = clock.now

    def body():
        clock.advance(seconds=3)
        return 7

    assert scheduler.run_with_heartbeat("mail", body) == 7
    beat = heartbeats()["mail"]
    assert (beat.last_started_at, beat.last_finished_at) == (
        started,
        started + timedelta(seconds=3),
    )
    assert beat.last_outcome == "ok"
    import os
    import socket

    assert (beat.host, beat.pid) == (socket.gethostname(), os.getpid())


def test_a_failing_run_is_recorded_and_still_raises(app, clock):
    def body():
        raise RuntimeError("smtp down")

    with pytest.raises(RuntimeError, match="smtp down"):
        scheduler.run_with_heartbeat("mail", body)
    assert heartbeats()["mail"].last_outcome == "error"


def test_the_next_run_rewrites_the_same_row(app, clock):
    scheduler.run_with_heartbeat("sms", lambda: None)
    clock.advance(seconds=10)
    scheduler.run_with_heartbeat("sms", lambda: None)
    beats = heartbeats()
    assert list(beats) == ["sms"]
    assert beats["sms"].last_started_at == clock.now


def test_the_heartbeat_writes_in_its_own_transactions(app, clock):
    """What the job body commits stays, whatever it leaves uncommitted goes (as the end of its
    app context did before), and the heartbeat is committed either way."""

    def body():
        db.session.add(OutboundEmail(to_address="a@example.cn", subject="kept", body="."))
        db.session.commit()
        db.session.add(OutboundEmail(to_address="b@example.cn", subject="dropped", body="."))

    scheduler.run_with_heartbeat("mail", body)
    db.session.rollback()
    assert db.session.scalars(sa.select(OutboundEmail.subject)).all() == ["kept"]
    assert heartbeats()["mail"].last_outcome == "ok"


def test_a_heartbeat_that_cannot_be_written_never_fails_the_job(app, clock, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(health, "_upsert", refuse)
    ran = []
    assert scheduler.run_with_heartbeat("notices", lambda: ran.append(1) or "done") == "done"
    assert ran == [1]
    assert "could not record the heartbeat of job notices" in caplog.text
    monkeypatch.undo()
    assert heartbeats() == {}


def test_the_scheduled_entry_points_beat_under_their_job_ids(app, clock):
    scheduler._app = app
    scheduler.notices_job()
    scheduler.mail_job()
    scheduler.sms_job()
    assert sorted(heartbeats()) == ["mail", "notices", "sms"]
    assert {spec.id for spec in scheduler.job_specs(app)} == {"mail", "notices", "sms"}


def test_tick_beats_for_every_job(app, runner, clock):
    result = runner.invoke(args=["scheduler", "tick"])
    assert result.exit_code == 0, result.output
    assert {job: beat.last_outcome for job, beat in heartbeats().items()} == {
        "notices": "ok",
        "mail": "ok",
        "sms": "ok",
    }


# --- /status --------------------------------------------------------------------------------


def status(client, headers=BEARER):
    response = client.get("/status", headers=headers)
    return response.status_code, response.get_json()


def test_status_with_the_token_after_a_fresh_tick_is_ok(app, client, clock):
    tick_all(clock)
    clock.advance(seconds=30)
    code, body = status(client)
    assert code == 200
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "scheduler": "ok",
        "mail": "ok",
        "sms": "ok",
        "outbox": "ok",
    }
    assert body["checks"]["scheduler"]["reason"].startswith("last job run 30 s ago")
    assert [job["job"] for job in body["jobs"]] == ["mail", "notices", "sms"]
    assert body["jobs"][0]["last_outcome"] == "ok"


def test_status_fails_while_the_outbox_is_held(client, clock):
    from eventsite.outbox import service as outbox

    tick_all(clock)
    outbox.enter_hold()
    db.session.commit()
    clock.advance(seconds=30)
    code, body = status(client)
    assert code == 503
    assert body["checks"]["outbox"]["status"] == "failing"
    assert "/admin/outbox/hold" in body["checks"]["outbox"]["reason"]
    outbox.release(discard=False)
    db.session.commit()
    code, body = status(client)
    assert code == 200
    assert body["checks"]["outbox"] == {"status": "ok", "reason": "not held"}


def test_status_fails_when_the_scheduler_never_ran(client, clock):
    code, body = status(client)
    assert code == 503
    assert body["status"] == "failing"
    assert body["checks"]["scheduler"] == {
        "status": "failing",
        "reason": "no scheduler job has ever run",
    }


@pytest.mark.parametrize(("seconds", "code"), [(120, 200), (121, 503)])
def test_status_fails_when_the_last_tick_is_older_than_two_minutes(client, clock, seconds, code):
    tick_all(clock)
    clock.advance(seconds=seconds)
    assert status(client)[0] == code


@pytest.mark.parametrize("app_config", [{"STATUS_TOKEN": TOKEN, "MAIL_SERVER": "smtp.example"}])
def test_status_fails_when_unsent_mail_is_older_than_five_minutes(client, clock):
    db.session.add_all(
        [
            OutboundEmail(to_address="a@example.cn", subject="old", body="."),
            # Out of attempts: kept for the admins to read, not waiting any more.
            OutboundEmail(
                to_address="b@example.cn",
                subject="given up",
                body=".",
                attempts=MAX_ATTEMPTS,
                created_at=clock.now - timedelta(days=1),
            ),
            OutboundEmail(
                to_address="c@example.cn",
                subject="sent",
                body=".",
                sent_at=clock.now,
                created_at=clock.now - timedelta(days=1),
            ),
        ]
    )
    db.session.commit()
    clock.advance(minutes=5)
    tick_all(clock)
    code, body = status(client)
    assert (code, body["checks"]["mail"]["status"]) == (200, "ok")
    assert body["checks"]["mail"]["reason"] == "the oldest unsent mail has waited 5 min"
    clock.advance(seconds=1)
    tick_all(clock)
    code, body = status(client)
    assert code == 503
    assert body["checks"]["mail"] == {
        "status": "failing",
        "reason": "the oldest unsent mail has waited 5 min (limit 5 min)",
    }
    assert body["checks"]["scheduler"]["status"] == "ok"


def test_unsent_mail_without_a_mail_server_never_fails(client, clock):
    db.session.add(OutboundEmail(to_address="a@example.cn", subject="kept", body="."))
    db.session.commit()
    clock.advance(hours=5)
    tick_all(clock)
    code, body = status(client)
    assert (code, body["checks"]["mail"]["status"]) == (200, "ok")


@pytest.mark.parametrize("app_config", [{"STATUS_TOKEN": TOKEN, "SMS_BACKEND": "tencent"}])
def test_status_fails_when_a_due_text_waits_for_the_provider(client, clock):
    queue_sms("13800000001", SmsKind.CODE, {"code": "493817", "minutes": "10"})
    db.session.commit()
    clock.advance(minutes=5)
    tick_all(clock)
    assert status(client)[1]["checks"]["sms"]["status"] == "ok"
    clock.advance(seconds=1)
    tick_all(clock)
    code, body = status(client)
    assert code == 503
    assert body["checks"]["sms"]["reason"].startswith("a due text has waited 5 min for tencent")


@pytest.mark.parametrize("app_config", [{"STATUS_TOKEN": TOKEN, "SMS_BACKEND": "tencent"}])
def test_a_text_held_for_quiet_hours_is_not_waiting(client, clock):
    queue_sms("13800000001", SmsKind.CODE, {"code": "493817", "minutes": "10"})
    message = db.session.scalars(sa.select(SmsMessage)).one()
    message.send_after = clock.now + timedelta(hours=8)
    db.session.commit()
    clock.advance(hours=1)
    tick_all(clock)
    assert status(client)[1]["checks"]["sms"] == {
        "status": "ok",
        "reason": "no text waiting for tencent",
    }


def test_status_with_a_dead_database_answers_503():
    app = create_app(
        {**base_config("postgresql+psycopg://nobody@127.0.0.1:1/x"), "STATUS_TOKEN": TOKEN}
    )
    response = app.test_client().get("/status", headers=BEARER)
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"]["status"] == "failing"
    assert body["checks"]["scheduler"]["reason"].startswith("not checked")


def test_status_is_not_cached_and_sets_no_cookie(client, clock):
    response = client.get("/status", headers=BEARER)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert response.mimetype == "application/json"


# --- who may read /status -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer "},
        {"Authorization": f"bearer {TOKEN[:-1]}"},
    ],
)
def test_a_wrong_token_is_refused(client, headers):
    assert client.get("/status", headers=headers).status_code == 403


def test_the_scheme_is_case_insensitive(client, clock):
    tick_all(clock)
    assert client.get("/status", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


@pytest.mark.parametrize("app_config", [{"STATUS_TOKEN": None}])
def test_without_a_token_set_no_token_opens_it(client):
    for token in ("", "None", "null"):
        response = client.get("/status", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403


def test_anonymous_without_a_token_is_sent_to_sign_in(client):
    response = client.get("/status")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_member_or_organizer_is_refused(client, auth):
    for roles in ([], ["organizer"], ["judge"]):
        auth.become(make_user(roles=roles))
        assert client.get("/status").status_code == 403


def test_a_signed_in_admin_reads_it(client, auth, clock):
    auth.become(make_user(roles=["admin"]))
    tick_all(clock)
    response = client.get("/status")
    assert response.status_code == 200
    assert json.loads(response.data)["status"] == "ok"


def test_a_wrong_token_is_refused_even_with_an_admins_session(client, auth):
    auth.become(make_user(roles=["admin"]))
    assert client.get("/status", headers={"Authorization": "Bearer nope"}).status_code == 403


def test_status_holds_no_members_data(client, clock):
    member = make_user(name="王小明", email="wxm@example.cn")
    db.session.commit()
    tick_all(clock)
    text = client.get("/status", headers=BEARER).text
    for private in (member.name, member.mobile, member.email):
        assert private not in text


# --- flask scheduler status ---------------------------------------------------------------


def test_status_command_prints_each_check_and_exits_0_when_all_are_ok(runner, clock):
    tick_all(clock)
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "database"],
        ["ok", "scheduler"],
        ["ok", "mail"],
        ["ok", "sms"],
        ["ok", "outbox"],
    ]
    assert "last job run 0 s ago" in lines[1]


def test_status_command_exits_1_when_the_scheduler_is_stale(runner, clock):
    tick_all(clock)
    clock.advance(minutes=3)
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 1
    assert "failing  scheduler  no job has run for 3 min (limit 2 min;" in result.output


def test_status_command_exits_1_when_the_scheduler_never_ran(runner):
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 1
    assert "failing  scheduler  no scheduler job has ever run" in result.output
