"""The statistics' decisions as plain functions: rates, the "<5" mask, a year's months.

Nothing here touches the database; `statistics.service` feeds these its counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

#: A sub-organization's mixer count below this is shown as "<5": with so few people a count
#: (or a rate drawn from it) could single an attendee out.
MASK_BELOW = 5

#: How a masked count is shown.
MASKED = f"<{MASK_BELOW}"


def rate(part: int, whole: int) -> float | None:
    """`part` ÷ `whole`, or None when there is nothing to divide by."""
    if part < 0 or whole < 0:
        raise ValueError(f"Counts cannot be negative, not {part} of {whole}.")
    if part > whole:
        raise ValueError(f"A part ({part}) cannot exceed its whole ({whole}).")
    return part / whole if whole else None


def attendance_rate(checked_in: int, confirmed: int) -> float | None:
    """Checked in ÷ confirmed (those who held a place)."""
    return rate(checked_in, confirmed)


def no_show_rate(checked_in: int, confirmed: int) -> float | None:
    """Confirmed but never checked in ÷ confirmed."""
    if checked_in > confirmed:
        raise ValueError(f"More checked in ({checked_in}) than confirmed ({confirmed}).")
    return rate(confirmed - checked_in, confirmed)


def masked(count: int) -> int | str:
    """A count as a sub-organization's mixer figures show it: "<5" from 1 to 4, else itself.

    Zero stays zero: it names nobody, and hiding it would hide that a union held no mixer."""
    if count < 0:
        raise ValueError(f"A count cannot be negative, not {count}.")
    return MASKED if 0 < count < MASK_BELOW else count


def masked_rate(part: int, whole: int) -> float | str | None:
    """A rate shown beside masked counts: hidden ("<5") whenever either count is, since the rate
    times the other count would give the hidden one back."""
    if masked(part) == MASKED or masked(whole) == MASKED:
        return MASKED
    return rate(part, whole)


def percent(value: float | str | None) -> str:
    """A rate as the page and the report write it: "83.3%", "<5" as it is, "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value * 100:.1f}%"


def month_starts(year: int, zone: tzinfo) -> list[datetime]:
    """The 13 instants (UTC) that bound the 12 local months of `year`: the 1st of each month at
    midnight in `zone`, and 1 January of the next year."""
    starts = [datetime(year, month, 1, tzinfo=zone) for month in range(1, 13)]
    starts.append(datetime(year + 1, 1, 1, tzinfo=zone))
    return [moment.astimezone(UTC) for moment in starts]


def year_choices(first: int | None, current: int) -> list[int]:
    """The years a union may look at, newest first: from its first event's year (or this year,
    without events) to this year."""
    start = min(first, current) if first is not None else current
    return list(range(current, start - 1, -1))


def chosen_year(asked: str | None, choices: Iterable[int], current: int) -> int:
    """The year from the query string if it is one of `choices`, else this year."""
    try:
        year = int(asked or "")
    except ValueError:
        return current
    return year if year in set(choices) else current
