"""Settings from environment variables, with documented defaults.

| variable | default | meaning |
|---|---|---|
| EVENTSITE_ENV_FILE | (unset) | a settings file the app reads itself (`NAME=value` lines, values taken as written, no quotes); the process environment overrides it. Production: /etc/eventsite/env; `flask config check` checks it |
| EVENTSITE_INSTANCE_PATH | instance/ in the checkout | the folder for the SQLite file, the development key, backups |
| EVENTSITE_ENV | development | `production` makes SECRET_KEY mandatory and cookies secure |
| SECRET_KEY | generated once into instance/secret_key (development only) | signs sessions, CSRF and check-in tokens |
| DATABASE_URL | sqlite:///instance/eventsite.db | SQLAlchemy URL; `postgresql://…` uses psycopg 3 |
| DATABASE_PREPARED_STATEMENTS | true | PostgreSQL: let psycopg prepare statements it runs often on a connection; `false` behind PgBouncer in transaction mode (1.18, Debian 12's, cannot keep them across its server connections) |
| TIMEZONE | Asia/Shanghai | the zone times are shown and entered in (stored in UTC) |
| DEFAULT_LOCALE | zh_Hans_CN | interface language unless a member picks another (zh_Hans_CN, en) |
| RATELIMIT_STORAGE_URI | memory:// | Flask-Limiter storage; `redis://127.0.0.1:6379/0` across workers |
| LOGIN_RATE_LIMIT | 10 per minute;50 per hour | failed logins per client address and mobile number |
| LOGIN_ACCOUNT_RATE_LIMIT | 20 per hour;50 per day | failed logins per mobile number from all addresses; using it up tells the account's owner |
| LOGIN_ADDRESS_RATE_LIMIT | 30 per 10 minutes;200 per day | failed logins per client address (an IPv6 /64) over all numbers: stops password spraying |
| SMS_CODE_MOBILE_LIMIT | 10 per day | verification codes one mobile number may be sent (counted whether or not an account has it) |
| SMS_CODE_ADDRESS_LIMIT | 60 per hour;200 per day | verification codes asked for from one client address (an IPv6 /64), over all numbers |
| SIGN_IN_IDLE_DAYS | 30 | a signed-in device (session or remember-me cookie) unused this many days is signed out |
| MAIL_SERVER | (unset) | SMTP host; unset keeps mail in the outbox table, visible to admins |
| MAIL_PORT / MAIL_USERNAME / MAIL_PASSWORD / MAIL_USE_TLS / MAIL_FROM | 25 / – / – / false / eventsite@localhost | SMTP details |
| SMS_BACKEND | outbox | how text messages leave: `outbox` keeps them for admins to read (and prints codes on the console in development), `tencent` or `aliyun` send them through that provider's SDK |
| SMS_SIGN_NAME | 职工活动 | the registered SMS signature (签名), shown as 【签名】 in front of every text |
| SMS_TEMPLATES | {} | JSON: each kind of message → `{"template": "its approved template id", "params": [its parameter names in the template's order]}`; every kind needs one with `tencent` or `aliyun` (docs/deployment.md) |
| SMS_RATE_PER_SECOND | 20 | texts sent per second at most, by all senders together (the provider's rate limit) |
| SMS_TENCENT_SECRET_ID / SMS_TENCENT_SECRET_KEY / SMS_TENCENT_SDK_APP_ID | – | Tencent Cloud API key and the SMS application's SdkAppId (`tencent`) |
| SMS_TENCENT_REGION / SMS_TENCENT_ENDPOINT | ap-guangzhou / sms.tencentcloudapi.com | Tencent Cloud region and API host |
| SMS_ALIYUN_ACCESS_KEY_ID / SMS_ALIYUN_ACCESS_KEY_SECRET | – | Alibaba Cloud AccessKey (`aliyun`) |
| SMS_ALIYUN_ENDPOINT | dysmsapi.aliyuncs.com | Alibaba Cloud SMS API host |
| SCHEDULER_JOBSTORE_URL | DATABASE_URL | where APScheduler keeps its jobs |
| SCHEDULER_TICK_SECONDS | 60 | how often the scheduler looks for due notices |
| SCHEDULER_STALE_SECONDS | 120 | the health checks (`/status`, `flask scheduler status`) fail when no scheduler job has run for longer than this |
| MAIL_STALE_SECONDS | 300 | with MAIL_SERVER set, the health checks fail when a mail still to send has waited longer than this |
| STATUS_TOKEN | (unset) | a long random secret: `Authorization: Bearer <STATUS_TOKEN>` reads `/status` without signing in (monitoring); unset, only a signed-in admin reads it |
| ROSTER_PAGE_SIZE | 50 | rows per roster page |
| ROSTER_MESSAGES_PER_DAY | 3 | messages an event's organizers may send to its roster per day (the site's day), and as many again each team's leaders and captains to their team |
| CHECKIN_OPENS_HOURS | 3 | how many hours before an event starts its check-in opens; an earlier check-in is refused (it would hand a mixer number to someone not there) |
| MIXER_RETENTION_DAYS | 30 | days after a mixer's exchange window closes until its marks and its expired, unaccepted introduction requests are deleted (a request is kept until it expires, declined or not) |
| SENSITIVE_ANSWER_RETENTION_DAYS | 30 | days after an event ends until the answers to its sensitive registration questions (an ID number for insurance) are deleted by the scheduler |
| MIXER_MARK_RATE_LIMIT | 30 per minute;300 per hour | marking taps per member in a mixer's exchange (slows down timing probes) |
| CACHE_STORAGE_URI | memory:// (development); in production RATELIMIT_STORAGE_URI when that is redis://, else none | where kept pages (the public event list) and their versions live: `redis://…` shares them between every process and machine; `memory://` keeps them per process (right only where one process serves); `none` keeps nothing (eventsite/core/cache.py) |
| CACHE_SECONDS | 300 | longest a kept page lives; a change made through the app shows at once, one made past it (psql, a restore) within this |
| MEET_BOARD_CACHE_SECONDS | 60 | longest a sports meet's live board is kept unchanged (it is rebuilt at once when a result or an audited change arrives); 0 rebuilds it on every request |
| PRIVACY_CONTROLLER | (unset) | who processes members' personal information, as the privacy notice names it (the union's full name, e.g. 芜湖市总工会); unset, the notice speaks of "the trade union that holds the events on this site" |
| PRIVACY_CONTACT | (unset) | how members reach the union about their personal information (a phone number, an address, a mail address), shown in the privacy notice; unset, the notice points to the union office that runs the event |
| DATA_EXPORT_RATE_LIMIT | 5 per hour;20 per day | downloads of a member's own data ("Download my data") per member |
| PUBLIC_URL | http://127.0.0.1:5000 | absolute links in mail and in QR codes made outside a request |
| SECURITY_CONTACT | (unset) | where to report a security problem (`mailto:…` or `https://…`), published in `/.well-known/security.txt`; unset, that file is a 404 |
| BACKUP_DIR | instance/backups | where `flask backup` writes its dumps (created 0700 if missing; each dump 0600) |
| POSTER_DIR | instance/posters | where uploaded event covers are stored (their sized copies, EXIF removed); the app creates it |
| BACKUP_KEEP_DAYS | 30 | `flask backup` removes its dumps older than this many days (never the one it just wrote) |
| TRUSTED_PROXIES | 0 | reverse proxies in front of the app (nginx: 1); their X-Forwarded-For/-Proto/-Host are believed, so the login limit counts each member's own address |
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The instance folder unless EVENTSITE_INSTANCE_PATH (in the environment or the settings file)
#: names another.
INSTANCE_PATH = Path(os.environ.get("EVENTSITE_INSTANCE_PATH", PROJECT_ROOT / "instance"))
#: The variable naming the settings file the app reads itself (production: /etc/eventsite/env).
SETTINGS_FILE_VARIABLE = "EVENTSITE_ENV_FILE"

_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message says which."""

    def __init__(self, message: str, setting: str | None = None):
        super().__init__(message)
        #: The variable at fault, when one is.
        self.setting = setting


