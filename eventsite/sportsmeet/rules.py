"""Sports meet rules: which result is better, placings, points, team standings, medals, brackets.

Plain functions over plain values: no Flask, no database. `service.py` loads the facts, calls
these, and writes the outcome. Measured values are `Decimal`, never float; points are exact
`Fraction`s through every share, sum and tie-break (10 points shared by three are 10/3, and three
such shares make 10, not 9.99), rounded only by `display_points` where a person reads them. A
result type's direction (lower or higher wins) lives only in `ResultType.lower_wins`.

Ranking is "competition ranking" everywhere: tied entrants share a place and the places they
would otherwise have taken are skipped (1, 2, 2, 4).
"""

from __future__ import annotations

import enum
import hashlib
import itertools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from math import floor

# --- Results -----------------------------------------------------------------------------------


class ResultType(enum.StrEnum):
    """How an item's results are measured, and so which result is the better one."""

    TIME = "time"  # lower wins
    COUNT = "count"  # higher wins
    DISTANCE = "distance"  # higher wins
    PLACING = "placing"  # the referee gives the place directly; lower wins
    HEAD_TO_HEAD = "head_to_head"  # matches; the value is the place from the bracket or table

    @property
    def lower_wins(self) -> bool:
        """A smaller value is the better result: times, and places given by a referee or a bracket."""
        return self in _LOWER_WINS

    @property
    def value_is_place(self) -> bool:
        """The value is already a place (a whole number from 1), not a measurement."""
        return self in _VALUE_IS_PLACE


_LOWER_WINS = frozenset({ResultType.TIME, ResultType.PLACING, ResultType.HEAD_TO_HEAD})
_VALUE_IS_PLACE = frozenset({ResultType.PLACING, ResultType.HEAD_TO_HEAD})


class Outcome(enum.StrEnum):
    """How an entrant's attempt ended: a result, did not finish, or disqualified."""

    OK = "ok"
    DNF = "dnf"
    DQ = "dq"


@dataclass(frozen=True)
class Performance:
    """One entrant's result in one item (or heat); `second_value` is a second attempt where allowed."""

    entrant: int
    value: Decimal | None = None
    outcome: Outcome = Outcome.OK
    second_value: Decimal | None = None


# --- Times -------------------------------------------------------------------------------------


class TimeProblem(enum.StrEnum):
    """Why a typed time was refused; the form turns these into translated messages."""

    EMPTY = "empty"
    FORMAT = "format"
    SECONDS_RANGE = "seconds_range"
    MINUTES_RANGE = "minutes_range"
    DECIMALS = "decimals"
    NOT_POSITIVE = "not_positive"


#: English text of each problem (message ids for the caller's `_()`).
TIME_PROBLEM_MESSAGES = {
    TimeProblem.EMPTY: "Enter a time.",
    TimeProblem.FORMAT: "Enter the time as minutes:seconds (1:02.50) or as seconds (62.50).",
    TimeProblem.SECONDS_RANGE: "Seconds must be below 60 when minutes are given.",
    TimeProblem.MINUTES_RANGE: "Minutes must be below 60 when hours are given.",
    TimeProblem.DECIMALS: "Give the time to at most three decimal places.",
    TimeProblem.NOT_POSITIVE: "The time must be more than zero.",
}

#: Times are kept to thousandths at most (electronic timing); hand timing gives hundredths.
MAX_TIME_DECIMALS = 3


class TimeFormatError(ValueError):
    """A typed time that cannot be read; `.problem` says why."""

    def __init__(self, problem: TimeProblem) -> None:
        self.problem = problem
        super().__init__(TIME_PROBLEM_MESSAGES[problem])


def _digits(text: str) -> bool:
    """Only the ASCII digits 0-9 (str.isdigit alone would let "²" or "٣" through)."""
    return text.isascii() and text.isdigit()


