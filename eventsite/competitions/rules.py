"""Skills competition rules: score checks, aggregation over judges, totals, rankings, awards.

Plain functions over plain values: no Flask, no database. `service.py` loads the facts, turns
them into the values below, calls these, and writes or shows the outcome.

- Contestants, judges, teams, tracks and criteria are referred to by their row ids (ints).
- A `Criterion` carries its maximum, step, weight and optional tolerance as Decimals.
- A `Sheet` is one judge's scores for one contestant in one round: criterion id -> Decimal, where
  None (or a missing key) means "not scored", never 0. Pass only the sheets that count
  (submitted ones, or paper sheets whose two clerk entries agree); a sheet that leaves a
  criterion empty is listed as missing, and the criteria it does score still count.
- `expected` is the (judge, contestant) pairs that should have a sheet (the eligible
  assignments, see `expected_sheets`), so a ranking can say which sheets are missing.

Scores are exact. Sums and means are worked out as fractions and turned into a Decimal once, to
`PRECISION` significant digits (a mean of 26/3 has no exact decimal); no float is used anywhere.
Standardised scores (z-scores) need a square root, so they are exact only to PRECISION digits,
and the same input always gives the same digits. Rounding to two decimals happens only for
display (`format_score`); ties are decided on the unrounded values.

Ranking is "competition ranking": tied contestants share a rank and the ranks they would
otherwise have taken are skipped (1, 2, 2, 4). Cuts (who advances, award tiers) are made on
ranks, so everyone tied at a cut lands on the better side of it.
"""

from __future__ import annotations

import enum
import math
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation
from fractions import Fraction
from functools import cached_property, reduce
from types import MappingProxyType
from typing import NamedTuple

#: Significant digits of every computed score (means, standardised scores, totals).
PRECISION = 34

#: Scores and totals are shown to hundredths, rounded half up.
DISPLAY_QUANTUM = Decimal("0.01")

#: Days of the objection period (公示) after results are published.
OBJECTION_DAYS = 5

_CONTEXT = Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)
#: For sums that must be exact: wide enough for any scores, and an inexact result raises.
_EXACT = Context(prec=400, traps=[Inexact, InvalidOperation])
#: No scores (shared: it cannot be changed).
_NO_SCORES: Mapping = MappingProxyType({})
_ZERO = Decimal(0)


# --- Set-up values -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One scored criterion of a round: scores run from 0 to `maximum` in steps of `step`; the
    total counts it `weight` times; judges further apart than `tolerance` get it flagged."""

    id: int
    maximum: Decimal
    weight: Decimal = Decimal(1)
    step: Decimal = Decimal("0.5")
    tolerance: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("maximum", "weight", "step", "tolerance"):
            value = getattr(self, name)
            if isinstance(value, float):
                raise TypeError(f"Give the criterion's {name} as a Decimal, not a float.")
        if self.step <= 0 or self.maximum <= 0:
            raise ValueError("A criterion's maximum and step must be more than zero.")
        if self.weight < 0 or (self.tolerance is not None and self.tolerance < 0):
            raise ValueError("A criterion's weight and tolerance cannot be negative.")


class ContestantStatus(enum.StrEnum):
    """Whether a contestant is still in the competition; the other two leave the ranking."""

    COMPETING = "competing"
    WITHDRAWN = "withdrawn"
    DISQUALIFIED = "disqualified"


@dataclass(frozen=True)
class Contestant:
    """A contestant of the round, with the team (province or unit) and track they compete in."""

    id: int
    team: int | None = None
    track: int | None = None
    status: ContestantStatus = ContestantStatus.COMPETING

    def __post_init__(self) -> None:
        # A stored string ("withdrawn") becomes the enum, so comparisons cannot silently fail.
        object.__setattr__(self, "status", ContestantStatus(self.status))

    @property
    def competing(self) -> bool:
        """Still in the competition: neither withdrawn nor disqualified."""
        return self.status is ContestantStatus.COMPETING


@dataclass(frozen=True)
class Judge:
    """A judge assigned to the round: the teams they are affiliated with (declared by the
    organizer), and, when they are registered in the competition themself, their own
    registrations (`entries`) and the teams they compete for (`competes_for`)."""

    id: int
    teams: frozenset[int] = frozenset()
    entries: frozenset[int] = frozenset()
    competes_for: frozenset[int] = frozenset()


class Sheet(NamedTuple):
    """One judge's scores for one contestant: criterion id -> score, None for "not scored".
    (A named tuple: a round of 5,000 sheets makes as many on every ranking.)"""

    judge: int
    contestant: int
    scores: Mapping[int, Decimal | None]


# --- Score entry ------------------------------------------------------------------------------


class ScoreProblem(enum.StrEnum):
    """Why a typed score was refused; the form turns these into translated messages."""

    FORMAT = "format"  # not a plain decimal number
    NEGATIVE = "negative"
    ABOVE_MAXIMUM = "above_maximum"
    OFF_STEP = "off_step"  # not a multiple of the criterion's step


class ScoreFormatError(ValueError):
    """A typed score that is not a plain decimal number; `.problem` is ScoreProblem.FORMAT."""

    def __init__(self, text: str) -> None:
        self.problem = ScoreProblem.FORMAT
        super().__init__(f"Not a score: {text!r}")


def parse_score(text: str | None) -> Decimal | None:
    """The score typed in a box ("8.5", full-width "８．５" accepted), None for an empty box (not
    scored); a leading minus gives a negative number (which the range check then refuses as
    below 0); ScoreFormatError for anything but digits with at most one decimal point."""
    # NFKC turns a Chinese keyboard's full-width digits and point into ASCII ones.
    text = "".join(unicodedata.normalize("NFKC", text or "").split())
    if not text:
        return None
    # A minus (also the typographic "−") is read, so "-1" is told "below 0", not "not a number".
    negative = text[0] in "-\u2212"
    whole, dot, fraction = (text[1:] if negative else text).partition(".")
    digits = whole + fraction
    if not digits or not digits.isascii() or not digits.isdigit() or (dot and not fraction):
        raise ScoreFormatError(text)
    value = Decimal(whole + dot + fraction)
    return -value if negative else value


def score_problem(value: Decimal | None, criterion: Criterion) -> ScoreProblem | None:
    """None when the score is acceptable: empty (not scored), or 0 ≤ value ≤ maximum and an exact
    multiple of the step; otherwise the first problem found."""
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("Give scores as Decimal, not float.")
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        return ScoreProblem.FORMAT
    if value < 0:
        return ScoreProblem.NEGATIVE
    if value > criterion.maximum:
        return ScoreProblem.ABOVE_MAXIMUM
    if Fraction(value) % Fraction(criterion.step) != 0:
        return ScoreProblem.OFF_STEP
    return None


def sheet_problems(
    scores: Mapping[int, Decimal | None], criteria: Sequence[Criterion]
) -> dict[int, ScoreProblem]:
    """The problem of every refused score on a sheet, by criterion id; a score for a criterion
    the round does not have is an error (ValueError), not a problem for the judge."""
    by_id = _criteria_by_id(criteria)
    _check_criteria(scores, by_id)
    problems = {cid: score_problem(value, by_id[cid]) for cid, value in scores.items()}
    return {cid: problem for cid, problem in problems.items() if problem is not None}


def unscored_criteria(
    scores: Mapping[int, Decimal | None], criteria: Sequence[Criterion]
) -> tuple[int, ...]:
    """The criteria a sheet leaves empty, in the round's order (a sheet is complete iff none)."""
    return tuple(c.id for c in criteria if scores.get(c.id) is None)


