"""A restore resends nothing: a day's story, a backup taken mid-day, the backup put back.

The story: two members register (confirmations queued), a backup is taken, the scheduler sends
the confirmations, the reminders fall due and are sent, one member cancels. Then the mid-day
backup is restored into the database the app uses and the scheduler's jobs run as in
production. What the lost hours sent must not go again: a real SMTP server (tests/test_mail.py)
and a recording SMS gateway remember everything that ever left, across the restore.

SQLite: `flask backup` and the copy put back. PostgreSQL: `flask backup` (pg_dump) and
pg_restore into a recreated database, and into the same database with --clean.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from eventsite import create_app, scheduler
from eventsite.backups import service as backups
from eventsite.core.models import AuditEntry, OutboundEmail
from eventsite.events import service as events
from eventsite.events.models import EventKind, Registration
from eventsite.extensions import db
from eventsite.outbox import rules
from eventsite.outbox import service as hold
from eventsite.sms import sending
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import queue_sms
from tests.conftest import ON_POSTGRES, _pg_url, base_config
from tests.factories import make_event, make_user
from tests.test_mail import FakeSMTP


class RecordingGateway:
    """An SMS provider that remembers every text it was given, whatever the database says."""

    name = "recording"
    delivers = True

    def __init__(self):
        self.sent: list[tuple[str, str, str]] = []

    def send(self, message):
        self.sent.append((message.mobile, message.kind, message.params.get("event", "")))
        return f"ref-{len(self.sent)}"


@pytest.fixture
def smtp_server():
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def sms_gateway(monkeypatch):
    gateway = RecordingGateway()
    monkeypatch.setattr(sending, "gateway_for", lambda app: gateway)
    return gateway


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    from werkzeug.security import generate_password_hash

    import eventsite.accounts.models as account_models

    monkeypatch.setattr(
        account_models,
        "generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"),
    )


def story_config(database_uri: str, smtp_server, backup_dir: Path) -> dict:
    return {
        **base_config(database_uri),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        "MAIL_FROM": "union@example.com",
        "SMS_RATE_PER_SECOND": 10_000.0,
        "BACKUP_DIR": str(backup_dir),
    }


def join(event, member):
    """The member registers (a sports meet: in its one team); the confirmation is queued."""
    events.register(event, member, team_id=event.teams[0].id)


def run_jobs():
    """One run of each job, the way the scheduler runs them, then fresh rows."""
    scheduler.run_notices()
    scheduler.run_mail()
    scheduler.run_sms()
    db.session.expire_all()


def mails_sent(smtp_server) -> Counter:
    return Counter((m["To"], m["Subject"]) for m in smtp_server.messages)


def texts_sent(gateway) -> Counter:
    return Counter(gateway.sent)


def nothing_twice(smtp_server, gateway) -> None:
    assert [key for key, n in mails_sent(smtp_server).items() if n > 1] == []
    assert [key for key, n in texts_sent(gateway).items() if n > 1] == []


def backup(app, directory: Path) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", "--dir", str(directory)])
    assert result.exit_code == 0, result.output
    [written] = [line.split()[1] for line in result.output.splitlines() if line.startswith("Wrote")]
    return Path(written)


def live_day(app, clock, smtp_server, gateway, backup_dir: Path):
    """The day up to the restore; returns the mid-day dump, the event and the two members."""
    run_jobs()  # the scheduler ran before: it recorded this database's identity
    organizer = make_user(roles=["organizer"], name="组织者")
    event = make_event(
        organizer=organizer,
        kind=EventKind.SPORTSMEET,
        teams=("一队",),
        title="职工技能竞赛",
        starts_in=timedelta(hours=30),
    )
    anna = make_user(name="安娜", email="anna@example.com", mobile="13900000001")
    bo = make_user(name="波", email="bo@example.com", mobile="13900000002")
    db.session.commit()
    for member in (anna, bo):
        join(event, member)
        db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))) == 2

    clock.advance(minutes=5)
    dump = backup(app, backup_dir)  # mid-day: both confirmations still queued

    clock.advance(minutes=5)
    run_jobs()  # the confirmations leave
    assert len(smtp_server.messages) == 2
    confirmations = len(gateway.sent)
    assert confirmations >= 2

    clock.advance(hours=7)  # 23 h before the start: the reminders are due
    run_jobs()
    assert len(smtp_server.messages) == 4
    assert len(gateway.sent) > confirmations

    registration = db.session.scalar(sa.select(Registration).where(Registration.user_id == anna.id))
    events.cancel_registration(registration, actor=anna)
    db.session.commit()
    run_jobs()
    nothing_twice(smtp_server, gateway)
    return dump, event.id, anna.id, bo.id


def after_restore(app, clock, smtp_server, gateway, event_id: int):
    """The scheduler on the restored database: it holds, sends nothing twice; returns counts."""
    clock.advance(minutes=10)
    before_mail, before_sms = len(smtp_server.messages), len(gateway.sent)
    run_jobs()
    current = hold.current_hold()
    assert current is not None and current.is_held
    assert current.hold_reason == rules.RESTORED
    for _ in range(3):
        clock.advance(minutes=1)
        run_jobs()
    assert len(smtp_server.messages) == before_mail
    assert len(gateway.sent) == before_sms
    held = hold.held_messages(current.held_since)
    # The two confirmations of the backup, and the reminders the notices job queued again.
    assert held.mail_count == 4
    assert held.sms_count >= 2
    return held


def sign_in_code_still_leaves(gateway):
    """A member signing in while held gets their code."""
    queue_sms("13900000009", SmsKind.CODE, {"code": "246810", "minutes": "10"})
    db.session.commit()
    scheduler.run_sms()
    assert ("13900000009", "code", "") in gateway.sent


def discard_and_go_on(app, clock, smtp_server, gateway):
    sent_mail, sent_sms = len(smtp_server.messages), len(gateway.sent)
    result = app.test_cli_runner().invoke(args=["outbox", "release", "--discard"])
    assert result.exit_code == 0, result.output
    assert "4 mails" in result.output
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OutboundEmail.id)).where(
                OutboundEmail.discarded_at.is_not(None)
            )
        )
        == 4
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count(SmsMessage.id)).where(SmsMessage.status == SmsStatus.QUEUED)
        )
        == 0
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "outbox.release")
        )
        == 1
    )
    for _ in range(3):
        clock.advance(minutes=1)
        run_jobs()
    assert (len(smtp_server.messages), len(gateway.sent)) == (sent_mail, sent_sms)
    nothing_twice(smtp_server, gateway)
    # Released: what members do from now on is sent as before.
    carl = make_user(name="卡尔", email="carl@example.com", mobile="13900000003")
    event = make_event(
        kind=EventKind.SPORTSMEET, teams=("一队",), title="秋季技能赛", starts_in=timedelta(days=5)
    )
    db.session.commit()
    join(event, carl)
    db.session.commit()
    run_jobs()
    assert [m["To"] for m in smtp_server.messages[sent_mail:]] == ["carl@example.com"]
    nothing_twice(smtp_server, gateway)


# --- SQLite -----------------------------------------------------------------------------------


@pytest.fixture
def sqlite_story(database_uri, tmp_path, smtp_server, sms_gateway, clock):
    if ON_POSTGRES:
        pytest.skip("the SQLite copy; the PostgreSQL dump has its own test")
    app = create_app(story_config(database_uri, smtp_server, tmp_path / "backups"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def put_back(app, dump: Path) -> None:
    """What an operator does with a SQLite copy: stop, replace the file (and its WAL), start."""
    live = Path(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
    db.session.remove()
    db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(dump, live)


def test_a_restored_sqlite_copy_sends_nothing_twice(
    sqlite_story, clock, smtp_server, sms_gateway, tmp_path
):
    app = sqlite_story
    dump, event_id, anna_id, _bo_id = live_day(
        app, clock, smtp_server, sms_gateway, tmp_path / "backups"
    )
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert stat.S_IMODE(dump.parent.stat().st_mode) == 0o700
    put_back(app, dump)
    # The copy knows nothing of the cancellation: Anna is registered again in it.
    assert (
        db.session.scalar(sa.select(Registration.status).where(Registration.user_id == anna_id))
        == "confirmed"
    )
    after_restore(app, clock, smtp_server, sms_gateway, event_id)
    sign_in_code_still_leaves(sms_gateway)
    discard_and_go_on(app, clock, smtp_server, sms_gateway)


def test_released_held_mail_goes_once(sqlite_story, clock, smtp_server, sms_gateway, tmp_path):
    """The lost hours sent nothing (the mail server was down): releasing sends each held mail once."""
    app = sqlite_story
    run_jobs()
    member = make_user(name="丁", email="ding@example.com", mobile="13900000004")
    event = make_event(
        kind=EventKind.SPORTSMEET, teams=("一队",), title="职工读书会", starts_in=timedelta(days=3)
    )
    db.session.commit()
    join(event, member)
    db.session.commit()
    dump = backup(app, tmp_path / "backups")
    put_back(app, dump)
    clock.advance(minutes=1)
    run_jobs()
    assert smtp_server.messages == []
    result = app.test_cli_runner().invoke(args=["outbox", "status"])
    assert "HELD since" in result.output
    assert "mail: 1 held" in result.output
    result = app.test_cli_runner().invoke(args=["outbox", "release"])
    assert result.exit_code == 0, result.output
    assert "1 mails" in result.output
    for _ in range(3):
        clock.advance(minutes=1)
        run_jobs()
    assert [m["To"] for m in smtp_server.messages] == ["ding@example.com"]
    assert texts_sent(sms_gateway)[("13900000004", "registration_confirmed", "职工读书会")] == 1
    nothing_twice(smtp_server, sms_gateway)


def test_a_hold_entered_by_hand_holds_until_released(sqlite_story, clock, smtp_server, sms_gateway):
    app = sqlite_story
    runner = app.test_cli_runner()
    assert "held" in runner.invoke(args=["outbox", "hold"]).output
    assert "Already held" in runner.invoke(args=["outbox", "hold"]).output
    make_user(name="戊", email="wu@example.com")
    db.session.add(OutboundEmail(to_address="wu@example.com", subject="通知", body="内容"))
    db.session.commit()
    run_jobs()
    assert smtp_server.messages == []
    assert hold.current_hold().hold_reason == rules.HELD_BY_HAND
    assert "1 mails" in runner.invoke(args=["outbox", "release"]).output
    assert "Not held" in runner.invoke(args=["outbox", "release"]).output
    run_jobs()
    assert [m["To"] for m in smtp_server.messages] == ["wu@example.com"]


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture
def pg_story(tmp_path, smtp_server, sms_gateway, clock):
    if not ON_POSTGRES:
        pytest.skip("needs DATABASE_URL=postgresql://…")
    name = f"eventsite_restore_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_pg_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = _pg_url(name)
    app = create_app(story_config(url, smtp_server, tmp_path / "backups"))
    with app.app_context():
        upgrade()
        yield app, name, admin
        db.session.remove()
        db.engine.dispose()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def pg_restore(app, dump: Path, *args: str) -> None:
    uri, password = backups.libpq_uri(app.config["SQLALCHEMY_DATABASE_URI"])
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", *args, "--dbname", uri, str(dump)],
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize("how", ["recreate", "clean"])
def test_a_restored_postgres_dump_sends_nothing_twice(
    pg_story, how, clock, smtp_server, sms_gateway, tmp_path
):
    app, name, admin = pg_story
    dump, event_id, anna_id, _bo_id = live_day(
        app, clock, smtp_server, sms_gateway, tmp_path / "backups"
    )
    assert dump.suffix == ".pgdump"
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    db.session.remove()
    db.engine.dispose()
    if how == "recreate":  # the documented way: stop, drop and create the database, restore
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        pg_restore(app, dump)
    else:  # into the same database, objects dropped and recreated
        pg_restore(app, dump, "--clean", "--if-exists")
    assert (
        db.session.scalar(sa.select(Registration.status).where(Registration.user_id == anna_id))
        == "confirmed"
    )
    after_restore(app, clock, smtp_server, sms_gateway, event_id)
    sign_in_code_still_leaves(sms_gateway)
    discard_and_go_on(app, clock, smtp_server, sms_gateway)


def test_the_same_postgres_database_is_not_held(pg_story, clock, smtp_server, sms_gateway):
    app, _name, _admin = pg_story
    run_jobs()
    first = hold.current_hold().database_identity
    assert first.startswith("postgresql:")
    db.session.remove()
    db.engine.dispose()  # a restart of the scheduler: new connections, same database
    run_jobs()
    assert hold.current_hold().database_identity == first
    assert not hold.current_hold().is_held
