"""Fixtures: an app on a fresh database per test, built only by the migrations.

SQLite (default): the migrations run once per test process into a template file, and every
test gets its own copy. PostgreSQL (DATABASE_URL=postgresql://…/anything): each test process
creates its own database on that server, migrates it, empties it between tests and drops it at
the end; nothing is reused across runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from werkzeug.routing import Rule

from eventsite import create_app
from eventsite.core import time as clock_module
from eventsite.extensions import db
from eventsite.organizations.service import insert_root
from tests.factories import PASSWORD

# Property tests judge results, not speed: on a busy two-core CI machine a slow example is no
# failure (timing belongs to bench/). Example counts stay as each test sets them.
settings.register_profile(
    "eventsite", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
# `make mutation` (--hypothesis-profile=mutation): the same examples on every run, and none
# remembered from a mutant's failure, so a module's score does not drift from run to run.
settings.register_profile(
    "mutation", parent=settings.get_profile("eventsite"), derandomize=True, database=None
)
settings.load_profile("eventsite")


def _share_url_builders() -> None:
    """Every test makes a new app, and werkzeug compiles two URL builders (Python source, via
    ast and compile()) for each of its ~180 rules: most of create_app()'s 0.1 s. A builder is a
    function of the rule's parsed parts and defaults alone (it reaches the converters through
    the rule it is bound to), so the tests of a process compile each one once."""
    compile_builder = Rule._compile_builder
    builders: dict = {}

    def shared(self, append_unknown=True):
        key = (self.rule, tuple(self._trace), repr(self.defaults), append_unknown)
        if self.defaults:  # a default in the path is resolved by its converter: keep it apart
            key += (tuple((k, type(c).__name__) for k, c in self._converters.items()),)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = shared


_share_url_builders()

SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith(("postgres://", "postgresql"))


def _pg_url(database: str) -> str:
    url = sa.make_url(SERVER_URL.replace("postgres://", "postgresql://", 1))
    return url.set(drivername="postgresql+psycopg", database=database).render_as_string(
        hide_password=False
    )


#: Covers written by an app no test fixture gave a folder of its own (never instance/).
POSTER_DIR = tempfile.mkdtemp(prefix="eventsite-test-posters-")


def base_config(database_uri: str) -> dict:
    return {
        "POSTER_DIR": POSTER_DIR,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SCHEDULER_IN_PROCESS": False,
        "SCHEDULER_JOBSTORE_URL": "sqlite://",
        "MAIL_SERVER": None,
        "SERVER_NAME": None,
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    }


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated empty database: a SQLite file to copy, or a PostgreSQL database to reuse."""
    if ON_POSTGRES:
        name = f"eventsite_test_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(_pg_url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
        app = create_app(base_config(url))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield url
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        app = create_app(base_config(f"sqlite:///{path}"))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield path


@pytest.fixture
def database_uri(database_template, tmp_path):
    if ON_POSTGRES:
        yield database_template
        engine = sa.create_engine(database_template)
        with engine.begin() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
            if tables:
                quoted = ", ".join(f'"{t}"' for t in tables)
                conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
                insert_root(conn)  # the migrations' root organization
        engine.dispose()
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app_config():
    """Override in a test module to change settings."""
    return {}


@pytest.fixture
def app(database_uri, app_config, tmp_path):
    # Each test's uploaded covers in its own folder, so a test sees only the files it made.
    posters = {"POSTER_DIR": str(tmp_path / "posters")}
    app = create_app({**base_config(database_uri), **posters, **app_config})

    @app.before_request
    def forget_request_globals():
        # The fixture keeps one app context open, so `g` would outlive each request; a real
        # server starts every request with an empty `g`. Flask-Login caches the user there,
        # Flask-Babel the locale.
        from flask import g

        g.pop("_login_user", None)
        g.pop("_flask_babel", None)

    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def clock(monkeypatch):
    """A frozen clock: `clock.now` is what utcnow() returns; `clock.advance(hours=…)` moves it."""
    from datetime import UTC, datetime, timedelta

    class FrozenClock:
        def __init__(self):
            self.now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)

        def advance(self, **delta):
            self.now = self.now + timedelta(**delta)
            return self.now

    frozen = FrozenClock()
    monkeypatch.setattr(clock_module, "_clock", lambda: frozen.now)
    return frozen


class AuthActions:
    """Log in through the real form (what a member does) or straight into the session."""

    def __init__(self, client):
        self.client = client

    def login(self, user, password: str = PASSWORD, remember: bool = False):
        return self.client.post(
            "/login",
            data={"mobile": user.mobile, "password": password, "remember": "y" if remember else ""},
        )

    def become(self, user):
        """Skip the form: sign the member in on a new device (for tests about other pages)."""
        from eventsite.accounts import devices

        devices.sign_in(user, user_agent="")
        db.session.commit()
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True

    def logout(self):
        with self.client.session_transaction() as session:
            session.clear()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter:` … `counter.count` SQL statements issued."""

    @contextmanager
    def counting():
        class Counter:
            count = 0
            statements: list[str] = []

        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, *args):
            counter.count += 1
            counter.statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return counting