# --- Aggregation over judges -------------------------------------------------------------------


class Aggregation(enum.StrEnum):
    """How the judges' scores on a contestant's criteria become one score per criterion."""

    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"  # on each criterion: drop the k highest and k lowest, mean
    MEDIAN = "median"
    #: 去掉一个最高分和一个最低分 on the judges' totals: the judges with the k highest and k
    #: lowest totals are left out, and each criterion is the mean of the other judges.
    TRIMMED_TOTAL = "trimmed_total"


@dataclass(frozen=True)
class AggregationRule:
    """A round's aggregation: the method; for a trimmed mean (of each criterion's scores or of
    the judges' totals), `trim` scores dropped at each end once at least `trim_minimum` judges
    scored (below that a plain mean); and whether judges' scores are standardised first
    (z-scores, for rounds where judges score different subsets)."""

    method: Aggregation = Aggregation.TRIMMED_MEAN
    trim: int = 1
    trim_minimum: int = 5
    standardise: bool = False

    def __post_init__(self) -> None:
        # A stored string ("median") becomes the enum, so a typo fails here, not as a mean.
        object.__setattr__(self, "method", Aggregation(self.method))
        if self.trim < 0:
            raise ValueError("The number of scores dropped at each end cannot be negative.")
        if self.trim_minimum < 2 * self.trim + 1:
            raise ValueError(
                f"Dropping {self.trim} at each end needs at least {2 * self.trim + 1} judges."
            )


@dataclass(frozen=True)
class Aggregate:
    """One criterion's aggregate: None when no judge scored it; `dropped` lists the judges whose
    scores a trimmed mean left out; `method` is what was applied (a trimmed mean with too few
    judges is a plain mean)."""

    value: Decimal | None
    dropped: tuple[int, ...] = ()
    method: Aggregation = Aggregation.MEAN


def aggregate(
    scores: Mapping[int, Decimal], rule: AggregationRule = AggregationRule()
) -> Aggregate:
    """One criterion's scores by judge id aggregated by the rule: mean; trimmed mean dropping the
    `trim` lowest and highest (ties between equal scores dropped from the higher judge id at the
    top and the lower judge id at the bottom) once `trim_minimum` judges scored; or median (the
    mean of the two middle scores when even). A trimmed mean of the judges' totals needs whole
    sheets: it is worked out by the ranking (`rank_contestants`), never on one criterion."""
    if rule.method is Aggregation.TRIMMED_TOTAL:
        raise ValueError("Trimming the judges' totals needs their whole sheets: rank them.")
    exact, dropped, method = _aggregate_exact(
        {judge: _checked(value) for judge, value in scores.items()}, rule
    )
    return Aggregate(None if exact is None else _decimal(exact), dropped, method)


def _aggregate_exact(
    scores: Mapping[int, Decimal],
    rule: AggregationRule,
    means: dict[tuple[int, int, int], Fraction] | None = None,
) -> tuple[Fraction | None, tuple[int, ...], Aggregation]:
    """`aggregate` as an exact fraction: the value, the dropped judges and the method applied
    (`means`: see `_mean`)."""
    if not scores:
        return None, (), rule.method
    if rule.method is Aggregation.MEDIAN:
        values = sorted(scores.values())
        middle = len(values) // 2
        if len(values) % 2:
            return Fraction(values[middle]), (), Aggregation.MEDIAN
        return _mean(values[middle - 1 : middle + 1], means), (), Aggregation.MEDIAN
    if rule.method is Aggregation.TRIMMED_MEAN and len(scores) >= rule.trim_minimum and rule.trim:
        k = rule.trim
        # By score, equal scores by judge id.
        judges = sorted(scores)
        judges.sort(key=scores.__getitem__)  # stable: equal scores stay by judge id
        dropped = tuple(sorted(judges[:k] + judges[-k:]))
        kept = [scores[judge] for judge in judges[k:-k]]
        return _mean(kept, means), dropped, Aggregation.TRIMMED_MEAN
    # A mean needs no order: the sum is exact.
    return _mean(list(scores.values()), means), (), Aggregation.MEAN


def dropped_by_total(
    totals: Mapping[int, Decimal | Fraction], rule: AggregationRule
) -> tuple[tuple[int, ...], Aggregation]:
    """The judges left out when trimming the judges' totals (去掉一个最高分和一个最低分): the
    `trim` lowest and highest totals (equal totals dropped from the higher judge id at the top
    and the lower judge id at the bottom) once `trim_minimum` judges scored, and the method that
    applies (a plain mean below that); by judge id."""
    if rule.method is not Aggregation.TRIMMED_TOTAL:
        raise ValueError(f"Not a trimmed mean of totals: {rule.method}.")
    if len(totals) < rule.trim_minimum or not rule.trim:
        return (), Aggregation.MEAN
    ordered = sorted(totals.items(), key=lambda item: (Fraction(item[1]), item[0]))
    k = rule.trim
    return tuple(sorted(judge for judge, _ in ordered[:k] + ordered[-k:])), rule.method


def spread(scores: Iterable[Decimal]) -> Decimal | None:
    """How far the judges are apart on a criterion: highest minus lowest; None without scores."""
    values = list(scores)
    return max(values) - min(values) if values else None


def out_of_tolerance(scores: Iterable[Decimal], tolerance: Decimal | None) -> bool:
    """A criterion is flagged when the judges' spread exceeds its tolerance (None: never)."""
    gap = spread(scores)
    return tolerance is not None and gap is not None and gap > tolerance