def parse_time(text: str) -> Decimal:
    """Seconds in a time typed as "ss.ss", "m:ss.ss" or "h:mm:ss.ss" (full-width digits and colon
    accepted, every part after a colon two digits and below 60); TimeFormatError otherwise."""
    # NFKC turns a Chinese keyboard's full-width "１：０２．５" into "1:02.5".
    text = "".join(unicodedata.normalize("NFKC", text or "").split())
    if not text:
        raise TimeFormatError(TimeProblem.EMPTY)
    parts = text.split(":")
    if len(parts) > 3:
        raise TimeFormatError(TimeProblem.FORMAT)
    *leading, last = parts
    whole, dot, fraction = last.partition(".")
    if not _digits(whole) or (dot and not _digits(fraction)):
        raise TimeFormatError(TimeProblem.FORMAT)
    if not all(_digits(part) for part in leading):
        raise TimeFormatError(TimeProblem.FORMAT)
    # "1:5" could mean 1:05 or 1:50, so every part after a colon has exactly two digits.
    after_colon = [*leading[1:], whole] if leading else []
    if any(len(part) != 2 for part in after_colon):
        raise TimeFormatError(TimeProblem.FORMAT)
    if leading and int(whole) >= 60:
        raise TimeFormatError(TimeProblem.SECONDS_RANGE)
    if len(leading) == 2 and int(leading[1]) >= 60:
        raise TimeFormatError(TimeProblem.MINUTES_RANGE)
    if len(fraction) > MAX_TIME_DECIMALS:
        raise TimeFormatError(TimeProblem.DECIMALS)
    seconds = Decimal(last)
    for factor, part in zip((60, 3600), reversed(leading), strict=False):
        seconds += factor * int(part)
    if seconds <= 0:
        raise TimeFormatError(TimeProblem.NOT_POSITIVE)
    return seconds


def format_time(seconds: Decimal) -> str:
    """A time as a results sheet writes it: "45.30", "1:02.50", "1:02:03.50" (hundredths, or
    thousandths when the time has them, rounded half up beyond that)."""
    seconds = Decimal(seconds)
    if not seconds.is_finite() or seconds < 0:
        raise ValueError(f"A time must be a finite number of seconds, not {seconds}.")
    places = 2 if seconds == seconds.quantize(Decimal("0.01")) else MAX_TIME_DECIMALS
    units = int(seconds.scaleb(places).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    whole, fraction = divmod(units, 10**places)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f"{fraction:0{places}d}"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}.{tail}"
    if minutes:
        return f"{minutes}:{secs:02d}.{tail}"
    return f"{secs}.{tail}"


# --- Placings ----------------------------------------------------------------------------------


def best_value(result_type: ResultType | str, perf: Performance) -> Decimal | None:
    """The better of an entrant's two attempts by the result type's direction; None after a DNF
    or DQ or when no value was recorded."""
    if perf.outcome != Outcome.OK:
        return None
    values = [value for value in (perf.value, perf.second_value) if value is not None]
    if not values:
        return None
    return min(values) if ResultType(result_type).lower_wins else max(values)


def _checked_value(result_type: ResultType, entrant: int, value: Decimal) -> Decimal:
    """A value must be a finite number, and a place a whole number from 1."""
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"Entrant {entrant} has no usable value ({value}).")
    if result_type.value_is_place and (value < 1 or value != value.to_integral_value()):
        raise ValueError(f"Entrant {entrant}'s place must be a whole number from 1, not {value}.")
    return value


def placings(
    result_type: ResultType | str, performances: Sequence[Performance]
) -> dict[int, int | None]:
    """Each entrant's place by best value (competition ranking: ties share the place and the next
    is skipped, 1, 2, 2, 4); DNF, DQ and missing values get None; for PLACING and HEAD_TO_HEAD the
    value is the place given, ranked the same way, so 1, 2, 2, 4 stay and a gap left by a DQ closes."""
    result_type = ResultType(result_type)
    best: dict[int, Decimal | None] = {}
    for perf in performances:
        if perf.entrant in best:
            raise ValueError(f"Entrant {perf.entrant} has more than one performance.")
        value = best_value(result_type, perf)
        best[perf.entrant] = (
            None if value is None else _checked_value(result_type, perf.entrant, value)
        )
    ranked = sorted(value for value in best.values() if value is not None)
    places: dict[int, int | None] = {}
    for entrant, value in best.items():
        if value is None:
            places[entrant] = None
        elif result_type.lower_wins:
            places[entrant] = 1 + bisect_left(ranked, value)
        else:
            places[entrant] = 1 + len(ranked) - bisect_right(ranked, value)
    return places


