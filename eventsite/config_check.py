"""`flask config check`: what is missing or malformed in the settings, before the app starts.

It is a Flask CLI plugin (the `flask.commands` entry point in pyproject.toml), so it runs even
when the settings are too broken for the app itself to load. `settings_findings` is the pure
part: it judges a mapping of settings; `check_command` adds the connections (database, schema
revision, Redis, SMTP) and prints one line per finding.
"""

from __future__ import annotations

import inspect
import os
import re
import smtplib
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from eventsite import config as settings

#: A finding that stops the app or breaks a feature; `flask config check` exits 1.
PROBLEM = "problem"
#: Worth knowing, not wrong (mail kept in the outbox, SQLite in production).
NOTE = "note"
OK = "ok"

#: Characters a password must not carry unencoded in a URL: they end or split its parts.
_URL_RESERVED = set("@/?#:[] ")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_RATE_LIMITS = (
    "LOGIN_RATE_LIMIT",
    "LOGIN_ACCOUNT_RATE_LIMIT",
    "LOGIN_ADDRESS_RATE_LIMIT",
    "SMS_CODE_MOBILE_LIMIT",
    "SMS_CODE_ADDRESS_LIMIT",
    "MIXER_MARK_RATE_LIMIT",
    "DATA_EXPORT_RATE_LIMIT",
)
#: What a missing required setting is checked as, so the rest of the settings are judged too.
_STAND_INS = {"SECRET_KEY": "0" * 64}
_POSITIVE = (
    "SIGN_IN_IDLE_DAYS",
    "SCHEDULER_TICK_SECONDS",
    "ROSTER_PAGE_SIZE",
    "MIXER_RETENTION_DAYS",
    "SENSITIVE_ANSWER_RETENTION_DAYS",
    "SMS_RATE_PER_SECOND",
)


@dataclass(frozen=True)
class Finding:
    level: str
    subject: str
    message: str

    def line(self) -> str:
        return f"{self.level:<8} {self.subject}: {self.message}"


def known_settings() -> frozenset[str]:
    """Every variable eventsite reads: the names `config.from_environment` asks for."""
    source = inspect.getsource(settings)
    names = re.findall(r'env(?:\.get\(|, )\s*"([A-Z][A-Z0-9_]*)"', source)
    return frozenset(names) | {settings.SETTINGS_FILE_VARIABLE, "EVENTSITE_INSTANCE_PATH"}


def database_url_findings(raw: str | None) -> list[Finding]:
    """Is DATABASE_URL one SQLAlchemy reads as meant? A password with @ / ? # : must be encoded."""
    subject = "DATABASE_URL"
    if not raw:
        return [Finding(NOTE, subject, "unset: a SQLite file in the instance folder")]
    scheme, sep, rest = raw.partition("://")
    if not sep:
        return [Finding(PROBLEM, subject, "not a URL (postgresql://user:password@host/name)")]
    if scheme not in ("postgres", "postgresql", "postgresql+psycopg", "sqlite"):
        return [Finding(PROBLEM, subject, f"{scheme}:// is not supported; use postgresql://")]
    if scheme == "sqlite":
        return [Finding(NOTE, subject, "SQLite: fine for a trial, PostgreSQL for production")]
    if "@" in rest:
        userinfo = rest[: rest.rfind("@")]
        _user, colon, password = userinfo.partition(":")
        if colon:
            reserved = sorted(set(_PERCENT.sub("", password)) & _URL_RESERVED)
            loose_percent = "%" in _PERCENT.sub("", password)
            if reserved or loose_percent:
                shown = ", ".join(repr(c) for c in reserved + (["%"] if loose_percent else []))
                return [
                    Finding(
                        PROBLEM,
                        subject,
                        f"the password contains {shown}, which a URL must encode "
                        "(@ as %40, / as %2F, : as %3A, # as %23, ? as %3F, % as %25); "
                        "encode it with: python3 -c 'import getpass, urllib.parse; "
                        'print(urllib.parse.quote(getpass.getpass(), safe=""))\'',
                    )
                ]
    try:
        parts = urlsplit(raw.replace("postgresql+psycopg", "postgresql", 1))
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError as error:
        return [Finding(PROBLEM, subject, f"cannot be read as a URL: {error}")]
    if not parts.hostname:
        return [Finding(PROBLEM, subject, "names no host")]
    if not unquote(parts.path.lstrip("/")):
        return [Finding(PROBLEM, subject, "names no database (…/eventsite at the end)")]
    return [Finding(OK, subject, f"PostgreSQL database {unquote(parts.path.lstrip('/'))!r}")]