@dataclass(frozen=True)
class Standardised:
    """Scores after z-score standardisation, by (judge, contestant, criterion); `unscaled` lists
    the (judge, criterion) pairs whose scores could not be standardised (one sheet, or every
    score the same) and were set to the round's mean instead."""

    scores: Mapping[tuple[int, int, int], Decimal]
    unscaled: tuple[tuple[int, int], ...]


def standardise(sheets: Iterable[Sheet], criteria: Sequence[Criterion]) -> Standardised:
    """Each judge's scores on a criterion put on a common scale: z = (x − judge's mean) / judge's
    standard deviation (population, over that judge's sheets in the round), shown as round mean
    + z × pooled standard deviation so it reads on the criterion's scale (not clipped to 0..max,
    which would tie the contestants at the top); a judge with one sheet or no spread gets the
    round mean for every score (their scores cannot tell contestants apart)."""
    scores, unscaled = _standardised(list(sheets), criteria)
    return Standardised(scores, unscaled)


def _standardised(
    sheets: Sequence[Sheet], criteria: Sequence[Criterion]
) -> tuple[dict[tuple[int, int, int], Decimal], tuple[tuple[int, int], ...]]:
    """`standardise`: the means and variances are exact; each score is rounded to PRECISION."""
    result: dict[tuple[int, int, int], Decimal] = {}
    unscaled: list[tuple[int, int]] = []
    for criterion in criteria:
        by_judge: defaultdict[int, dict[int, Decimal]] = defaultdict(dict)
        for sheet in sheets:
            value = sheet.scores.get(criterion.id)
            if value is not None:
                by_judge[sheet.judge][sheet.contestant] = _checked(value)
        if not by_judge:
            continue
        round_mean = _decimal(_mean([v for scores in by_judge.values() for v in scores.values()]))
        judge_mean: dict[int, Fraction] = {}
        judge_variance: dict[int, Fraction] = {}
        for judge, scores in by_judge.items():
            mean = _mean(list(scores.values()))
            judge_mean[judge] = mean
            judge_variance[judge] = (
                _mean([_EXACT.multiply(x, x) for x in scores.values()]) - mean * mean
            )
        scaled = [j for j in by_judge if len(by_judge[j]) >= 2 and judge_variance[j] > 0]
        if scaled:
            # Pooled over the judges who can be standardised: their squared deviations together.
            deviations = sum((judge_variance[j] * len(by_judge[j]) for j in scaled), Fraction(0))
            pooled_variance = deviations / sum(len(by_judge[j]) for j in scaled)
        for judge in sorted(by_judge):
            scores = by_judge[judge]
            if judge in scaled:
                # round mean + (x − m) / s × S, where S / s = √(S² / s²) is the one root taken.
                ratio = _root(pooled_variance / judge_variance[judge])
                mean = _decimal(judge_mean[judge])
                for contestant, x in scores.items():
                    offset = _CONTEXT.multiply(_CONTEXT.subtract(x, mean), ratio)
                    result[(judge, contestant, criterion.id)] = _CONTEXT.add(round_mean, offset)
            else:
                unscaled.append((judge, criterion.id))
                for contestant in scores:
                    result[(judge, contestant, criterion.id)] = round_mean
    return result, tuple(sorted(unscaled))


# --- Totals and display -----------------------------------------------------------------------


def weighted_total(
    aggregates: Mapping[int, Decimal | None], criteria: Sequence[Criterion]
) -> Decimal | None:
    """Σ weight × aggregate over the criteria that have an aggregate, exactly; None when none has."""
    by_id = _criteria_by_id(criteria)
    _check_criteria(aggregates, by_id)
    present = [(by_id[cid].weight, value) for cid, value in aggregates.items() if value is not None]
    if not present:
        return None
    return _decimal(sum((Fraction(w) * Fraction(_checked(v)) for w, v in present), Fraction(0)))


def round_for_display(value: Decimal) -> Decimal:
    """A score or total rounded half up to hundredths, for display only."""
    return value.quantize(DISPLAY_QUANTUM, rounding=ROUND_HALF_UP)


def format_score(value: Decimal | None, places: int = 2) -> str:
    """A score or total as shown: two decimals (or `places`), rounded half up ("8.67"); "" when
    not scored."""
    if value is None:
        return ""
    if places == 2:
        return f"{round_for_display(value):f}"
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


# --- Ranking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgeScore:
    """One judge's score on one criterion as the explanation shows it: as entered, after
    standardisation (None when the round does not standardise), and whether it was dropped."""

    judge: int
    score: Decimal
    standardised: Decimal | None = None
    dropped: bool = False


class CriterionScore(NamedTuple):
    """One criterion of a contestant's explanation: every judge's score, the aggregate, the
    weight, the weighted contribution to the total and the tolerance check on raw scores.
    (A named tuple: a ranking makes one per contestant and criterion, 4,320 for 720 × 6.)"""

    criterion: int
    aggregate: Decimal | None
    method: Aggregation
    weight: Decimal
    contribution: Decimal | None
    spread: Decimal | None
    out_of_tolerance: bool
    #: Judge id → score as entered; judge id → standardised score (None when the round does
    #: not standardise); the judges whose score was left out. `scores` is made from these
    #: when a page explains the line, not for every line of a ranking.
    entered: Mapping[int, Decimal] = _NO_SCORES
    scaled: Mapping[int, Decimal] | None = None
    left_out: tuple[int, ...] = ()

    @property
    def scores(self) -> tuple[JudgeScore, ...]:
        """Every judge's score on this criterion, by judge id."""
        return tuple(
            JudgeScore(
                judge=judge,
                score=self.entered[judge],
                standardised=None if self.scaled is None else self.scaled[judge],
                dropped=judge in self.left_out,
            )
            for judge in sorted(self.entered)
        )

    @property
    def dropped(self) -> tuple[int, ...]:
        """The judges whose score on this criterion was left out."""
        return tuple(judge for judge in sorted(self.entered) if judge in self.left_out)


@dataclass(frozen=True)
class Placing:
    """A contestant's line in a ranking, which is also their score explanation. `rank` is None
    for a contestant who is withdrawn, disqualified or not scored at all; `decided_by` is the
    tie-break criterion that put them below a contestant with the same total (None otherwise)."""

    contestant: int
    team: int | None
    track: int | None
    status: ContestantStatus
    rank: int | None
    total: Decimal | None
    criteria: tuple[CriterionScore, ...]
    shared: bool = False
    decided_by: int | None = None
    #: Each judge's weighted total (and standardised total), and whether it was dropped, when the
    #: round trims the judges' totals; empty otherwise.
    judge_totals: tuple[JudgeScore, ...] = ()
    #: The exact sort key (total, then the tie-break aggregates), kept so that team sums and
    #: re-ranking work on exact values rather than the 34-digit Decimals shown.
    _merit: tuple = field(default=(), repr=False, compare=False)

    def criterion(self, criterion_id: int) -> CriterionScore:
        """The explanation line of one criterion."""
        for line in self.criteria:
            if line.criterion == criterion_id:
                return line
        raise KeyError(criterion_id)