def missing_results(lanes: Sequence[int], recorded: Iterable[int]) -> list[int]:
    """The entrants of a heat still without a result (a DNF or DQ is one), in lane order, once
    the heat has begun (at least one result in); none before that."""
    recorded = set(recorded)
    if not recorded & set(lanes):
        return []
    return [entrant for entrant in lanes if entrant not in recorded]


# --- Points ------------------------------------------------------------------------------------

#: Points are shown (pages, spreadsheets) rounded half up to hundredths; never summed rounded.
POINTS_QUANTUM = Decimal("0.01")

#: What points may be given as: exact numbers only (a float is already rounded).
Points = int | Decimal | Fraction


def default_points_table(team_count: int) -> tuple[int, ...]:
    """Points for 1st, 2nd, … with n teams: n+1 for the winner, then n-1 down to 1 (4 teams:
    5-3-2-1; one team: 1)."""
    if team_count < 1:
        raise ValueError(f"A points table needs at least one team, not {team_count}.")
    if team_count == 1:
        return (1,)
    return (team_count + 1, *range(team_count - 1, 0, -1))


class PointsTableProblem(enum.StrEnum):
    """Why a typed points table was refused; the service turns these into translated messages."""

    FORMAT = "format"
    RANGE = "range"
    NOT_WHOLE = "not_whole"
    INCREASING = "increasing"
    TOO_LONG = "too_long"


#: The most points one place may earn, and the most places a table may list.
MAX_PLACE_POINTS = 1000
MAX_TABLE_PLACES = 50


class PointsTableError(ValueError):
    """A typed points table that cannot be used; `.problem` says why."""

    def __init__(self, problem: PointsTableProblem) -> None:
        self.problem = problem
        super().__init__(problem.value)


# Commas (also Chinese ones), enumeration commas, semicolons and spaces separate places; a dash
# does only between two numbers ("5-3-2-1"), so "5,-1" is a negative number, not "5,1".
_TABLE_SEPARATORS = re.compile(r"(?<=\d)\s*-\s*(?=\d)|[\s,，、;；]+")