def settings_file_findings(env: Mapping[str, str]) -> list[Finding]:
    """The settings file: readable, private, every line well formed, every name a setting."""
    path = env.get(settings.SETTINGS_FILE_VARIABLE, "").strip()
    subject = settings.SETTINGS_FILE_VARIABLE
    if not path:
        return [Finding(NOTE, subject, "unset: settings come from the environment only")]
    if not Path(path).is_file():
        return [Finding(PROBLEM, subject, f"{path} does not exist")]
    parsed = settings.read_settings_file(path)
    findings = [Finding(PROBLEM, path, problem) for problem in parsed.problems]
    if Path(path).stat().st_mode & stat.S_IROTH:
        findings.append(
            Finding(PROBLEM, path, f"readable by everyone; it holds secrets: chmod 0640 {path}")
        )
    known = known_settings()
    for name in sorted(set(parsed.values) - known):
        findings.append(
            Finding(PROBLEM, path, f"{name} is not a setting eventsite reads (a typo?)")
        )
    if not findings:
        findings.append(Finding(OK, path, f"{len(parsed.values)} settings, well formed"))
    return findings


def settings_findings(environ: Mapping[str, str]) -> tuple[list[Finding], dict | None]:
    """Judge the settings in `environ` (and its settings file); also the config they give.

    Each setting `from_environment` refuses is reported and then left out, so one run names
    every malformed setting rather than only the first.
    """
    findings = settings_file_findings(environ)
    env = dict(environ)
    path = env.get(settings.SETTINGS_FILE_VARIABLE, "").strip()
    if path:  # the well-formed lines, the rest reported above
        env = {**settings.read_settings_file(path).values, **env}
    config = None
    stood_in: set[str] = set()
    for _ in range(len(env) + len(_STAND_INS) + 1):
        try:
            config = settings.from_environment({**env, settings.SETTINGS_FILE_VARIABLE: ""})
            break
        except settings.ConfigurationError as error:
            findings.append(Finding(PROBLEM, error.setting or "settings", str(error)))
            if error.setting in env:  # left out: its default is checked instead
                env = {name: value for name, value in env.items() if name != error.setting}
            elif error.setting in _STAND_INS and error.setting not in stood_in:
                stood_in.add(error.setting)  # missing: checked as if given, the rest goes on
                env = {**env, error.setting: _STAND_INS[error.setting]}
            else:
                return findings, None
    if config is None:
        return findings, None
    production = config["ENV_NAME"] == "production"
    findings.append(Finding(OK, "EVENTSITE_ENV", config["ENV_NAME"]))
    if production and "SECRET_KEY" not in stood_in and len(config["SECRET_KEY"]) < 32:
        findings.append(
            Finding(
                PROBLEM,
                "SECRET_KEY",
                "shorter than 32 characters; make one with "
                "python3 -c 'import secrets; print(secrets.token_hex(32))'",
            )
        )
    db_findings = database_url_findings(env.get("DATABASE_URL"))
    if production and db_findings and db_findings[0].level == NOTE:
        db_findings = [
            Finding(NOTE, f.subject, f.message + " (production should use PostgreSQL)")
            for f in db_findings
        ]
    findings += db_findings
    public_url = config["PUBLIC_URL"]
    if not re.match(r"https?://[^/\s]+", public_url):
        findings.append(Finding(PROBLEM, "PUBLIC_URL", "must be http(s)://host[:port]"))
    elif production and not public_url.startswith("https://"):
        findings.append(
            Finding(PROBLEM, "PUBLIC_URL", "must be https:// in production (cookies are Secure)")
        )
    try:
        ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        findings.append(Finding(PROBLEM, "TIMEZONE", f"{config['TIMEZONE']!r} is no time zone"))
    if config["BABEL_DEFAULT_LOCALE"] not in config["LANGUAGES"]:
        findings.append(
            Finding(PROBLEM, "DEFAULT_LOCALE", f"must be one of {', '.join(config['LANGUAGES'])}")
        )
    findings += _rate_limit_findings(config)
    for name in _POSITIVE:
        if not config[name] > 0:
            findings.append(Finding(PROBLEM, name, "must be greater than 0"))
    if not 0 < config["MAIL_PORT"] < 65536:
        findings.append(Finding(PROBLEM, "MAIL_PORT", "must be a port number (1–65535)"))
    if production and config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        findings.append(
            Finding(
                NOTE,
                "RATELIMIT_STORAGE_URI",
                "memory:// counts failed logins per worker; use redis:// with several workers",
            )
        )
    if not config["MAIL_SERVER"]:
        findings.append(Finding(NOTE, "MAIL_SERVER", "unset: mail is kept in the admins' outbox"))
    from eventsite.sms.gateway import check_configuration

    try:
        check_configuration(config)
    except settings.ConfigurationError as error:
        findings.append(Finding(PROBLEM, "SMS", str(error)))
    else:
        if production and config["SMS_BACKEND"] == "outbox":
            findings.append(
                Finding(
                    NOTE,
                    "SMS_BACKEND",
                    "outbox: no text leaves, so nobody can sign up, sign in by code or reset a "
                    "password; set tencent or aliyun once the signature and templates are "
                    "approved (docs/deployment.md)",
                )
            )
        else:
            findings.append(Finding(OK, "SMS_BACKEND", config["SMS_BACKEND"]))
    if production and not config["PRIVACY_CONTACT"]:
        findings.append(
            Finding(
                NOTE,
                "PRIVACY_CONTACT",
                "unset: the privacy notice names no way to reach the union about personal "
                "information (a phone number, an office address or a mail address)",
            )
        )
    return findings, config


