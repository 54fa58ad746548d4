"""The feedback survey's decisions as plain functions: when it is open, who may answer it,
what a rating and a comment must be, and what organizers may see of the responses.

Nothing here touches Flask or the database; `feedback.service` feeds these its rows.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

#: The survey is open for this long after the event ends.
FEEDBACK_DAYS = 7
WINDOW = timedelta(days=FEEDBACK_DAYS)
#: Ratings run from 1 (very dissatisfied) to 5 (very satisfied).
RATINGS = (1, 2, 3, 4, 5)
#: The longest comment accepted, in characters.
COMMENT_MAX = 1000
#: Organizers see the results only from this many responses: with fewer, an answer could be
#: told apart as one person's (only the number is shown).
RESULTS_SHOWN_FROM = 5

#: Comments, and written answers to each question, shown on one page of the results.
WRITTEN_PER_PAGE = 20

#: Control characters a comment may not hold (it keeps its line breaks and tabs).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Refusal(enum.StrEnum):
    """Why a member may not answer an event's survey now."""

    NOT_ATTENDEE = "not_attendee"
    EVENT_NOT_HELD = "event_not_held"
    NOT_YET = "not_yet"
    CLOSED = "closed"
    ALREADY_ANSWERED = "already_answered"


def window(ends_at: datetime) -> tuple[datetime, datetime]:
    """The survey opens when the event ends and closes 7 days later: [opens, closes)."""
    return ends_at, ends_at + WINDOW


def is_open(ends_at: datetime, now: datetime) -> bool:
    """Open from the event's end (included) until exactly 7 days after it (excluded)."""
    opens, closes = window(ends_at)
    return opens <= now < closes


def refusal(
    *,
    published: bool,
    confirmed: bool,
    checked_in: bool,
    ends_at: datetime,
    answered: bool,
    now: datetime,
) -> Refusal | None:
    """Why this member may not answer now, or None: only a confirmed, checked-in attendee of a
    held (published) event, while the window is open, once."""
    if not (confirmed and checked_in):
        return Refusal.NOT_ATTENDEE
    if not published:
        return Refusal.EVENT_NOT_HELD
    if answered:
        return Refusal.ALREADY_ANSWERED
    opens, closes = window(ends_at)
    if now < opens:
        return Refusal.NOT_YET
    if now >= closes:
        return Refusal.CLOSED
    return None


class InputProblem(enum.StrEnum):
    """Why the survey's own fields (rating, comment) are refused."""

    RATING_REQUIRED = "rating_required"
    NOT_A_RATING = "not_a_rating"
    COMMENT_TOO_LONG = "comment_too_long"
    CONTROL_CHARACTER = "control_character"


def read_rating(sent: Sequence[str]) -> int | InputProblem:
    """The rating from what the form sent for it: exactly one of "1" … "5"."""
    given = [text.strip() for text in sent if text.strip()]
    if not given:
        return InputProblem.RATING_REQUIRED
    if len(given) > 1 or given[0] not in {str(r) for r in RATINGS}:
        return InputProblem.NOT_A_RATING
    return int(given[0])


def read_comment(sent: Sequence[str]) -> str | InputProblem:
    """The comment, trimmed: optional, at most 1000 characters, no control characters."""
    if len(sent) > 1:  # the field sent twice: never from our form
        return InputProblem.COMMENT_TOO_LONG
    text = (sent[0] if sent else "").strip()
    if len(text) > COMMENT_MAX:
        return InputProblem.COMMENT_TOO_LONG
    if _CONTROL.search(text):
        return InputProblem.CONTROL_CHARACTER
    return text


def results_shown(responses: int) -> bool:
    """Organizers see the results from 5 responses; below that, only how many came in."""
    return responses >= RESULTS_SHOWN_FROM


def average(total: int, count: int) -> Decimal | None:
    """`total` ÷ `count` to one decimal place (half up), or None for no count."""
    if count < 0 or total < 0:
        raise ValueError(f"Cannot average {total} over {count}.")
    if count == 0:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RatingSummary:
    responses: int
    average: Decimal | None
    #: How many responses gave each rating, 1 to 5, every rating present (0 when none).
    distribution: dict[int, int]


def rating_summary(counts: Mapping[int, int]) -> RatingSummary:
    """Number, average and distribution of the ratings from {rating: how many}."""
    unknown = set(counts) - set(RATINGS)
    if unknown:
        raise ValueError(f"Not ratings: {sorted(unknown)}")
    distribution = {rating: counts.get(rating, 0) for rating in RATINGS}
    responses = sum(distribution.values())
    total = sum(rating * count for rating, count in distribution.items())
    return RatingSummary(responses, average(total, responses), distribution)


def choice_counts(stored: Iterable[str], choice_ids: Sequence[int]) -> dict[int, int]:
    """How many answers picked each choice, from stored answers ("3" or "3,5"); every choice
    present, choices no longer on the question ignored."""
    counts = dict.fromkeys(choice_ids, 0)
    for value in stored:
        for part in set(value.split(",")):
            if part.isdigit() and int(part) in counts:
                counts[int(part)] += 1
    return counts


def number_average(stored: Iterable[str]) -> tuple[int, Decimal | None]:
    """How many number answers, and their average to one decimal place."""
    numbers = [int(value) for value in stored if re.fullmatch(r"-?[0-9]+", value)]
    if not numbers:
        return 0, None
    total = sum(numbers)
    exact = Decimal(total) / Decimal(len(numbers))
    return len(numbers), exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def written_page(asked: int, longest: int, per_page: int = WRITTEN_PER_PAGE) -> int:
    """The page of written answers to show: the one asked for, kept between the first page and
    the last page of the longest list (no answers: one page)."""
    if per_page < 1:
        raise ValueError(f"A page holds at least one answer, not {per_page}.")
    last = max(1, -(-longest // per_page))
    return min(max(1, asked), last)