def parse_points_table(text: str) -> tuple[int, ...]:
    """Points by place from "5,3,2,1" (or 5-3-2-1, 5 3 2 1, full-width): whole numbers from 0 to
    1000, no place above the one before, at most 50 places; () for empty text;
    PointsTableError otherwise."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    parts = [part for part in _TABLE_SEPARATORS.split(text) if part]
    table = []
    for part in parts:
        try:
            value = Decimal(part)
        except InvalidOperation:
            raise PointsTableError(PointsTableProblem.FORMAT) from None
        if not value.is_finite() or not 0 <= value <= MAX_PLACE_POINTS:
            raise PointsTableError(PointsTableProblem.RANGE)
        if value != value.to_integral_value():
            raise PointsTableError(PointsTableProblem.NOT_WHOLE)
        table.append(int(value))
    if any(later > earlier for earlier, later in itertools.pairwise(table)):
        raise PointsTableError(PointsTableProblem.INCREASING)
    if len(table) > MAX_TABLE_PLACES:
        raise PointsTableError(PointsTableProblem.TOO_LONG)
    return tuple(table)


def exact_points(points: Points) -> Fraction:
    """Points as an exact Fraction; a float (already rounded in binary) or a bool is refused."""
    if isinstance(points, bool) or not isinstance(points, int | Decimal | Fraction):
        raise TypeError(f"Give points as a whole number, Decimal or Fraction, not {points!r}.")
    if isinstance(points, Decimal) and not points.is_finite():
        raise ValueError(f"Points must be a finite number, not {points}.")
    return Fraction(points)


def display_points(points: Points) -> Decimal:
    """Points as shown to people: rounded half up to hundredths (10/3 → 3.33, 1/8 → 0.13);
    rounding never reverses two values, so a shown table never runs against the exact order."""
    exact = exact_points(points)
    hundredths = abs(exact) * 100
    rounded = floor(hundredths + Fraction(1, 2))  # half up, away from zero
    return Decimal(-rounded if exact < 0 else rounded).scaleb(-2).quantize(POINTS_QUANTUM)


def points_for_places(
    places: Mapping[int, int | None],
    table: Sequence[Points],
    multiplier: Points = 1,
) -> dict[int, Fraction]:
    """Exact points per entrant: entrants tied on a place share equally the sum of the table's
    points for the places they occupy (places beyond the table are worth 0), no place scores 0,
    and everything is × multiplier; nothing is rounded (three sharing 10 get 10/3 each)."""
    multiplier = exact_points(multiplier)
    if multiplier < 0:
        raise ValueError(f"A multiplier must be zero or more, not {multiplier}.")
    worth = [exact_points(points) for points in table]
    if any(points < 0 for points in worth):
        raise ValueError("Table points must be zero or more.")
    groups: defaultdict[int, list[int]] = defaultdict(list)
    awarded: dict[int, Fraction] = {}
    for entrant, place in places.items():
        if place is None:
            awarded[entrant] = Fraction(0)
        elif place < 1:
            raise ValueError(f"Entrant {entrant} has place {place}; places start at 1.")
        else:
            groups[place].append(entrant)
    next_free = 1
    for place in sorted(groups):
        tied = groups[place]
        if place < next_free:
            raise ValueError(f"Place {place} is taken by entrants tied on an earlier place.")
        next_free = place + len(tied)
        occupied = range(place, min(next_free, len(worth) + 1))
        total = sum((worth[p - 1] for p in occupied), Fraction(0))
        share = total * multiplier / len(tied)
        for entrant in tied:
            awarded[entrant] = share
    return awarded


# --- Team standings and medals -----------------------------------------------------------------


@dataclass(frozen=True)
class ItemScore:
    """What one entry of a team earned in one item: its place (None: unplaced) and its exact
    points."""

    team: int
    item: int
    place: int | None
    points: Points


@dataclass(frozen=True)
class Standing:
    """A team's line in the standings: exact total points; `places[i]` is how often it
    finished (i+1)-th."""

    team: int
    rank: int
    points: Fraction
    places: tuple[int, ...]


def _team_ids(teams: Iterable[int]) -> list[int]:
    """The teams in the order given, each once."""
    return list(dict.fromkeys(teams))


def standings(
    scores: Iterable[ItemScore], teams: Iterable[int], *, depth: int | None = None
) -> list[Standing]:
    """Teams by exact total points, then most first places, then most second places, and so on down to
    place `depth` (every place reached when None); teams equal on all of that share the rank
    (1, 2, 2, 4) and are listed by team id; every team in `teams` is listed (0 points if it
    scored nothing) and a score for any other team is an error."""
    if depth is not None and depth < 0:
        raise ValueError(f"The tie-break chain cannot be {depth} places long.")
    team_ids = _team_ids(teams)
    totals = {team: Fraction(0) for team in team_ids}
    finishes: dict[int, Counter[int]] = {team: Counter() for team in team_ids}
    for score in scores:
        if score.team not in totals:
            raise ValueError(f"Team {score.team} has a score but is not in this meet.")
        totals[score.team] += exact_points(score.points)
        if score.place is not None:
            if score.place < 1:
                raise ValueError(f"Team {score.team} has place {score.place}; places start at 1.")
            finishes[score.team][score.place] += 1
    last_place = (
        max((max(counter) for counter in finishes.values() if counter), default=0)
        if depth is None
        else depth
    )
    places = {
        team: tuple(finishes[team][place] for place in range(1, last_place + 1))
        for team in team_ids
    }

    def merit(team: int) -> tuple[Fraction, tuple[int, ...]]:
        return (-totals[team], tuple(-count for count in places[team]))

    ordered = sorted(team_ids, key=lambda team: (merit(team), team))
    table: list[Standing] = []
    for position, team in enumerate(ordered, start=1):
        shared = table and merit(table[-1].team) == merit(team)
        rank = table[-1].rank if shared else position
        table.append(Standing(team=team, rank=rank, points=totals[team], places=places[team]))
    return table


@dataclass(frozen=True)
class Medals:
    """A team's line in the medal table."""

    team: int
    gold: int
    silver: int
    bronze: int


