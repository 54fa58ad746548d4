"""Settings from environment variables, with documented defaults.

| variable | default | meaning |
|---|---|---|
| EVENTSITE_ENV | development | `production` makes SECRET_KEY mandatory and cookies secure |
| SECRET_KEY | generated once into instance/secret_key (development only) | signs sessions, CSRF and check-in tokens |
| DATABASE_URL | sqlite:///instance/eventsite.db | SQLAlchemy URL; `postgresql://…` uses psycopg 3 |
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
| ROSTER_PAGE_SIZE | 50 | rows per roster page |
| ROSTER_MESSAGES_PER_DAY | 3 | messages an event's organizers may send to its roster per day (the site's day), and as many again each team's leaders and captains to their team |
| CHECKIN_OPENS_HOURS | 3 | how many hours before an event starts its check-in opens; an earlier check-in is refused (it would hand a mixer number to someone not there) |
| MIXER_RETENTION_DAYS | 30 | days after a mixer's exchange window closes until its marks and its expired, unaccepted introduction requests are deleted (a request is kept until it expires, declined or not) |
| MIXER_MARK_RATE_LIMIT | 30 per minute;300 per hour | marking taps per member in a mixer's exchange (slows down timing probes) |
| MEET_BOARD_CACHE_SECONDS | 60 | longest a sports meet's live board is kept unchanged (it is rebuilt at once when a result or an audited change arrives); 0 rebuilds it on every request |
| PRIVACY_CONTROLLER | (unset) | who processes members' personal information, as the privacy notice names it (the union's full name, e.g. 芜湖市总工会); unset, the notice speaks of "the trade union that holds the events on this site" |
| PRIVACY_CONTACT | (unset) | how members reach the union about their personal information (a phone number, an address, a mail address), shown in the privacy notice; unset, the notice points to the union office that runs the event |
| DATA_EXPORT_RATE_LIMIT | 5 per hour;20 per day | downloads of a member's own data ("Download my data") per member |
| PUBLIC_URL | http://127.0.0.1:5000 | absolute links in mail and in QR codes made outside a request |
| SECURITY_CONTACT | (unset) | where to report a security problem (`mailto:…` or `https://…`), published in `/.well-known/security.txt`; unset, that file is a 404 |
| BACKUP_DIR | instance/backups | where `flask backup` writes its dumps (created 0700 if missing; each dump 0600) |
| BACKUP_KEEP_DAYS | 30 | `flask backup` removes its dumps older than this many days (never the one it just wrote) |
| TRUSTED_PROXIES | 0 | reverse proxies in front of the app (nginx: 1); their X-Forwarded-For/-Proto/-Host are believed, so the login limit counts each member's own address |
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("EVENTSITE_INSTANCE_PATH", PROJECT_ROOT / "instance"))


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message says which."""


