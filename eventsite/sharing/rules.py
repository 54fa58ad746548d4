"""What a shared event says about itself: the poster's places line; no Flask, no database."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


class PlacesStanding(enum.StrEnum):
    """What the poster tells a member about getting a place."""

    CANCELLED = "cancelled"
    DRAFT = "draft"
    NOT_YET = "not_yet"
    CLOSED = "closed"
    NO_LIMIT = "no_limit"
    LEFT = "left"
    WAITLIST = "waitlist"


@dataclass(frozen=True)
class Places:
    standing: PlacesStanding
    #: The places left (LEFT only).
    left: int | None = None


def places_standing(registration: str, overall: int | None) -> Places:
    """A cancelled, draft, not-yet-open or closed registration says just that; an open one says
    how many places are left, that there is no limit, or, when none is left, that a member who
    registers joins the waitlist."""
    if registration != "open":
        return Places(PlacesStanding(registration))
    if overall is None:
        return Places(PlacesStanding.NO_LIMIT)
    if overall > 0:
        return Places(PlacesStanding.LEFT, overall)
    return Places(PlacesStanding.WAITLIST)


def summary(parts: list[str], limit: int) -> str:
    """The non-empty parts joined by " · ", cut to `limit` characters with an ellipsis: a chat
    card shows two or three lines of description at most."""
    text = " · ".join(" ".join(part.split()) for part in parts if part and part.strip())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def time_span(start: datetime, end: datetime, day: Callable[[datetime], str]) -> str:
    """A local start and end as the poster gives them: one day and both hours when the event
    ends on the day it starts ("12月20日周六 14:00–17:30"), else each day with its hour."""
    if start.date() == end.date():
        return f"{day(start)} {start:%H:%M}–{end:%H:%M}"
    return f"{day(start)} {start:%H:%M} – {day(end)} {end:%H:%M}"


def day_skeleton(moment: datetime, now: datetime) -> str:
    """The CLDR skeleton a day is shown with: month, day and weekday; the year too when it is
    not the current one."""
    return "MMMEd" if moment.year == now.year else "yMMMEd"