def medal_table(scores: Iterable[ItemScore], teams: Iterable[int]) -> list[Medals]:
    """Gold, silver and bronze for places 1, 2 and 3 (a shared place gives each tied team the
    medal), teams by most gold, then silver, then bronze, then team id."""
    team_ids = _team_ids(teams)
    counts: dict[int, Counter[int]] = {team: Counter() for team in team_ids}
    for score in scores:
        if score.team not in counts:
            raise ValueError(f"Team {score.team} has a score but is not in this meet.")
        if score.place in (1, 2, 3):
            counts[score.team][score.place] += 1
    table = [Medals(team, counts[team][1], counts[team][2], counts[team][3]) for team in team_ids]
    table.sort(key=lambda row: (-row.gold, -row.silver, -row.bronze, row.team))
    return table


# --- Draws: the order heats and brackets are filled in ---------------------------------------


class DrawMethod(enum.StrEnum):
    """How the entrants are ordered before heats or matches are drawn from that order."""

    TEAM_ORDER = "team_order"  # the order of the teams in the meet
    LOTS = "lots"  # a drawing of lots (抽签) from a seed
    SEEDED = "seeded"  # the organizer orders the entrants (1 is the top seed)


#: A drawing of lots is reproducible from its seed: a whole number of at most six digits, easy
#: to read aloud at the draw and to find in the audit log.
MAX_DRAW_SEED = 999_999


def _check_entrants(entrants: Sequence[int]) -> None:
    """Entrant ids are whole numbers, none twice."""
    if any(isinstance(e, bool) or not isinstance(e, int) for e in entrants):
        raise ValueError("Entrant ids must be whole numbers.")
    if len(set(entrants)) != len(entrants):
        raise ValueError("An entrant is listed more than once.")


def draw_lots(entrants: Sequence[int], seed: int) -> list[int]:
    """The entrants in the order drawn by lot from `seed` (0 to 999,999): a Fisher-Yates shuffle
    of them sorted by id whose step i swaps in the entrant at SHA-256("seed:i") mod (i + 1), so
    the same seed and entrants give the same order on any machine and Python version."""
    _check_entrants(entrants)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_DRAW_SEED:
        raise ValueError(
            f"A draw's seed is a whole number from 0 to {MAX_DRAW_SEED}, not {seed!r}."
        )
    order = sorted(entrants)
    for i in range(len(order) - 1, 0, -1):
        digest = hashlib.sha256(f"{seed}:{i}".encode("ascii")).digest()
        j = int.from_bytes(digest, "big") % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


class SeedingProblem(enum.StrEnum):
    """Why an entrant's seed was refused; the form turns these into translated messages."""

    MISSING = "missing"
    RANGE = "range"
    TAKEN = "taken"


