"""Properties of the skills competition rules, checked by hypothesis on small random contests.

The issue names three: a ranking does not depend on the order sheets were entered; a judge who
adds a copy of the median score leaves a median aggregate alone; awards never exceed a tier's
size except through a tie at its boundary, which the result states. The award checks use an
independent model of competition ranking (1 + how many scored strictly more).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.competitions.rules import (
    Aggregation,
    AggregationRule,
    Contestant,
    ContestantStatus,
    Criterion,
    Sheet,
    TierRounding,
    aggregate,
    award_tiers,
    rank_by_track,
    rank_contestants,
    rank_round,
    tier_sizes,
)

D = Decimal
CRITERIA = (
    Criterion(21, maximum=D(10), weight=D(1)),
    Criterion(22, maximum=D(10), weight=D("0.5")),
)
#: Every legal score of a 0-10 criterion in steps of 0.5; few values, so ties are common.
SCORES = st.integers(min_value=0, max_value=20).map(lambda halves: D(halves) / 2)
RULES = st.sampled_from(
    [
        AggregationRule(Aggregation.MEAN),
        AggregationRule(Aggregation.MEDIAN),
        AggregationRule(),
        AggregationRule(Aggregation.TRIMMED_MEAN, trim=1, trim_minimum=3),
        AggregationRule(Aggregation.MEAN, standardise=True),
        AggregationRule(Aggregation.TRIMMED_MEAN, trim=1, trim_minimum=3, standardise=True),
        AggregationRule(Aggregation.TRIMMED_TOTAL, trim=1, trim_minimum=3),
        AggregationRule(Aggregation.TRIMMED_TOTAL, trim=1, trim_minimum=3, standardise=True),
    ]
)


@st.composite
def contests(draw):
    """Contestants (some withdrawn), and a random subset of judge × contestant sheets, some of
    them leaving a criterion empty."""
    people = [
        Contestant(
            100 + i,
            team=draw(st.integers(1, 3)),
            track=draw(st.sampled_from([1, 2, None])),
            status=draw(
                st.sampled_from(
                    [ContestantStatus.COMPETING] * 4
                    + [ContestantStatus.WITHDRAWN, ContestantStatus.DISQUALIFIED]
                )
            ),
        )
        for i in range(draw(st.integers(1, 6)))
    ]
    judges = range(1, draw(st.integers(1, 6)) + 1)
    sheets = []
    for judge in judges:
        for person in people:
            if draw(st.booleans()) or draw(st.booleans()):
                scores = {
                    c.id: draw(st.one_of(SCORES, SCORES, SCORES, st.none())) for c in CRITERIA
                }
                sheets.append(Sheet(judge, person.id, scores))
    expected = [(judge, person.id) for judge in judges for person in people]
    return people, sheets, expected


@settings(max_examples=150, deadline=None)
@given(contests(), RULES, st.sampled_from([(), (21,), (22, 21)]), st.randoms())
def test_ranking_is_invariant_to_the_order_of_sheets_and_contestants(contest, rule, chain, rnd):
    people, sheets, expected = contest
    first = rank_contestants(
        people, sheets, CRITERIA, rule=rule, tie_break=chain, expected=expected
    )
    rnd.shuffle(people)
    rnd.shuffle(sheets)
    rnd.shuffle(expected)
    again = rank_contestants(
        people, sheets, CRITERIA, rule=rule, tie_break=chain, expected=expected
    )
    assert again.placings == first.placings
    assert again.missing == first.missing
    assert again.unscaled == first.unscaled


@settings(max_examples=100, deadline=None)
@given(contests(), RULES, st.data())
def test_withdrawing_a_contestant_moves_no_one_elses_total(contest, rule, data):
    people, sheets, _ = contest
    before = rank_contestants(people, sheets, CRITERIA, rule=rule)
    leaving = data.draw(st.sampled_from(people))
    people = [replace(p, status=ContestantStatus.WITHDRAWN) if p is leaving else p for p in people]
    after = rank_contestants(people, sheets, CRITERIA, rule=rule)
    assert after.placing(leaving.id).rank is None
    for placing in after.placings:
        assert placing.total == before.placing(placing.contestant).total
        old = before.placing(placing.contestant).rank
        if placing.rank is not None:
            # Nobody falls; someone ranked below the leaver moves up by at most one.
            assert placing.rank <= old <= placing.rank + 1


@settings(max_examples=200)
@given(st.lists(SCORES, min_size=1, max_size=9))
def test_a_copy_of_the_median_does_not_change_a_median(values):
    median = AggregationRule(Aggregation.MEDIAN)
    marks = {judge: value for judge, value in enumerate(values, start=1)}
    value = aggregate(marks, median).value
    assert min(values) <= value <= max(values)
    with_copy = aggregate({**marks, len(values) + 1: value}, median)
    assert with_copy.value == value


@settings(max_examples=200)
@given(st.lists(SCORES, min_size=1, max_size=9), st.integers(0, 3), st.integers(0, 4))
def test_trimmed_mean_stays_within_the_scores_and_drops_2k_or_none(values, trim, extra):
    rule = AggregationRule(Aggregation.TRIMMED_MEAN, trim=trim, trim_minimum=2 * trim + 1 + extra)
    result = aggregate({judge: v for judge, v in enumerate(values, start=1)}, rule)
    assert min(values) <= result.value <= max(values)
    kept = sorted(values)
    if len(values) >= rule.trim_minimum and trim:
        assert len(result.dropped) == 2 * trim
        kept = kept[trim:-trim]
    else:
        assert result.dropped == ()
    assert abs(Fraction(result.value) - Fraction(sum(kept)) / len(kept)) < Fraction(1, 10**30)


def competition_ranks(totals: dict[int, int]) -> dict[int, int]:
    """1 + how many scored strictly more: an independent model of shared ranks."""
    return {c: 1 + sum(other > mine for other in totals.values()) for c, mine in totals.items()}


@settings(max_examples=300)
@given(
    st.dictionaries(st.integers(100, 160), st.integers(0, 6), max_size=40),
    st.lists(st.integers(0, 8), min_size=1, max_size=4),
)
def test_awards_stay_within_tier_counts_except_by_stated_boundary_ties(totals, sizes):
    ranks = competition_ranks(totals)
    awards = award_tiers(ranks, sizes)
    cut = 0
    for tier, (size, outcome) in enumerate(zip(sizes, awards.tiers, strict=True), start=1):
        cut += size
        assert (outcome.tier, outcome.planned, outcome.cut) == (tier, size, cut)
        assert outcome.awarded == len(awards.contestants(tier))
        # A tier is larger (a tie at its cut) or short, never both, and never below zero.
        assert outcome.extra >= 0 and outcome.short >= 0 and outcome.extra * outcome.short == 0
        if outcome.awarded > size:
            assert outcome.boundary_tie
        given_so_far = sum(1 for t in awards.awarded.values() if t <= tier)
        stated = any(o.boundary_tie and o.cut == cut for o in awards.tiers[:tier])
        assert given_so_far <= cut or stated
        for contestant, rank in ranks.items():
            # Everyone ranked within the cut has this award or better, and nobody beyond it.
            within = rank <= cut
            has = awards.tier_of(contestant) is not None and awards.tier_of(contestant) <= tier
            assert within == has
    for a, b in ((a, b) for a in ranks for b in ranks if ranks[a] == ranks[b]):
        assert awards.tier_of(a) == awards.tier_of(b)  # a tie never splits an award


@settings(max_examples=200)
@given(st.lists(st.integers(0, 100), min_size=1, max_size=5), st.integers(0, 500))
def test_percentage_tiers_never_exceed_their_share(percentages, contestants):
    sizes = tier_sizes(percentages, contestants)
    for percent, size in zip(percentages, sizes, strict=True):
        assert size * 100 <= percent * contestants < (size + 1) * 100


@settings(max_examples=60, deadline=None)
@given(contests(), RULES)
def test_rank_round_is_the_overall_and_per_track_rankings(contest, rule):
    people, sheets, expected = contest
    both = rank_round(people, sheets, CRITERIA, rule=rule, tie_break=(21,), expected=expected)
    assert both.overall == rank_contestants(
        people, sheets, CRITERIA, rule=rule, tie_break=(21,), expected=expected
    )
    assert both.tracks == rank_by_track(
        people, sheets, CRITERIA, rule=rule, tie_break=(21,), expected=expected
    )
    # A track's ranks keep the overall order among its own contestants.
    for ranking in both.tracks.values():
        ranked = [p.contestant for p in ranking.placings if p.rank is not None]
        overall = [p.contestant for p in both.overall.placings if p.contestant in set(ranked)]
        assert ranked == overall


@settings(max_examples=200)
@given(st.lists(st.integers(0, 100), min_size=1, max_size=5), st.integers(0, 500))
def test_half_up_tiers_are_the_nearest_whole_number_halves_going_up(percentages, contestants):
    down = tier_sizes(percentages, contestants)
    half_up = tier_sizes(percentages, contestants, TierRounding.HALF_UP)
    for percent, size, floor in zip(percentages, half_up, down, strict=True):
        share = Fraction(percent * contestants, 100)
        assert share - Fraction(1, 2) < size <= share + Fraction(1, 2)
        assert size in (floor, floor + 1)


@st.composite
def full_panels(draw):
    """Complete sheets of 1-7 judges for one contestant on the two criteria."""
    judges = draw(st.integers(1, 7))
    return [
        Sheet(judge, 100, {c.id: draw(SCORES) for c in CRITERIA}) for judge in range(1, judges + 1)
    ]


@settings(max_examples=200)
@given(full_panels(), st.integers(0, 2), st.integers(0, 3))
def test_trimming_totals_leaves_out_the_extreme_totals_and_means_the_rest(sheets, trim, extra):
    rule = AggregationRule(Aggregation.TRIMMED_TOTAL, trim=trim, trim_minimum=2 * trim + 1 + extra)
    placing = rank_contestants([Contestant(100)], sheets, CRITERIA, rule=rule).placing(100)
    totals = {
        s.judge: sum((Fraction(c.weight) * Fraction(s.scores[c.id]) for c in CRITERIA), Fraction())
        for s in sheets
    }
    dropped = {j.judge for j in placing.judge_totals if j.dropped}
    kept = [totals[j] for j in totals if j not in dropped]
    if len(sheets) >= rule.trim_minimum and trim:
        assert len(dropped) == 2 * trim
        left_out = sorted(totals[j] for j in dropped)
        # The k lowest and k highest totals: nothing kept lies outside them.
        assert left_out[trim - 1] <= min(kept) and max(kept) <= left_out[trim]
    else:
        assert dropped == set()
    # The total is the mean of the kept judges' totals (the criteria's means, weighted).
    assert abs(Fraction(placing.total) - sum(kept) / len(kept)) < Fraction(1, 10**30)
    assert [j.judge for j in placing.judge_totals] == sorted(totals)


@settings(max_examples=150, deadline=None)
@given(contests(), RULES, st.sampled_from([(), (21,), (22, 21)]))
def test_every_grouping_ranks_by_exact_merit(contest, rule, chain):
    """Within the overall ranking and each track's, a ranked contestant's rank is 1 + the
    number of ranked contestants of the group with a strictly better total (then tie-break
    aggregates, higher first, none lowest), computed here from the exact fractions; equal
    merit shares the rank and is listed by contestant id; a tie-break names the first criterion
    that differs from the placing above."""
    people, sheets, expected = contest
    both = rank_round(people, sheets, CRITERIA, rule=rule, tie_break=chain, expected=expected)

    def merit(placing):
        values = [Fraction(placing.total) if placing.total is not None else None]
        if placing._merit:  # the exact values the ranking used
            values = [value if flag else None for flag, value in placing._merit]
        return tuple((0, Fraction(0)) if v is None else (1, v) for v in values)

    for ranking in (both.overall, *both.tracks.values()):
        ranked = [p for p in ranking.placings if p.rank is not None]
        for placing in ranked:
            mine = merit(placing)
            better = sum(1 for other in ranked if merit(other) > mine)
            assert placing.rank == 1 + better
            equal = [o for o in ranked if merit(o) == mine]
            assert placing.shared == (len(equal) > 1)
        assert [p.contestant for p in ranked] == [
            p.contestant for p in sorted(ranked, key=lambda p: (p.rank, p.contestant))
        ]
        for above, below in zip(ranked, ranked[1:], strict=False):
            if below.shared or merit(above)[0] != merit(below)[0]:
                assert below.decided_by is None
            else:
                differing = [
                    cid
                    for cid, a, b in zip(chain, merit(above)[1:], merit(below)[1:], strict=True)
                    if a != b
                ]
                assert below.decided_by == differing[0]