def _rate_limit_findings(config: dict) -> list[Finding]:
    from limits import parse_many

    findings = []
    for name in _RATE_LIMITS:
        try:
            parse_many(config[name])
        except ValueError:
            findings.append(
                Finding(PROBLEM, name, f"{config[name]!r} is not a limit like '10 per minute'")
            )
    return findings


def connection_findings(config: dict) -> list[Finding]:
    """Reach what the settings point at: the database (and its schema), Redis, the mail server."""
    import sqlalchemy as sa

    findings = []
    engine = sa.create_engine(config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            findings.append(_schema_finding(connection))
    except sa.exc.SQLAlchemyError as error:
        reason = getattr(error, "orig", error)
        findings.append(
            Finding(PROBLEM, "database", f"cannot connect: {type(reason).__name__}: {reason}")
        )
    finally:
        engine.dispose()
    storage = config["RATELIMIT_STORAGE_URI"]
    if storage.startswith(("redis://", "rediss://")):
        try:
            import redis

            redis.Redis.from_url(storage, socket_connect_timeout=5).ping()
            findings.append(Finding(OK, "RATELIMIT_STORAGE_URI", "Redis answers"))
        except Exception as error:  # redis raises several families; all mean "not reachable"
            findings.append(
                Finding(PROBLEM, "RATELIMIT_STORAGE_URI", f"Redis: {type(error).__name__}")
            )
    if config["MAIL_SERVER"]:
        try:
            with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
                smtp.ehlo()
                if config["MAIL_USE_TLS"]:
                    smtp.starttls()
                if config["MAIL_USERNAME"]:
                    smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            findings.append(Finding(OK, "MAIL_SERVER", "the mail server accepts the sign-in"))
        except (OSError, smtplib.SMTPException) as error:
            findings.append(Finding(PROBLEM, "MAIL_SERVER", f"{type(error).__name__}: {error}"))
    return findings


def _schema_finding(connection) -> Finding:
    import sqlalchemy as sa
    from alembic.script import ScriptDirectory

    migrations = Path(settings.PROJECT_ROOT, "eventsite", "migrations")
    script = ScriptDirectory.from_config(_alembic_config(migrations))
    heads = set(script.get_heads())
    try:
        current = set(
            connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        )
    except sa.exc.SQLAlchemyError:
        current = set()
    if current == heads:
        return Finding(OK, "database", f"reachable, schema current ({', '.join(sorted(heads))})")
    shown = ", ".join(sorted(current)) or "empty"
    return Finding(
        PROBLEM,
        "database",
        f"reachable, schema at {shown}, code expects {', '.join(sorted(heads))}: run flask db upgrade",
    )


def _alembic_config(migrations: Path):
    from alembic.config import Config

    alembic_config = Config(str(migrations / "alembic.ini"))
    alembic_config.set_main_option("script_location", str(migrations))
    return alembic_config


config_cli = click.Group("config", help="Check the settings.")


@config_cli.command("check")
@click.option(
    "--connect/--no-connect",
    default=True,
    show_default=True,
    help="Also reach the database, Redis and the mail server.",
)
def check_command(connect: bool) -> None:
    """Say what is missing or malformed in the settings (EVENTSITE_ENV_FILE and the environment);
    exit 1 when anything would stop the app or break a feature."""
    findings, config = settings_findings(os.environ)
    if config is not None and connect:
        findings += connection_findings(config)
    for finding in findings:
        click.echo(finding.line())
    problems = sum(finding.level == PROBLEM for finding in findings)
    if problems:
        click.echo(f"{problems} problem(s) found.")
        raise SystemExit(1)
    click.echo("The settings are complete.")