def seeding_problems(
    entrants: Sequence[int], seeds: Mapping[int, int | None]
) -> dict[int, SeedingProblem]:
    """What is wrong with the organizer's seeding, by entrant: each entrant needs a seed (a
    whole number from 1 to the number of entrants), and no two the same seed (both are named);
    an empty answer means the seeding is complete."""
    _check_entrants(entrants)
    problems: dict[int, SeedingProblem] = {}
    given: defaultdict[int, list[int]] = defaultdict(list)
    for entrant in entrants:
        seed = seeds.get(entrant)
        if seed is None:
            problems[entrant] = SeedingProblem.MISSING
        elif isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"Entrant {entrant}'s seed must be a whole number, not {seed!r}.")
        elif not 1 <= seed <= len(entrants):
            problems[entrant] = SeedingProblem.RANGE
        else:
            given[seed].append(entrant)
    for same in given.values():
        if len(same) > 1:
            problems.update(dict.fromkeys(same, SeedingProblem.TAKEN))
    return problems


def seeded_order(entrants: Sequence[int], seeds: Mapping[int, int | None]) -> list[int]:
    """The entrants from the top seed (1) down; ValueError unless the seeding is complete."""
    if seeding_problems(entrants, seeds):
        raise ValueError("Every entrant needs a different seed from 1 to the number of entrants.")
    return sorted(entrants, key=lambda entrant: seeds[entrant])


# --- Head-to-head: knockout --------------------------------------------------------------------

#: `Match.winner` of a drawn round-robin match (team ids start at 1, so 0 is never a team).
DRAW = 0


@dataclass(frozen=True)
class Match:
    """One head-to-head match; a None side is a bye in round 1 of a knockout and "not yet known"
    in later rounds; `winner` is None until decided and DRAW (0) for a drawn round-robin match."""

    round: int
    slot: int
    home: int | None
    away: int | None
    winner: int | None = None


def _check_teams(teams: Sequence[int], minimum: int) -> None:
    """Enough teams, none twice, every id a whole number from 1 (0 is DRAW)."""
    if len(teams) < minimum:
        raise ValueError(f"At least {minimum} teams are needed, not {len(teams)}.")
    if len(set(teams)) != len(teams):
        raise ValueError("A team is listed more than once.")
    if any(isinstance(team, bool) or not isinstance(team, int) or team < 1 for team in teams):
        raise ValueError("Team ids must be whole numbers from 1.")


def _seed_order(size: int) -> list[int]:
    """Seeds in bracket order, so that 1 meets n, 2 meets n-1, and 1 and 2 meet only in the final."""
    order = [1]
    while len(order) < size:
        mirror = 2 * len(order) + 1
        order = [seed for top in order for seed in (top, mirror - top)]
    return order


