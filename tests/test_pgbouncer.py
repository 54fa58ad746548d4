"""The app behind PgBouncer in transaction mode, as docs/deployment.md sizes a city or a province.

PgBouncer hands each transaction whichever server connection is free, so nothing may outlive
a transaction on the server: no prepared statement (psycopg prepares a statement it runs five
times on a connection, unless `DATABASE_PREPARED_STATEMENTS=false`), no session-level advisory
lock, no plain `SET`. These tests start Debian's `pgbouncer` on a free port in front of the test
database with a pool of two server connections, so that client connections really share them,
and drive the app through it: a rush of members registering at once, the pages of a member, an
organizer and an admin (statistics use `SET LOCAL`), the SMS sender's claim (a transaction-level
advisory lock) and the scheduler's job store.

Marked `pgbouncer`; they need DATABASE_URL=postgresql://… and the `pgbouncer` program. `make
test-pgbouncer` runs them (CI does, after installing the package) and turns "not installed" into
a failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from eventsite.accounts.models import ROOT_ORGANIZATION_ID as ROOT
from eventsite.config import ConfigurationError, engine_options, from_environment
from eventsite.events.models import EventKind, Registration, RegistrationStatus
from eventsite.extensions import db
from eventsite.scheduler import make_jobstore
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.sending import deliver_sms
from tests.conftest import ON_POSTGRES, AuthActions
from tests.factories import PASSWORD, make_event, make_user
from tests.test_sms_sending import PacedClock

pytestmark = pytest.mark.pgbouncer

#: Server connections PgBouncer keeps to PostgreSQL: fewer than the clients, so they share.
SERVER_CONNECTIONS = 2


def _pgbouncer_program() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if Path(p).exists()), None
    )


def _missing(reason: str):
    """Skip, unless the run asked for these tests (make test-pgbouncer): then fail."""
    if os.environ.get("PGBOUNCER_REQUIRED"):
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = [p.read_text() for p in (log, log.with_name("start.log")) if p.exists()]
            raise RuntimeError(f"pgbouncer exited: {' '.join(said)}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("pgbouncer did not start listening")


@pytest.fixture(scope="module")
def pgbouncer(database_template):
    """PgBouncer in transaction mode in front of the tests' database; yields its URL."""
    if not ON_POSTGRES:
        _missing("PgBouncer sits in front of PostgreSQL: set DATABASE_URL=postgresql://…")
    program = _pgbouncer_program()
    if program is None:
        _missing("the pgbouncer program is not installed (Debian: apt-get install pgbouncer)")
    server = sa.make_url(database_template)
    # Its own folder under /tmp: pytest's are private to this user, and PgBouncer may run as another.
    folder = Path(tempfile.mkdtemp(prefix="eventsite-pgbouncer-"))
    port = _free_port()
    user = server.username or "postgres"
    (folder / "userlist.txt").write_text(f'"{user}" ""\n')
    log = folder / "pgbouncer.log"
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"eventsite = host={server.host or '127.0.0.1'} port={server.port or 5432} "
        f"dbname={server.database} user={user}\n"
        # One server connection for every client: the case that shows what breaks.
        f"eventsite_single = host={server.host or '127.0.0.1'} port={server.port or 5432} "
        f"dbname={server.database} user={user} pool_size=1\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {folder / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {SERVER_CONNECTIONS}\n"
        "max_client_conn = 200\n"
        "server_reset_query =\n"
        f"logfile = {log}\n"
        f"pidfile = {folder / 'pgbouncer.pid'}\n"
    )
    command = [program, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        # PgBouncer refuses to run as root: it drops to the database's system user.
        shutil.chown(folder, "postgres")
        for path in folder.iterdir():
            shutil.chown(path, "postgres")
        command[1:1] = ["-u", "postgres"]
    with open(folder / "start.log", "wb") as start_log:
        process = subprocess.Popen(command, stdout=start_log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield server.set(
            host="127.0.0.1", port=port, database="eventsite", password=None
        ).render_as_string(hide_password=False)
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database_uri(database_uri, pgbouncer):
    """The test's (truncated) database, reached through PgBouncer."""
    return pgbouncer


@pytest.fixture
def app_config(pgbouncer):
    options = engine_options(pgbouncer, prepared_statements=False)
    return {
        "DATABASE_PREPARED_STATEMENTS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {**options, "pool_size": 20, "max_overflow": 0},
    }


def test_the_setting_turns_psycopg_preparing_off():
    env = {"DATABASE_URL": "postgresql://app@db/eventsite"}
    assert "connect_args" not in from_environment(env)["SQLALCHEMY_ENGINE_OPTIONS"]
    behind_pgbouncer = from_environment({**env, "DATABASE_PREPARED_STATEMENTS": "false"})
    assert behind_pgbouncer["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {
        "prepare_threshold": None
    }
    assert behind_pgbouncer["DATABASE_PREPARED_STATEMENTS"] is False
    # SQLite has no such thing; a value that is not true or false is refused by name.
    assert "connect_args" not in engine_options("sqlite:///x.db", prepared_statements=False)
    with pytest.raises(ConfigurationError, match="DATABASE_PREPARED_STATEMENTS"):
        from_environment({**env, "DATABASE_PREPARED_STATEMENTS": "sometimes"})


def _run_one_query_often(url: str, prepared_statements: bool) -> None:
    """Two clients take turns running the same statement, one transaction each time."""
    engine = sa.create_engine(url, **engine_options(url, prepared_statements))
    try:
        with engine.connect() as first, engine.connect() as second:
            for _ in range(8):
                for connection in (first, second):
                    connection.execute(
                        sa.text("SELECT count(*) FROM event WHERE id > :id"), {"id": 0}
                    )
                    connection.commit()
    finally:
        engine.dispose()


def test_prepared_statements_are_what_transaction_pooling_breaks(pgbouncer):
    """Why the setting exists: with psycopg's default, the second client's prepared statement
    collides with the first's on the server connection they share."""
    single = sa.make_url(pgbouncer).set(database="eventsite_single").render_as_string(False)
    with pytest.raises(sa.exc.DBAPIError, match='prepared statement "_pg3_0" already exists'):
        _run_one_query_often(single, prepared_statements=True)
    _run_one_query_often(single, prepared_statements=False)


@pytest.fixture
def members(app):
    hashed = generate_password_hash(PASSWORD)
    people = [make_user(gender="female" if i % 2 else "male") for i in range(16)]
    for person in people:
        person.password_hash = hashed
    db.session.commit()
    return people


def test_a_rush_through_pgbouncer_keeps_the_capacity(app, members):
    event = make_event(kind=EventKind.GENERAL, capacity=5, title="职工书屋读书会")
    db.session.commit()
    event_id, url = event.id, f"/events/{event.id}/register"
    clients = []
    for member in members:
        client = app.test_client()
        AuthActions(client).become(member)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    answers: list[int] = []

    def register(client):
        with app.app_context():  # each thread its own session, as a web worker's
            barrier.wait(30)
            answers.append(client.post(url).status_code)
            db.session.remove()

    threads = [threading.Thread(target=register, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [303] * len(members)
    db.session.expire_all()
    statuses = db.session.scalars(
        sa.select(Registration.status).where(Registration.event_id == event_id)
    ).all()
    assert statuses.count(RegistrationStatus.CONFIRMED) == 5
    assert statuses.count(RegistrationStatus.WAITLISTED) == len(members) - 5

    # The confirmed members' texts leave through the sender's claim (an advisory lock held
    # for one transaction), which works on whichever server connection PgBouncer gives it.
    queued = db.session.scalar(sa.select(sa.func.count()).select_from(SmsMessage))
    assert queued >= 5
    # From when the last is due: at night the texts wait for the end of the quiet hours.
    paced = PacedClock(db.session.scalar(sa.select(sa.func.max(SmsMessage.send_after))))
    assert deliver_sms(clock=paced, sleep=paced.sleep).sent == queued
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(SmsMessage.status))) == {SmsStatus.SENT}


def test_pages_through_pgbouncer(app, members):
    organizer = make_user(roles=["organizer"])
    admin = make_user(roles=["admin"])
    event = make_event(kind=EventKind.GENERAL, organizer=organizer, capacity=40)
    db.session.commit()
    client = app.test_client()
    auth = AuthActions(client)
    auth.become(members[0])
    # The same pages many times over, so psycopg would have prepared their statements.
    for _ in range(6):
        for path in ("/", f"/events/{event.id}", "/me", "/my/events"):
            assert client.get(path).status_code == 200, path
    assert client.post(f"/events/{event.id}/register").status_code == 303
    auth.become(organizer)
    for _ in range(6):
        assert client.get(f"/events/{event.id}/roster").status_code == 200
    auth.become(admin)
    for _ in range(3):
        # The union statistics give their sorts room with SET LOCAL (this transaction only).
        assert client.get(f"/organizations/{ROOT}/statistics").status_code == 200


def test_the_scheduler_job_store_through_pgbouncer(app, pgbouncer):
    from apscheduler.schedulers.background import BackgroundScheduler

    store = make_jobstore(pgbouncer, prepared_statements=False)
    scheduler = BackgroundScheduler(jobstores={"default": store})
    scheduler.start(paused=True)
    try:
        for minutes in range(1, 8):
            scheduler.add_job(
                print, "interval", minutes=minutes, id=f"probe-{minutes}", replace_existing=True
            )
            assert scheduler.get_job(f"probe-{minutes}") is not None
        assert len(scheduler.get_jobs()) == 7
    finally:
        scheduler.remove_all_jobs()
        scheduler.shutdown(wait=False)
        store.engine.dispose()
