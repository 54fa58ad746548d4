"""What a backup is called, and which old ones rotation removes: pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

#: A label names why a dump was taken ("nightly", "pre-upgrade"): lowercase letters, digits, dashes.
LABEL = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: Every dump `flask backup` writes, and only those: what rotation may remove.
DUMP_NAME = re.compile(
    r"eventsite-(?P<label>[a-z0-9]+(?:-[a-z0-9]+)*)-(?P<taken>\d{8}T\d{6}Z)\.(?:pgdump|sqlite)"
)
TIMESTAMP = "%Y%m%dT%H%M%SZ"


def valid_label(label: str) -> bool:
    """A label is lowercase letters and digits in dash-separated words, at most 40 characters."""
    return len(label) <= 40 and LABEL.fullmatch(label) is not None


def dump_name(label: str, taken_at: datetime, extension: str) -> str:
    """`eventsite-<label>-<UTC time, to the second>.<extension>`: sorts by time within a label."""
    return f"eventsite-{label}-{taken_at.astimezone(UTC).strftime(TIMESTAMP)}.{extension}"


def taken_at(name: str) -> datetime | None:
    """When the dump of that file name was taken, or None for a file that is not one of ours."""
    match = DUMP_NAME.fullmatch(name)
    if match is None:
        return None
    return datetime.strptime(match["taken"], TIMESTAMP).replace(tzinfo=UTC)


def expired(names: Iterable[str], now: datetime, keep_days: int, written: str) -> list[str]:
    """Our dumps taken more than `keep_days` days before `now`, never the one just `written`;
    files that are not our dumps are never touched."""
    cutoff = now - timedelta(days=keep_days)
    return sorted(
        name
        for name in names
        if name != written and (moment := taken_at(name)) is not None and moment < cutoff
    )