def knockout_bracket(seeds: Sequence[int], *, third_place: bool = True) -> list[Match]:
    """A single-elimination bracket for teams in seed order: the next power of two in size, byes
    to the top seeds (1 v n, 2 v n-1, …) already advanced, later rounds open, and a third-place
    match (final round, slot 1; the final is slot 0) when there are 4 teams or more."""
    _check_teams(seeds, minimum=2)
    rounds = (len(seeds) - 1).bit_length()
    size = 1 << rounds
    order = _seed_order(size)
    team = {seed: seeds[seed - 1] for seed in range(1, len(seeds) + 1)}
    matches = [
        Match(1, slot, team[order[2 * slot]], team.get(order[2 * slot + 1]))
        for slot in range(size // 2)
    ]
    for round_ in range(2, rounds + 1):
        matches.extend(Match(round_, slot, None, None) for slot in range(size >> round_))
    if third_place and len(seeds) >= 4:
        matches.append(Match(rounds, 1, None, None))
    return advance_knockout(matches)


def _bracket(matches: Sequence[Match]) -> tuple[dict[tuple[int, int], Match], int, bool]:
    """Matches by (round, slot), the number of rounds and whether there is a third-place match,
    for a complete bracket with every team at most once in round 1; ValueError otherwise."""
    by_key: dict[tuple[int, int], Match] = {}
    for match in matches:
        if (match.round, match.slot) in by_key:
            raise ValueError(f"Two matches in round {match.round}, slot {match.slot}.")
        by_key[(match.round, match.slot)] = match
    if not by_key:
        raise ValueError("A knockout needs at least one match.")
    rounds = max(round_ for round_, _ in by_key)
    size = 1 << rounds
    expected = {(r, slot) for r in range(1, rounds + 1) for slot in range(size >> r)}
    third_place = rounds >= 2 and (rounds, 1) in by_key
    if set(by_key) != expected | ({(rounds, 1)} if third_place else set()):
        raise ValueError("These matches do not make a knockout bracket.")
    first = [side for slot in range(size // 2) for side in _sides(by_key[(1, slot)])]
    if len(set(first)) != len(first):
        raise ValueError("A team appears more than once in the first round.")
    if any(not _sides(by_key[(1, slot)]) for slot in range(size // 2)):
        raise ValueError("A first-round match has no team at all.")
    return by_key, rounds, third_place


def _sides(match: Match) -> list[int]:
    """The teams known to play in a match."""
    return [side for side in (match.home, match.away) if side is not None]


def _loser(match: Match) -> int | None:
    """The side that lost a decided match between two teams; None for a bye or an open match."""
    if match.winner is None or match.home is None or match.away is None:
        return None
    return match.away if match.winner == match.home else match.home


def _decided(match: Match, home: int | None, away: int | None, *, first_round: bool) -> Match:
    """The match with its sides filled in; a bye's team wins, and a result is cleared when the
    match it was won in is no longer this one (an earlier result was corrected)."""
    if match.winner == DRAW:
        raise ValueError(f"A knockout match cannot be drawn (round {match.round}).")
    recorded_sides = {match.home, match.away}
    if home is None or away is None:
        present = home if away is None else away
        winner = present if first_round else None
    elif match.winner is not None and first_round and match.winner not in (home, away):
        raise ValueError(f"Team {match.winner} did not play round 1, slot {match.slot}.")
    elif None not in recorded_sides and recorded_sides != {home, away}:
        winner = None  # won against someone who no longer plays here: to be played again
    else:
        winner = match.winner if match.winner in (home, away) else None
    return replace(match, home=home, away=away, winner=winner)


def advance_knockout(matches: Sequence[Match]) -> list[Match]:
    """The bracket with every later match's sides taken from the winners feeding it (a bye's team
    advances by itself), the third-place match from the semifinal losers, and any result whose
    sides have changed (an earlier result was corrected) cleared; a new list by round and slot."""
    by_key, rounds, third_place = _bracket(matches)
    done: dict[tuple[int, int], Match] = {}
    for round_ in range(1, rounds + 1):
        for slot in range((1 << rounds) >> round_):
            match = by_key[(round_, slot)]
            if round_ == 1:
                home, away = match.home, match.away
            else:
                home = done[(round_ - 1, 2 * slot)].winner
                away = done[(round_ - 1, 2 * slot + 1)].winner
            done[(round_, slot)] = _decided(match, home, away, first_round=round_ == 1)
    if third_place:
        home, away = _loser(done[(rounds - 1, 0)]), _loser(done[(rounds - 1, 1)])
        done[(rounds, 1)] = _decided(by_key[(rounds, 1)], home, away, first_round=False)
    return [done[key] for key in sorted(done)]


def knockout_placings(matches: Sequence[Match]) -> dict[int, int | None]:
    """Places from a knockout: 1 the winner, 2 the runner-up, 3 and 4 from the third-place match
    (without one, the semifinal losers share 3), losers of an earlier round share the place after
    everyone who went further (quarterfinal losers share 5); None while still undecided."""
    advanced = advance_knockout(matches)
    by_key, rounds, third_place = _bracket(advanced)
    places: dict[int, int | None] = {
        team: None for slot in range((1 << rounds) >> 1) for team in _sides(by_key[(1, slot)])
    }
    final = by_key[(rounds, 0)]
    if final.winner is not None:
        places[final.winner] = 1
        places[_loser(final)] = 2
    if third_place:
        match = by_key[(rounds, 1)]
        if match.winner is not None:
            places[match.winner] = 3
            places[_loser(match)] = 4
    for round_ in range(1, rounds):
        if round_ == rounds - 1 and third_place:
            continue
        # Everyone who won a match in this round went further; they take the places before.
        place = ((1 << rounds) >> round_) + 1
        for slot in range((1 << rounds) >> round_):
            loser = _loser(by_key[(round_, slot)])
            if loser is not None:
                places[loser] = place
    return places


# --- Head-to-head: round robin -----------------------------------------------------------------


def round_robin_schedule(teams: Sequence[int]) -> list[Match]:
    """Every pair of teams meets once, by the circle method: rounds numbered from 1, each team at
    most once a round, and with an odd number of teams one team rests each round (no bye match)."""
    _check_teams(teams, minimum=2)
    circle: list[int | None] = [*teams, None] if len(teams) % 2 else list(teams)
    size = len(circle)
    matches: list[Match] = []
    for round_ in range(1, size):
        slot = 0
        for i in range(size // 2):
            home, away = circle[i], circle[size - 1 - i]
            if home is None or away is None:
                continue
            if i == 0 and round_ % 2 == 0:
                home, away = away, home  # the fixed team alternates home and away
            matches.append(Match(round_, slot, home, away))
            slot += 1
        circle = [circle[0], circle[-1], *circle[1:-1]]
    return matches


@dataclass(frozen=True)
class RoundRobinRow:
    """A team's line in a round-robin table."""

    team: int
    played: int
    won: int
    drawn: int
    lost: int
    points: int
    place: int


def round_robin_table(
    teams: Sequence[int],
    matches: Sequence[Match],
    *,
    win: int = 2,
    draw: int = 1,
    loss: int = 0,
) -> list[RoundRobinRow]:
    """The table from decided matches (winner DRAW = 0 is a draw, None not yet played): teams by
    points; exactly two teams level are split by the points they took off each other; any other
    level teams share the place (1, 2, 2, 4), listed by team id."""
    _check_teams(teams, minimum=1)
    record = {team: Counter() for team in teams}
    mutual: Counter[tuple[int, int]] = Counter()  # (a, b): points a took from matches with b
    for match in matches:
        if match.home is None or match.away is None:
            continue
        if match.home not in record or match.away not in record or match.home == match.away:
            raise ValueError(f"Round {match.round}, slot {match.slot} is not between two teams.")
        if match.winner is None:
            continue
        if match.winner == DRAW:
            results = {match.home: "drawn", match.away: "drawn"}
        elif match.winner == match.home:
            results = {match.home: "won", match.away: "lost"}
        elif match.winner == match.away:
            results = {match.home: "lost", match.away: "won"}
        else:
            raise ValueError(
                f"Team {match.winner} did not play round {match.round}, slot {match.slot}."
            )
        for team, result in results.items():
            other = match.away if team == match.home else match.home
            earned = {"won": win, "drawn": draw, "lost": loss}[result]
            record[team][result] += 1
            record[team]["points"] += earned
            mutual[(team, other)] += earned
    by_points: defaultdict[int, list[int]] = defaultdict(list)
    for team in teams:
        by_points[record[team]["points"]].append(team)
    rows: list[RoundRobinRow] = []
    for points in sorted(by_points, reverse=True):
        level = sorted(by_points[points])
        first = len(rows) + 1
        place = {team: first for team in level}
        if len(level) == 2:
            a, b = level
            if mutual[(a, b)] != mutual[(b, a)]:
                winner, runner_up = (a, b) if mutual[(a, b)] > mutual[(b, a)] else (b, a)
                level = [winner, runner_up]
                place[runner_up] = first + 1
        for team in level:
            counts = record[team]
            rows.append(
                RoundRobinRow(
                    team=team,
                    played=counts["won"] + counts["drawn"] + counts["lost"],
                    won=counts["won"],
                    drawn=counts["drawn"],
                    lost=counts["lost"],
                    points=points,
                    place=place[team],
                )
            )
    return rows
