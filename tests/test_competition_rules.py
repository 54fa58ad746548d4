"""The skills competition rules on their own: score entry, aggregation, standardisation, totals,
rankings, advancing, awards, teams, recusal, double entry and the objection period.

Worked examples pin each rule with numbers worked out by hand (contestant ids in the hundreds,
judge ids below 100 and criterion ids in the twenties, so an id is never mistaken for a score
or a rank). The seed's shape (72 contestants in 5 tracks, 7 judges, 6 criteria, 7/13/22 awards)
is built so that every aggregate is known in advance: see `seed_contest`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsite.competitions import rules
from eventsite.competitions.rules import (
    PRECISION,
    Aggregate,
    Aggregation,
    AggregationRule,
    Contestant,
    ContestantStatus,
    Criterion,
    Entrant,
    Judge,
    Placing,
    ResultsState,
    ScoreFormatError,
    ScoreProblem,
    Sheet,
    TeamScoring,
    TierOutcome,
    TierRounding,
    advancing,
    aggregate,
    award_tiers,
    compare_entries,
    coverage,
    dropped_by_total,
    entrant_change,
    expected_sheets,
    format_score,
    objection_deadline,
    objection_open,
    out_of_tolerance,
    parse_score,
    rank_by_track,
    rank_contestants,
    rank_round,
    recused,
    results_state,
    round_for_display,
    score_problem,
    sheet_problems,
    spread,
    standardise,
    team_standings,
    tier_sizes,
    unscored_criteria,
    weighted_total,
)

D = Decimal
MEAN = AggregationRule(Aggregation.MEAN)
MEDIAN = AggregationRule(Aggregation.MEDIAN)
TRIMMED = AggregationRule()  # the default: drop 1 at each end from 5 judges
PRACTICAL, THEORY, ETIQUETTE = 21, 22, 23


def scores(*values: str, first_judge: int = 1) -> dict[int, Decimal]:
    """Scores by judge id, judges numbered from `first_judge` in the order given."""
    return {first_judge + i: D(value) for i, value in enumerate(values)}


def sheet(judge: int, contestant: int, **by_criterion: str | None) -> Sheet:
    """A sheet with scores keyed practical=, theory=, etiquette=."""
    ids = {"practical": PRACTICAL, "theory": THEORY, "etiquette": ETIQUETTE}
    return Sheet(
        judge,
        contestant,
        {ids[name]: None if value is None else D(value) for name, value in by_criterion.items()},
    )


# --- Score entry ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8.5", D("8.5")),
        (" 9 ", D("9")),
        ("０", D("0")),
        ("８．５", D("8.5")),  # a Chinese keyboard's full-width digits and point
        (".5", D("0.5")),
        ("8 .5", D("8.5")),  # a space typed inside is dropped, as in a time
        ("10.00", D("10.00")),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_score_reads_plain_decimals_and_empty_as_not_scored(text, expected):
    assert parse_score(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "X8",  # a letter before the number is not a minus
        "8,5",
        "--1",
        "-",
        "+3",
        "1e1",
        "NaN",
        "Infinity",
        "8.",
        "1.2.3",
        "٣",  # an Arabic-Indic digit is not a score a judge types
    ],
)
def test_parse_score_refuses_anything_else(text):
    with pytest.raises(ScoreFormatError) as caught:
        parse_score(text)
    assert caught.value.problem is ScoreProblem.FORMAT


def test_a_refused_score_is_quoted_as_read():
    # The full-width comma of a Chinese keyboard is read as "," (NFKC), and the log says so.
    with pytest.raises(ScoreFormatError, match=r"^Not a score: '8,5'$"):
        parse_score("８，５")


@pytest.mark.parametrize("text", ["-1", "−1", "－1", "-0.5"])
def test_parse_score_reads_a_minus_so_the_range_check_can_say_below_0(text):
    assert parse_score(text) < 0


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, None),  # not scored is allowed (the sheet is then incomplete), never 0
        ("0", None),
        ("0.0", None),
        ("9.5", None),
        ("10", None),
        ("10.0", None),
        ("-0.5", ScoreProblem.NEGATIVE),
        ("10.5", ScoreProblem.ABOVE_MAXIMUM),
        ("8.25", ScoreProblem.OFF_STEP),
        ("8.50000000001", ScoreProblem.OFF_STEP),
    ],
)
def test_score_problem_checks_range_and_step_exactly(value, problem):
    criterion = Criterion(PRACTICAL, maximum=D(10), step=D("0.5"))
    assert score_problem(None if value is None else D(value), criterion) == problem


def test_score_problem_with_a_step_that_is_not_a_power_of_ten():
    quarter = Criterion(PRACTICAL, maximum=D(5), step=D("0.25"))
    assert score_problem(D("4.75"), quarter) is None
    assert score_problem(D("4.7"), quarter) is ScoreProblem.OFF_STEP
    whole = Criterion(THEORY, maximum=D(100), step=D(1))
    assert score_problem(D("99"), whole) is None
    assert score_problem(D("99.5"), whole) is ScoreProblem.OFF_STEP


def test_score_problem_refuses_float_and_non_finite():
    criterion = Criterion(PRACTICAL, maximum=D(10))
    with pytest.raises(TypeError, match=r"^Give scores as Decimal, not float\.$"):
        score_problem(8.5, criterion)  # type: ignore[arg-type]
    assert score_problem(D("NaN"), criterion) is ScoreProblem.FORMAT
    assert score_problem(D("Infinity"), criterion) is ScoreProblem.FORMAT


def test_sheet_problems_and_unscored_criteria():
    criteria = [
        Criterion(PRACTICAL, maximum=D(10)),
        Criterion(THEORY, maximum=D(5), step=D(1)),
        Criterion(ETIQUETTE, maximum=D(3)),
    ]
    entered = {PRACTICAL: D("11"), THEORY: D("2.5"), ETIQUETTE: None}
    assert sheet_problems(entered, criteria) == {
        PRACTICAL: ScoreProblem.ABOVE_MAXIMUM,
        THEORY: ScoreProblem.OFF_STEP,
    }
    assert unscored_criteria(entered, criteria) == (ETIQUETTE,)
    assert unscored_criteria({THEORY: D(0)}, criteria) == (PRACTICAL, ETIQUETTE)
    assert unscored_criteria({PRACTICAL: D(0), THEORY: D(0), ETIQUETTE: D(0)}, criteria) == ()
    with pytest.raises(ValueError, match="99"):
        sheet_problems({99: D(1)}, criteria)


def test_criterion_refuses_floats_and_nonsense():
    with pytest.raises(
        TypeError, match=r"^Give the criterion's maximum as a Decimal, not a float\.$"
    ):
        Criterion(PRACTICAL, maximum=10.0)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"^A criterion's maximum and step must be more than zero\.$"
    ):
        Criterion(PRACTICAL, maximum=D(10), step=D(0))
    with pytest.raises(
        ValueError, match=r"^A criterion's weight and tolerance cannot be negative\.$"
    ):
        Criterion(PRACTICAL, maximum=D(10), weight=D(-1))


# --- Aggregation ------------------------------------------------------------------------------


def test_trimmed_mean_with_five_judges_drops_one_highest_and_one_lowest():
    # Judges 1..5 give 9, 7, 8.5, 9.5, 8: drop 7 (judge 2) and 9.5 (judge 4); (9 + 8.5 + 8) / 3.
    result = aggregate(scores("9", "7", "8.5", "9.5", "8"), TRIMMED)
    assert result == Aggregate(D("8.5"), dropped=(2, 4), method=Aggregation.TRIMMED_MEAN)


def test_trimmed_mean_with_seven_judges_drops_one_or_two_at_each_end():
    marks = scores("6", "10", "7", "9", "7.5", "8.5", "8")
    # k=1: drop 6 (judge 1) and 10 (judge 2): (7 + 9 + 7.5 + 8.5 + 8) / 5 = 40 / 5 = 8.
    assert aggregate(marks, TRIMMED) == Aggregate(D(8), (1, 2), Aggregation.TRIMMED_MEAN)
    # k=2 (needs 5 judges minimum): also 7 (judge 3) and 9 (judge 4): (7.5 + 8.5 + 8) / 3 = 8.
    two = AggregationRule(Aggregation.TRIMMED_MEAN, trim=2, trim_minimum=5)
    assert aggregate(marks, two) == Aggregate(D(8), (1, 2, 3, 4), Aggregation.TRIMMED_MEAN)
    # A case where k matters: 5, 6, 7, 7, 7, 9, 10 → k=1: 36/5 = 7.2; k=2: 21/3 = 7.
    skewed = scores("5", "6", "7", "7", "7", "9", "10")
    assert aggregate(skewed, TRIMMED).value == D("7.2")
    assert aggregate(skewed, two).value == D(7)


def test_trimmed_mean_below_the_minimum_is_a_plain_mean():
    four = scores("7", "8", "9", "10")
    assert aggregate(four, TRIMMED) == Aggregate(D("8.5"), (), Aggregation.MEAN)
    # The minimum is configurable: with 3 judges enough, 6, 8, 10 drops 6 and 10.
    three = AggregationRule(Aggregation.TRIMMED_MEAN, trim=1, trim_minimum=3)
    assert aggregate(scores("6", "8", "10"), three) == Aggregate(
        D(8), (1, 3), Aggregation.TRIMMED_MEAN
    )


def test_trimmed_mean_drops_one_of_equal_extremes_deterministically():
    # Judges 3 and 5 both gave the top 9.5, judges 1 and 2 the bottom 7: one of each is dropped,
    # the higher judge id at the top and the lower at the bottom, whatever order they come in.
    marks = {5: D("9.5"), 2: D("7"), 3: D("9.5"), 1: D("7"), 4: D("8")}
    result = aggregate(marks, TRIMMED)
    assert result.dropped == (1, 5)
    assert result.value == D("8.166666666666666666666666666666667")  # (7 + 8 + 9.5) / 3


TRIMMED_TOTAL = AggregationRule(Aggregation.TRIMMED_TOTAL)  # drop 1 at each end from 5 judges
TWO_CRITERIA = [Criterion(PRACTICAL, maximum=D(10)), Criterion(THEORY, maximum=D(10))]


def test_trimming_the_judges_totals_differs_from_trimming_each_criterion():
    # Judges 1..5 give (practical, theory): (10, 0), (0, 10), (6, 6), (7, 7), (2, 2); their
    # totals 10, 10, 12, 14, 4. By total, judges 4 (14) and 5 (4) are left out and each criterion
    # is the mean of judges 1-3: (10 + 0 + 6) / 3 = 16/3, total 32/3. Trimming each criterion
    # drops 10 and 0 instead: (6 + 7 + 2) / 3 = 5 on each, total 10.
    marks = [("10", "0"), ("0", "10"), ("6", "6"), ("7", "7"), ("2", "2")]
    sheets = [
        sheet(judge, 101, practical=p, theory=t) for judge, (p, t) in enumerate(marks, start=1)
    ]
    people = [Contestant(101)]
    by_total = rank_contestants(people, sheets, TWO_CRITERIA, rule=TRIMMED_TOTAL).placing(101)
    assert by_total.total == D("10.66666666666666666666666666666667")
    assert [line.dropped for line in by_total.criteria] == [(4, 5), (4, 5)]
    assert [line.method for line in by_total.criteria] == [Aggregation.TRIMMED_TOTAL] * 2
    assert [(j.judge, j.score, j.dropped) for j in by_total.judge_totals] == [
        (1, D(10), False),
        (2, D(10), False),
        (3, D(12), False),
        (4, D(14), True),
        (5, D(4), True),
    ]
    each = rank_contestants(people, sheets, TWO_CRITERIA, rule=TRIMMED).placing(101)
    assert each.total == D(10) and each.judge_totals == ()


def test_trimming_totals_weighs_the_criteria_and_drops_equal_totals_deterministically():
    weighted = [Criterion(PRACTICAL, maximum=D(10), weight=D(2)), Criterion(THEORY, maximum=D(10))]
    # Totals 2 × p + t: 20, 20, 15, 15, 18 → the lower id of the bottom tie (3) and the higher
    # id of the top tie (2) are left out; judges 1, 4, 5 remain.
    marks = [("8", "4"), ("9", "2"), ("5", "5"), ("6", "3"), ("7", "4")]
    sheets = [
        sheet(judge, 101, practical=p, theory=t) for judge, (p, t) in enumerate(marks, start=1)
    ]
    placing = rank_contestants([Contestant(101)], sheets, weighted, rule=TRIMMED_TOTAL).placing(101)
    assert [j.judge for j in placing.judge_totals if j.dropped] == [2, 3]
    assert placing.total == D("17.66666666666666666666666666666667")  # (20 + 15 + 18) / 3
    totals = {judge: D(v) for judge, v in ((1, 20), (2, 20), (3, 15), (4, 15), (5, 18))}
    assert dropped_by_total(totals, TRIMMED_TOTAL) == ((2, 3), Aggregation.TRIMMED_TOTAL)
    assert dropped_by_total(dict(reversed(totals.items())), TRIMMED_TOTAL)[0] == (2, 3)


def test_trimming_totals_below_the_minimum_is_a_plain_mean_and_needs_whole_sheets():
    four = {judge: D(judge) for judge in range(1, 5)}
    assert dropped_by_total(four, TRIMMED_TOTAL) == ((), Aggregation.MEAN)
    sheets = [sheet(j, 101, practical=str(j), theory="1") for j in range(1, 5)]
    placing = rank_contestants([Contestant(101)], sheets, TWO_CRITERIA, rule=TRIMMED_TOTAL)
    assert placing.placing(101).total == D("3.5")  # (1 + 2 + 3 + 4) / 4 + 1
    assert placing.placing(101).criteria[0].method is Aggregation.MEAN
    # One criterion alone cannot be trimmed by totals.
    with pytest.raises(
        ValueError, match=r"^Trimming the judges' totals needs their whole sheets: rank them\.$"
    ):
        aggregate(four, TRIMMED_TOTAL)
    with pytest.raises(ValueError, match=r"^Not a trimmed mean of totals: trimmed_mean\.$"):
        dropped_by_total(four, TRIMMED)


def test_trimming_standardised_totals_shows_both_totals():
    rule = AggregationRule(Aggregation.TRIMMED_TOTAL, trim_minimum=3, standardise=True)
    sheets = [
        sheet(judge, person, practical=str(judge + person % 3), theory="5")
        for judge in (1, 2, 3)
        for person in (101, 102, 103)
    ]
    people = [Contestant(p) for p in (101, 102, 103)]
    placing = rank_contestants(people, sheets, TWO_CRITERIA, rule=rule).placing(101)
    assert len(placing.judge_totals) == 3
    assert all(j.standardised is not None for j in placing.judge_totals)
    assert sum(j.dropped for j in placing.judge_totals) == 2


def test_trimmed_mean_needs_enough_judges_for_what_it_drops():
    # Two dropped at each end leave one score in the middle only from 5 judges on.
    with pytest.raises(ValueError, match=r"^Dropping 2 at each end needs at least 5 judges\.$"):
        AggregationRule(Aggregation.TRIMMED_MEAN, trim=2, trim_minimum=4)
    two = AggregationRule(Aggregation.TRIMMED_MEAN, trim=2, trim_minimum=5)
    assert aggregate(scores("9", "5", "7", "6", "8"), two) == Aggregate(
        D(7), (1, 2, 4, 5), Aggregation.TRIMMED_MEAN
    )
    with pytest.raises(
        ValueError, match=r"^The number of scores dropped at each end cannot be negative\.$"
    ):
        AggregationRule(Aggregation.TRIMMED_MEAN, trim=-1)


def test_mean_that_does_not_terminate_is_kept_to_precision_and_rounded_only_for_display():
    result = aggregate(scores("8", "8", "9"), MEAN)  # 25 / 3
    assert result.value == D("8.333333333333333333333333333333333")
    assert len(result.value.as_tuple().digits) == PRECISION
    assert format_score(result.value) == "8.33"


def test_median_odd_and_even():
    assert aggregate(scores("7", "9", "8"), MEDIAN) == Aggregate(D(8), (), Aggregation.MEDIAN)
    assert aggregate(scores("10", "7", "9", "8"), MEDIAN).value == D("8.5")
    assert aggregate(scores("7", "8.5"), MEDIAN).value == D("7.75")
    assert aggregate(scores("6"), MEDIAN).value == D(6)
    # An outlier does not move a median: 2, 8, 8.5 → 8.
    assert aggregate(scores("2", "8.5", "8"), MEDIAN).value == D(8)


def test_aggregate_of_no_scores_is_none_not_zero():
    for rule in (MEAN, MEDIAN, TRIMMED):
        assert aggregate({}, rule).value is None


def test_spread_and_tolerance():
    marks = [D("7"), D("9.5"), D("8")]
    assert spread(marks) == D("2.5")
    assert spread([]) is None
    assert out_of_tolerance(marks, D("2")) is True
    assert out_of_tolerance(marks, D("2.5")) is False  # exceeding, not reaching, flags
    assert out_of_tolerance(marks, None) is False
    assert out_of_tolerance([D(3)], D(0)) is False


# --- Standardisation --------------------------------------------------------------------------


def test_z_scores_remove_a_lenient_judges_offset():
    # Judge 1 scores contestants 101-103 with 6, 7, 8 (mean 7); judge 2 scores 102-104 with 8, 9,
    # 10 (mean 9). Both have variance 2/3, so the pooled variance is 2/3 and each score becomes
    # round mean 8 + (x − judge mean): judge 1 gives 7, 8, 9 and judge 2 gives 7, 8, 9.
    criterion = Criterion(PRACTICAL, maximum=D(10))
    sheets = [
        sheet(1, 101, practical="6"),
        sheet(1, 102, practical="7"),
        sheet(1, 103, practical="8"),
        sheet(2, 102, practical="8"),
        sheet(2, 103, practical="9"),
        sheet(2, 104, practical="10"),
    ]
    result = standardise(sheets, [criterion])
    assert result.scores == {
        (1, 101, PRACTICAL): D(7),
        (1, 102, PRACTICAL): D(8),
        (1, 103, PRACTICAL): D(9),
        (2, 102, PRACTICAL): D(7),
        (2, 103, PRACTICAL): D(8),
        (2, 104, PRACTICAL): D(9),
    }
    assert result.unscaled == ()
    people = [Contestant(c) for c in (101, 102, 103, 104)]
    raw = rank_contestants(people, sheets, [criterion], rule=MEAN)
    # Raw means: 104 has 10 from the lenient judge alone and leads; 102 and 103 have 7.5 and 8.5.
    assert [(p.contestant, p.total) for p in raw.placings] == [
        (104, D(10)),
        (103, D("8.5")),
        (102, D("7.5")),
        (101, D(6)),
    ]
    fair = rank_contestants(
        people, sheets, [criterion], rule=AggregationRule(Aggregation.MEAN, standardise=True)
    )
    assert [(p.contestant, p.rank, p.total) for p in fair.placings] == [
        (104, 1, D(9)),
        (103, 2, D("8.5")),  # (9 + 8) / 2
        (102, 3, D("7.5")),  # (8 + 7) / 2
        (101, 4, D(7)),
    ]
    line = fair.placing(102).criterion(PRACTICAL)
    assert [(s.judge, s.score, s.standardised) for s in line.scores] == [
        (1, D(7), D(8)),
        (2, D(8), D(7)),
    ]


def test_z_scores_for_judges_with_one_sheet_or_no_spread_are_the_round_mean():
    # Judge 1: 6, 7, 8 on 101-103; judge 3 gave 10 and 10 (no spread); judge 4 scored one sheet.
    # Round mean (6+7+8+10+10+5)/6 = 46/6 = 23/3. Only judge 1 can be standardised: pooled
    # variance = judge 1's, so judge 1's scores become 23/3 + (x − 7).
    criterion = Criterion(PRACTICAL, maximum=D(10))
    sheets = [
        sheet(1, 101, practical="6"),
        sheet(1, 102, practical="7"),
        sheet(1, 103, practical="8"),
        sheet(3, 101, practical="10"),
        sheet(3, 102, practical="10"),
        sheet(4, 103, practical="5"),
    ]
    result = standardise(sheets, [criterion])
    third = D("7.666666666666666666666666666666667")
    assert result.scores[(3, 101, PRACTICAL)] == third
    assert result.scores[(3, 102, PRACTICAL)] == third
    assert result.scores[(4, 103, PRACTICAL)] == third
    assert result.scores[(1, 101, PRACTICAL)] == D("6.666666666666666666666666666666667")
    assert result.scores[(1, 103, PRACTICAL)] == D("8.666666666666666666666666666666667")
    assert result.unscaled == ((3, PRACTICAL), (4, PRACTICAL))


def test_z_scores_rescale_by_the_ratio_of_pooled_to_own_spread():
    # Judge 1: 4, 8 (mean 6, variance 4); judge 2: 6, 7, 8 (mean 7, variance 2/3). Round mean
    # 33/5 = 6.6; pooled variance (2·4 + 3·2/3) / 5 = 2. Judge 1's 8 becomes 6.6 + 2·√(2/4) =
    # 6.6 + √2; judge 2's 8 becomes 6.6 + 1·√(2/(2/3)) = 6.6 + √3.
    criterion = Criterion(PRACTICAL, maximum=D(10))
    sheets = [
        sheet(1, 101, practical="4"),
        sheet(1, 102, practical="8"),
        sheet(2, 101, practical="6"),
        sheet(2, 102, practical="7"),
        sheet(2, 103, practical="8"),
    ]
    result = standardise(sheets, [criterion])
    with localcontext(Context(prec=50)):
        root2, root3 = D(2).sqrt(), D(3).sqrt()
        tiny = D("1e-30")  # PRECISION is 34 significant digits
        assert abs(result.scores[(1, 102, PRACTICAL)] - (D("6.6") + root2)) < tiny
        assert abs(result.scores[(1, 101, PRACTICAL)] - (D("6.6") - root2)) < tiny
        assert abs(result.scores[(2, 103, PRACTICAL)] - (D("6.6") + root3)) < tiny
    assert result.scores[(2, 102, PRACTICAL)] == D("6.6")  # judge 2's own mean maps to the round's


def test_standardised_scores_are_not_clipped_to_the_scale():
    # Judge 1: 0, 0, 10 (variance 200/9); judge 2: 5, 5, 5, 5, 6 (mean 5.2, variance 0.16).
    # Round mean 36/8 = 4.5, pooled variance (600/9 + 0.8) / 8 = 8.4333…; judge 2's 6 becomes
    # 4.5 + 0.8 × √(8.4333… / 0.16) ≈ 10.31, above the maximum of 10. Clipping it to 10 would
    # throw away how far it stands out.
    criterion = Criterion(PRACTICAL, maximum=D(10))
    sheets = [
        sheet(1, 101, practical="0"),
        sheet(1, 102, practical="0"),
        sheet(1, 103, practical="10"),
        *(sheet(2, c, practical="5") for c in (101, 102, 104, 105)),
        sheet(2, 106, practical="6"),
    ]
    result = standardise(sheets, [criterion])
    assert D("10.30") < result.scores[(2, 106, PRACTICAL)] < D("10.32")


# --- Totals and display -----------------------------------------------------------------------


def test_weighted_total_is_exact_decimal():
    criteria = [
        Criterion(PRACTICAL, maximum=D(100), weight=D("0.6")),
        Criterion(THEORY, maximum=D(100), weight=D("0.4")),
    ]
    # 0.6 × 85.5 + 0.4 × 72 = 51.3 + 28.8 = 80.1 exactly (floats give 80.10000000000001).
    assert weighted_total({PRACTICAL: D("85.5"), THEORY: D("72")}, criteria) == D("80.1")
    tenths = [
        Criterion(PRACTICAL, maximum=D(10), weight=D("0.1")),
        Criterion(THEORY, maximum=D(10), weight=D("0.2")),
    ]
    # 0.1 + 0.2 is 0.30000000000000004 in floats; exactly 0.3 here.
    assert weighted_total({PRACTICAL: D(1), THEORY: D(1)}, tenths) == D("0.3")
    assert weighted_total({PRACTICAL: D("85.5"), THEORY: None}, criteria) == D("51.3")
    assert weighted_total({PRACTICAL: None, THEORY: None}, criteria) is None
    with pytest.raises(ValueError):
        weighted_total({99: D(1)}, criteria)


def test_weights_change_the_order():
    # 101 is better in practice, 102 in theory: practice weighted 3, theory 1 puts 101 first.
    criteria = [
        Criterion(PRACTICAL, maximum=D(10), weight=D(3)),
        Criterion(THEORY, maximum=D(10), weight=D(1)),
    ]
    sheets = [sheet(1, 101, practical="9", theory="5"), sheet(1, 102, practical="7", theory="10")]
    ranking = rank_contestants([Contestant(101), Contestant(102)], sheets, criteria, rule=MEAN)
    assert [(p.contestant, p.total) for p in ranking.placings] == [(101, D(32)), (102, D(31))]
    line = ranking.placing(102).criterion(THEORY)
    assert (line.aggregate, line.weight, line.contribution) == (D(10), D(1), D(10))
    unweighted = [Criterion(PRACTICAL, maximum=D(10)), Criterion(THEORY, maximum=D(10))]
    ranking = rank_contestants([Contestant(101), Contestant(102)], sheets, unweighted, rule=MEAN)
    assert [(p.contestant, p.total) for p in ranking.placings] == [(102, D(17)), (101, D(14))]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("0.125"), "0.13"),  # half up, not half even
        (D("2.675"), "2.68"),  # float(2.675) would round to 2.67
        (D("80.1"), "80.10"),
        (D("7"), "7.00"),
        (D("8.333333333333333333333333333333333"), "8.33"),
        (D("8.666666666666666666666666666666667"), "8.67"),
        (None, ""),
    ],
)
def test_format_score_two_decimals_half_up(value, shown):
    assert format_score(value) == shown


def test_round_for_display_keeps_a_decimal():
    assert round_for_display(D("89.995")) == D("90.00")


# --- Ranking ----------------------------------------------------------------------------------

THREE = [
    Criterion(PRACTICAL, maximum=D(60)),
    Criterion(THEORY, maximum=D(40)),
    Criterion(ETIQUETTE, maximum=D(10)),
]


def ranking_of(rows, *, tie_break=(), statuses=None, expected=()):
    """A one-judge ranking over THREE from (contestant, practical, theory, etiquette) rows."""
    statuses = statuses or {}
    people = [Contestant(c, status=statuses.get(c, ContestantStatus.COMPETING)) for c, *_ in rows]
    sheets = [
        sheet(1, c, practical=p, theory=t, etiquette=e) for c, p, t, e in rows if p is not None
    ]
    return rank_contestants(
        people, sheets, THREE, rule=MEAN, tie_break=tie_break, expected=expected
    )


def test_shared_ranks_skip_the_next():
    ranking = ranking_of(
        [
            (101, "50", "40", "0"),
            (102, "45", "40", "0"),
            (103, "40", "45", "0"),
            (104, "40", "40", "0"),
        ]
    )
    assert [(p.contestant, p.rank, p.shared, p.total) for p in ranking.placings] == [
        (101, 1, False, D(90)),
        (102, 2, True, D(85)),
        (103, 2, True, D(85)),
        (104, 4, False, D(80)),
    ]
    assert ranking.ranks == {101: 1, 102: 2, 103: 2, 104: 4}
    assert not ranking.provisional


def test_tie_break_chain_practical_then_theory_then_shared():
    # All four total 80. 101 and 103: practical 50; 103 has more theory. 104 repeats 101 exactly.
    rows = [
        (101, "50", "25", "5"),
        (102, "45", "35", "0"),
        (103, "50", "30", "0"),
        (104, "50", "25", "5"),
        (105, "40", "40", "0"),
    ]
    ranking = ranking_of(rows, tie_break=(PRACTICAL, THEORY))
    assert [(p.contestant, p.rank, p.decided_by) for p in ranking.placings] == [
        (103, 1, None),
        (101, 2, THEORY),  # below 103 on theory
        (104, 2, None),  # same as 101 on everything: shared
        (102, 4, PRACTICAL),
        (105, 5, PRACTICAL),
    ]
    theory_first = ranking_of(rows, tie_break=(THEORY,))
    assert theory_first.ranks == {105: 1, 102: 2, 103: 3, 101: 4, 104: 4}
    no_chain = ranking_of(rows)
    assert set(no_chain.ranks.values()) == {1}
    with pytest.raises(
        ValueError, match=r"^Tie-break criterion 99 is not a criterion of this round\.$"
    ):
        ranking_of(rows, tie_break=(99,))


def test_tie_break_on_an_unscored_criterion_ranks_below_any_score():
    rows = [(101, "50", "30", None), (102, "50", "30", "0")]
    ranking = ranking_of(rows, tie_break=(ETIQUETTE,))
    assert ranking.ranks == {102: 1, 101: 2}
    assert ranking.missing == ((1, 101),)  # 101's sheet leaves etiquette empty


def test_withdrawn_and_disqualified_leave_the_ranking_without_moving_any_total():
    rows = [
        (101, "50", "40", "5"),
        (102, "55", "40", "5"),
        (103, "45", "40", "5"),
        (104, "40", "30", "5"),
    ]
    before = ranking_of(rows)
    assert before.ranks == {102: 1, 101: 2, 103: 3, 104: 4}
    after = ranking_of(
        rows,
        statuses={102: ContestantStatus.WITHDRAWN, 104: ContestantStatus.DISQUALIFIED},
    )
    assert [(p.contestant, p.rank, p.status) for p in after.placings] == [
        (101, 1, ContestantStatus.COMPETING),
        (103, 2, ContestantStatus.COMPETING),
        (102, None, ContestantStatus.WITHDRAWN),
        (104, None, ContestantStatus.DISQUALIFIED),
    ]
    for placing in after.placings:
        assert placing.total == before.placing(placing.contestant).total


def test_withdrawal_does_not_move_totals_when_standardising_either():
    criterion = [Criterion(PRACTICAL, maximum=D(10))]
    sheets = [
        sheet(judge, contestant, practical=str(value))
        for judge, contestant, value in [
            (1, 101, 6),
            (1, 102, 7),
            (1, 103, 9),
            (2, 102, 8),
            (2, 103, 9),
            (2, 104, 10),
        ]
    ]
    rule = AggregationRule(Aggregation.MEAN, standardise=True)
    people = [Contestant(c) for c in (101, 102, 103, 104)]
    before = rank_contestants(people, sheets, criterion, rule=rule)
    people[2] = Contestant(103, status=ContestantStatus.WITHDRAWN)
    after = rank_contestants(people, sheets, criterion, rule=rule)
    assert after.placing(103).rank is None
    for c in (101, 102, 104):
        assert after.placing(c).total == before.placing(c).total


def test_missing_sheet_makes_the_ranking_provisional_and_names_it():
    judges = [Judge(1), Judge(2), Judge(3)]
    people = [Contestant(101), Contestant(102), Contestant(103, status=ContestantStatus.WITHDRAWN)]
    expected = expected_sheets(judges, people)
    assert expected == ((1, 101), (1, 102), (2, 101), (2, 102), (3, 101), (3, 102))
    criteria = [Criterion(PRACTICAL, maximum=D(10))]
    sheets = [
        sheet(1, 101, practical="8"),
        sheet(2, 101, practical="9"),
        sheet(3, 101, practical="7"),
        sheet(1, 102, practical="6"),
        sheet(3, 102, practical="10"),  # judge 2's sheet for 102 is missing
    ]
    ranking = rank_contestants(people, sheets, criteria, rule=MEAN, expected=expected)
    assert ranking.provisional
    assert ranking.missing == ((2, 102),)
    # Provisional totals use the sheets that are in: 102 has (6 + 10) / 2.
    assert [(p.contestant, p.rank, p.total) for p in ranking.placings] == [
        (101, 1, D(8)),
        (102, 1, D(8)),
        (103, None, None),
    ]
    complete = rank_contestants(
        people, [*sheets, sheet(2, 102, practical="5")], criteria, rule=MEAN, expected=expected
    )
    assert not complete.provisional
    assert complete.ranks == {101: 1, 102: 2, 103: None}


def test_contestant_with_no_sheet_yet_is_unranked_not_last_with_zero():
    criteria = [Criterion(PRACTICAL, maximum=D(10))]
    people = [Contestant(101), Contestant(102)]
    ranking = rank_contestants(
        people, [sheet(1, 101, practical="0")], criteria, expected=[(1, 101), (1, 102)]
    )
    assert [(p.contestant, p.rank, p.total) for p in ranking.placings] == [
        (101, 1, D(0)),
        (102, None, None),
    ]
    assert ranking.missing == ((1, 102),)


def test_rankings_refuse_inconsistent_input():
    criteria = [Criterion(PRACTICAL, maximum=D(10))]
    people = [Contestant(101)]
    with pytest.raises(ValueError, match="Two sheets"):
        rank_contestants(
            people, [sheet(1, 101, practical="1"), sheet(1, 101, practical="2")], criteria
        )
    with pytest.raises(ValueError, match="not in this round"):
        rank_contestants(people, [sheet(1, 999, practical="1")], criteria)
    with pytest.raises(
        ValueError, match=r"^Expected sheet for contestant 999, not in this round\.$"
    ):
        rank_contestants(people, [], criteria, expected=[(1, 101), (1, 999)])
    with pytest.raises(ValueError, match="more than once"):
        rank_contestants([Contestant(101), Contestant(101)], [], criteria)
    with pytest.raises(TypeError):
        rank_contestants(people, [Sheet(1, 101, {PRACTICAL: 8.5})], criteria)  # type: ignore[dict-item]


def test_explanation_shows_every_judge_what_was_dropped_and_the_weighted_total():
    criteria = [
        Criterion(PRACTICAL, maximum=D(10), weight=D("0.7"), tolerance=D(2)),
        Criterion(THEORY, maximum=D(10), weight=D("0.3"), tolerance=D(2)),
    ]
    practical = ["9", "7", "8.5", "9.5", "8"]  # trimmed: drop judge 2 (7) and 4 (9.5) → 8.5
    theory = ["6", "6", "9", "7", "6.5"]  # trimmed: drop judge 1 (6) and judge 3 (9) → 6.5
    sheets = [
        sheet(judge, 101, practical=p, theory=t)
        for judge, (p, t) in enumerate(zip(practical, theory, strict=True), start=1)
    ]
    placing = rank_contestants([Contestant(101, team=7, track=3)], sheets, criteria).placing(101)
    first, second = placing.criteria
    assert [(s.judge, s.score, s.dropped) for s in first.scores] == [
        (1, D(9), False),
        (2, D(7), True),
        (3, D("8.5"), False),
        (4, D("9.5"), True),
        (5, D(8), False),
    ]
    assert first.dropped == (2, 4)
    assert (first.aggregate, first.weight, first.contribution) == (D("8.5"), D("0.7"), D("5.95"))
    assert (first.spread, first.out_of_tolerance) == (D("2.5"), True)
    assert second.dropped == (1, 3)
    assert (second.aggregate, second.contribution) == (D("6.5"), D("1.95"))
    assert (second.spread, second.out_of_tolerance) == (D(3), True)
    assert placing.total == D("7.9")  # 5.95 + 1.95
    assert (placing.team, placing.track, placing.rank) == (7, 3, 1)
    assert first.method is Aggregation.TRIMMED_MEAN


def test_tolerance_flags_are_collected_on_the_ranking():
    criteria = [
        Criterion(PRACTICAL, maximum=D(10), tolerance=D(1)),
        Criterion(THEORY, maximum=D(10)),
    ]
    sheets = [
        sheet(1, 101, practical="9", theory="1"),
        sheet(2, 101, practical="7", theory="9"),
        sheet(1, 102, practical="9", theory="5"),
        sheet(2, 102, practical="8", theory="5"),
    ]
    ranking = rank_contestants([Contestant(101), Contestant(102)], sheets, criteria)
    # 101 practical: 9 − 7 = 2 > 1, flagged; theory has no tolerance; 102 practical: 1, not over.
    assert ranking.flagged == ((101, PRACTICAL),)


def test_rank_by_track_ranks_each_track_on_its_own():
    criteria = [Criterion(PRACTICAL, maximum=D(10))]
    people = [
        Contestant(101, track=1),
        Contestant(102, track=1),
        Contestant(103, track=2),
        Contestant(104, track=2, status=ContestantStatus.WITHDRAWN),
    ]
    sheets = [
        sheet(1, 101, practical="6"),
        sheet(1, 102, practical="9"),
        sheet(2, 103, practical="5"),
        sheet(2, 104, practical="10"),
    ]
    expected = [(1, 101), (1, 102), (2, 103), (2, 104), (3, 103)]
    tracks = rank_by_track(people, sheets, criteria, rule=MEAN, expected=expected)
    assert tracks[1].ranks == {102: 1, 101: 2}
    assert tracks[2].ranks == {103: 1, 104: None}
    assert not tracks[1].provisional
    assert tracks[2].missing == ((3, 103),)
    overall = rank_contestants(people, sheets, criteria, rule=MEAN)
    assert overall.ranks == {102: 1, 101: 2, 103: 3, 104: None}


def test_rank_round_gives_overall_and_tracks_in_one_go():
    people, sheets = seed_contest({116: ContestantStatus.DISQUALIFIED})
    both = rank_round(people, sheets, SIX, tie_break=(31,))
    assert both.overall == rank_contestants(people, sheets, SIX, tie_break=(31,))
    assert both.tracks == rank_by_track(people, sheets, SIX, tie_break=(31,))
    assert sorted(both.tracks) == [1, 2, 3, 4, 5]


def test_rank_by_team_and_refuse_other_groupings():
    criteria = [Criterion(PRACTICAL, maximum=D(10))]
    people = [Contestant(101, team=1), Contestant(102, team=1), Contestant(103, team=2)]
    sheets = [sheet(1, c, practical=v) for c, v in ((101, "5"), (102, "7"), (103, "1"))]
    teams = rank_by_track(people, sheets, criteria, by="team")
    assert {team: r.ranks for team, r in teams.items()} == {1: {102: 1, 101: 2}, 2: {103: 1}}
    with pytest.raises(ValueError, match=r"^Rank by track, team or None, not 'province'\.$"):
        rank_by_track(people, sheets, criteria, by="province")


def test_stored_strings_become_enums():
    assert AggregationRule(method="median").method is Aggregation.MEDIAN  # type: ignore[arg-type]
    assert aggregate(scores("1", "9", "2"), AggregationRule(method="median")).value == D(2)  # type: ignore[arg-type]
    assert not Contestant(101, status="withdrawn").competing  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        AggregationRule(method="average")  # type: ignore[arg-type]
    assert score_problem(8, Criterion(PRACTICAL, maximum=D(10))) is None  # type: ignore[arg-type]


# --- Advancing --------------------------------------------------------------------------------


def test_top_n_advance_and_everyone_tied_at_the_cut_goes_too():
    ranks = {101: 1, 102: 2, 103: 2, 104: 4, 105: 5, 106: None}
    assert advancing(ranks, 1) == (101,)
    assert advancing(ranks, 2) == (101, 102, 103)  # 2 places, 3 advance: tied at the cut
    assert advancing(ranks, 3) == (101, 102, 103)
    assert advancing(ranks, 4) == (101, 102, 103, 104)
    assert advancing(ranks, 0) == ()
    assert advancing(ranks, 10) == (101, 102, 103, 104, 105)  # never the unranked
    with pytest.raises(ValueError, match=r"^The number of places cannot be negative, not -1\.$"):
        advancing(ranks, -1)


# --- Awards -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percentages", "contestants", "sizes"),
    [
        ((10, 20, 30), 72, (7, 14, 21)),  # 7.2, 14.4, 21.6 each rounded down
        ((10, 20, 30), 15, (1, 3, 4)),  # 1.5, 3, 4.5
        ((10, 20, 30), 9, (0, 1, 2)),
        ((D("12.5"), D("12.5")), 10, (1, 1)),
        ((10, 20, 30), 0, (0, 0, 0)),
        ((100,), 7, (7,)),
    ],
)
def test_tier_sizes_from_percentages_round_each_down(percentages, contestants, sizes):
    assert tier_sizes(percentages, contestants) == sizes


@pytest.mark.parametrize(
    ("percentages", "contestants", "sizes"),
    [
        ((10, 18, 30), 72, (7, 13, 22)),  # 7.2, 12.96, 21.6 rounded half up (round down: 7/12/21)
        ((10, 20, 30), 72, (7, 14, 22)),  # 7.2, 14.4, 21.6
        ((10, 20, 30), 15, (2, 3, 5)),  # 1.5 and 4.5 go up
        ((D("2.5"),), 100, (3,)),  # exactly half: up
        ((5,), 9, (0,)),  # 0.45: down
        ((10, 20, 30), 0, (0, 0, 0)),
        ((100,), 7, (7,)),
    ],
)
def test_tier_sizes_from_percentages_rounded_half_up(percentages, contestants, sizes):
    assert tier_sizes(percentages, contestants, TierRounding.HALF_UP) == sizes
    assert tier_sizes(percentages, contestants, "half_up") == sizes  # the stored value


def test_tier_sizes_refuse_an_unknown_rounding():
    with pytest.raises(ValueError):
        tier_sizes((10,), 72, "nearest")  # type: ignore[arg-type]


def test_tier_sizes_refuse_floats_and_negatives():
    with pytest.raises(TypeError, match=r"^Give percentages as Decimal or int, not float\.$"):
        tier_sizes([10.0], 10)  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"^A percentage cannot be negative, not -10\.$"):
        tier_sizes([-10], 10)
    with pytest.raises(ValueError, match=r"^Contestants cannot be negative, not -1\.$"):
        tier_sizes([10], -1)


def test_awards_without_ties_fill_each_tier_exactly():
    ranks = {100 + i: i for i in range(1, 11)}
    awards = award_tiers(ranks, (1, 2, 3))
    assert awards.contestants(1) == (101,)
    assert awards.contestants(2) == (102, 103)
    assert awards.contestants(3) == (104, 105, 106)
    assert awards.tier_of(107) is None
    assert awards.tiers == (
        TierOutcome(tier=1, planned=1, cut=1, awarded=1, boundary_tie=False),
        TierOutcome(tier=2, planned=2, cut=3, awarded=2, boundary_tie=False),
        TierOutcome(tier=3, planned=3, cut=6, awarded=3, boundary_tie=False),
    )


def test_tie_across_a_boundary_gives_all_the_higher_award_and_the_next_tier_shrinks():
    # Ranks 1, 2, 2, 2, 5, 6, 7, 8 with tiers 1/2/3. Three tied at rank 2 straddle the second
    # tier's cut (3): all three get the second award (one more than planned, stated); the third
    # tier keeps its cut at 6, so it gets ranks 5 and 6 only (one fewer than planned).
    ranks = {101: 1, 102: 2, 103: 2, 104: 2, 105: 5, 106: 6, 107: 7, 108: 8}
    awards = award_tiers(ranks, (1, 2, 3))
    assert awards.contestants(1) == (101,)
    assert awards.contestants(2) == (102, 103, 104)
    assert awards.contestants(3) == (105, 106)
    second, third = awards.tiers[1], awards.tiers[2]
    assert (second.awarded, second.boundary_tie, second.extra) == (3, True, 1)
    assert (third.awarded, third.boundary_tie, third.short) == (2, False, 1)
    assert not awards.tiers[0].boundary_tie


def test_tie_for_first_swallowing_the_next_tier():
    ranks = {101: 1, 102: 1, 103: 1, 104: 4}
    awards = award_tiers(ranks, (1, 1, 1))
    assert awards.contestants(1) == (101, 102, 103)
    assert awards.contestants(2) == ()
    assert awards.contestants(3) == ()  # cut 3 is inside the tie; 104 (rank 4) gets nothing
    assert [t.awarded for t in awards.tiers] == [3, 0, 0]
    assert awards.tiers[0].boundary_tie


def test_awards_with_too_few_contestants_and_unranked_ones():
    awards = award_tiers({101: 1, 102: 2, 103: None}, (1, 2, 3))
    assert awards.awarded == {101: 1, 102: 2}
    assert [t.short for t in awards.tiers] == [0, 1, 3]


def test_percentage_awards_per_track_that_do_not_divide_evenly():
    # 15 contestants in a track, 10/20/30 %: 1.5 → 1, 3 → 3, 4.5 → 4; nobody tied.
    ranks = {200 + i: i for i in range(1, 16)}
    awards = award_tiers(ranks, tier_sizes((10, 20, 30), len(ranks)))
    assert [len(awards.contestants(t)) for t in (1, 2, 3)] == [1, 3, 4]
    assert awards.contestants(3) == (205, 206, 207, 208)


# --- The seed's shape: 72 contestants, 5 tracks, 12 teams, 7 judges, 6 criteria, 7/13/22 -------

TRACK_SIZES = (24, 12, 12, 12, 12)  # business English; Russian, Spanish, French, Japanese
SIX = [
    Criterion(31, maximum=D(100), weight=D("0.3")),
    Criterion(32, maximum=D(100), weight=D("0.2")),
    Criterion(33, maximum=D(100), weight=D("0.2")),
    Criterion(34, maximum=D(100), weight=D("0.1")),
    Criterion(35, maximum=D(100), weight=D("0.1")),
    Criterion(36, maximum=D(100), weight=D("0.1")),
]
#: Seven judges' offsets from a contestant's true level; a trimmed mean drops −2 and +3 and the
#: remaining −1, 0, 0, 0, +1 average to 0, so every aggregate is the level itself and, as the
#: weights add up to 1, so is the total.
OFFSETS = (D(-2), D(-1), D(0), D(0), D(0), D(1), D(3))


def seed_position(position: int) -> int:
    """The contestant at a position (1-72) of the intended order: 29 is coprime to 72, so this
    shuffles ids 101-172 and the id order says nothing about the ranking."""
    return 101 + position * 29 % 72


def seed_level(position: int) -> Decimal:
    """The true level of the contestant at a position: 95, 94, … down by 1, except that
    position 8 equals position 7 (a tie across the first award's boundary) and position 16
    equals position 15 (a tie inside the second tier)."""
    if position in (8, 16):
        position -= 1
    return D(95) - position


def seed_track(contestant: int) -> int:
    """Ids 101-124 are track 1, then 12 ids per track."""
    index, track = contestant - 101, 1
    for size in TRACK_SIZES:
        if index < size:
            return track
        index -= size
        track += 1
    raise AssertionError(contestant)


def seed_contest(statuses=None):
    """The contestants, judges and sheets of the seed-shaped competition."""
    statuses = statuses or {}
    people = [
        Contestant(
            101 + index,
            team=index % 12 + 1,
            track=seed_track(101 + index),
            status=statuses.get(101 + index, ContestantStatus.COMPETING),
        )
        for index in range(72)
    ]
    sheets = []
    for position in range(1, 73):
        contestant = seed_position(position)
        track = seed_track(contestant)
        for seat in range(7):
            judge = 10 * track + seat  # seven judges per track
            sheets.append(
                Sheet(
                    judge,
                    contestant,
                    {
                        c.id: seed_level(position) + OFFSETS[(seat + position + c.id) % 7]
                        for c in SIX
                    },
                )
            )
    return people, sheets


def test_seed_positions_are_a_shuffle_of_the_72_ids():
    assert sorted(seed_position(p) for p in range(1, 73)) == list(range(101, 173))
    assert [seed_position(p) for p in range(1, 9)] == [130, 159, 116, 145, 102, 131, 160, 117]


def test_seed_contest_overall_7_13_22_with_a_tie_at_the_first_boundary():
    people, sheets = seed_contest()
    ranking = rank_contestants(people, sheets, SIX, rule=TRIMMED)
    assert not ranking.provisional
    assert len(ranking.placings) == 72
    # Every total is the level (see OFFSETS): 95 − position, positions 8 and 16 tied above.
    for position in range(1, 73):
        placing = ranking.placing(seed_position(position))
        assert placing.total == seed_level(position)
        assert placing.rank == (position - 1 if position in (8, 16) else position)
        assert all(len(line.dropped) == 2 for line in placing.criteria)
    awards = award_tiers(ranking.ranks, (7, 13, 22))
    # First: positions 1-8 (7 and 8 tied on 88, both first); second keeps its cut at 20, so it
    # is positions 9-20 (12, one fewer); third: positions 21-42 (22). 42 awards in all.
    first = (130, 159, 116, 145, 102, 131, 160, 117)
    assert awards.contestants(1) == tuple(sorted(first))
    assert awards.contestants(2) == tuple(sorted(seed_position(p) for p in range(9, 21)))
    assert awards.contestants(3) == tuple(sorted(seed_position(p) for p in range(21, 43)))
    assert [(t.planned, t.cut, t.awarded, t.boundary_tie) for t in awards.tiers] == [
        (7, 7, 8, True),
        (13, 20, 12, False),
        (22, 42, 22, False),
    ]
    assert len(awards.awarded) == 42
    # The tie inside the second tier (positions 15 and 16) changes nobody's award.
    assert awards.tier_of(seed_position(15)) == awards.tier_of(seed_position(16)) == 2


def test_seed_contest_a_withdrawal_above_the_boundary_resolves_the_tie():
    # Position 3 (contestant 116) withdraws: positions 7 and 8 now share rank 6, inside the cut.
    people, sheets = seed_contest({116: ContestantStatus.WITHDRAWN})
    ranking = rank_contestants(people, sheets, SIX, rule=TRIMMED)
    awards = award_tiers(ranking.ranks, (7, 13, 22))
    assert awards.contestants(1) == (102, 117, 130, 131, 145, 159, 160)
    assert [(t.awarded, t.boundary_tie) for t in awards.tiers] == [
        (7, False),
        (13, False),
        (22, False),
    ]
    assert awards.tier_of(116) is None
    assert set(awards.contestants(3)) == {seed_position(p) for p in range(22, 44)}
    for placing in ranking.placings:
        assert placing.total == seed_level(
            next(p for p in range(1, 73) if seed_position(p) == placing.contestant)
        )


def test_seed_contest_missing_sheets_and_percentages_per_track():
    people, sheets = seed_contest()
    judges_by_track = {t: [Judge(10 * t + seat) for seat in range(7)] for t in range(1, 6)}
    expected = [
        pair
        for track, judges in judges_by_track.items()
        for pair in expected_sheets(judges, [p for p in people if p.track == track])
    ]
    assert len(expected) == 72 * 7
    # Judge 23 (track 2, seat 3) has not sent the sheet of 130 (track 2, position 1).
    partial = [s for s in sheets if (s.judge, s.contestant) != (23, 130)]
    tracks = rank_by_track(people, partial, SIX, expected=expected)
    assert tracks[2].missing == ((23, 130),)
    assert [tracks[t].provisional for t in range(1, 6)] == [False, True, False, False, False]
    # Six judges left, still trimmed (≥ 5). Seat 3's offsets on criteria 31-36 were −2, −1, 0,
    # 0, 0, +1 (OFFSETS[(3 + 1 + id) % 7]); without them the trimmed means move by +0.25,
    # +0.25, 0, 0, 0, −0.25: the total is 94 + 0.3·0.25 + 0.2·0.25 − 0.1·0.25 = 94.1, still first.
    leader = tracks[2].placing(130)
    assert leader.total == D("94.1")
    assert leader.rank == 1
    assert [line.aggregate for line in leader.criteria] == [
        D("94.25"),
        D("94.25"),
        D(94),
        D(94),
        D(94),
        D("93.75"),
    ]
    # 10/20/30 % per track: 24 → 2, 4, 7; 12 → 1, 2, 3.
    english = tracks[1]
    awards = award_tiers(english.ranks, tier_sizes((10, 20, 30), len(english.placings)))
    assert awards.contestants(1) == (102, 116)  # positions 5 and 3, the best two of track 1
    assert [t.awarded for t in awards.tiers] == [2, 4, 7]
    russian = award_tiers(tracks[2].ranks, tier_sizes((10, 20, 30), 12))
    assert [t.awarded for t in russian.tiers] == [1, 2, 3]
    assert russian.contestants(1) == (130,)


# --- Team ranking -----------------------------------------------------------------------------


def team_ranking():
    criteria = [Criterion(PRACTICAL, maximum=D(100), step=D(1))]
    rows = [  # contestant, team, score
        (101, 1, 90), (102, 1, 80), (103, 1, 40),
        (104, 2, 85), (105, 2, 85), (106, 2, 10),
        (107, 3, 95),
        (108, 4, 70), (109, 4, 70), (110, 4, 70),
        (111, None, 99),
    ]  # fmt: skip
    people = [Contestant(c, team=team) for c, team, _ in rows]
    people.append(Contestant(112, team=3, status=ContestantStatus.DISQUALIFIED))
    sheets = [sheet(1, c, practical=str(score)) for c, _, score in rows]
    sheets.append(sheet(1, 112, practical="100"))
    return rank_contestants(people, sheets, criteria, rule=MEAN)


def test_team_ranking_sum_of_best_two():
    # Team 1: 90 + 80 = 170; team 2: 85 + 85 = 170; team 4: 140; team 3: 95 alone (the
    # disqualified 100 does not count); the contestant without a team is left out.
    table = team_standings(team_ranking().placings, best=2)
    assert [(t.team, t.rank, t.score, t.members) for t in table] == [
        (1, 1, D(170), (101, 102)),
        (2, 1, D(170), (104, 105)),
        (4, 3, D(140), (108, 109)),
        (3, 4, D(95), (107,)),
    ]


def test_team_ranking_mean_of_best_three():
    # Team 3: 95 / 1; team 4: 70; team 1: (90 + 80 + 40) / 3 = 70; team 2: 180 / 3 = 60.
    table = team_standings(team_ranking().placings, best=3, scoring=TeamScoring.MEAN)
    assert [(t.team, t.rank, t.score) for t in table] == [
        (3, 1, D(95)),
        (1, 2, D(70)),
        (4, 2, D(70)),
        (2, 4, D(60)),
    ]
    with pytest.raises(ValueError, match=r"^A team counts at least its best member, not 0\.$"):
        team_standings(team_ranking().placings, best=0)


def test_team_ties_are_decided_on_exact_totals():
    # 101's three judges give 8, 8, 10 (26/3) and 102's give 0, 0, 1 (1/3): team 1's best two add
    # up to exactly 9, as does team 2's single 9. Written to 34 digits, 8.666…667 + 0.333…333
    # would come to 9.000…0003 and put team 1 ahead.
    criteria = [Criterion(PRACTICAL, maximum=D(10), step=D(1))]
    people = [Contestant(101, team=1), Contestant(102, team=1), Contestant(103, team=2)]
    marks = {101: ("8", "8", "10"), 102: ("0", "0", "1"), 103: ("9", "9", "9")}
    sheets = [
        sheet(judge, c, practical=v)
        for c, values in marks.items()
        for judge, v in enumerate(values, start=1)
    ]
    table = team_standings(rank_contestants(people, sheets, criteria, rule=MEAN).placings, best=2)
    assert [(t.team, t.rank, t.score) for t in table] == [(1, 1, D(9)), (2, 1, D(9))]


# --- Judges: recusal and coverage -------------------------------------------------------------


def test_recusal_by_team_and_declared_conflict_and_coverage():
    judges = [Judge(1, teams=frozenset({7})), Judge(2), Judge(3, teams=frozenset({8, 9}))]
    people = [
        Contestant(101, team=7),
        Contestant(102, team=8),
        Contestant(103, team=10),
        Contestant(104),
        Contestant(105, team=7, status=ContestantStatus.WITHDRAWN),
    ]
    conflicts = {(2, 101), (2, 103)}  # judge 2 taught them
    result = coverage(judges, people, conflicts, minimum=2)
    # 101 (team 7): judge 1 is from team 7 and judge 2 declared a conflict, so only judge 3.
    # 102 (team 8): judge 3 is from team 8. 103: judge 2's conflict. 105 withdrew: not counted.
    assert result.eligible == {101: (3,), 102: (1, 2), 103: (1, 3), 104: (1, 2, 3)}
    assert result.short == (101,)
    assert result.count(103) == 2
    assert expected_sheets(judges, people, conflicts) == (
        (1, 102),
        (1, 103),
        (1, 104),
        (2, 102),
        (2, 104),
        (3, 101),
        (3, 103),
        (3, 104),
    )
    assert coverage(judges, people, conflicts, minimum=3).short == (101, 102, 103)


def test_a_judge_who_is_a_contestant_is_recused_from_themself_and_their_team_whatever_declared():
    # Judge 4 competes for team 7 (registration 101) and declared nothing; judge 5 competes
    # without a team (registration 104) and was declared affiliated with team 8.
    contestant_judge = Judge(4, entries=frozenset({101}), competes_for=frozenset({7}))
    teamless = Judge(5, teams=frozenset({8}), entries=frozenset({104}))
    people = [
        Contestant(101, team=7),
        Contestant(106, team=7),
        Contestant(102, team=8),
        Contestant(103, team=10),
        Contestant(104),
    ]
    assert [recused(contestant_judge, c) for c in people] == [True, True, False, False, False]
    assert [recused(teamless, c) for c in people] == [False, False, True, False, True]
    assert expected_sheets([contestant_judge, teamless], people) == (
        (4, 102),
        (4, 103),
        (4, 104),
        (5, 101),
        (5, 103),
        (5, 106),
    )
    assert coverage([contestant_judge], people, minimum=1).short == (101, 106)


# --- Registrations: what a change to one alters -----------------------------------------------


def entrant(status: str, team: int | None = 1, track: int | None = 10):
    """A registration as the rule sees it, from its status."""
    return Entrant(
        active=status in ("pending", "confirmed", "waitlisted"),
        confirmed=status == "confirmed",
        team=team,
        track=track,
    )


def spec(status: str, team: int | None = 1, track: int | None = 10) -> tuple:
    """A registration to build with `entrant` inside the test."""
    return (status, team, track)


CONTESTANTS, RECUSAL = "contestants", "recusal"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        # Who competes: a confirmed registration with a track arrives or leaves.
        (None, spec("confirmed"), CONTESTANTS),
        (spec("confirmed"), spec("cancelled"), CONTESTANTS),
        (spec("waitlisted"), spec("confirmed"), CONTESTANTS),
        (spec("pending"), spec("confirmed"), CONTESTANTS),
        (spec("cancelled"), spec("confirmed"), CONTESTANTS),
        # Where: a contestant changes team or track.
        (spec("confirmed", team=1), spec("confirmed", team=2), CONTESTANTS),
        (spec("confirmed", track=10), spec("confirmed", track=11), CONTESTANTS),
        (spec("confirmed", team=1), spec("confirmed", team=None), CONTESTANTS),
        # A member waiting or asking is no contestant, but a judge who is one is recused from
        # their own registration and their team while it holds or awaits a place.
        (None, spec("waitlisted"), RECUSAL),
        (None, spec("pending"), RECUSAL),
        (spec("waitlisted"), spec("cancelled"), RECUSAL),
        (spec("pending"), spec("rejected"), RECUSAL),
        (spec("pending", team=1), spec("pending", team=2), RECUSAL),
        (spec("waitlisted", team=None), spec("waitlisted", team=3), RECUSAL),
        # Nothing a ranking or a recusal is computed from.
        (spec("pending"), spec("waitlisted"), None),
        (spec("waitlisted", track=10), spec("waitlisted", track=11), None),
        (spec("confirmed"), spec("confirmed"), None),
        (spec("cancelled", team=1), spec("cancelled", team=2), None),
        (spec("cancelled"), spec("rejected"), None),
        (None, spec("cancelled"), None),
        (None, None, None),
    ],
)
def test_entrant_change_worked_examples(before, after, expected):
    before = entrant(*before) if before else None
    after = entrant(*after) if after else None
    assert entrant_change(before, after) == expected


def test_a_confirmed_registration_without_a_track_is_no_contestant():
    # It still holds a place: a judge registered so is recused from their team.
    assert entrant_change(None, entrant("confirmed", track=None)) == RECUSAL


ENTRANTS = st.one_of(
    st.none(),
    st.builds(
        entrant,
        st.sampled_from(["pending", "confirmed", "waitlisted", "cancelled", "rejected"]),
        st.sampled_from([None, 1, 2, 3]),
        st.sampled_from([None, 10, 11]),
    ),
)

#: Every kind of contestant a judge might be recused from: one of each team, one without a
#: team, and the judge's own registration (id 200).
OTHERS = [Contestant(100 + team, team=team) for team in (1, 2, 3)] + [
    Contestant(104),
    Contestant(200),
]


def as_contestants(who: Entrant | None) -> set[Contestant]:
    """The round's contestants this registration (id 200) makes: itself, if confirmed with a
    track (`competitions.board.round_registrations`)."""
    if who is None or not who.confirmed or who.track is None:
        return set()
    return {Contestant(200, team=who.team, track=who.track)}


def recusals(who: Entrant | None) -> list[bool]:
    """Whom a judge (id 7) registered so is recused from, by `recused`."""
    active = who is not None and who.active
    judge = Judge(
        7,
        entries=frozenset({200}) if active else frozenset(),
        competes_for=frozenset({who.team}) if active and who.team is not None else frozenset(),
    )
    return [recused(judge, contestant) for contestant in OTHERS]


@given(ENTRANTS, ENTRANTS)
def test_entrant_change_is_exactly_a_change_of_contestants_or_of_a_judges_recusal(before, after):
    change = entrant_change(before, after)
    if as_contestants(before) != as_contestants(after):
        assert change == CONTESTANTS
    elif recusals(before) != recusals(after):
        assert change == RECUSAL
    else:
        assert change is None
    assert entrant_change(after, before) == change


# --- Paper sheets: double entry ---------------------------------------------------------------


def test_double_entry_agrees_only_when_complete_and_equal():
    ids = (PRACTICAL, THEORY, ETIQUETTE)
    first = {PRACTICAL: D("8.5"), THEORY: D("7"), ETIQUETTE: D("3")}
    assert compare_entries(
        first, {PRACTICAL: D("8.50"), THEORY: D("7.0"), ETIQUETTE: D(3)}, ids
    ).agree
    typo = compare_entries(first, {PRACTICAL: D("5.8"), THEORY: D("7"), ETIQUETTE: D("2")}, ids)
    assert not typo.agree
    assert typo.differing == (PRACTICAL, ETIQUETTE)
    gap = compare_entries(first, {PRACTICAL: D("8.5"), THEORY: D("7")}, ids)
    assert (gap.agree, gap.differing, gap.incomplete) == (False, (ETIQUETTE,), (ETIQUETTE,))
    both_empty = compare_entries({PRACTICAL: None}, {}, (PRACTICAL,))
    assert (both_empty.agree, both_empty.differing, both_empty.incomplete) == (
        False,
        (),
        (PRACTICAL,),
    )


# --- Publication and the objection period -----------------------------------------------------

PUBLISHED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Yantai


def test_results_state_from_timestamps():
    end = objection_deadline(PUBLISHED)
    assert end == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert results_state(None, PUBLISHED) is ResultsState.UNPUBLISHED
    assert results_state(PUBLISHED, PUBLISHED - timedelta(seconds=1)) is ResultsState.UNPUBLISHED
    assert results_state(PUBLISHED, PUBLISHED) is ResultsState.PROVISIONAL
    assert results_state(PUBLISHED, end - timedelta(seconds=1)) is ResultsState.PROVISIONAL
    assert results_state(PUBLISHED, end) is ResultsState.FINAL
    assert results_state(PUBLISHED, PUBLISHED + timedelta(days=2), days=1) is ResultsState.FINAL
    assert results_state(PUBLISHED, PUBLISHED, days=0) is ResultsState.FINAL
    assert objection_open(PUBLISHED, end - timedelta(minutes=1))
    assert not objection_open(PUBLISHED, end)
    assert not objection_open(None, end)
    with pytest.raises(
        ValueError, match=r"^An objection period cannot be negative, not -1 days\.$"
    ):
        objection_deadline(PUBLISHED, -1)


# --- Edges a mutation run found untested (issue 9, item 18) -------------------------------------


def test_team_standings_sum_the_totals_even_when_a_tie_break_decided_the_ranks():
    # 101 (team 1) and 102 (team 2) both total 15; the tie-break on theory puts 101 first
    # (theory 8 against 5). The team scores are the totals, never the tie-break's aggregates.
    sheets = [
        sheet(1, 101, practical="7", theory="8"),
        sheet(1, 102, practical="10", theory="5"),
        sheet(1, 103, practical="6", theory="6"),
    ]
    people = [Contestant(101, team=1), Contestant(102, team=2), Contestant(103, team=2)]
    ranking = rank_contestants(people, sheets, TWO_CRITERIA, rule=MEAN, tie_break=[THEORY])
    assert [(p.contestant, p.rank, p.decided_by) for p in ranking.placings] == [
        (101, 1, None),
        (102, 2, THEORY),
        (103, 3, None),
    ]
    table = team_standings(ranking.placings, best=2)
    assert [(t.team, t.rank, t.score, t.members) for t in table] == [
        (2, 1, D(27), (102, 103)),
        (1, 2, D(15), (101,)),
    ]
    mean = team_standings(ranking.placings, best=2, scoring=TeamScoring.MEAN)
    assert [t.score for t in mean] == [D("15"), D("13.5")]


def test_a_tier_enlarged_by_a_tie_reports_no_shortfall():
    # Ranks 1, 1, 1, 4: the first tier (planned 1) goes to all three tied, two more than planned.
    awards = award_tiers({101: 1, 102: 1, 103: 1, 104: 4}, (1, 2))
    first, second = awards.tiers
    assert (first.awarded, first.extra, first.short) == (3, 2, 0)
    assert (second.awarded, second.extra, second.short) == (0, 0, 2)


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (D("8.125"), 1, "8.1"),
        (D("8.25"), 1, "8.3"),  # half up, not to the even digit
        (D("2.5"), 0, "3"),
        (D("8.66666"), 4, "8.6667"),
        (D("8"), 3, "8.000"),
        (D("0.0005"), 3, "0.001"),
        (None, 4, ""),
    ],
)
def test_format_score_to_other_places(value, places, shown):
    assert format_score(value, places=places) == shown


def test_aggregation_accepts_whole_numbers_and_refuses_booleans():
    assert aggregate({1: 8, 2: 9}, MEAN).value == D("8.5")
    assert aggregate({1: 8, 2: D("9.5"), 3: 7}, MEDIAN).value == D(8)
    assert score_problem(8, Criterion(PRACTICAL, maximum=D(10))) is None
    with pytest.raises(TypeError):
        aggregate({1: True, 2: D(9)}, MEAN)  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        rank_contestants(
            [Contestant(101)], [Sheet(1, 101, {PRACTICAL: False})], [Criterion(PRACTICAL, D(10))]
        )
    assert score_problem(True, Criterion(PRACTICAL, maximum=D(10))) is ScoreProblem.FORMAT  # type: ignore[arg-type]


def test_a_criterion_maximum_of_zero_is_refused_and_of_one_accepted():
    with pytest.raises(ValueError):
        Criterion(PRACTICAL, maximum=D(0))
    one = Criterion(PRACTICAL, maximum=D(1), step=D("0.5"))
    assert score_problem(D(1), one) is None
    assert score_problem(D("1.5"), one) is ScoreProblem.ABOVE_MAXIMUM


def test_a_negative_tier_size_is_refused_and_an_empty_tier_accepted():
    with pytest.raises(ValueError, match=r"^An award tier cannot have a negative size\.$"):
        award_tiers({101: 1, 102: 2}, (1, -1))
    awards = award_tiers({101: 1, 102: 2}, (1, 0, 1))
    assert awards.awarded == {101: 1, 102: 3}


def test_a_criterion_of_weight_0_only_breaks_ties_and_a_tolerance_of_0_flags_any_gap():
    # The set-up form accepts a weight and a tolerance from 0: a criterion weighted 0 adds nothing
    # to the total but can still decide a tie; a tolerance of 0 asks the judges to agree exactly.
    criteria = [
        Criterion(PRACTICAL, maximum=D(10), tolerance=D(0)),
        Criterion(THEORY, maximum=D(10), weight=D(0), tolerance=D("0.5")),
    ]
    sheets = [
        sheet(1, 101, practical="8", theory="9"),
        sheet(2, 101, practical="8", theory="9.5"),
        sheet(1, 102, practical="8.5", theory="3"),
        sheet(2, 102, practical="7.5", theory="3"),
    ]
    people = [Contestant(101), Contestant(102)]
    ranking = rank_contestants(people, sheets, criteria, rule=MEAN, tie_break=[THEORY])
    assert [(p.contestant, p.total, p.rank, p.decided_by) for p in ranking.placings] == [
        (101, D(8), 1, None),
        (102, D(8), 2, THEORY),
    ]
    # 102's judges are 1 apart on practical (above 0); 101's are 0.5 apart on theory (not above).
    assert ranking.flagged == ((102, PRACTICAL),)


def test_a_contestant_status_given_as_the_stored_string_counts_as_that_status():
    withdrawn = Contestant(102, status="withdrawn")
    assert withdrawn.status is ContestantStatus.WITHDRAWN and not withdrawn.competing
    assert Contestant(101, status="competing").competing
    sheets = [sheet(1, 101, practical="6"), sheet(1, 102, practical="9")]
    ranking = rank_contestants(
        [Contestant(101, status="competing"), withdrawn],
        sheets,
        [Criterion(PRACTICAL, maximum=D(10))],
        rule=MEAN,
    )
    assert ranking.ranks == {101: 1, 102: None}


def test_a_round_without_standardisation_shows_no_standardised_scores():
    # The explanation page writes "8 → 7.9" only where a score was standardised.
    sheets = [sheet(j, 101, practical=str(j), theory="5") for j in range(1, 6)]
    for rule in (MEAN, TRIMMED_TOTAL):
        placing = rank_contestants([Contestant(101)], sheets, TWO_CRITERIA, rule=rule).placing(101)
        assert [s.standardised for line in placing.criteria for s in line.scores] == [None] * 10
        assert all(total.standardised is None for total in placing.judge_totals)
    standardised = AggregationRule(Aggregation.TRIMMED_TOTAL, standardise=True)
    placing = rank_contestants([Contestant(101)], sheets, TWO_CRITERIA, rule=standardised)
    assert all(t.standardised is not None for t in placing.placing(101).judge_totals)


def test_every_ranking_of_a_standardised_round_names_the_judges_it_could_not_standardise():
    # Judge 2 scored one sheet: their score cannot be standardised (it is set to the round mean).
    criterion = [Criterion(PRACTICAL, maximum=D(10))]
    people = [Contestant(101, track=1), Contestant(102, track=2)]
    sheets = [sheet(1, 101, practical="6"), sheet(1, 102, practical="8")]
    sheets.append(sheet(2, 101, practical="9"))
    z_scores = AggregationRule(Aggregation.MEAN, standardise=True)
    assert rank_contestants(people, sheets, criterion, rule=z_scores).unscaled == ((2, PRACTICAL),)
    assert rank_by_track(people, sheets, criterion, rule=z_scores)[2].unscaled == ((2, PRACTICAL),)
    assert rank_round(people, sheets, criterion, rule=z_scores).overall.unscaled == (
        (2, PRACTICAL),
    )
    assert rank_contestants(people, sheets, criterion, rule=MEAN).unscaled == ()


def test_only_ranked_contestants_share_a_rank():
    people = [
        Contestant(101),
        Contestant(102),
        Contestant(103),  # no sheet
        Contestant(104, status=ContestantStatus.DISQUALIFIED),
    ]
    sheets = [sheet(1, c, practical="7") for c in (101, 102, 104)]
    ranking = rank_contestants(people, sheets, [Criterion(PRACTICAL, maximum=D(10))], rule=MEAN)
    assert [(p.contestant, p.rank, p.shared) for p in ranking.placings] == [
        (101, 1, True),
        (102, 1, True),
        (103, None, False),
        (104, None, False),
    ]


def test_an_empty_tier_never_reports_a_tie_at_its_cut():
    # Three tied first against a first tier of 1: the tie crosses the cuts at 1 and (third tier)
    # at 2, and the third tier gets nobody; the empty second tier (0 %) is reported as planned,
    # with no tie of its own at the cut it shares with the first.
    awards = award_tiers({101: 1, 102: 1, 103: 1, 104: 4}, (1, 0, 1))
    assert [(t.planned, t.awarded, t.boundary_tie) for t in awards.tiers] == [
        (1, 3, True),
        (0, 0, False),
        (1, 0, True),
    ]


def test_a_team_may_count_its_best_member_alone_and_ties_list_by_team_id():
    # Team 2's best (101) and team 1's best (104) both total 9: rank 1 shared, team 1 listed first
    # although its member has the higher id.
    ranking = rank_contestants(
        [Contestant(101, team=2), Contestant(102, team=2), Contestant(104, team=1)],
        [sheet(1, 101, practical="9"), sheet(1, 102, practical="8"), sheet(1, 104, practical="9")],
        [Criterion(PRACTICAL, maximum=D(10))],
        rule=MEAN,
    )
    table = team_standings(ranking.placings, best=1)
    assert [(t.team, t.rank, t.score, t.members) for t in table] == [
        (1, 1, D(9), (104,)),
        (2, 1, D(9), (101,)),
    ]


def test_team_standings_take_placings_given_as_plain_values():
    def placing(contestant: int, team: int, rank: int, total: str) -> Placing:
        return Placing(contestant, team, None, ContestantStatus.COMPETING, rank, D(total), ())

    rows = [placing(101, 1, 1, "9.5"), placing(102, 2, 2, "9"), placing(103, 1, 3, "8.25")]
    table = team_standings(rows, best=2)
    assert [(t.team, t.rank, t.score) for t in table] == [(1, 1, D("17.75")), (2, 2, D(9))]


def test_coverage_asks_one_eligible_judge_unless_told_more():
    judges = [Judge(1, teams=frozenset({7})), Judge(2)]
    people = [Contestant(101, team=7), Contestant(102, team=8)]
    usual = coverage(judges, people)
    assert (usual.minimum, usual.short) == (1, ())
    stricter = coverage(judges, people, minimum=2)
    assert (stricter.minimum, stricter.short) == (2, (101,))


def test_the_objection_period_of_another_length():
    two_days = PUBLISHED + timedelta(days=2)
    assert objection_open(PUBLISHED, two_days - timedelta(seconds=1), days=2)
    assert not objection_open(PUBLISHED, two_days, days=2)
    assert objection_open(PUBLISHED, two_days, days=7)


def test_a_judge_sees_the_contestants_still_to_score_first():
    assert rules.still_to_score_first([1, 2, 3, 4, 5], {1, 3}) == [2, 4, 5, 1, 3]
    assert rules.still_to_score_first([3, 1], set()) == [3, 1]
    assert rules.still_to_score_first([3, 1], {1, 3}) == [3, 1]
    assert rules.still_to_score_first([], {1}) == []


@given(st.lists(st.integers(0, 50), unique=True), st.sets(st.integers(0, 50)))
def test_still_to_score_first_reorders_without_losing_anyone(contestants, submitted):
    ordered = rules.still_to_score_first(contestants, submitted)
    todo = [c for c in contestants if c not in submitted]
    done = [c for c in contestants if c in submitted]
    assert ordered == todo + done


# --- What a ranking accepts from its sheets ------------------------------------------------------


def test_a_ranking_refuses_a_criterion_of_another_round():
    people = [Contestant(101)]
    sheets = [Sheet(1, 101, {PRACTICAL: D(8), 99: D(5)})]
    with pytest.raises(ValueError, match=r"Criteria \[99\] are not criteria of this round"):
        rank_contestants(people, sheets, THREE, rule=MEAN)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (8.5, TypeError, r"^Give scores as Decimal, not float\.$"),
        (D("NaN"), ValueError, r"^Not a finite score: Decimal\('NaN'\)$"),
        (D("Infinity"), ValueError, r"^Not a finite score: Decimal\('Infinity'\)$"),
        ("8", TypeError, r"^Give scores as Decimal, not str\.$"),
    ],
)
def test_a_ranking_refuses_scores_it_cannot_compute_with(value, error, message):
    people = [Contestant(101)]
    with pytest.raises(error, match=message):
        rank_contestants(people, [Sheet(1, 101, {PRACTICAL: value})], THREE, rule=MEAN)


def test_whole_numbers_count_as_decimals_and_a_blank_box_skips_only_itself():
    people = [Contestant(101), Contestant(102)]
    as_decimals = rank_contestants(
        people,
        [
            Sheet(1, 101, {PRACTICAL: D(50), THEORY: D(40), ETIQUETTE: D(3)}),
            Sheet(1, 102, {PRACTICAL: None, THEORY: D(45), ETIQUETTE: D(4)}),
        ],
        THREE,
        rule=MEAN,
    )
    as_integers = rank_contestants(
        people,
        [
            Sheet(1, 101, {PRACTICAL: 50, THEORY: 40, ETIQUETTE: 3}),
            Sheet(1, 102, {PRACTICAL: None, THEORY: 45, ETIQUETTE: 4}),
        ],
        THREE,
        rule=MEAN,
    )
    assert as_integers.placings == as_decimals.placings
    # 102's blank practical box is unscored; the boxes after it still count.
    totals = {p.contestant: p.total for p in as_decimals.placings}
    assert totals == {101: D(93), 102: D(49)}


def test_a_criterion_listed_twice_is_refused_by_name():
    with pytest.raises(ValueError, match="^A criterion is listed more than once.$"):
        rank_contestants([Contestant(101)], [], [*THREE, THREE[0]], rule=MEAN)


def test_the_line_of_a_criterion_nobody_scored_is_empty_and_asking_for_another_says_which():
    ranking = rank_contestants(
        [Contestant(101)], [Sheet(1, 101, {PRACTICAL: D(8), THEORY: D(7)})], THREE, rule=MEAN
    )
    (placing,) = ranking.placings
    line = placing.criterion(ETIQUETTE)
    assert (line.aggregate, line.contribution, line.spread) == (None, None, None)
    assert placing.criterion(PRACTICAL).spread == D(0)
    with pytest.raises(KeyError) as refused:
        placing.criterion(99)
    assert refused.value.args == (99,)


def test_ties_are_decided_on_every_digit_of_the_totals_not_on_what_a_float_holds():
    # The organizer gave theory a third of a point per mark as 0.3333333333333333333: 30 marks
    # make 9.999999999999999999, short of a perfect practical 10 by 1e-18. Both show 10.00, yet
    # they are not tied: ties are decided on the unrounded totals (a float, 16 digits, could not
    # tell them apart).
    criteria = [
        Criterion(PRACTICAL, maximum=D(10)),
        Criterion(THEORY, maximum=D(30), weight=D("0.3333333333333333333")),
    ]
    sheets = [sheet(1, 101, practical="0", theory="30"), sheet(1, 102, practical="10", theory="0")]
    ranking = rank_contestants([Contestant(101), Contestant(102)], sheets, criteria, rule=MEAN)
    assert [(p.contestant, p.rank, p.shared, p.total) for p in ranking.placings] == [
        (102, 1, False, D(10)),
        (101, 2, False, D("9.999999999999999999")),
    ]
    assert format_score(ranking.placing(101).total) == "10.00"
