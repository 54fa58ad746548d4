"""Settings from the environment: URL normalisation, the secret key, and the documented defaults."""

from __future__ import annotations

import stat

import pytest

from eventsite import config, create_app
from eventsite.config import ConfigurationError

#: Every variable config.py reads; each test starts with none of them set.
VARIABLES = (
    "EVENTSITE_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "TIMEZONE",
    "DEFAULT_LOCALE",
    "RATELIMIT_STORAGE_URI",
    "LOGIN_RATE_LIMIT",
    "LOGIN_ACCOUNT_RATE_LIMIT",
    "LOGIN_ADDRESS_RATE_LIMIT",
    "SIGN_IN_IDLE_DAYS",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_USE_TLS",
    "MAIL_FROM",
    "SCHEDULER_JOBSTORE_URL",
    "SCHEDULER_TICK_SECONDS",
    "SCHEDULER_IN_PROCESS",
    "ROSTER_PAGE_SIZE",
    "ROSTER_MESSAGES_PER_DAY",
    "CHECKIN_OPENS_HOURS",
    "PUBLIC_URL",
    "SCHEDULER_STALE_SECONDS",
    "MAIL_STALE_SECONDS",
    "STATUS_TOKEN",
)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A clean environment and an empty instance folder of our own."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE_PATH", folder)
    return folder


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "postgres://u:pw@db.example:5432/events",
            "postgresql+psycopg://u:pw@db.example:5432/events",
        ),
        (
            "postgresql://postgres@127.0.0.1/eventsite",
            "postgresql+psycopg://postgres@127.0.0.1/eventsite",
        ),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////var/lib/eventsite/site.db", "sqlite:////var/lib/eventsite/site.db"),
    ],
)
def test_database_url_uses_psycopg_3_for_postgresql(instance, raw, expected):
    assert config.database_url(raw) == expected


def test_database_url_defaults_to_a_sqlite_file_in_the_instance_folder(instance):
    assert config.database_url(None) == f"sqlite:///{instance / 'eventsite.db'}"
    assert config.database_url("") == f"sqlite:///{instance / 'eventsite.db'}"