@dataclass(frozen=True)
class Ranking:
    """Placings by rank (then contestant id), then the unscored, then the withdrawn and
    disqualified; provisional while any expected sheet is missing, listed as (judge, contestant)."""

    placings: tuple[Placing, ...]
    missing: tuple[tuple[int, int], ...] = ()
    unscaled: tuple[tuple[int, int], ...] = ()

    @property
    def provisional(self) -> bool:
        """Some expected sheet is missing or incomplete, so the ranking may still change."""
        return bool(self.missing)

    @property
    def ranks(self) -> dict[int, int | None]:
        """Rank by contestant id (None for the unranked)."""
        return {placing.contestant: placing.rank for placing in self.placings}

    @property
    def flagged(self) -> tuple[tuple[int, int], ...]:
        """(contestant, criterion) pairs where the judges disagree beyond the tolerance."""
        return tuple(
            (placing.contestant, line.criterion)
            for placing in self.placings
            for line in placing.criteria
            if line.out_of_tolerance
        )

    def placing(self, contestant: int) -> Placing:
        """One contestant's line: their score explanation (KeyError if not in the ranking)."""
        return self._by_contestant[contestant]

    @cached_property
    def _by_contestant(self) -> dict[int, Placing]:
        return {placing.contestant: placing for placing in self.placings}


def rank_contestants(
    contestants: Iterable[Contestant],
    sheets: Iterable[Sheet],
    criteria: Sequence[Criterion],
    *,
    rule: AggregationRule = AggregationRule(),
    tie_break: Sequence[int] = (),
    expected: Iterable[tuple[int, int]] = (),
) -> Ranking:
    """Contestants by weighted total, then by each tie-break criterion's aggregate in turn
    (higher first, none lowest), the rest sharing the rank (1, 2, 2, 4); withdrawn and
    disqualified contestants keep their scores but leave the ranking, and their sheets still
    count for standardisation so nobody else's total moves; missing sheets make it provisional."""
    ranked = rank_by_track(
        contestants, sheets, criteria, rule=rule, tie_break=tie_break, expected=expected, by=None
    )
    return ranked[None]


def rank_by_track(
    contestants: Iterable[Contestant],
    sheets: Iterable[Sheet],
    criteria: Sequence[Criterion],
    *,
    rule: AggregationRule = AggregationRule(),
    tie_break: Sequence[int] = (),
    expected: Iterable[tuple[int, int]] = (),
    by: str | None = "track",
) -> dict[int | None, Ranking]:
    """`rank_contestants` separately within each track (by="track") or team (by="team"), with
    scores (and standardisation) worked out over all the sheets given; by=None ranks everyone."""
    if by not in (None, "track", "team"):
        raise ValueError(f"Rank by track, team or None, not {by!r}.")
    scored = _Scored.of(contestants, sheets, criteria, rule, tie_break, expected)
    if by is None:
        return {None: scored.ranking(scored.people.values())}
    groups: defaultdict[int | None, list[Contestant]] = defaultdict(list)
    for contestant in scored.people.values():
        groups[getattr(contestant, by)].append(contestant)
    return {key: scored.ranking(members) for key, members in groups.items()}


@dataclass(frozen=True)
class RoundRankings:
    """A round ranked overall and within each track (keyed by track id), from one computation."""

    overall: Ranking
    tracks: Mapping[int | None, Ranking]


def rank_round(
    contestants: Iterable[Contestant],
    sheets: Iterable[Sheet],
    criteria: Sequence[Criterion],
    *,
    rule: AggregationRule = AggregationRule(),
    tie_break: Sequence[int] = (),
    expected: Iterable[tuple[int, int]] = (),
) -> RoundRankings:
    """The same as `rank_contestants` and `rank_by_track` together, scoring every sheet once."""
    scored = _Scored.of(contestants, sheets, criteria, rule, tie_break, expected)
    groups: defaultdict[int | None, list[Contestant]] = defaultdict(list)
    for contestant in scored.people.values():
        groups[contestant.track].append(contestant)
    return RoundRankings(
        overall=scored.ranking(scored.people.values()),
        tracks={track: scored.ranking(members) for track, members in groups.items()},
    )


class _ContestantScore(NamedTuple):
    """One contestant's explanation lines with the exact aggregates and total behind them."""

    lines: tuple[CriterionScore, ...]
    aggregates: dict[int, Fraction | None]
    total: Fraction | None
    judge_totals: tuple[JudgeScore, ...] = ()
    #: The total as shown (a Decimal of PRECISION digits), worked out once for every ranking.
    shown_total: Decimal | None = None


