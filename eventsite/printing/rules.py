"""Layout decisions for the printed material: the sign-in sheet's order, badges per sheet,
mobile numbers masked, the places certified, which sentence a certificate reads. Pure functions:
no Flask, no database."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from pypinyin import Style, lazy_pinyin

# Chinese line breaking, shared with the share poster.
from eventsite.core.typesetting import NO_LINE_START, wrap_text  # noqa: F401

# A printed list masks a mobile as the admin pages do: 13900000001 → 139****0001.
from eventsite.sms.rules import masked_mobile  # noqa: F401 (part of this module's rules)

T = TypeVar("T")

#: Badges on one A4 sheet: 2 across, 4 down (each 90 × 62 mm, the size of a lanyard badge).
BADGE_COLUMNS = 2
BADGE_ROWS = 4

#: Places that get a certificate in a sports meet item and in the team standings (第一名 to 第三名).
CERTIFICATE_PLACES = 3


def badges_per_page(columns: int = BADGE_COLUMNS, rows: int = BADGE_ROWS) -> int:
    """A sheet holds `columns` × `rows` badges."""
    if columns < 1 or rows < 1:
        raise ValueError(
            f"A sheet of badges needs at least one column and row, not {columns}×{rows}."
        )
    return columns * rows


def pages_of(items: Sequence[T], per_page: int) -> list[list[T]]:
    """`items` cut into pages of `per_page`, in order; the last page may be short; no items, no
    pages."""
    if per_page < 1:
        raise ValueError(f"A page holds at least one item, not {per_page}.")
    return [list(items[i : i + per_page]) for i in range(0, len(items), per_page)]


def badge_slot(
    index: int, columns: int = BADGE_COLUMNS, rows: int = BADGE_ROWS
) -> tuple[int, int, int]:
    """(page, column, row) of the badge at `index`: left to right, then top to bottom."""
    if index < 0:
        raise ValueError(f"A badge's index is not negative, not {index}.")
    page, place = divmod(index, columns * rows)
    row, column = divmod(place, columns)
    return page, column, row


def pinyin_key(name: str) -> tuple[str, ...]:
    """A name's sort key by pinyin, syllable by syllable (张三 → ("zhang", "san")); Latin letters
    sort among the syllables in lower case, and tones do not count."""
    return tuple(s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="default"))


@dataclass(frozen=True)
class SheetLine:
    """One confirmed registration as the sign-in sheet orders it."""

    registration_id: int
    name: str
    #: The team's position in the event's list (None: no team, listed after every team).
    team_position: int | None = None


def sign_in_order(lines: Sequence[SheetLine]) -> list[SheetLine]:
    """Grouped by team in the event's team order (no team last), then by name in pinyin order,
    then by the name itself (homophones), then by registration: a member finds their line
    as in a telephone book."""
    return sorted(
        lines,
        key=lambda line: (
            line.team_position is None,
            line.team_position or 0,
            pinyin_key(line.name),
            line.name,
            line.registration_id,
        ),
    )


class Place(enum.IntEnum):
    """A place that earns a certificate; its title is translated where the certificate is drawn."""

    FIRST = 1
    SECOND = 2
    THIRD = 3


def certified_place(place: int) -> Place:
    """A placing from first to third as the place a certificate names; any other is refused."""
    try:
        return Place(place)
    except ValueError:
        raise ValueError(f"Only the first three places are certified, not {place}.") from None


def certified_places(places: Sequence[int | None], most: int = CERTIFICATE_PLACES) -> list[int]:
    """The indexes of `places` that earn a certificate: placed, and placed `most` or better
    (tied places all earn it, so three teams tied for third all get one)."""
    return [i for i, place in enumerate(places) if place is not None and 1 <= place <= most]


class Wording(enum.StrEnum):
    """Which sentence a certificate reads."""

    #: A contestant's award tier in a competition: "在……中荣获一等奖".
    PERSON_AWARD = "person_award"
    #: A person placed in an individual item: "在……「项目」中荣获第一名".
    PERSON_ITEM_PLACE = "person_item_place"
    #: A team placed in a team item.
    TEAM_ITEM_PLACE = "team_item_place"
    #: A team's place in the meet's overall standings: "荣获团体总分第一名".
    TEAM_STANDING = "team_standing"


def certificate_wording(*, team: bool, item: bool, award_tier: bool) -> Wording:
    """An award tier is a contestant's; an item place is a person's in an individual item and
    a team's otherwise; a place with no item is the team's in the standings."""
    if award_tier:
        return Wording.PERSON_AWARD
    if item:
        return Wording.TEAM_ITEM_PLACE if team else Wording.PERSON_ITEM_PLACE
    if not team:
        raise ValueError("Only a team has a place in the standings.")
    return Wording.TEAM_STANDING