def test_environment_database_url_is_normalised_and_used_by_the_scheduler_too(
    instance, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", "postgres://app:s3cret@10.0.0.5/eventsite")

    settings = config.from_environment()

    assert (
        settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://app:s3cret@10.0.0.5/eventsite"
    )
    assert settings["SCHEDULER_JOBSTORE_URL"] == settings["SQLALCHEMY_DATABASE_URI"]


def test_production_refuses_to_start_without_a_secret_key(instance, monkeypatch):
    monkeypatch.setenv("EVENTSITE_ENV", "production")

    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        config.from_environment()
    with pytest.raises(ConfigurationError):
        create_app()
    assert not (instance / "secret_key").exists()


def test_production_uses_the_given_key_and_secure_cookies(instance, monkeypatch):
    monkeypatch.setenv("EVENTSITE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-key")

    settings = config.from_environment()

    assert settings["SECRET_KEY"] == "a-long-random-production-key"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert not (instance / "secret_key").exists()


def test_development_generates_a_private_key_once_and_reuses_it(instance):
    first = config.from_environment()["SECRET_KEY"]
    key_file = instance / "secret_key"

    assert len(first) >= 32
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert config.from_environment()["SECRET_KEY"] == first


def test_development_key_differs_between_instance_folders(instance, tmp_path, monkeypatch):
    first = config.from_environment()["SECRET_KEY"]
    monkeypatch.setattr(config, "INSTANCE_PATH", tmp_path / "other")

    assert config.from_environment()["SECRET_KEY"] != first


def test_defaults(instance):
    settings = config.from_environment()

    assert settings["ENV_NAME"] == "development"
    assert settings["TIMEZONE"] == "Asia/Shanghai"
    assert settings["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    assert settings["BABEL_DEFAULT_LOCALE"] == "zh_Hans_CN"
    assert settings["LANGUAGES"] == ["zh_Hans_CN", "en"]
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'eventsite.db'}"
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings["MAIL_SERVER"] is None
    assert settings["SCHEDULER_IN_PROCESS"] is False
    assert settings["ROSTER_PAGE_SIZE"] == 50
    assert settings["ROSTER_MESSAGES_PER_DAY"] == 3
    assert settings["CHECKIN_OPENS_HOURS"] == 3
    assert settings["SECURITY_CONTACT"] == ""
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["LOGIN_RATE_LIMIT"] == "10 per minute;50 per hour"
    assert settings["LOGIN_ACCOUNT_RATE_LIMIT"] == "20 per hour;50 per day"
    assert settings["LOGIN_ADDRESS_RATE_LIMIT"] == "30 per 10 minutes;200 per day"
    assert settings["SIGN_IN_IDLE_DAYS"] == 30
    assert settings["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert settings["SCHEDULER_STALE_SECONDS"] == 120
    assert settings["MAIL_STALE_SECONDS"] == 300
    assert settings["STATUS_TOKEN"] is None


def test_variables_override_defaults(instance, monkeypatch):
    monkeypatch.setenv("TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MAIL_USE_TLS", "yes")
    monkeypatch.setenv("ROSTER_PAGE_SIZE", "20")
    monkeypatch.setenv("ROSTER_MESSAGES_PER_DAY", "5")
    monkeypatch.setenv("LOGIN_ADDRESS_RATE_LIMIT", "100 per hour")
    monkeypatch.setenv("SIGN_IN_IDLE_DAYS", "7")
    monkeypatch.setenv("CHECKIN_OPENS_HOURS", "1.5")
    monkeypatch.setenv("SCHEDULER_STALE_SECONDS", "300")
    monkeypatch.setenv("MAIL_STALE_SECONDS", "600")
    monkeypatch.setenv("STATUS_TOKEN", " s3cret-token ")

    settings = config.from_environment()

    assert settings["TIMEZONE"] == "Asia/Urumqi"
    assert settings["BABEL_DEFAULT_LOCALE"] == "en"
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert settings["MAIL_USE_TLS"] is True
    assert settings["ROSTER_PAGE_SIZE"] == 20
    assert settings["ROSTER_MESSAGES_PER_DAY"] == 5
    assert settings["LOGIN_ADDRESS_RATE_LIMIT"] == "100 per hour"
    assert settings["SIGN_IN_IDLE_DAYS"] == 7
    assert settings["CHECKIN_OPENS_HOURS"] == 1.5
    assert settings["SCHEDULER_STALE_SECONDS"] == 300
    assert settings["MAIL_STALE_SECONDS"] == 600
    assert settings["STATUS_TOKEN"] == "s3cret-token"


def test_trusted_proxy_makes_the_login_limit_count_the_members_own_address(database_uri):
    from eventsite import create_app
    from tests.conftest import base_config

    app = create_app({**base_config(database_uri), "TRUSTED_PROXIES": 1})

    @app.get("/_whoami")
    def whoami():
        from flask import request

        return request.remote_addr

    client = app.test_client()
    response = client.get("/_whoami", headers={"X-Forwarded-For": "10.1.2.3"})
    assert response.text == "10.1.2.3"


def test_database_errors_and_logs_never_carry_the_statements_parameters(app, caplog):
    """hide_parameters: when a statement fails, neither the exception nor SQLAlchemy's own log
    repeats the values it was given (members' mobiles and names)."""
    import logging

    import sqlalchemy as sa

    from eventsite.extensions import db

    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    with pytest.raises(sa.exc.DBAPIError) as raised:
        db.session.execute(
            sa.text('SELECT no_such_column FROM "user" WHERE mobile = :mobile AND name = :name'),
            {"mobile": "13912398765", "name": "隐私会员"},
        )
    db.session.rollback()
    assert "no_such_column" in str(raised.value)
    assert "hide_parameters" in str(raised.value)
    for text in (str(raised.value), repr(raised.value), caplog.text):
        assert "13912398765" not in text
        assert "隐私会员" not in text


def test_a_member_in_a_log_line_or_traceback_is_only_a_number(app):
    """repr() is what tracebacks and log lines show of a model: no mobile number, no name."""
    from tests.factories import make_user

    user = make_user(mobile="13912398766", name="隐私会员")
    assert repr(user) == f"<User {user.id}>"


def test_an_unhandled_database_error_logs_no_row_details(app, caplog):
    """PostgreSQL's error text repeats a failed row's values; the app's log must not."""
    import logging

    error = RuntimeError(
        'duplicate key value violates unique constraint "uq_user_mobile"\n'
        "DETAIL:  Key (mobile)=(13912398767) already exists."
    )
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        try:
            raise error
        except RuntimeError:
            app.logger.exception("Exception on /signup [POST]")
    assert "uq_user_mobile" in caplog.text
    assert "13912398767" not in caplog.text