@dataclass(frozen=True)
class SettingsFile:
    """What a settings file holds: its values, and what is wrong with its lines."""

    values: dict[str, str]
    problems: list[str]


def parse_settings_file(text: str) -> SettingsFile:
    """Read `NAME=value` lines: `#` starts a comment line, blank lines are skipped.

    The value is everything after the first `=`, trimmed, taken as written: no quotes removed, no
    `$` expanded, no backslash escapes. A quoted value, a backslash or an `export` is refused
    rather than guessed at, since systemd and the shell would each read it differently
    (`pa$$w0rd` in a shell is `pa` + the shell's process id + `w0rd`).
    """
    values: dict[str, str] = {}
    first_line: dict[str, int] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"line {number}"
        if line.startswith("export "):
            problems.append(f"{where}: write NAME=value without `export`")
            continue
        name, equals, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not equals:
            problems.append(f"{where}: not NAME=value")
            continue
        if not _NAME.fullmatch(name):
            problems.append(
                f"{where}: {name!r} is not a variable name (capital letters, digits and _)"
            )
            continue
        if value[:1] in ("'", '"'):
            problems.append(
                f"{where}: {name} is quoted; write the value without quotes, it is taken as written"
            )
            continue
        if "\\" in value:
            problems.append(f"{where}: {name} contains a backslash, which is not allowed here")
            continue
        if name in values:
            problems.append(f"{where}: {name} is set twice (first on line {first_line[name]})")
            continue
        values[name] = value
        first_line[name] = number
    return SettingsFile(values, problems)


