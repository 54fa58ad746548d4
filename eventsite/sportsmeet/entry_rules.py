"""Entry rules a captain's selection must keep: pure functions, no Flask, no database.

A selection maps each item to the registrations a team puts into it. An empty selection means the
team does not enter that item. Problems are either blocking (the selection cannot be saved: too
many members, a person over the per-person limit, someone not in the team) or open (the entry is
saved but incomplete: too few members, too few women) and are shown until the entries lock.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


class EntryProblem(enum.StrEnum):
    TOO_MANY = "too_many"
    TOO_FEW = "too_few"
    TOO_FEW_WOMEN = "too_few_women"
    PERSON_OVER_LIMIT = "person_over_limit"
    NOT_IN_TEAM = "not_in_team"


#: Problems that stop a selection from being saved.
BLOCKING = frozenset(
    {EntryProblem.TOO_MANY, EntryProblem.PERSON_OVER_LIMIT, EntryProblem.NOT_IN_TEAM}
)


@dataclass(frozen=True)
class ItemTerms:
    """What an item asks of each team's entry."""

    item_id: int
    min_members: int
    #: None: no limit.
    max_members: int | None
    min_women: int = 0


@dataclass(frozen=True)
class Problem:
    """One broken rule: for an item (and a person, where it concerns one)."""

    code: EntryProblem
    item_id: int | None
    registration_id: int | None = None
    #: How many there are, and the limit they break.
    count: int = 0
    limit: int = 0

    @property
    def blocking(self) -> bool:
        return self.code in BLOCKING


def entry_problems(terms: ItemTerms, members: Iterable[int], women: set[int]) -> list[Problem]:
    """A non-empty entry needs at least min members, at most max (when there is a max) and at
    least min_women women."""
    chosen = set(members)
    if not chosen:
        return []
    problems = []
    if terms.max_members is not None and len(chosen) > terms.max_members:
        problems.append(
            Problem(
                EntryProblem.TOO_MANY, terms.item_id, count=len(chosen), limit=terms.max_members
            )
        )
    if len(chosen) < terms.min_members:
        problems.append(
            Problem(EntryProblem.TOO_FEW, terms.item_id, count=len(chosen), limit=terms.min_members)
        )
    female = len(chosen & women)
    if female < terms.min_women:
        problems.append(
            Problem(EntryProblem.TOO_FEW_WOMEN, terms.item_id, count=female, limit=terms.min_women)
        )
    return problems


def person_limit_problems(
    selection: Mapping[int, Iterable[int]], per_person_limit: int | None
) -> list[Problem]:
    """Nobody may be entered in more items than the meet's per-person limit."""
    if per_person_limit is None:
        return []
    counts = Counter(reg for members in selection.values() for reg in set(members))
    return [
        Problem(
            EntryProblem.PERSON_OVER_LIMIT,
            None,
            registration_id=reg,
            count=n,
            limit=per_person_limit,
        )
        for reg, n in sorted(counts.items())
        if n > per_person_limit
    ]


def selection_problems(
    items: Iterable[ItemTerms],
    selection: Mapping[int, Iterable[int]],
    *,
    team_members: set[int],
    women: set[int],
    per_person_limit: int | None,
) -> list[Problem]:
    """Every broken rule of a team's selection: per item, per person, and outsiders."""
    problems: list[Problem] = []
    for terms in items:
        chosen = set(selection.get(terms.item_id, ()))
        problems.extend(
            Problem(EntryProblem.NOT_IN_TEAM, terms.item_id, registration_id=reg)
            for reg in sorted(chosen - team_members)
        )
        problems.extend(entry_problems(terms, chosen & team_members, women))
    problems.extend(person_limit_problems(selection, per_person_limit))
    return problems


def entries_locked(lock_at: datetime | None, meet_starts_at: datetime, now: datetime) -> bool:
    """Entries lock at the organizer's lock time, or when the meet starts if none was set."""
    return now >= (lock_at if lock_at is not None else meet_starts_at)