@dataclass(frozen=True)
class _Scored:
    """Every contestant's score lines for a round, ready to be ranked in any grouping: the
    rankable contestants in ranking order once, which every grouping keeps."""

    people: Mapping[int, Contestant]
    lines: Mapping[int, _ContestantScore]
    criteria: Sequence[Criterion]
    tie_break: Sequence[int]
    missing: tuple[tuple[int, int], ...]
    unscaled: tuple[tuple[int, int], ...]
    #: Competing contestants with a total, best first (equal merit: by contestant id).
    order: tuple[int, ...] = ()
    #: Contestant → exact merit (total, then the tie-break aggregates) as (scored?, value) pairs.
    merits: Mapping[int, tuple] = field(default_factory=dict)
    #: Contestant → the same merit as whole numbers over common denominators (see `_merit_keys`).
    keys: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        contestants: Iterable[Contestant],
        sheets: Iterable[Sheet],
        criteria: Sequence[Criterion],
        rule: AggregationRule,
        tie_break: Sequence[int],
        expected: Iterable[tuple[int, int]],
    ) -> _Scored:
        """Check the input, standardise if the rule says so, aggregate every criterion and put
        the contestants in ranking order."""
        people = _contestants_by_id(contestants)
        sheet_list = list(sheets)
        by_id = _criteria_by_id(criteria)
        for cid in tie_break:
            if cid not in by_id:
                raise ValueError(f"Tie-break criterion {cid} is not a criterion of this round.")
        raw, given, complete = _gathered(people, sheet_list, by_id)
        standardised: dict[tuple[int, int, int], Decimal] | None = None
        unscaled: tuple[tuple[int, int], ...] = ()
        if rule.standardise:
            standardised, unscaled = _standardised(sheet_list, criteria)
        lines = _score_lines(people, raw, criteria, rule, standardised)
        merits = {
            cid: _merit(lines[cid], tie_break)
            for cid, contestant in people.items()
            if contestant.competing and lines[cid].total is not None
        }
        keys = _merit_keys(merits)
        # Best first; equal merit by contestant id (a reversed sort keeps the order of equals).
        order = sorted(merits)
        order.sort(key=keys.__getitem__, reverse=True)
        return cls(
            people=people,
            lines=lines,
            criteria=criteria,
            tie_break=tuple(tie_break),
            missing=_missing(people, given, complete, expected),
            unscaled=unscaled,
            order=tuple(order),
            merits=merits,
            keys=keys,
        )

    def ranking(self, members: Iterable[Contestant]) -> Ranking:
        """The ranking of some of the contestants, with the missing sheets that concern them."""
        members = list(members)
        ids = {contestant.id for contestant in members}
        return Ranking(
            placings=self._placings(members, ids),
            missing=tuple(pair for pair in self.missing if pair[1] in ids),
            unscaled=self.unscaled,
        )

    def _placings(self, members: Sequence[Contestant], ids: Collection[int]) -> tuple[Placing, ...]:
        """Ranked placings of some contestants, unranked ones after (see `Ranking`)."""
        ranked = [cid for cid in self.order if cid in ids]
        keys = [self.keys[cid] for cid in ranked]
        placings: list[Placing] = []
        rank = 0
        for index, cid in enumerate(ranked):
            key = keys[index]
            with_previous = index > 0 and keys[index - 1] == key
            with_next = index + 1 < len(keys) and keys[index + 1] == key
            decided_by = None
            if not with_previous:
                rank = index + 1
                # Below an equal total: the first tie-break criterion that differs decided it.
                if index > 0 and keys[index - 1][:2] == key[:2]:
                    decided_by = next(
                        c
                        for position, c in enumerate(self.tie_break, start=1)
                        if keys[index - 1][2 * position : 2 * position + 2]
                        != key[2 * position : 2 * position + 2]
                    )
            placings.append(
                _placing(
                    self.people[cid],
                    self.lines[cid],
                    rank=rank,
                    shared=with_previous or with_next,
                    decided_by=decided_by,
                    merit=self.merits[cid],
                )
            )
        unscored = sorted(
            (c for c in members if c.competing and self.lines[c.id].total is None),
            key=lambda c: c.id,
        )
        out = sorted((c for c in members if not c.competing), key=lambda c: c.id)
        placings.extend(_placing(c, self.lines[c.id], rank=None) for c in [*unscored, *out])
        return tuple(placings)


def _gathered(
    people: Mapping[int, Contestant], sheets: Sequence[Sheet], by_id: Mapping[int, Criterion]
) -> tuple[dict[int, dict[int, dict[int, Decimal]]], set[tuple[int, int]], set[tuple[int, int]]]:
    """Every sheet checked (for a contestant of the round, on its criteria, at most one per
    judge, scores that can be computed with) and read once: contestant → criterion → judge →
    score, the (judge, contestant) pairs with a sheet, and those whose sheet scores every
    criterion."""
    raw: dict[int, dict[int, dict[int, Decimal]]] = {}
    given: set[tuple[int, int]] = set()
    complete: set[tuple[int, int]] = set()
    criteria = by_id.keys()
    count = len(criteria)
    for sheet in sheets:
        contestant, judge = sheet.contestant, sheet.judge
        if contestant not in people:
            raise ValueError(f"Sheet for contestant {contestant}, who is not in this round.")
        pair = (judge, contestant)
        if pair in given:
            raise ValueError(f"Two sheets of judge {judge} for contestant {contestant}.")
        given.add(pair)
        scores = sheet.scores
        if not scores.keys() <= criteria:
            _check_criteria(scores, by_id)
        mine = raw.get(contestant)
        if mine is None:
            # Every criterion's judges at once (one nobody scored stays empty).
            mine = raw[contestant] = {cid: {} for cid in criteria}
        scored = 0
        for cid, value in scores.items():
            if value is None:
                continue
            if type(value) is not Decimal or not value.is_finite():
                value = _checked(value)
            mine[cid][judge] = value
            scored += 1
        if scored == count:
            complete.add(pair)
    return raw, given, complete


def _score_lines(
    people: Mapping[int, Contestant],
    raw: Mapping[int, Mapping[int, Mapping[int, Decimal]]],
    criteria: Sequence[Criterion],
    rule: AggregationRule,
    standardised: Mapping[tuple[int, int, int], Decimal] | None,
) -> dict[int, _ContestantScore]:
    """Per contestant: the explanation lines, exact aggregates by criterion and exact total."""
    weights = {criterion.id: Fraction(criterion.weight) for criterion in criteria}
    #: Criteria of weight 1, whose contribution is their aggregate.
    unit = {cid for cid, weight in weights.items() if weight == 1}
    by_total = rule.method is Aggregation.TRIMMED_TOTAL
    # Means and their Decimals already worked out (see `_mean`, `_decimal`): contestants'
    # aggregates share a few hundred values.
    means: dict[tuple[int, int, int], Fraction] = {}
    shown: dict[tuple[int, int], Decimal] = {}
    result = {}
    for contestant in people:
        lines: list[CriterionScore] = []
        exact: dict[int, Fraction | None] = {}
        # The total as a numerator and denominator, made a Fraction (reduced) once at the end.
        numerator, denominator, scored = 0, 1, False
        mine = raw.get(contestant, _NO_SCORES)
        raw_by_criterion = {c.id: mine.get(c.id) or _NO_SCORES for c in criteria}
        if standardised is not None:
            used_by_criterion = {
                cid: {j: standardised[(j, contestant, cid)] for j in scores}
                for cid, scores in raw_by_criterion.items()
            }
        else:
            used_by_criterion = raw_by_criterion
        judge_totals: tuple[JudgeScore, ...] = ()
        if by_total:
            raw_totals = _judge_totals(raw_by_criterion, weights)
            used_totals = _judge_totals(used_by_criterion, weights)
            left_out, applied = dropped_by_total(used_totals, rule)
            judge_totals = tuple(
                JudgeScore(
                    judge=judge,
                    score=_decimal(raw_totals[judge]),
                    standardised=None if standardised is None else _decimal(used_totals[judge]),
                    dropped=judge in left_out,
                )
                for judge in sorted(used_totals)
            )
        for criterion in criteria:
            cid = criterion.id
            scores = raw_by_criterion[cid]
            used = used_by_criterion[cid]
            if by_total:
                kept = [v for j, v in used.items() if j not in left_out]
                value = _mean(kept, means) if kept else None
                dropped = tuple(sorted(j for j in used if j in left_out))
                method = applied
            else:
                value, dropped, method = _aggregate_exact(used, rule, means)
            exact[cid] = value
            aggregate = contribution = None
            if value is not None:
                aggregate = _decimal(value, shown)
                if cid in unit:
                    part, contribution = value, aggregate
                else:
                    part = weights[cid] * value
                    contribution = _decimal(part, shown)
                numerator = numerator * part.denominator + part.numerator * denominator
                denominator *= part.denominator
                scored = True
            gap = None
            if scores:
                gap = max(scores.values()) - min(scores.values())
            lines.append(
                # Positionally, in the fields' order (criterion, aggregate, method, weight,
                # contribution, spread, out_of_tolerance, entered, scaled, left_out): thousands
                # of lines a ranking.
                CriterionScore(
                    cid,
                    aggregate,
                    method,
                    criterion.weight,
                    contribution,
                    gap,
                    criterion.tolerance is not None
                    and gap is not None
                    and gap > criterion.tolerance,
                    scores,
                    None if standardised is None else used,
                    dropped,
                )
            )
        total = Fraction(numerator, denominator) if scored else None
        result[contestant] = _ContestantScore(
            tuple(lines),
            exact,
            total,
            judge_totals,
            None if total is None else _decimal(total),
        )
    return result