def read_settings_file(path: str | Path) -> SettingsFile:
    """`parse_settings_file` of the file at `path`; an unreadable file is one problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return SettingsFile({}, [f"cannot read {path}: {error.__class__.__name__}: {error}"])
    return parse_settings_file(text)


def settings_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings in force: the file named by EVENTSITE_ENV_FILE, overridden by `environ`.

    The process environment wins, so a one-off `TIMEZONE=… flask …` still works; a file with a
    malformed line stops the start (ConfigurationError listing every problem).
    """
    environ = dict(os.environ if environ is None else environ)
    path = environ.get(SETTINGS_FILE_VARIABLE, "").strip()
    if not path:
        return environ
    settings_file = read_settings_file(path)
    if settings_file.problems:
        raise ConfigurationError(
            f"{path}: " + "; ".join(settings_file.problems), SETTINGS_FILE_VARIABLE
        )
    return {**settings_file.values, **environ}


def instance_path(env: Mapping[str, str]) -> Path:
    raw = env.get("EVENTSITE_INSTANCE_PATH", "").strip()
    return Path(raw) if raw else INSTANCE_PATH


def database_url(raw: str | None, instance: Path | None = None) -> str:
    """Normalise a DATABASE_URL: PostgreSQL URLs use the psycopg 3 driver."""
    if not raw:
        return f"sqlite:///{(instance or INSTANCE_PATH) / 'eventsite.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def engine_options(url: str, prepared_statements: bool = True) -> dict:
    """SQLAlchemy engine options for `url`. Behind a pooler in transaction mode (PgBouncer) a
    client's next transaction may run on another server connection, where a statement psycopg
    prepared earlier does not exist: `prepared_statements=False` makes psycopg never prepare."""
    # hide_parameters: SQL parameters (members' mobiles, names) never appear in database error
    # messages, tracebacks or logs.
    options: dict = {"pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("postgresql") and not prepared_statements:
        options["connect_args"] = {"prepare_threshold": None}
    return options


def _development_secret_key(instance: Path) -> str:
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None or not value.strip():
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}", name)


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}", name) from None


