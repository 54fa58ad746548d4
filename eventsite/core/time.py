"""Time helpers: everything is stored in UTC and shown in the configured zone."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

#: Tests replace this to freeze the clock; nothing else should call datetime.now().
_clock = None


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    if _clock is not None:
        return _clock()
    return datetime.now(UTC)


def local_zone() -> tzinfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def to_local(moment: datetime | None) -> datetime | None:
    """An aware UTC datetime shown in the configured zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(local_zone())


def from_local(naive: datetime | None) -> datetime | None:
    """A wall-clock time entered in the configured zone, as aware UTC."""
    if naive is None:
        return None
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=local_zone())
    return naive.astimezone(UTC)


def format_local(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC moment as local wall-clock text; empty for None."""
    local = to_local(moment)
    return local.strftime(pattern) if local else ""