def _judge_totals(
    by_criterion: Mapping[int, Mapping[int, Decimal]], weights: Mapping[int, Fraction]
) -> dict[int, Fraction]:
    """Each judge's exact weighted total over the criteria they scored."""
    totals: defaultdict[int, Fraction] = defaultdict(Fraction)
    for cid, scores in by_criterion.items():
        for judge, value in scores.items():
            totals[judge] += weights[cid] * Fraction(value)
    return dict(totals)


def _merit(score: _ContestantScore, tie_break: Sequence[int]) -> tuple:
    """The exact sort key of a contestant: their total, then each tie-break criterion's
    aggregate, as (1, value) pairs, (0, 0) for "no score" (below every score)."""
    return tuple(
        (0, Fraction(0)) if value is None else (1, value)
        for value in (score.total, *(score.aggregates[cid] for cid in tie_break))
    )


def _merit_keys(merits: Mapping[int, tuple]) -> dict[int, tuple[int, ...]]:
    """The merits as flat tuples of whole numbers that order and compare as the merits do: each
    value written over the common denominator of its position, so sorting and tie checks
    compare integers instead of fractions."""
    if not merits:
        return {}
    width = len(next(iter(merits.values())))
    common = [
        math.lcm(*(merit[position][1].denominator for merit in merits.values()))
        for position in range(width)
    ]
    return {
        contestant: tuple(
            part
            for (flag, value), denominator in zip(merit, common, strict=True)
            for part in (flag, value.numerator * (denominator // value.denominator))
        )
        for contestant, merit in merits.items()
    }


def _placing(
    contestant: Contestant,
    score: _ContestantScore,
    *,
    rank: int | None,
    shared: bool = False,
    decided_by: int | None = None,
    merit: tuple = (),
) -> Placing:
    """A Placing from a contestant and their score lines."""
    return Placing(
        contestant=contestant.id,
        team=contestant.team,
        track=contestant.track,
        status=contestant.status,
        rank=rank,
        total=score.shown_total,
        criteria=score.lines,
        shared=shared,
        decided_by=decided_by,
        judge_totals=score.judge_totals,
        _merit=merit,
    )


def _missing(
    people: Mapping[int, Contestant],
    given: Collection[tuple[int, int]],
    complete: Collection[tuple[int, int]],
    expected: Iterable[tuple[int, int]],
) -> tuple[tuple[int, int], ...]:
    """Expected (judge, contestant) pairs of competing contestants without a complete sheet, and
    pairs whose sheet leaves a criterion empty."""
    wanted = set(expected) | set(given)
    for _judge, contestant in wanted:
        if contestant not in people:
            raise ValueError(f"Expected sheet for contestant {contestant}, not in this round.")
    return tuple(sorted(pair for pair in wanted - set(complete) if people[pair[1]].competing))


# --- Advancing, awards and teams ---------------------------------------------------------------


def advancing(ranks: Mapping[int, int | None], places: int) -> tuple[int, ...]:
    """The contestants who go on to the next round: rank ≤ places, so everyone tied at the cut
    advances too; by rank, then contestant id."""
    if places < 0:
        raise ValueError(f"The number of places cannot be negative, not {places}.")
    chosen = [(rank, c) for c, rank in ranks.items() if rank is not None and rank <= places]
    return tuple(c for _, c in sorted(chosen))


class TierRounding(enum.StrEnum):
    """How a percentage of the contestants becomes a whole number of awards."""

    DOWN = "down"  # 去尾: 10 % of 72 = 7.2 → 7, 30 % = 21.6 → 21
    HALF_UP = "half_up"  # 四舍五入: 7.2 → 7, 21.6 → 22, 2.5 → 3


def tier_sizes(
    percentages: Sequence[Decimal],
    contestants: int,
    rounding: TierRounding = TierRounding.DOWN,
) -> tuple[int, ...]:
    """Award tier sizes from percentages of the contestants, each tier rounded on its own, down
    (10/18/30 % of 72: 7, 12, 21) or half up (7, 13, 22)."""
    if contestants < 0:
        raise ValueError(f"Contestants cannot be negative, not {contestants}.")
    rounding = TierRounding(rounding)
    sizes = []
    for percent in percentages:
        if isinstance(percent, float):
            raise TypeError("Give percentages as Decimal or int, not float.")
        if percent < 0:
            raise ValueError(f"A percentage cannot be negative, not {percent}.")
        share = Fraction(percent) * contestants / 100
        if rounding is TierRounding.HALF_UP:
            share += Fraction(1, 2)
        sizes.append(math.floor(share))
    return tuple(sizes)


@dataclass(frozen=True)
class TierOutcome:
    """How one award tier (1 = first award) came out: the planned size, the planned cumulative
    cut (ranks up to it get this award or better), how many got it, and whether contestants tied
    across its cut all got it (`boundary_tie`), which can make it larger and the next smaller."""

    tier: int
    planned: int
    cut: int
    awarded: int
    boundary_tie: bool

    @property
    def extra(self) -> int:
        """Contestants above the planned size (from a tie at the cut); 0 when not larger."""
        return max(0, self.awarded - self.planned)

    @property
    def short(self) -> int:
        """Places fewer than planned (a tie above took them, or too few contestants)."""
        return max(0, self.planned - self.awarded)


@dataclass(frozen=True)
class Awards:
    """The award tier of every awarded contestant, and how each tier came out."""

    tiers: tuple[TierOutcome, ...]
    awarded: Mapping[int, int]

    def tier_of(self, contestant: int) -> int | None:
        """The contestant's award tier (1 = first), None without an award."""
        return self.awarded.get(contestant)

    def contestants(self, tier: int) -> tuple[int, ...]:
        """The contestants given one tier, by contestant id."""
        return tuple(sorted(c for c, t in self.awarded.items() if t == tier))


def award_tiers(ranks: Mapping[int, int | None], sizes: Sequence[int]) -> Awards:
    """Award tiers by rank: tier i goes to everyone ranked within the cumulative cut of tiers
    1..i who has no better award, so contestants tied across a cut all get the higher award and
    the next tier shrinks by as many (its cut stays where it was planned); the unranked get none."""
    if any(size < 0 for size in sizes):
        raise ValueError("An award tier cannot have a negative size.")
    awarded: dict[int, int] = {}
    tiers: list[TierOutcome] = []
    cut = 0
    ranked = [(rank, c) for c, rank in ranks.items() if rank is not None]
    for tier, size in enumerate(sizes, start=1):
        cut += size
        within = [c for rank, c in ranked if rank <= cut]
        new = [c for c in within if c not in awarded]
        for contestant in new:
            awarded[contestant] = tier
        tiers.append(
            TierOutcome(
                tier=tier,
                planned=size,
                cut=cut,
                awarded=len(new),
                boundary_tie=len(within) > cut and size > 0,
            )
        )
    return Awards(tiers=tuple(tiers), awarded=awarded)


class TeamScoring(enum.StrEnum):
    """How a team's score comes from its best members' totals."""

    SUM = "sum"
    MEAN = "mean"


@dataclass(frozen=True)
class TeamStanding:
    """A team's line in the team ranking: its score and the members counted, best first."""

    team: int
    rank: int
    score: Decimal
    members: tuple[int, ...]


def team_standings(
    placings: Iterable[Placing], best: int, scoring: TeamScoring = TeamScoring.SUM
) -> tuple[TeamStanding, ...]:
    """Teams by the sum (or mean) of their best `best` ranked members' totals (fewer if the team
    has fewer), ties sharing the rank (1, 2, 2, 4), listed by team id within a tie; contestants
    without a team or a rank do not count."""
    if best < 1:
        raise ValueError(f"A team counts at least its best member, not {best}.")
    scoring = TeamScoring(scoring)
    members: defaultdict[int, list[Placing]] = defaultdict(list)
    for placing in placings:
        if placing.team is not None and placing.rank is not None and placing.total is not None:
            members[placing.team].append(placing)
    scored = []
    for team, rows in members.items():
        counted = sorted(rows, key=lambda p: (-p.total, p.rank, p.contestant))[:best]
        exact = sum((_exact_total(p) for p in counted), Fraction(0))
        if scoring is TeamScoring.MEAN:
            exact /= len(counted)
        scored.append((exact, team, tuple(p.contestant for p in counted)))
    scored.sort(key=lambda row: (-row[0], row[1]))
    table: list[TeamStanding] = []
    previous: Fraction | None = None
    for position, (exact, team, counted) in enumerate(scored, start=1):
        rank = table[-1].rank if table and previous == exact else position
        table.append(TeamStanding(team=team, rank=rank, score=_decimal(exact), members=counted))
        previous = exact
    return tuple(table)


# --- Judges: recusal and coverage --------------------------------------------------------------


def recused(
    judge: Judge, contestant: Contestant, conflicts: Collection[tuple[int, int]] = ()
) -> bool:
    """A judge may not score themself, a contestant of a team they compete for or are
    affiliated with, nor one with whom they declared a conflict ((judge, contestant) in
    `conflicts`)."""
    if contestant.id in judge.entries:
        return True
    if contestant.team is not None and (
        contestant.team in judge.teams or contestant.team in judge.competes_for
    ):
        return True
    return (judge.id, contestant.id) in conflicts


def expected_sheets(
    judges: Iterable[Judge],
    contestants: Iterable[Contestant],
    conflicts: Collection[tuple[int, int]] = (),
) -> tuple[tuple[int, int], ...]:
    """Every (judge, contestant) pair that should have a sheet: each assigned judge with each
    competing contestant they are not recused from, sorted."""
    judge_list = list(judges)
    return tuple(
        sorted(
            (judge.id, contestant.id)
            for contestant in contestants
            if contestant.competing
            for judge in judge_list
            if not recused(judge, contestant, conflicts)
        )
    )


@dataclass(frozen=True)
class Coverage:
    """The eligible judges of every competing contestant, and those with fewer than the minimum."""

    eligible: Mapping[int, tuple[int, ...]]
    minimum: int
    short: tuple[int, ...]

    def count(self, contestant: int) -> int:
        """How many eligible judges a contestant has."""
        return len(self.eligible.get(contestant, ()))


def coverage(
    judges: Iterable[Judge],
    contestants: Iterable[Contestant],
    conflicts: Collection[tuple[int, int]] = (),
    minimum: int = 1,
) -> Coverage:
    """Each competing contestant must have at least `minimum` eligible (not recused) judges among
    those assigned; `short` lists the contestants who have fewer, by contestant id."""
    judge_list = sorted(judges, key=lambda judge: judge.id)
    eligible = {
        contestant.id: tuple(j.id for j in judge_list if not recused(j, contestant, conflicts))
        for contestant in sorted(contestants, key=lambda c: c.id)
        if contestant.competing
    }
    short = tuple(c for c, found in eligible.items() if len(found) < minimum)
    return Coverage(eligible=eligible, minimum=minimum, short=short)


# --- Registrations: what a change to one alters ------------------------------------------------


@dataclass(frozen=True)
class Entrant:
    """A member's registration as the rankings see it: whether it holds or awaits a place
    (`active`), whether it holds one (`confirmed`), and its team and track."""

    active: bool
    confirmed: bool = False
    team: int | None = None
    track: int | None = None


class EntrantChange(enum.StrEnum):
    """What a change to a registration alters: who competes where (the contestants of every
    round), or, should its member judge, whom they are recused from."""

    CONTESTANTS = "contestants"
    RECUSAL = "recusal"


def entrant_change(before: Entrant | None, after: Entrant | None) -> EntrantChange | None:
    """A registration change alters the contestants when a confirmed registration with a track
    starts or stops being one or changes team or track, and alters its member's recusal (were
    they a judge) when the registration starts or stops holding or awaiting a place or changes
    team while it does; anything else, such as leaving the waitlist, alters neither."""

    def competes(entrant: Entrant | None) -> tuple[int | None, int] | None:
        if entrant is None or not entrant.confirmed or entrant.track is None:
            return None
        return (entrant.team, entrant.track)

    def recusal(entrant: Entrant | None) -> tuple[int | None] | None:
        return (entrant.team,) if entrant is not None and entrant.active else None

    if competes(before) != competes(after):
        return EntrantChange.CONTESTANTS
    if recusal(before) != recusal(after):
        return EntrantChange.RECUSAL
    return None


# --- Paper sheets: double entry ----------------------------------------------------------------


@dataclass(frozen=True)
class EntryComparison:
    """Two clerks' entries of one paper sheet compared: the criteria where they differ and the
    criteria left empty in either; the sheet counts only when they agree."""

    differing: tuple[int, ...]
    incomplete: tuple[int, ...]

    @property
    def agree(self) -> bool:
        """Both entries complete and equal on every criterion."""
        return not self.differing and not self.incomplete


def compare_entries(
    first: Mapping[int, Decimal | None],
    second: Mapping[int, Decimal | None],
    criteria: Iterable[int],
) -> EntryComparison:
    """Two entries of a paper sheet agree iff every criterion has a value in both and the values
    are equal as numbers (8.5 equals 8.50); otherwise the differing and empty criteria, in order."""
    criterion_ids = list(criteria)
    differing = tuple(c for c in criterion_ids if first.get(c) != second.get(c))
    incomplete = tuple(c for c in criterion_ids if first.get(c) is None or second.get(c) is None)
    return EntryComparison(differing=differing, incomplete=incomplete)


# --- Publication and the objection period (公示) ----------------------------------------------


class ResultsState(enum.StrEnum):
    """Where a round's published results stand."""

    UNPUBLISHED = "unpublished"
    PROVISIONAL = "provisional"  # published, objection period (公示) running
    FINAL = "final"


def objection_deadline(published_at: datetime, days: int = OBJECTION_DAYS) -> datetime:
    """The objection period ends `days` days after publication (the same instant, in UTC)."""
    if days < 0:
        raise ValueError(f"An objection period cannot be negative, not {days} days.")
    return published_at + timedelta(days=days)


def results_state(
    published_at: datetime | None, now: datetime, days: int = OBJECTION_DAYS
) -> ResultsState:
    """Unpublished before publication (or with none), provisional from publication until the
    objection period ends, final from its end on."""
    if published_at is None or now < published_at:
        return ResultsState.UNPUBLISHED
    if now < objection_deadline(published_at, days):
        return ResultsState.PROVISIONAL
    return ResultsState.FINAL


def objection_open(
    published_at: datetime | None, now: datetime, days: int = OBJECTION_DAYS
) -> bool:
    """Objections may be lodged only while the results are provisional."""
    return results_state(published_at, now, days) is ResultsState.PROVISIONAL


# --- Exact arithmetic ---------------------------------------------------------------------------


def _checked(value: Decimal) -> Decimal:
    """A score that can be computed with: a finite Decimal or a whole number (never a float,
    which is inexact before we start)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, Decimal):
        raise TypeError(f"Give scores as Decimal, not {type(value).__name__}.")
    if not value.is_finite():
        raise ValueError(f"Not a finite score: {value!r}")
    return value


def _mean(
    values: Sequence[Decimal], means: dict[tuple[int, int, int], Fraction] | None = None
) -> Fraction:
    """The exact mean of some Decimals (the sum is exact: an inexact one raises, never rounds).
    `means` keeps the fractions already made, by sum and count: a ranking takes thousands of
    means of scores on a fine scale, which share a few hundred values."""
    numerator, denominator = reduce(_EXACT.add, values, _ZERO).as_integer_ratio()
    if means is None:
        return Fraction(numerator, denominator * len(values))
    key = (numerator, denominator, len(values))
    found = means.get(key)
    if found is None:
        found = means[key] = Fraction(numerator, denominator * len(values))
    return found


def _decimal(value: Fraction, shown: dict[tuple[int, int], Decimal] | None = None) -> Decimal:
    """An exact fraction as a Decimal: exact where it fits PRECISION digits, else rounded once.
    `shown` keeps the Decimals already made, by numerator and denominator."""
    if shown is None:
        return _CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))
    key = (value.numerator, value.denominator)
    found = shown.get(key)
    if found is None:
        found = shown[key] = _CONTEXT.divide(Decimal(key[0]), Decimal(key[1]))
    return found


def _root(value: Fraction) -> Decimal:
    """The square root of a positive fraction to PRECISION digits."""
    return _CONTEXT.sqrt(_CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator)))


def _exact_total(placing: Placing) -> Fraction:
    """A ranked placing's total before it was written as a Decimal (so 26/3 + 1/3 is 9)."""
    if placing._merit:
        return placing._merit[0][1]
    return Fraction(placing.total)


def _criteria_by_id(criteria: Sequence[Criterion]) -> dict[int, Criterion]:
    """Criteria by id; the same id twice is an error."""
    by_id = {criterion.id: criterion for criterion in criteria}
    if len(by_id) != len(criteria):
        raise ValueError("A criterion is listed more than once.")
    return by_id


def _check_criteria(scores: Mapping[int, object], by_id: Mapping[int, Criterion]) -> None:
    """Every key is a criterion of the round."""
    unknown = sorted(set(scores) - set(by_id))
    if unknown:
        raise ValueError(f"Criteria {unknown} are not criteria of this round.")


def _contestants_by_id(contestants: Iterable[Contestant]) -> dict[int, Contestant]:
    """Contestants by id; the same id twice is an error."""
    people: dict[int, Contestant] = {}
    for contestant in contestants:
        if contestant.id in people:
            raise ValueError(f"Contestant {contestant.id} is listed more than once.")
        people[contestant.id] = contestant
    return people


def still_to_score_first(contestants: Sequence[int], submitted: Collection[int]) -> list[int]:
    """A judge's contestants with those whose sheet is not yet submitted first, each group in
    the order it had, so the work left is at the top of a phone's list."""
    return sorted(contestants, key=lambda contestant: contestant in submitted)