def _default_cache_storage(production: bool, rate_limit_storage: str) -> str:
    """Kept pages live where the rate limits do when that is Redis (every process agrees on
    it); a production app without Redis keeps none, since its workers would not agree."""
    if rate_limit_storage.startswith(("redis://", "rediss://")):
        return rate_limit_storage
    return "none" if production else "memory://"


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}", name) from None
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number, not {raw!r}", name)
    return value


def _json_object(env: Mapping[str, str], name: str) -> dict:
    """A setting holding a JSON object; unset is {}, anything else a ConfigurationError."""
    raw = env.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ConfigurationError(f"{name} is not valid JSON: {error}", name) from error
    if not isinstance(value, dict):
        raise ConfigurationError(f"{name} must be a JSON object", name)
    return value


def from_environment(environ: Mapping[str, str] | None = None) -> dict:
    """Build the Flask config mapping from the settings file and the process environment."""
    env = settings_environment(environ)
    env_name = env.get("EVENTSITE_ENV", "development")
    if env_name not in ("development", "production"):
        raise ConfigurationError(
            f"EVENTSITE_ENV must be development or production, not {env_name!r}", "EVENTSITE_ENV"
        )
    production = env_name == "production"
    instance = instance_path(env)
    secret_key = env.get("SECRET_KEY", "").strip()
    if not secret_key:
        if production:
            raise ConfigurationError(
                "SECRET_KEY must be set when EVENTSITE_ENV=production", "SECRET_KEY"
            )
        secret_key = _development_secret_key(instance)
    db_url = database_url(env.get("DATABASE_URL"), instance)
    prepared_statements = _flag(env, "DATABASE_PREPARED_STATEMENTS", default=True)
    return {
        "ENV_NAME": env_name,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(db_url, prepared_statements),
        "DATABASE_PREPARED_STATEMENTS": prepared_statements,
        "TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "BABEL_DEFAULT_LOCALE": env.get("DEFAULT_LOCALE", "zh_Hans_CN"),
        "BABEL_DEFAULT_TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_Hans_CN", "en"],
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # An unreachable counter store (Redis) raises limits' StorageError: the route limits
        # (marking taps) let the request through and log it; a login answers "busy" (503),
        # since letting logins through uncounted would open the door to guessing.
        "RATELIMIT_STORAGE_OPTIONS": {"wrap_exceptions": True},
        "RATELIMIT_SWALLOW_ERRORS": True,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("LOGIN_ACCOUNT_RATE_LIMIT", "20 per hour;50 per day"),
        "LOGIN_ADDRESS_RATE_LIMIT": env.get(
            "LOGIN_ADDRESS_RATE_LIMIT", "30 per 10 minutes;200 per day"
        ),
        # Verification codes, counted in the same storage; an unreachable Redis refuses to send.
        "SMS_CODE_MOBILE_LIMIT": env.get("SMS_CODE_MOBILE_LIMIT", "10 per day"),
        "SMS_CODE_ADDRESS_LIMIT": env.get("SMS_CODE_ADDRESS_LIMIT", "60 per hour;200 per day"),
        "SIGN_IN_IDLE_DAYS": _integer(env, "SIGN_IN_IDLE_DAYS", 30),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": _integer(env, "MAIL_PORT", 25),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(env, "MAIL_USE_TLS"),
        "MAIL_FROM": env.get("MAIL_FROM", "eventsite@localhost"),
        "SMS_BACKEND": env.get("SMS_BACKEND", "outbox"),
        "SMS_SIGN_NAME": env.get("SMS_SIGN_NAME", "职工活动"),
        "SMS_TEMPLATES": _json_object(env, "SMS_TEMPLATES"),
        "SMS_RATE_PER_SECOND": _number(env, "SMS_RATE_PER_SECOND", 20),
        "SMS_TENCENT_SECRET_ID": env.get("SMS_TENCENT_SECRET_ID") or None,
        "SMS_TENCENT_SECRET_KEY": env.get("SMS_TENCENT_SECRET_KEY") or None,
        "SMS_TENCENT_SDK_APP_ID": env.get("SMS_TENCENT_SDK_APP_ID") or None,
        "SMS_TENCENT_REGION": env.get("SMS_TENCENT_REGION", "ap-guangzhou"),
        "SMS_TENCENT_ENDPOINT": env.get("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com"),
        "SMS_ALIYUN_ACCESS_KEY_ID": env.get("SMS_ALIYUN_ACCESS_KEY_ID") or None,
        "SMS_ALIYUN_ACCESS_KEY_SECRET": env.get("SMS_ALIYUN_ACCESS_KEY_SECRET") or None,
        "SMS_ALIYUN_ENDPOINT": env.get("SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com"),
        "SCHEDULER_JOBSTORE_URL": database_url(env.get("SCHEDULER_JOBSTORE_URL"), instance)
        if env.get("SCHEDULER_JOBSTORE_URL")
        else db_url,
        "SCHEDULER_TICK_SECONDS": _integer(env, "SCHEDULER_TICK_SECONDS", 60),
        "SCHEDULER_IN_PROCESS": _flag(env, "SCHEDULER_IN_PROCESS"),
        "SCHEDULER_STALE_SECONDS": _integer(env, "SCHEDULER_STALE_SECONDS", 120),
        "MAIL_STALE_SECONDS": _integer(env, "MAIL_STALE_SECONDS", 300),
        "STATUS_TOKEN": env.get("STATUS_TOKEN", "").strip() or None,
        "ROSTER_PAGE_SIZE": _integer(env, "ROSTER_PAGE_SIZE", 50),
        "ROSTER_MESSAGES_PER_DAY": _integer(env, "ROSTER_MESSAGES_PER_DAY", 3),
        "CHECKIN_OPENS_HOURS": _number(env, "CHECKIN_OPENS_HOURS", 3),
        "MIXER_RETENTION_DAYS": _integer(env, "MIXER_RETENTION_DAYS", 30),
        "SENSITIVE_ANSWER_RETENTION_DAYS": _integer(env, "SENSITIVE_ANSWER_RETENTION_DAYS", 30),
        "MIXER_MARK_RATE_LIMIT": env.get("MIXER_MARK_RATE_LIMIT", "30 per minute;300 per hour"),
        "CACHE_STORAGE_URI": env.get("CACHE_STORAGE_URI", "").strip()
        or _default_cache_storage(production, env.get("RATELIMIT_STORAGE_URI", "")),
        "CACHE_SECONDS": _number(env, "CACHE_SECONDS", 300),
        "MEET_BOARD_CACHE_SECONDS": _number(env, "MEET_BOARD_CACHE_SECONDS", 60),
        "PRIVACY_CONTROLLER": env.get("PRIVACY_CONTROLLER", "").strip(),
        "PRIVACY_CONTACT": env.get("PRIVACY_CONTACT", "").strip(),
        "DATA_EXPORT_RATE_LIMIT": env.get("DATA_EXPORT_RATE_LIMIT", "5 per hour;20 per day"),
        "PUBLIC_URL": env.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        "SECURITY_CONTACT": env.get("SECURITY_CONTACT", "").strip(),
        "BACKUP_DIR": env.get("BACKUP_DIR", "").strip() or str(instance / "backups"),
        "BACKUP_KEEP_DAYS": _integer(env, "BACKUP_KEEP_DAYS", 30),
        "POSTER_DIR": env.get("POSTER_DIR", "").strip() or str(instance / "posters"),
        "TRUSTED_PROXIES": _integer(env, "TRUSTED_PROXIES", 0),
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        # A 5 MB picture (the cover form's limit) and the rest of its form fit; a larger body is
        # answered 413 with its own page.
        "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
    }