def database_url(raw: str | None) -> str:
    """Normalise a DATABASE_URL: PostgreSQL URLs use the psycopg 3 driver."""
    if not raw:
        return f"sqlite:///{INSTANCE_PATH / 'eventsite.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _development_secret_key() -> str:
    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_PATH / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _json_object(name: str) -> dict:
    """A setting holding a JSON object; unset is {}, anything else a ConfigurationError."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ConfigurationError(f"{name} is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise ConfigurationError(f"{name} must be a JSON object")
    return value


def from_environment() -> dict:
    """Build the Flask config mapping from the process environment."""
    env = os.environ.get("EVENTSITE_ENV", "development")
    production = env == "production"
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigurationError("SECRET_KEY must be set when EVENTSITE_ENV=production")
        secret_key = _development_secret_key()
    db_url = database_url(os.environ.get("DATABASE_URL"))
    return {
        "ENV_NAME": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": db_url,
        # hide_parameters: SQL parameters (members' mobiles, names) never appear in database
        # error messages, tracebacks or logs.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "zh_Hans_CN"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_Hans_CN", "en"],
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # An unreachable counter store (Redis) raises limits' StorageError: the route limits
        # (marking taps) let the request through and log it; a login answers "busy" (503),
        # since letting logins through uncounted would open the door to guessing.
        "RATELIMIT_STORAGE_OPTIONS": {"wrap_exceptions": True},
        "RATELIMIT_SWALLOW_ERRORS": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "LOGIN_ACCOUNT_RATE_LIMIT": os.environ.get(
            "LOGIN_ACCOUNT_RATE_LIMIT", "20 per hour;50 per day"
        ),
        "LOGIN_ADDRESS_RATE_LIMIT": os.environ.get(
            "LOGIN_ADDRESS_RATE_LIMIT", "30 per 10 minutes;200 per day"
        ),
        # Verification codes, counted in the same storage; an unreachable Redis refuses to send.
        "SMS_CODE_MOBILE_LIMIT": os.environ.get("SMS_CODE_MOBILE_LIMIT", "10 per day"),
        "SMS_CODE_ADDRESS_LIMIT": os.environ.get(
            "SMS_CODE_ADDRESS_LIMIT", "60 per hour;200 per day"
        ),
        "SIGN_IN_IDLE_DAYS": int(os.environ.get("SIGN_IN_IDLE_DAYS", "30")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "eventsite@localhost"),
        "SMS_BACKEND": os.environ.get("SMS_BACKEND", "outbox"),
        "SMS_SIGN_NAME": os.environ.get("SMS_SIGN_NAME", "职工活动"),
        "SMS_TEMPLATES": _json_object("SMS_TEMPLATES"),
        "SMS_RATE_PER_SECOND": float(os.environ.get("SMS_RATE_PER_SECOND", "20")),
        "SMS_TENCENT_SECRET_ID": os.environ.get("SMS_TENCENT_SECRET_ID") or None,
        "SMS_TENCENT_SECRET_KEY": os.environ.get("SMS_TENCENT_SECRET_KEY") or None,
        "SMS_TENCENT_SDK_APP_ID": os.environ.get("SMS_TENCENT_SDK_APP_ID") or None,
        "SMS_TENCENT_REGION": os.environ.get("SMS_TENCENT_REGION", "ap-guangzhou"),
        "SMS_TENCENT_ENDPOINT": os.environ.get("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com"),
        "SMS_ALIYUN_ACCESS_KEY_ID": os.environ.get("SMS_ALIYUN_ACCESS_KEY_ID") or None,
        "SMS_ALIYUN_ACCESS_KEY_SECRET": os.environ.get("SMS_ALIYUN_ACCESS_KEY_SECRET") or None,
        "SMS_ALIYUN_ENDPOINT": os.environ.get("SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com"),
        "SCHEDULER_JOBSTORE_URL": database_url(os.environ.get("SCHEDULER_JOBSTORE_URL"))
        if os.environ.get("SCHEDULER_JOBSTORE_URL")
        else db_url,
        "SCHEDULER_TICK_SECONDS": int(os.environ.get("SCHEDULER_TICK_SECONDS", "60")),
        "SCHEDULER_IN_PROCESS": _flag("SCHEDULER_IN_PROCESS"),
        "ROSTER_PAGE_SIZE": int(os.environ.get("ROSTER_PAGE_SIZE", "50")),
        "ROSTER_MESSAGES_PER_DAY": int(os.environ.get("ROSTER_MESSAGES_PER_DAY", "3")),
        "CHECKIN_OPENS_HOURS": float(os.environ.get("CHECKIN_OPENS_HOURS", "3")),
        "MIXER_RETENTION_DAYS": int(os.environ.get("MIXER_RETENTION_DAYS", "30")),
        "MIXER_MARK_RATE_LIMIT": os.environ.get(
            "MIXER_MARK_RATE_LIMIT", "30 per minute;300 per hour"
        ),
        "MEET_BOARD_CACHE_SECONDS": float(os.environ.get("MEET_BOARD_CACHE_SECONDS", "60")),
        "PRIVACY_CONTROLLER": os.environ.get("PRIVACY_CONTROLLER", "").strip(),
        "PRIVACY_CONTACT": os.environ.get("PRIVACY_CONTACT", "").strip(),
        "DATA_EXPORT_RATE_LIMIT": os.environ.get("DATA_EXPORT_RATE_LIMIT", "5 per hour;20 per day"),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        "SECURITY_CONTACT": os.environ.get("SECURITY_CONTACT", "").strip(),
        "BACKUP_DIR": os.environ.get("BACKUP_DIR") or str(INSTANCE_PATH / "backups"),
        "BACKUP_KEEP_DAYS": int(os.environ.get("BACKUP_KEEP_DAYS", "30")),
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    }
