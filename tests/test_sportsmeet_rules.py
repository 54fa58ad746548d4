"""The sports meet rules on their own: times, placings, points, standings, medals, brackets.

Worked examples pin each rule with numbers worked out by hand (team ids 11-14 and entrant ids
in the hundreds, so an id is never mistaken for a place); hypothesis checks the properties the
issue names against small independent models (sums of table slices, sorted copies).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.sportsmeet.rules import (
    DRAW,
    MAX_DRAW_SEED,
    POINTS_QUANTUM,
    ItemScore,
    Match,
    Medals,
    Outcome,
    Performance,
    PointsTableError,
    PointsTableProblem,
    ResultType,
    RoundRobinRow,
    SeedingProblem,
    Standing,
    TimeFormatError,
    TimeProblem,
    advance_knockout,
    best_value,
    default_points_table,
    display_points,
    draw_lots,
    format_time,
    knockout_bracket,
    knockout_placings,
    medal_table,
    missing_results,
    parse_points_table,
    parse_time,
    placings,
    points_for_places,
    round_robin_schedule,
    round_robin_table,
    seeded_order,
    seeding_problems,
    standings,
)

D = Decimal
F = Fraction
T = ResultType
TEAMS = (11, 12, 13, 14)
FOUR = (5, 3, 2, 1)


def time(entrant: int, text: str | None = None, outcome: Outcome = Outcome.OK) -> Performance:
    return Performance(entrant, None if text is None else parse_time(text), outcome)


def count(entrant: int, first: int | None, second: int | None = None) -> Performance:
    return Performance(
        entrant,
        None if first is None else D(first),
        second_value=None if second is None else D(second),
    )


def place(entrant: int, given_place: int) -> Performance:
    return Performance(entrant, D(given_place))


def decide(matches: list[Match], *results: tuple[int, int, int]) -> list[Match]:
    """Record winners (round, slot, winner) and advance the bracket after each, as a referee would."""
    for round_, slot, winner in results:
        matches = [
            Match(m.round, m.slot, m.home, m.away, winner)
            if (m.round, m.slot) == (round_, slot)
            else m
            for m in matches
        ]
        matches = advance_knockout(matches)
    return matches


def match_at(matches: list[Match], round_: int, slot: int) -> Match:
    (found,) = [m for m in matches if (m.round, m.slot) == (round_, slot)]
    return found


# --- result types ------------------------------------------------------------------------------


def test_direction_of_each_result_type():
    assert T.TIME.lower_wins and T.PLACING.lower_wins and T.HEAD_TO_HEAD.lower_wins
    assert not T.COUNT.lower_wins and not T.DISTANCE.lower_wins
    assert T.PLACING.value_is_place and T.HEAD_TO_HEAD.value_is_place
    assert not T.TIME.value_is_place


def test_enum_values_are_the_stored_strings():
    assert [t.value for t in T] == ["time", "count", "distance", "placing", "head_to_head"]
    assert [o.value for o in Outcome] == ["ok", "dnf", "dq"]
    assert T("time") is T.TIME


# --- times -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("62.50", D("62.50")),
        ("1:02.50", D("62.50")),
        ("01:02.50", D("62.50")),
        ("1:02", D("62")),
        ("0:45", D("45")),
        ("45", D("45")),
        ("9.8", D("9.8")),
        ("10:00.00", D("600")),
        ("1:02:03.5", D("3723.5")),
        ("1:00:00", D("3600")),
        ("59.999", D("59.999")),
        (" 1:02.50 ", D("62.50")),
        ("1: 02.50", D("62.50")),
        ("１：０２．５０", D("62.50")),  # full-width, as a Chinese keyboard types it
        ("0.01", D("0.01")),
    ],
)
def test_parse_time(text, seconds):
    parsed = parse_time(text)
    assert parsed == seconds
    assert isinstance(parsed, Decimal)


def test_parse_time_keeps_the_decimals_typed():
    assert str(parse_time("1:02.50")) == "62.50"
    assert str(parse_time("62.5")) == "62.5"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", TimeProblem.EMPTY),
        ("   ", TimeProblem.EMPTY),
        ("abc", TimeProblem.FORMAT),
        ("1:5", TimeProblem.FORMAT),  # 1:05 or 1:50?
        ("1:5.20", TimeProblem.FORMAT),
        ("1:123", TimeProblem.FORMAT),
        ("1:2:03", TimeProblem.FORMAT),
        ("1:02:03:04", TimeProblem.FORMAT),
        (":30", TimeProblem.FORMAT),
        ("1:", TimeProblem.FORMAT),
        ("12.", TimeProblem.FORMAT),
        (".5", TimeProblem.FORMAT),
        ("1:02.5.3", TimeProblem.FORMAT),
        ("-5", TimeProblem.FORMAT),
        ("+5", TimeProblem.FORMAT),
        ("1,5", TimeProblem.FORMAT),
        ("1e3", TimeProblem.FORMAT),
        ("NaN", TimeProblem.FORMAT),
        ("٣", TimeProblem.FORMAT),  # an Arabic-Indic digit is not a time a referee types
        ("1:60", TimeProblem.SECONDS_RANGE),
        ("1:75.00", TimeProblem.SECONDS_RANGE),
        ("1:60:00", TimeProblem.MINUTES_RANGE),
        ("12.3456", TimeProblem.DECIMALS),
        ("0", TimeProblem.NOT_POSITIVE),
        ("0:00.00", TimeProblem.NOT_POSITIVE),
    ],
)
def test_parse_time_refuses_bad_input(text, problem):
    with pytest.raises(TimeFormatError) as caught:
        parse_time(text)
    assert caught.value.problem is problem
    assert isinstance(caught.value, ValueError)


def test_time_messages_are_plain_english():
    with pytest.raises(ValueError, match=r"minutes:seconds \(1:02\.50\)"):
        parse_time("1 min 2")
    with pytest.raises(ValueError, match="below 60"):
        parse_time("2:61")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (D("62.5"), "1:02.50"),
        (D("62.50"), "1:02.50"),
        (D("45.3"), "45.30"),
        (D("9.81"), "9.81"),
        (D("60"), "1:00.00"),
        (D("59.99"), "59.99"),
        (D("600"), "10:00.00"),
        (D("3600"), "1:00:00.00"),
        (D("3723.5"), "1:02:03.50"),
        (D("59.999"), "59.999"),  # thousandths are shown when the time has them
        (D("62.1234"), "1:02.123"),
        (D("62.0125"), "1:02.013"),  # half up, not to the even digit
        (D("59.9996"), "1:00.000"),  # rounding carries into the minute
        (D("0"), "0.00"),
        (D(7), "7.00"),
    ],
)
def test_format_time(seconds, text):
    assert format_time(seconds) == text


@pytest.mark.parametrize("bad", [D("-1"), D("NaN"), D("Infinity")])
def test_format_time_refuses_what_is_not_a_time(bad):
    with pytest.raises(ValueError):
        format_time(bad)


@given(st.integers(min_value=1, max_value=10 * 3600 * 1000))
def test_format_then_parse_gives_the_same_time(thousandths):
    seconds = D(thousandths).scaleb(-3)
    assert parse_time(format_time(seconds)) == seconds


# --- best value and placings -------------------------------------------------------------------


def test_second_attempt_counts_the_better_one():
    assert best_value(T.COUNT, count(101, 120, 131)) == 131
    assert best_value(T.COUNT, count(101, 131, 120)) == 131
    assert best_value(T.DISTANCE, count(101, 12, 15)) == 15
    assert best_value(T.TIME, Performance(101, D("12.5"), second_value=D("12.1"))) == D("12.1")
    assert best_value(T.TIME, Performance(101, D("12.1"), second_value=D("12.5"))) == D("12.1")


def test_best_value_of_a_single_attempt_or_none():
    assert best_value(T.COUNT, count(101, None, 44)) == 44  # first attempt missed, second counts
    assert best_value(T.COUNT, count(101, 44)) == 44
    assert best_value(T.COUNT, count(101, None)) is None


@pytest.mark.parametrize("outcome", [Outcome.DNF, Outcome.DQ])
def test_dnf_and_dq_have_no_value_even_with_a_time(outcome):
    assert best_value(T.TIME, Performance(101, D("50"), outcome, D("49"))) is None
    assert best_value("time", Performance(101, D("50"), "dq")) is None  # stored strings work too


def test_time_lower_wins():
    result = placings(
        T.TIME, [time(101, "1:05.20"), time(102, "58.90"), time(103, "1:10"), time(104, "1:02.35")]
    )
    assert result == {101: 3, 102: 1, 103: 4, 104: 2}


@pytest.mark.parametrize("kind", [T.COUNT, T.DISTANCE])
def test_count_and_distance_higher_wins(kind):
    result = placings(kind, [count(101, 30), count(102, 45), count(103, 12)])
    assert result == {101: 2, 102: 1, 103: 3}


def test_tie_of_two_shares_the_place_and_skips_the_next():
    result = placings(
        T.TIME, [time(101, "45.10"), time(102, "47.80"), time(103, "45.10"), time(104, "50")]
    )
    assert result == {101: 1, 103: 1, 102: 3, 104: 4}


def test_tie_of_three_skips_two_places():
    result = placings(
        T.COUNT, [count(101, 20), count(102, 30), count(103, 20), count(104, 20), count(105, 5)]
    )
    assert result == {102: 1, 101: 2, 103: 2, 104: 2, 105: 5}


def test_ties_equal_as_numbers_even_written_differently():
    result = placings(T.TIME, [time(101, "1:02.5"), time(102, "62.50"), time(103, "1:03")])
    assert result == {101: 1, 102: 1, 103: 3}


def test_dnf_dq_and_missing_values_are_unplaced_and_others_close_up():
    result = placings(
        T.TIME,
        [
            time(101, "1:30.00"),
            time(102, "1:20.00", Outcome.DQ),
            time(103, "1:25.50"),
            time(104, None, Outcome.DNF),
            time(105),  # no result entered yet
        ],
    )
    assert result == {101: 2, 102: None, 103: 1, 104: None, 105: None}


def test_a_dq_undone_restores_the_placings():
    results = [time(101, "1:30.00"), time(102, "1:27.00"), time(103, "1:25.50")]
    before = placings(T.TIME, results)
    disqualified = [results[0], Performance(102, D("87"), Outcome.DQ), results[2]]
    assert placings(T.TIME, disqualified) == {101: 2, 102: None, 103: 1}
    reinstated = [results[0], Performance(102, D("87"), Outcome.OK), results[2]]
    assert placings(T.TIME, reinstated) == before == {101: 3, 102: 2, 103: 1}


def test_second_attempt_decides_placings():
    result = placings(T.COUNT, [count(101, 120, 131), count(102, 130), count(103, 125, 129)])
    assert result == {101: 1, 102: 2, 103: 3}


def test_placing_type_takes_the_referees_places():
    assert placings(T.PLACING, [place(101, 2), place(102, 1), place(103, 3)]) == {
        101: 2,
        102: 1,
        103: 3,
    }


def test_placing_type_allows_ties():
    given_places = [place(101, 1), place(102, 2), place(103, 2), place(104, 4)]
    assert placings(T.PLACING, given_places) == {101: 1, 102: 2, 103: 2, 104: 4}


def test_placing_type_closes_the_gap_a_dq_leaves():
    result = placings(
        T.PLACING,
        [place(101, 1), Performance(102, D(2), Outcome.DQ), place(103, 3), place(104, 4)],
    )
    assert result == {101: 1, 102: None, 103: 2, 104: 3}


def test_placing_type_renumbers_a_tie_the_referee_did_not_skip_after():
    # "1, 1, 2" cannot be: two share first, so the next is third (points would be awarded twice).
    assert placings(T.PLACING, [place(101, 1), place(102, 1), place(103, 2)]) == {
        101: 1,
        102: 1,
        103: 3,
    }


@pytest.mark.parametrize("bad", [D(0), D(-1), D("1.5")])
def test_placing_type_refuses_a_place_that_is_not_a_whole_number_from_1(bad):
    with pytest.raises(ValueError, match="whole number"):
        placings(T.PLACING, [Performance(101, bad), place(102, 1)])


def test_head_to_head_values_are_places_too():
    assert placings(T.HEAD_TO_HEAD, [place(101, 2), place(102, 1), place(103, 3)]) == {
        101: 2,
        102: 1,
        103: 3,
    }


def test_placings_refuse_an_entrant_twice():
    with pytest.raises(ValueError, match="more than one"):
        placings(T.TIME, [time(101, "10"), time(101, "11")])


def test_placings_of_nobody_and_of_nobody_placed():
    assert placings(T.TIME, []) == {}
    assert placings(T.TIME, [time(101, None, Outcome.DNF)]) == {101: None}


# --- points tables -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("teams", "table"),
    [
        (1, (1,)),
        (2, (3, 1)),
        (3, (4, 2, 1)),
        (4, (5, 3, 2, 1)),
        (5, (6, 4, 3, 2, 1)),
        (6, (7, 5, 4, 3, 2, 1)),
        (8, (9, 7, 6, 5, 4, 3, 2, 1)),
    ],
)
def test_default_points_tables(teams, table):
    assert default_points_table(teams) == table


@pytest.mark.parametrize("teams", range(2, 40))
def test_default_points_table_general_formula(teams):
    table = default_points_table(teams)
    assert len(table) == teams
    assert table[0] == teams + 1
    assert list(table[1:]) == list(range(teams - 1, 0, -1))


@pytest.mark.parametrize("teams", [0, -3])
def test_default_points_table_needs_a_team(teams):
    with pytest.raises(ValueError):
        default_points_table(teams)


def test_points_without_ties():
    points = points_for_places({101: 1, 102: 2, 103: 3, 104: 4}, FOUR)
    assert points == {101: D(5), 102: D(3), 103: D(2), 104: D(1)}
    assert all(isinstance(value, Fraction) for value in points.values())


def test_relay_multiplier_doubles_the_points():
    points = points_for_places({101: 1, 102: 2, 103: 3, 104: 4}, FOUR, D(2))
    assert points == {101: D(10), 102: D(6), 103: D(4), 104: D(2)}


def test_fractional_multiplier():
    points = points_for_places({101: 1, 102: 2}, FOUR, D("1.5"))
    assert points == {101: D("7.5"), 102: D("4.5")}


def test_two_tied_first_share_first_and_second_points():
    points = points_for_places({101: 1, 102: 1, 103: 3, 104: 4}, FOUR)
    assert points == {101: D(4), 102: D(4), 103: D(2), 104: D(1)}


def test_two_tied_second_share_half_points():
    points = points_for_places({101: 1, 102: 2, 103: 2, 104: 4}, FOUR)
    assert points == {101: D(5), 102: D("2.5"), 103: D("2.5"), 104: D(1)}


def test_tie_shares_are_multiplied_too():
    points = points_for_places({101: 1, 102: 2, 103: 2, 104: 4}, FOUR, D(2))
    assert points == {101: D(10), 102: D(5), 103: D(5), 104: D(2)}


def test_three_tied_second_share_evenly():
    points = points_for_places({101: 1, 102: 2, 103: 2, 104: 2}, FOUR)
    assert points == {101: D(5), 102: D(2), 103: D(2), 104: D(2)}


def test_three_tied_first_share_exactly_and_are_rounded_only_for_display():
    # 5 + 3 + 2 = 10 among three does not come out even: each gets 10/3, shown as 3.33.
    points = points_for_places({101: 1, 102: 1, 103: 1, 104: 4}, FOUR)
    assert points == {101: F(10, 3), 102: F(10, 3), 103: F(10, 3), 104: F(1)}
    assert display_points(points[101]) == D("3.33")
    assert D("0.01") == POINTS_QUANTUM


def test_display_rounding_is_half_up_and_after_the_multiplier():
    # Places 1-3 on 9-7-6-…: 22 / 3 = 7.333… → 7.33; × 2 first: 44 / 3 = 14.666… → 14.67.
    table = default_points_table(8)
    assert points_for_places({101: 1, 102: 1, 103: 1}, table)[101] == F(22, 3)
    assert display_points(points_for_places({101: 1, 102: 1, 103: 1}, table)[101]) == D("7.33")
    assert points_for_places({101: 1, 102: 1, 103: 1}, table, D(2))[101] == F(44, 3)
    assert display_points(F(44, 3)) == D("14.67")
    # 1 + 0 among 8 at the end of a 7-place table is 0.125 exactly → 0.13.
    tied_last = {100 + i: 7 for i in range(8)}
    assert points_for_places(tied_last, (7, 6, 5, 4, 3, 2, 1))[100] == F(1, 8)
    assert display_points(F(1, 8)) == D("0.13")


def test_tie_at_the_end_of_the_table_shares_points_with_the_places_beyond_it():
    points = points_for_places({101: 1, 102: 2, 103: 3, 104: 4, 105: 4}, FOUR)
    assert points == {101: D(5), 102: D(3), 103: D(2), 104: D("0.5"), 105: D("0.5")}


def test_places_beyond_the_table_score_nothing():
    points = points_for_places({101: 1, 102: 2, 103: 3, 104: 4, 105: 5, 106: 6}, FOUR)
    assert points[105] == points[106] == D(0)
    assert points[104] == D(1)


def test_dnf_and_dq_score_nothing():
    points = points_for_places({101: 1, 102: None, 103: 2, 104: None}, FOUR, D(2))
    assert points == {101: D(10), 102: D(0), 103: D(6), 104: D(0)}


def test_points_from_placings_after_a_dq():
    places = placings(
        T.TIME, [time(101, "1:30"), time(102, "1:20", Outcome.DQ), time(103, "1:25.5")]
    )
    assert points_for_places(places, FOUR) == {101: D(3), 102: D(0), 103: D(5)}


def test_points_refuse_places_that_overlap_a_tie():
    with pytest.raises(ValueError, match="taken"):
        points_for_places({101: 1, 102: 1, 103: 2}, FOUR)


@pytest.mark.parametrize("bad_place", [0, -1])
def test_points_refuse_places_below_1(bad_place):
    with pytest.raises(ValueError, match="start at 1"):
        points_for_places({101: bad_place}, FOUR)


def test_points_refuse_a_float_or_negative_multiplier():
    with pytest.raises(TypeError):
        points_for_places({101: 1}, FOUR, 2.0)
    with pytest.raises(ValueError):
        points_for_places({101: 1}, FOUR, D(-1))


def test_points_of_nobody():
    assert points_for_places({}, FOUR) == {}


@pytest.mark.parametrize("table", [(5, -1), (-5,), (5, D("-0.5"), 0)])
def test_points_refuse_a_negative_table(table):
    with pytest.raises(ValueError, match="zero or more"):
        points_for_places({101: 1, 102: 2}, table)


@pytest.mark.parametrize("table", [(5.0, 3), (5, 2.5), (True, 0)])
def test_points_refuse_a_table_of_floats_or_booleans(table):
    with pytest.raises(TypeError):
        points_for_places({101: 1, 102: 2}, table)


# --- a heat's missing results -------------------------------------------------------------------


@pytest.mark.parametrize(
    "lanes, recorded, missing",
    [
        ([101, 102, 103, 104], [101, 103], [102, 104]),  # in lane order
        ([104, 103, 102, 101], [101, 103], [104, 102]),
        ([101, 102, 103], [], []),  # not begun: nothing to warn about
        ([101, 102, 103], [101, 102, 103], []),
        ([101, 102], [999], []),  # a result outside the heat does not begin it
        ([], [101], []),
    ],
)
def test_missing_results_once_a_heat_has_begun(lanes, recorded, missing):
    assert missing_results(lanes, recorded) == missing


# --- typed points tables -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, table",
    [
        ("5,3,2,1", (5, 3, 2, 1)),
        ("5-3-2-1", (5, 3, 2, 1)),
        ("9 7 6 5", (9, 7, 6, 5)),
        ("7 - 5 - 4", (7, 5, 4)),
        ("５，３，２，１", (5, 3, 2, 1)),  # full-width, as a Chinese keyboard types it
        ("5、3；2", (5, 3, 2)),
        ("5.0,3.00", (5, 3)),  # whole numbers written with zeros after the point
        ("1000,0,0", (1000, 0, 0)),
        ("  ", ()),
        ("", ()),
        (",".join(["1"] * 50), (1,) * 50),
    ],
)
def test_a_typed_points_table_is_read(text, table):
    assert parse_points_table(text) == table
    assert all(type(points) is int for points in parse_points_table(text))


@pytest.mark.parametrize(
    "text, problem",
    [
        ("5,-1", PointsTableProblem.RANGE),  # a minus sign, not a dash between places
        ("-5", PointsTableProblem.RANGE),
        ("5, -1", PointsTableProblem.RANGE),
        ("1001", PointsTableProblem.RANGE),
        ("5,NaN", PointsTableProblem.RANGE),
        ("Infinity", PointsTableProblem.RANGE),
        ("5,2.5,1", PointsTableProblem.NOT_WHOLE),
        ("0.5", PointsTableProblem.NOT_WHOLE),
        ("5,a,1", PointsTableProblem.FORMAT),
        ("5/3", PointsTableProblem.FORMAT),
        ("3,5", PointsTableProblem.INCREASING),
        ("5,3,3,4", PointsTableProblem.INCREASING),
        (",".join(["1"] * 51), PointsTableProblem.TOO_LONG),
    ],
)
def test_a_negative_fractional_or_malformed_points_table_is_refused(text, problem):
    with pytest.raises(PointsTableError) as refused:
        parse_points_table(text)
    assert refused.value.problem == problem


# --- team standings ----------------------------------------------------------------------------


def score(team: int, item: int, place_: int | None, points: str | int) -> ItemScore:
    return ItemScore(team=team, item=item, place=place_, points=D(points))


def test_standings_by_total_points():
    scores = [score(11, 1, 2, 3), score(12, 1, 1, 5), score(11, 2, 1, 5), score(12, 2, 3, 2)]
    assert standings(scores, [11, 12]) == [
        Standing(team=11, rank=1, points=D(8), places=(1, 1, 0)),
        Standing(team=12, rank=2, points=D(7), places=(1, 0, 1)),
    ]


def test_equal_points_then_most_first_places():
    scores = [
        *(score(11, item, 1, 5) for item in (1, 2)),  # 10 points, two firsts
        score(12, 1, 2, 3),
        score(12, 2, 2, 3),
        score(12, 3, 1, 5),  # 11 points
        score(13, 1, 1, 5),
        score(13, 2, 2, 3),
        score(13, 3, 3, 2),  # 10 points, one first
    ]
    result = standings(scores, [11, 12, 13])
    assert [(row.team, row.rank, row.points) for row in result] == [
        (12, 1, D(11)),
        (11, 2, D(10)),
        (13, 3, D(10)),
    ]


def test_equal_points_and_firsts_then_most_seconds():
    scores = [
        score(11, 1, 1, 5),
        score(11, 2, 2, 3),
        score(11, 3, 4, 1),
        score(11, 4, 4, 1),  # 10: one first, one second
        score(12, 1, 1, 5),
        score(12, 2, 3, 2),
        score(12, 3, 3, 2),
        score(12, 4, 4, 1),  # 10: one first, no second
    ]
    result = standings(scores, [12, 11])
    assert [(row.team, row.rank, row.places) for row in result] == [
        (11, 1, (1, 1, 0, 2)),
        (12, 2, (1, 0, 2, 1)),
    ]


def test_equal_down_to_thirds_then_most_thirds():
    scores = [
        score(11, 1, 3, 2),
        score(11, 2, 3, 2),  # 4: two thirds
        score(12, 1, 3, 2),
        score(12, 2, 4, 1),
        score(12, 3, 4, 1),  # 4: one third, two fourths
    ]
    result = standings(scores, [11, 12])
    assert [(row.team, row.rank) for row in result] == [(11, 1), (12, 2)]


def test_teams_equal_all_the_way_share_the_rank_and_the_next_is_skipped():
    scores = [
        score(12, 1, 2, 3),
        score(12, 2, 1, 5),  # 8
        score(11, 1, 1, 5),
        score(11, 2, 4, 1),  # 6: a first and a fourth
        score(13, 3, 1, 5),
        score(13, 4, 4, 1),  # 6: a first and a fourth, in other items
        score(14, 1, 3, 2),
        score(14, 3, 4, 1),  # 3
    ]
    result = standings(scores, TEAMS)
    assert [(row.team, row.rank, row.points, row.places) for row in result] == [
        (12, 1, D(8), (1, 1, 0, 0)),
        (11, 2, D(6), (1, 0, 0, 1)),
        (13, 2, D(6), (1, 0, 0, 1)),
        (14, 4, D(3), (0, 0, 1, 1)),
    ]


def test_shared_rank_lists_teams_by_id():
    result = standings([score(14, 1, 1, 4), score(12, 1, 1, 4)], [14, 13, 12])
    assert [(row.team, row.rank) for row in result] == [(12, 1), (14, 1), (13, 3)]


def test_teams_without_scores_are_listed_with_nothing():
    result = standings([score(12, 1, 1, 5)], TEAMS)
    assert result[0] == Standing(12, 1, D(5), (1,))
    assert result[1:] == [
        Standing(11, 2, D(0), (0,)),
        Standing(13, 2, D(0), (0,)),
        Standing(14, 2, D(0), (0,)),
    ]


def test_standings_before_any_result():
    assert standings([], [12, 11]) == [Standing(11, 1, D(0), ()), Standing(12, 1, D(0), ())]


def test_an_unplaced_score_counts_no_place():
    result = standings([score(11, 1, None, 0), score(12, 1, 1, 5)], [11, 12])
    assert result == [Standing(12, 1, D(5), (1,)), Standing(11, 2, D(0), (0,))]


def test_standings_refuse_a_team_outside_the_meet():
    with pytest.raises(ValueError, match="not in this meet"):
        standings([score(99, 1, 1, 5)], TEAMS)


def test_standings_add_shared_points_exactly():
    scores = [score(11, 1, 1, "2.5"), score(11, 2, 2, "0.5"), score(12, 1, 1, "3")]
    result = standings(scores, [11, 12])
    assert [(row.team, row.rank, row.points) for row in result] == [(11, 1, D(3)), (12, 2, D(3))]


# --- medals ------------------------------------------------------------------------------------


def test_medal_table_with_shared_places():
    scores = [
        score(11, 1, 1, 4),
        score(12, 1, 1, 4),  # two share gold
        score(13, 1, 3, 2),
        score(14, 1, 4, 1),
        score(12, 2, 1, 5),
        score(13, 2, 2, "2.5"),
        score(14, 2, 2, "2.5"),  # two share silver
        score(11, 2, 4, 1),
        score(13, 3, 2, 3),
        score(11, 3, 3, 2),
        score(12, 3, None, 0),
        score(14, 3, 1, 5),
    ]
    assert medal_table(scores, TEAMS) == [
        Medals(team=12, gold=2, silver=0, bronze=0),
        Medals(team=14, gold=1, silver=1, bronze=0),
        Medals(team=11, gold=1, silver=0, bronze=1),
        Medals(team=13, gold=0, silver=2, bronze=1),
    ]


def test_medal_table_orders_by_gold_then_silver_then_bronze_then_team():
    scores = [
        score(14, 1, 2, 3),
        score(14, 2, 2, 3),  # 0-2-0
        score(13, 1, 1, 5),  # 1-0-0
        score(12, 1, 3, 2),
        score(12, 2, 3, 2),
        score(12, 3, 2, 3),  # 0-1-2
        score(11, 1, 3, 2),
        score(11, 2, 3, 2),
        score(11, 3, 2, 3),  # 0-1-2, same as 12
    ]
    assert [row.team for row in medal_table(scores, TEAMS)] == [13, 14, 11, 12]


def test_medal_table_with_equal_gold_and_silver_puts_more_bronze_first():
    scores = [
        score(11, 1, 1, 5),
        score(11, 2, 3, 2),  # 1-0-1
        score(12, 1, 2, 3),
        score(12, 2, 1, 5),
        score(12, 3, 3, 2),
        score(12, 4, 3, 2),  # 1-1-2
        score(13, 2, 2, 3),
        score(13, 3, 1, 5),  # 1-1-0
    ]
    assert [row.team for row in medal_table(scores, [11, 12, 13])] == [12, 13, 11]


def test_medal_table_lists_teams_without_medals():
    assert medal_table([score(12, 1, 4, 1)], [12, 11]) == [Medals(11, 0, 0, 0), Medals(12, 0, 0, 0)]


def test_medal_table_refuses_a_team_outside_the_meet():
    with pytest.raises(ValueError):
        medal_table([score(99, 1, 1, 5)], TEAMS)


# --- knockout ----------------------------------------------------------------------------------


def test_knockout_of_two_is_just_a_final():
    bracket = knockout_bracket([11, 12])
    assert bracket == [Match(1, 0, 11, 12)]
    assert knockout_placings(bracket) == {11: None, 12: None}
    assert knockout_placings(decide(bracket, (1, 0, 12))) == {11: 2, 12: 1}


def test_knockout_of_three_gives_the_top_seed_a_bye_and_has_no_third_place_match():
    bracket = knockout_bracket([11, 12, 13])
    assert bracket == [
        Match(1, 0, 11, None, winner=11),  # bye: seed 1 is through already
        Match(1, 1, 12, 13),
        Match(2, 0, 11, None),
    ]
    assert knockout_placings(bracket) == {11: None, 12: None, 13: None}
    bracket = decide(bracket, (1, 1, 13))
    assert match_at(bracket, 2, 0) == Match(2, 0, 11, 13)
    assert knockout_placings(bracket) == {11: None, 12: 3, 13: None}
    bracket = decide(bracket, (2, 0, 11))
    assert knockout_placings(bracket) == {11: 1, 12: 3, 13: 2}


def test_knockout_of_four_has_a_third_place_match():
    bracket = knockout_bracket([11, 12, 13, 14])
    assert bracket == [
        Match(1, 0, 11, 14),
        Match(1, 1, 12, 13),
        Match(2, 0, None, None),
        Match(2, 1, None, None),
    ]
    bracket = decide(bracket, (1, 0, 11), (1, 1, 13))
    assert match_at(bracket, 2, 0) == Match(2, 0, 11, 13)
    assert match_at(bracket, 2, 1) == Match(2, 1, 14, 12)
    bracket = decide(bracket, (2, 1, 12))
    assert knockout_placings(bracket) == {11: None, 12: 3, 13: None, 14: 4}
    bracket = decide(bracket, (2, 0, 13))
    assert knockout_placings(bracket) == {11: 2, 12: 3, 13: 1, 14: 4}


def test_knockout_of_five_byes_to_the_top_three():
    seeds = [21, 22, 23, 24, 25]
    bracket = knockout_bracket(seeds)
    assert [m for m in bracket if m.round == 1] == [
        Match(1, 0, 21, None, winner=21),
        Match(1, 1, 24, 25),
        Match(1, 2, 22, None, winner=22),
        Match(1, 3, 23, None, winner=23),
    ]
    # The byes meet at once in the second semifinal; the first waits for 4 v 5.
    assert match_at(bracket, 2, 0) == Match(2, 0, 21, None)
    assert match_at(bracket, 2, 1) == Match(2, 1, 22, 23)
    assert match_at(bracket, 3, 0) == Match(3, 0, None, None)
    assert match_at(bracket, 3, 1) == Match(3, 1, None, None)
    bracket = decide(bracket, (1, 1, 25), (2, 0, 25), (2, 1, 22), (3, 1, 21), (3, 0, 22))
    assert match_at(bracket, 3, 1) == Match(3, 1, 21, 23, winner=21)
    assert knockout_placings(bracket) == {21: 3, 22: 1, 23: 4, 24: 5, 25: 2}


def test_knockout_of_six_quarterfinal_losers_share_fifth():
    seeds = [31, 32, 33, 34, 35, 36]
    bracket = knockout_bracket(seeds)
    assert [(m.home, m.away, m.winner) for m in bracket if m.round == 1] == [
        (31, None, 31),
        (34, 35, None),
        (32, None, 32),
        (33, 36, None),
    ]
    bracket = decide(bracket, (1, 1, 34), (1, 3, 36))
    assert knockout_placings(bracket) == {31: None, 32: None, 33: 5, 34: None, 35: 5, 36: None}
    bracket = decide(bracket, (2, 0, 31), (2, 1, 36), (3, 0, 36), (3, 1, 34))
    places = knockout_placings(bracket)
    assert places == {31: 2, 32: 4, 33: 5, 34: 3, 35: 5, 36: 1}
    assert points_for_places(places, default_points_table(6)) == {
        36: D(7),
        31: D(5),
        34: D(4),
        32: D(3),
        33: D("1.5"),  # places 5 and 6 shared: (2 + 1) / 2
        35: D("1.5"),
    }


def test_knockout_of_eight_standard_seeding():
    seeds = [41, 42, 43, 44, 45, 46, 47, 48]
    bracket = knockout_bracket(seeds)
    assert [(m.home, m.away) for m in bracket if m.round == 1] == [
        (41, 48),
        (44, 45),
        (42, 47),
        (43, 46),
    ]
    assert len(bracket) == 4 + 2 + 1 + 1
    bracket = decide(
        bracket,
        (1, 0, 41),
        (1, 1, 45),
        (1, 2, 42),
        (1, 3, 46),
        (2, 0, 41),
        (2, 1, 46),
        (3, 0, 46),
        (3, 1, 45),
    )
    assert match_at(bracket, 3, 0) == Match(3, 0, 41, 46, winner=46)
    assert match_at(bracket, 3, 1) == Match(3, 1, 45, 42, winner=45)
    assert knockout_placings(bracket) == {
        41: 2,
        42: 4,
        43: 5,
        44: 5,
        45: 3,
        46: 1,
        47: 5,
        48: 5,
    }


def test_seeds_one_and_two_can_meet_only_in_the_final():
    for n in (8, 16, 32):
        bracket = knockout_bracket(list(range(1, n + 1)))
        first_round = [m for m in bracket if m.round == 1]
        top_half = {team for m in first_round[: n // 4] for team in (m.home, m.away)}
        assert 1 in top_half and 2 not in top_half
        assert all(m.home + m.away == n + 1 for m in first_round)


def test_knockout_of_sixteen_places_first_round_losers_ninth():
    bracket = knockout_bracket(list(range(1, 17)))
    bracket = decide(bracket, *[(1, slot, match_at(bracket, 1, slot).home) for slot in range(8)])
    places = knockout_placings(bracket)
    assert sorted(team for team, p in places.items() if p == 9) == list(range(9, 17))
    assert all(places[team] is None for team in range(1, 9))


def test_correcting_an_earlier_result_clears_what_followed():
    bracket = decide(
        knockout_bracket([11, 12, 13, 14]), (1, 0, 11), (1, 1, 12), (2, 0, 11), (2, 1, 13)
    )
    assert knockout_placings(bracket) == {11: 1, 12: 2, 13: 3, 14: 4}
    corrected = decide(bracket, (1, 0, 14))  # the referee had the first semifinal wrong
    assert match_at(corrected, 2, 0) == Match(2, 0, 14, 12)  # 11's win over 12 no longer stands
    assert match_at(corrected, 2, 1) == Match(2, 1, 11, 13)  # 13 beat 14, not 11: replay
    assert knockout_placings(corrected) == {11: None, 12: None, 13: None, 14: None}


def test_a_result_against_an_opponent_who_no_longer_plays_is_cleared():
    bracket = decide(
        knockout_bracket([11, 12, 13, 14]), (1, 0, 11), (1, 1, 13), (2, 0, 11), (2, 1, 14)
    )
    assert knockout_placings(bracket) == {11: 1, 12: 4, 13: 2, 14: 3}
    corrected = decide(bracket, (1, 1, 12))  # 12 won the second semifinal, not 13
    # 11 beat 13 in the final and 14 beat 12 for third; neither match is the one now drawn up.
    assert match_at(corrected, 2, 0) == Match(2, 0, 11, 12)
    assert match_at(corrected, 2, 1) == Match(2, 1, 14, 13)
    assert knockout_placings(corrected) == {11: None, 12: None, 13: None, 14: None}


def test_a_result_still_between_the_same_teams_stands():
    bracket = decide(
        knockout_bracket([11, 12, 13, 14, 15]), (1, 1, 14), (2, 1, 12), (2, 0, 11), (3, 0, 11)
    )
    corrected = decide(bracket, (1, 1, 15))  # the quarterfinal 14 v 15 was scored wrongly
    assert match_at(corrected, 2, 0) == Match(2, 0, 11, 15)  # 11 beat 14, not 15: replay
    assert match_at(corrected, 2, 1) == Match(2, 1, 12, 13, winner=12)  # untouched
    assert match_at(corrected, 3, 0) == Match(3, 0, None, 12)
    assert knockout_placings(corrected) == {11: None, 12: None, 13: None, 14: 5, 15: None}


def test_winners_recorded_without_sides_are_filled_in():
    # A caller that stored only winners gets the same bracket as one that stored sides too.
    bare = [
        Match(1, 0, 11, 14, 11),
        Match(1, 1, 12, 13, 13),
        Match(2, 0, None, None, 13),
        Match(2, 1, None, None, 14),
    ]
    assert knockout_placings(bare) == {11: 2, 12: 4, 13: 1, 14: 3}


def test_a_bye_on_either_side_advances_the_team_that_is_there():
    bracket = [Match(1, 0, None, 12), Match(1, 1, 13, None), Match(2, 0, None, None)]
    assert advance_knockout(bracket) == [
        Match(1, 0, None, 12, winner=12),
        Match(1, 1, 13, None, winner=13),
        Match(2, 0, 12, 13),
    ]


def test_a_winner_who_did_not_reach_the_match_is_not_kept():
    # 14 lost its semifinal; a final stored with 14 as its winner is still to be played.
    stored = [
        Match(1, 0, 11, 14, 11),
        Match(1, 1, 12, 13, 13),
        Match(2, 0, None, None, 14),
        Match(2, 1, None, None),
    ]
    assert match_at(advance_knockout(stored), 2, 0) == Match(2, 0, 11, 13)
    assert knockout_placings(stored) == {11: None, 12: None, 13: None, 14: None}


def test_advance_is_pure_and_ignores_input_order():
    bracket = knockout_bracket([11, 12, 13, 14, 15])
    decided = [
        Match(m.round, m.slot, m.home, m.away, 15 if (m.round, m.slot) == (1, 1) else m.winner)
        for m in bracket
    ]
    shuffled = list(reversed(decided))
    frozen = list(shuffled)
    advanced = advance_knockout(shuffled)
    assert shuffled == frozen
    assert advanced == advance_knockout(decided)
    assert match_at(advanced, 2, 0) == Match(2, 0, 11, 15)


def test_knockout_without_a_third_place_match_semifinal_losers_share_third():
    bracket = knockout_bracket([11, 12, 13, 14], third_place=False)
    assert len(bracket) == 3
    bracket = decide(bracket, (1, 0, 11), (1, 1, 13), (2, 0, 13))
    assert knockout_placings(bracket) == {11: 2, 12: 3, 13: 1, 14: 3}


def test_knockout_refuses_bad_input():
    with pytest.raises(ValueError):
        knockout_bracket([11])
    with pytest.raises(ValueError):
        knockout_bracket([11, 12, 11])
    with pytest.raises(ValueError):
        knockout_bracket([11, 0])
    with pytest.raises(ValueError, match="drawn"):
        decide(knockout_bracket([11, 12]), (1, 0, DRAW))
    with pytest.raises(ValueError, match="did not play"):
        decide(knockout_bracket([11, 12]), (1, 0, 13))
    with pytest.raises(ValueError, match="bracket"):
        advance_knockout(knockout_bracket([11, 12, 13, 14])[:-1] + [Match(2, 5, None, None)])
    with pytest.raises(ValueError, match="bracket"):
        advance_knockout([Match(1, 0, 11, 12), Match(2, 0, None, None)])
    with pytest.raises(ValueError):
        advance_knockout([])
    semifinals = [Match(2, 0, None, None), Match(2, 1, None, None)]
    with pytest.raises(ValueError, match="more than once"):
        advance_knockout([Match(1, 0, 11, 12), Match(1, 1, 13, 11), *semifinals])
    with pytest.raises(ValueError, match="no team"):
        advance_knockout([Match(1, 0, 11, 12), Match(1, 1, None, None), *semifinals])


# --- round robin -------------------------------------------------------------------------------


def pairs(matches: list[Match]) -> list[frozenset[int]]:
    return [frozenset((m.home, m.away)) for m in matches]


def test_round_robin_of_four():
    matches = round_robin_schedule(TEAMS)
    assert len(matches) == 6
    assert sorted(map(sorted, pairs(matches))) == sorted(
        sorted(pair) for pair in itertools.combinations(TEAMS, 2)
    )
    assert {m.round for m in matches} == {1, 2, 3}
    for round_ in (1, 2, 3):
        in_round = [m for m in matches if m.round == round_]
        assert [m.slot for m in in_round] == [0, 1]
        assert sorted(team for m in in_round for team in (m.home, m.away)) == list(TEAMS)
    assert all(m.winner is None for m in matches)


def test_round_robin_of_five_rests_one_team_a_round():
    teams = [11, 12, 13, 14, 15]
    matches = round_robin_schedule(teams)
    assert len(matches) == 10
    assert all(None not in (m.home, m.away) for m in matches)
    assert set(pairs(matches)) == {frozenset(p) for p in itertools.combinations(teams, 2)}
    resting = []
    for round_ in range(1, 6):
        in_round = [m for m in matches if m.round == round_]
        assert [m.slot for m in in_round] == [0, 1]
        playing = {team for m in in_round for team in (m.home, m.away)}
        assert len(playing) == 4
        resting.extend(set(teams) - playing)
    assert sorted(resting) == teams


def test_round_robin_of_two_and_bad_input():
    assert round_robin_schedule([12, 11]) == [Match(1, 0, 12, 11)]
    with pytest.raises(ValueError):
        round_robin_schedule([11])
    with pytest.raises(ValueError):
        round_robin_schedule([11, 11, 12])
    for not_whole in (12.5, "12", True):
        with pytest.raises(ValueError, match="whole numbers"):
            round_robin_schedule([11, not_whole])


def played(schedule: list[Match], results: dict[frozenset[int], int | None]) -> list[Match]:
    return [
        Match(m.round, m.slot, m.home, m.away, results.get(frozenset((m.home, m.away))))
        for m in schedule
    ]


def test_round_robin_table_counts_wins_draws_and_losses():
    schedule = round_robin_schedule(TEAMS)
    results = {
        frozenset((11, 12)): 11,
        frozenset((11, 13)): 11,
        frozenset((11, 14)): DRAW,
        frozenset((12, 13)): 13,
        frozenset((12, 14)): 14,
        frozenset((13, 14)): None,  # not played yet
    }
    table = round_robin_table(TEAMS, played(schedule, results))
    assert table == [
        RoundRobinRow(team=11, played=3, won=2, drawn=1, lost=0, points=5, place=1),
        RoundRobinRow(team=14, played=2, won=1, drawn=1, lost=0, points=3, place=2),
        RoundRobinRow(team=13, played=2, won=1, drawn=0, lost=1, points=2, place=3),
        RoundRobinRow(team=12, played=3, won=0, drawn=0, lost=3, points=0, place=4),
    ]


def test_round_robin_table_counts_results_after_an_unplayed_match():
    # The first match listed is not played yet; every later result still counts (stopping at
    # the first open match would leave the table empty).
    matches = [
        Match(1, 0, 11, 12, None),
        Match(1, 1, 13, 14, 13),
        Match(2, 0, 11, 13, DRAW),
        Match(2, 1, 12, 14, None),
        Match(3, 0, 11, 14, 11),
    ]
    assert round_robin_table(TEAMS, matches) == [
        RoundRobinRow(team=11, played=2, won=1, drawn=1, lost=0, points=3, place=1),
        RoundRobinRow(team=13, played=2, won=1, drawn=1, lost=0, points=3, place=1),
        RoundRobinRow(team=12, played=0, won=0, drawn=0, lost=0, points=0, place=3),
        RoundRobinRow(team=14, played=2, won=0, drawn=0, lost=2, points=0, place=3),
    ]


def test_round_robin_two_team_tie_broken_head_to_head():
    schedule = round_robin_schedule(TEAMS)
    results = {
        frozenset((11, 12)): 12,  # 12 beat 11 ...
        frozenset((11, 13)): 11,
        frozenset((11, 14)): 11,
        frozenset((12, 13)): 13,
        frozenset((12, 14)): 12,
        frozenset((13, 14)): 14,
    }
    table = round_robin_table(TEAMS, played(schedule, results))
    # 11, 12: 4 points each; 13, 14: 2 each; 14 beat 13, 12 beat 11.
    assert [(row.team, row.points, row.place) for row in table] == [
        (12, 4, 1),
        (11, 4, 2),
        (14, 2, 3),
        (13, 2, 4),
    ]


def test_round_robin_two_team_tie_won_head_to_head_by_the_lower_id():
    schedule = round_robin_schedule(TEAMS)
    results = {
        frozenset((11, 12)): 11,  # 11 beat 12 ...
        frozenset((11, 13)): 13,
        frozenset((11, 14)): 11,
        frozenset((12, 13)): 12,
        frozenset((12, 14)): 12,
        frozenset((13, 14)): 14,  # ... and 14 beat 13
    }
    table = round_robin_table(TEAMS, played(schedule, results))
    assert [(row.team, row.points, row.place) for row in table] == [
        (11, 4, 1),
        (12, 4, 2),
        (14, 2, 3),
        (13, 2, 4),
    ]


def test_round_robin_home_and_away_sums_the_points_two_teams_took_off_each_other():
    # Each pair meets twice. 11 and 12 end level on 3; 11 took 2 + 1 off 12 and 12 only the
    # draw's 1 (the last match between them alone would make them equal).
    matches = [
        Match(1, 0, 11, 12, 11),
        Match(2, 0, 11, 13, 13),
        Match(3, 0, 12, 13, 12),
        Match(4, 0, 12, 11, DRAW),
        Match(5, 0, 13, 11, 13),
        Match(6, 0, 13, 12, 13),
    ]
    table = round_robin_table([11, 12, 13], matches)
    assert [(row.team, row.played, row.points, row.place) for row in table] == [
        (13, 4, 6, 1),
        (11, 4, 3, 2),
        (12, 4, 3, 3),
    ]


def test_round_robin_table_skips_a_match_whose_side_is_not_known_yet():
    matches = [Match(1, 0, 11, None), Match(1, 1, 12, 13, 12), Match(2, 0, None, 13)]
    assert round_robin_table([11, 12, 13], matches) == [
        RoundRobinRow(team=12, played=1, won=1, drawn=0, lost=0, points=2, place=1),
        RoundRobinRow(team=11, played=0, won=0, drawn=0, lost=0, points=0, place=2),
        RoundRobinRow(team=13, played=1, won=0, drawn=0, lost=1, points=0, place=2),
    ]


def test_round_robin_two_team_tie_drawn_head_to_head_is_shared():
    matches = [Match(1, 0, 11, 12, DRAW), Match(2, 0, 11, 13, 11), Match(3, 0, 12, 13, 12)]
    table = round_robin_table([11, 12, 13], matches)
    assert [(row.team, row.points, row.place) for row in table] == [
        (11, 3, 1),
        (12, 3, 1),
        (13, 0, 3),
    ]


def test_round_robin_three_team_tie_is_shared():
    teams = [11, 12, 13, 14]
    results = {
        frozenset((11, 12)): 11,
        frozenset((12, 13)): 12,
        frozenset((13, 11)): 13,  # a circle: nobody is ahead
        frozenset((11, 14)): 11,
        frozenset((12, 14)): 12,
        frozenset((13, 14)): 13,
    }
    table = round_robin_table(teams, played(round_robin_schedule(teams), results))
    assert [(row.team, row.points, row.place) for row in table] == [
        (11, 4, 1),
        (12, 4, 1),
        (13, 4, 1),
        (14, 0, 4),
    ]
    places = {row.team: row.place for row in table}
    assert points_for_places(places, FOUR) == {11: F(10, 3), 12: F(10, 3), 13: F(10, 3), 14: 1}


def test_round_robin_table_with_other_points():
    matches = [Match(1, 0, 11, 12, 11), Match(2, 0, 11, 13, DRAW), Match(3, 0, 12, 13, 13)]
    table = round_robin_table([11, 12, 13], matches, win=3, draw=1, loss=0)
    assert [(row.team, row.points, row.place) for row in table] == [
        (11, 4, 1),
        (13, 4, 1),  # drew with each other: still level
        (12, 0, 3),
    ]


def test_round_robin_table_before_any_match():
    table = round_robin_table([12, 11], round_robin_schedule([12, 11]))
    assert table == [RoundRobinRow(11, 0, 0, 0, 0, 0, 1), RoundRobinRow(12, 0, 0, 0, 0, 0, 1)]
    assert round_robin_table([12], []) == [RoundRobinRow(12, 0, 0, 0, 0, 0, 1)]


def test_round_robin_table_refuses_strangers():
    with pytest.raises(ValueError, match="not between"):
        round_robin_table([11, 12], [Match(1, 0, 11, 99, 11)])
    with pytest.raises(ValueError, match="did not play"):
        round_robin_table([11, 12, 13], [Match(1, 0, 11, 12, 13)])


# --- the seed's meet: 4 teams, 8 items, a full day -----------------------------------------


def seed_day(*, team_ball_dribble_dq: bool = True) -> dict[int, tuple[ResultType, Decimal, dict]]:
    """The Qiqihar meet's day: item id → (result type, multiplier, places per team)."""
    dribble = [
        time(11, "1:30.00"),
        Performance(12, D("87.00"), Outcome.DQ if team_ball_dribble_dq else Outcome.OK),
        time(13, "1:25.50"),
        time(14, "1:28.00"),
    ]
    tug_of_war = decide(
        knockout_bracket([11, 12, 13, 14]), (1, 0, 11), (1, 1, 13), (2, 1, 12), (2, 0, 13)
    )
    return {
        # caterpillar race
        1: (
            T.TIME,
            D(1),
            placings(
                T.TIME,
                [time(11, "1:05.20"), time(12, "58.90"), time(13, "1:10"), time(14, "1:02.35")],
            ),
        ),
        # back-to-back ball carry: 11 and 13 tie for first
        2: (
            T.TIME,
            D(1),
            placings(
                T.TIME, [time(11, "45.10"), time(12, "47.80"), time(13, "45.10"), time(14, "50")]
            ),
        ),
        # team ball dribble: 12 disqualified
        3: (T.TIME, D(1), placings(T.TIME, dribble)),
        # tug-of-war: knockout with a third-place match
        4: (T.HEAD_TO_HEAD, D(1), knockout_placings(tug_of_war)),
        # wheels rolling: 13 does not finish
        5: (
            T.TIME,
            D(1),
            placings(
                T.TIME,
                [
                    time(11, "2:01.00"),
                    time(12, "1:55.40"),
                    time(13, None, Outcome.DNF),
                    time(14, "1:59.99"),
                ],
            ),
        ),
        # long-rope jumping: the better of two attempts; 11 and 14 tie for third
        6: (
            T.COUNT,
            D(1),
            placings(
                T.COUNT,
                [count(11, 120, 131), count(12, 140), count(13, 128, 135), count(14, 131, 129)],
            ),
        ),
        # chopstick ball relay, double points: 11 and 14 tie for second
        7: (
            T.TIME,
            D(2),
            placings(
                T.TIME,
                [time(11, "3:10.5"), time(12, "3:12"), time(13, "3:08.25"), time(14, "3:10.50")],
            ),
        ),
        # opening parade, judged: 13 and 14 share third
        8: (
            T.PLACING,
            D(1),
            placings(T.PLACING, [place(11, 1), place(12, 2), place(13, 3), place(14, 3)]),
        ),
    }


def item_scores(day) -> list[ItemScore]:
    table = default_points_table(len(TEAMS))
    return [
        ItemScore(team=team, item=item, place=places[team], points=points)
        for item, (_, multiplier, places) in day.items()
        for team, points in points_for_places(places, table, multiplier).items()
    ]


def test_seed_day_places_per_item():
    day = seed_day()
    assert {item: places for item, (_, _, places) in day.items()} == {
        1: {11: 3, 12: 1, 13: 4, 14: 2},
        2: {11: 1, 12: 3, 13: 1, 14: 4},
        3: {11: 3, 12: None, 13: 1, 14: 2},
        4: {11: 2, 12: 3, 13: 1, 14: 4},
        5: {11: 3, 12: 1, 13: None, 14: 2},
        6: {11: 3, 12: 1, 13: 2, 14: 3},
        7: {11: 2, 12: 4, 13: 1, 14: 2},
        8: {11: 1, 12: 2, 13: 3, 14: 3},
    }


def test_seed_day_points_per_team_by_hand():
    points: dict[int, dict[int, Decimal]] = {}
    for s in item_scores(seed_day()):
        points.setdefault(s.team, {})[s.item] = s.points
    # items:   1    2    3    4    5     6      7     8
    assert points[11] == dict(enumerate(map(D, ["2", "4", "2", "3", "2", "1.5", "5", "5"]), 1))
    assert points[12] == dict(enumerate(map(D, ["5", "2", "0", "2", "5", "5", "2", "3"]), 1))
    assert points[13] == dict(enumerate(map(D, ["1", "4", "5", "5", "0", "3", "10", "1.5"]), 1))
    assert points[14] == dict(enumerate(map(D, ["3", "1", "3", "1", "3", "1.5", "5", "1.5"]), 1))


def test_seed_day_standings_and_medals():
    scores = item_scores(seed_day())
    # 7 items × 11 points + the relay × 2 (22) = 99, less the 1 point a DQ and a DNF each leave.
    assert sum(s.points for s in scores) == D(97)
    assert standings(scores, TEAMS) == [
        Standing(team=13, rank=1, points=D("29.5"), places=(4, 1, 1, 1)),
        Standing(team=11, rank=2, points=D("24.5"), places=(2, 2, 4, 0)),
        Standing(team=12, rank=3, points=D(24), places=(3, 1, 2, 1)),
        Standing(team=14, rank=4, points=D(19), places=(0, 4, 2, 2)),
    ]
    assert medal_table(scores, TEAMS) == [
        Medals(13, 4, 1, 1),
        Medals(12, 3, 1, 2),
        Medals(11, 2, 2, 4),
        Medals(14, 0, 4, 2),
    ]


def test_seed_day_dq_undone_recomputes_standings():
    day = seed_day(team_ball_dribble_dq=False)
    assert day[3][2] == {11: 4, 12: 2, 13: 1, 14: 3}  # 12's 1:27.00 counts again
    scores = item_scores(day)
    assert sum(s.points for s in scores) == D(98)
    assert [(row.team, row.rank, row.points) for row in standings(scores, TEAMS)] == [
        (13, 1, D("29.5")),
        (12, 2, D(27)),  # 24 + 3
        (11, 3, D("23.5")),  # 24.5 - 2 + 1
        (14, 4, D(18)),  # 19 - 3 + 2
    ]


# --- properties --------------------------------------------------------------------------------

tables = st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=10)
multipliers = st.decimals(min_value=0, max_value=5, places=2)


@given(st.integers(min_value=1, max_value=12), tables, multipliers, st.randoms())
def test_without_ties_the_points_awarded_are_the_tables_sum(n, table, multiplier, rnd):
    order = list(range(1, n + 1))
    rnd.shuffle(order)
    places = {100 + i: p for i, p in enumerate(order)}
    awarded = sum(points_for_places(places, table, multiplier).values())
    assert awarded == sum(table[:n]) * multiplier


@st.composite
def item_results(draw):
    """Performances with few distinct values, so ties of two, three and more are common."""
    n = draw(st.integers(min_value=1, max_value=12))
    kind = draw(st.sampled_from([T.TIME, T.COUNT, T.PLACING]))
    perfs = []
    for entrant in range(100, 100 + n):
        outcome = draw(st.sampled_from([Outcome.OK] * 4 + [Outcome.DNF, Outcome.DQ]))
        value = draw(st.integers(min_value=1, max_value=4))
        perfs.append(Performance(entrant, D(value), outcome))
    return kind, perfs


@given(item_results(), tables, multipliers)
def test_ties_never_change_the_points_awarded_over_the_occupied_places(result, table, multiplier):
    kind, perfs = result
    places = placings(kind, perfs)
    placed = sorted(p for p in places.values() if p is not None)
    awarded = points_for_places(places, table, multiplier)
    expected_total = sum(table[: len(placed)]) * multiplier
    # Each tie group gets exactly what its occupied places are worth, shares nothing rounded.
    total = D(0)
    for shared_place in set(placed):
        group = [e for e, p in places.items() if p == shared_place]
        worth = sum(table[shared_place - 1 : shared_place - 1 + len(group)]) * multiplier
        got = sum(awarded[e] for e in group)
        assert len({awarded[e] for e in group}) == 1  # tied entrants get the same
        assert got == worth
        total += worth
    assert total == expected_total
    assert all(awarded[e] == 0 for e, p in places.items() if p is None)


@given(item_results(), tables)
def test_ties_that_divide_evenly_keep_the_sum_exactly(result, table):
    kind, perfs = result
    table = [points * 60 for points in table]  # every share of 2, 3, 4, 5 or 6 comes out even
    places = placings(kind, perfs)
    if any(list(places.values()).count(p) > 6 for p in set(places.values()) - {None}):
        return
    placed = sum(1 for p in places.values() if p is not None)
    assert sum(points_for_places(places, table).values()) == sum(table[:placed])


score_lists = st.lists(
    st.builds(
        ItemScore,
        team=st.sampled_from(TEAMS),
        item=st.integers(min_value=1, max_value=8),
        place=st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
        points=st.decimals(min_value=0, max_value=20, places=2),
    ),
    max_size=40,
)


@given(score_lists, st.randoms())
def test_standings_do_not_depend_on_the_order_results_were_entered(scores, rnd):
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    teams = list(TEAMS)
    rnd.shuffle(teams)
    assert standings(shuffled, teams) == standings(scores, TEAMS)
    assert medal_table(shuffled, teams) == medal_table(scores, TEAMS)


@given(score_lists)
def test_standings_agree_with_a_plain_recount(scores):
    table = standings(scores, TEAMS)
    assert sorted(row.team for row in table) == sorted(TEAMS)
    for row in table:
        mine = [s for s in scores if s.team == row.team]
        assert row.points == sum(F(s.points) for s in mine)
        assert sum(row.places) == sum(1 for s in mine if s.place is not None)
    for above, below in itertools.pairwise(table):
        assert (above.points, above.places) >= (below.points, below.places)
        if (above.points, above.places) == (below.points, below.places):
            assert above.rank == below.rank and above.team < below.team
        else:
            assert below.rank == table.index(below) + 1


@given(item_results(), st.randoms())
def test_placings_do_not_depend_on_the_order_of_performances(result, rnd):
    kind, perfs = result
    shuffled = list(perfs)
    rnd.shuffle(shuffled)
    assert placings(kind, shuffled) == placings(kind, perfs)


@given(item_results())
def test_placings_are_competition_ranking(result):
    kind, perfs = result
    places = placings(kind, perfs)
    values = {p.entrant: best_value(kind, p) for p in perfs}
    for entrant, p in places.items():
        if values[entrant] is None:
            assert p is None
            continue
        better = [
            v
            for v in values.values()
            if v is not None and (v < values[entrant] if kind.lower_wins else v > values[entrant])
        ]
        assert p == 1 + len(better)


@settings(max_examples=150)
@given(st.integers(min_value=2, max_value=32), st.randoms())
def test_every_knockout_is_complete_and_played_out_gives_everyone_a_place(n, rnd):
    seeds = list(range(201, 201 + n))
    rnd.shuffle(seeds)
    bracket = knockout_bracket(seeds)
    first_round = [m for m in bracket if m.round == 1]
    sides = [team for m in first_round for team in (m.home, m.away) if team is not None]
    assert sorted(sides) == sorted(seeds)
    assert sum(1 for m in first_round if None in (m.home, m.away)) == len(first_round) * 2 - n
    # Play it out: a random side wins each match as soon as both sides are known.
    while True:
        open_matches = [m for m in bracket if m.winner is None and None not in (m.home, m.away)]
        if not open_matches:
            break
        m = open_matches[0]
        bracket = decide(bracket, (m.round, m.slot, rnd.choice([m.home, m.away])))
    contested = [m for m in bracket if None not in (m.home, m.away)]
    assert len(contested) == n - 1 + (1 if n >= 4 else 0)
    assert all(m.winner is not None for m in bracket)
    places = knockout_placings(bracket)
    assert set(places) == set(seeds)
    assert all(p is not None for p in places.values())
    assert sorted(places.values())[:2] == [1, 2]
    assert sorted(places.values()).count(3) == (1 if n >= 3 else 0)
    # Places are a valid ranking: points can be given for them without overlap.
    points = points_for_places(places, default_points_table(n))
    assert sum(points.values()) == sum(default_points_table(n))


@given(st.integers(min_value=2, max_value=14))
def test_every_round_robin_meets_each_pair_once(n):
    teams = list(range(301, 301 + n))
    random.Random(n).shuffle(teams)
    matches = round_robin_schedule(teams)
    assert sorted(map(sorted, pairs(matches))) == sorted(
        sorted(p) for p in itertools.combinations(teams, 2)
    )
    rounds = n - 1 if n % 2 == 0 else n
    assert {m.round for m in matches} == set(range(1, rounds + 1))
    for round_ in range(1, rounds + 1):
        playing = [team for m in matches if m.round == round_ for team in (m.home, m.away)]
        assert len(playing) == len(set(playing)) == n - n % 2
        # A match is found by its round and slot: each round's slots run 0, 1, 2, …
        slots = [m.slot for m in matches if m.round == round_]
        assert slots == list(range(len(slots)))
    home_games = Counter(m.home for m in matches)
    assert max(home_games[t] for t in teams) - min(home_games[t] for t in teams) <= 1


# --- Worked examples with the 6- and 8-team tables, and the length of the tie-break chain --------


def test_six_team_table_with_a_tie_for_third():
    # 7-5-4-3-2-1: the two sharing 3rd take (4 + 3) / 2 = 3.5 each; 5th gets 5th's 2 points.
    places = {101: 1, 102: 2, 103: 3, 104: 3, 105: 5, 106: 6}
    points = points_for_places(places, default_points_table(6))
    assert points == {101: D(7), 102: D(5), 103: D("3.5"), 104: D("3.5"), 105: D(2), 106: D(1)}
    assert sum(points.values()) == sum(default_points_table(6))


def test_eight_team_relay_with_a_dnf_and_three_tied_for_sixth():
    # 9-7-6-5-4-3-2-1 ×2; the DNF scores nothing; 6th-8th share (3 + 2 + 1) / 3 = 2, ×2 = 4.
    places = {101: 1, 102: 2, 103: 3, 104: 4, 105: 5, 106: 6, 107: 6, 108: 6, 109: None}
    points = points_for_places(places, default_points_table(8), D(2))
    assert [points[e] for e in range(101, 110)] == [D(n) for n in (18, 14, 12, 10, 8, 4, 4, 4, 0)]


def test_the_chain_stops_at_the_given_depth_and_ties_below_it_are_shared():
    # Equal points and equal 1st-2nd counts; 13 has a 3rd place, 14 a 4th. With the chain down to
    # 4th place 13 is ahead; down to 2nd place they share the rank.
    scores = [
        score(13, 1, 1, 5),
        score(13, 2, 3, 2),
        score(14, 1, 1, 5),
        score(14, 2, 4, 2),
    ]
    assert [(s.team, s.rank) for s in standings(scores, [13, 14], depth=4)] == [(13, 1), (14, 2)]
    assert standings(scores, [13, 14], depth=2) == [
        Standing(team=13, rank=1, points=D(7), places=(1, 0)),
        Standing(team=14, rank=1, points=D(7), places=(1, 0)),
    ]
    # A chain of no places: equal points share the rank.
    assert [(s.team, s.rank, s.places) for s in standings(scores, [13, 14], depth=0)] == [
        (13, 1, ()),
        (14, 1, ()),
    ]
    # Before any result every team still shows a count for each place of the chain.
    assert standings([], [13, 14], depth=3)[0].places == (0, 0, 0)
    with pytest.raises(ValueError):
        standings(scores, [13, 14], depth=-1)


# --- exact points: a share is a fraction, rounded only where a person reads it -----------------


def test_a_three_way_share_is_exactly_a_third():
    points = points_for_places({101: 1, 102: 1, 103: 1, 104: 4}, (5, 3, 2, 1))
    assert points == {101: F(10, 3), 102: F(10, 3), 103: F(10, 3), 104: F(1)}
    assert all(isinstance(value, Fraction) for value in points.values())
    assert sum(points.values()) == 11


def test_shares_are_multiplied_exactly():
    # 9 + 7 + 6 among three, × 1.5 (a multiplier with decimals): 22/3 × 3/2 = 11 exactly.
    points = points_for_places({101: 1, 102: 1, 103: 1}, (9, 7, 6, 5), D("1.5"))
    assert points == {101: F(11), 102: F(11), 103: F(11)}
    # 1 point among 8 at the end of a 7-place table is 1/8, not 0.13.
    tied_last = {100 + i: 7 for i in range(8)}
    assert points_for_places(tied_last, (7, 6, 5, 4, 3, 2, 1))[100] == F(1, 8)


def test_three_shared_firsts_beat_one_first_worth_the_same():
    table = (10, 0, 0, 0)
    scores = []
    for item in (1, 2, 3):  # teams 11, 13 and 14 share first three times
        shares = points_for_places({11: 1, 13: 1, 14: 1, 12: 4}, table)
        scores += [ItemScore(team, item, 4 if team == 12 else 1, p) for team, p in shares.items()]
    # 12 wins item 4 alone for 10 points; the others share second (0 each).
    shares = points_for_places({12: 1, 11: 2, 13: 2, 14: 2}, table)
    scores += [ItemScore(team, 4, 1 if team == 12 else 2, p) for team, p in shares.items()]
    assert standings(scores, [11, 12, 13, 14], depth=4) == [
        Standing(team=11, rank=1, points=F(10), places=(3, 1, 0, 0)),
        Standing(team=13, rank=1, points=F(10), places=(3, 1, 0, 0)),
        Standing(team=14, rank=1, points=F(10), places=(3, 1, 0, 0)),
        Standing(team=12, rank=4, points=F(10), places=(1, 0, 0, 3)),
    ]


def test_a_sum_of_thirds_decides_against_a_rounded_neighbour():
    # 2/3 + 2/3 + 2/3 = 2 exactly; rounded first it was 0.67 × 3 = 2.01 and beat a plain 2
    # that has more first places.
    scores = [ItemScore(11, item, 2, F(2, 3)) for item in (1, 2, 3)]
    scores += [ItemScore(12, 1, 1, F(2))]
    result = standings(scores, [11, 12])
    assert [(row.team, row.rank, row.points) for row in result] == [(12, 1, 2), (11, 2, 2)]


def test_standings_take_decimals_and_whole_numbers_exactly_and_refuse_floats():
    result = standings([ItemScore(11, 1, 1, D("2.5")), ItemScore(11, 2, 2, 1)], [11])
    assert result[0].points == F(7, 2) and isinstance(result[0].points, Fraction)
    with pytest.raises(TypeError):
        standings([ItemScore(11, 1, 1, 2.5)], [11])


@pytest.mark.parametrize(
    "exact, shown",
    [
        (F(10, 3), D("3.33")),
        (F(20, 3), D("6.67")),
        (F(1, 8), D("0.13")),  # exactly half a hundredth: half up
        (F(1, 200), D("0.01")),
        (F(1, 201), D("0.00")),
        (F(10), D("10.00")),
        (F(0), D("0.00")),
        (D("2.5"), D("2.50")),
        (7, D("7.00")),
        (F(-10, 3), D("-3.33")),  # points below zero keep their sign,
        (F(-1, 8), D("-0.13")),  # and a half is rounded away from zero
    ],
)
def test_display_rounds_half_up_to_hundredths(exact, shown):
    assert display_points(exact) == shown
    assert display_points(exact).as_tuple().exponent == POINTS_QUANTUM.as_tuple().exponent


def test_display_refuses_a_float():
    with pytest.raises(TypeError):
        display_points(3.33)


# --- exact points: properties ------------------------------------------------------------------

ordered_tables = st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=9).map(
    lambda points: tuple(sorted(points, reverse=True))
)
positive_multipliers = st.decimals(min_value=D("0.5"), max_value=5, places=2)


@st.composite
def meets(draw):
    """Items of a 4-team meet with many ties (places drawn from few values), each with its
    table multiplier."""
    items = []
    for item in range(1, draw(st.integers(min_value=1, max_value=8)) + 1):
        values = {team: draw(st.integers(min_value=1, max_value=3)) for team in (11, 12, 13, 14)}
        dropped = draw(st.sets(st.sampled_from((11, 12, 13, 14)), max_size=2))  # DNF, DQ
        placed = [value for team, value in values.items() if team not in dropped]
        places = {
            team: None if team in dropped else 1 + sum(v < value for v in placed)
            for team, value in values.items()
        }
        items.append((item, places, draw(positive_multipliers)))
    return items


def exact_share(table, places, team, multiplier) -> Fraction:
    """The independent model: the table's points over the places the tie occupies, shared."""
    place = places[team]
    if place is None:
        return F(0)
    tied = sum(1 for p in places.values() if p == place)
    worth = sum(table[place - 1 : place - 1 + tied])
    return F(worth) * F(multiplier) / tied


@given(meets(), ordered_tables)
def test_points_and_totals_equal_the_exact_shares(items, table):
    scores = []
    for item, places, multiplier in items:
        awarded = points_for_places(places, table, multiplier)
        for team, place in places.items():
            assert awarded[team] == exact_share(table, places, team, multiplier)
            scores.append(ItemScore(team, item, place, awarded[team]))
    for row in standings(scores, [11, 12, 13, 14]):
        exact = sum((exact_share(table, places, row.team, m) for _i, places, m in items), F(0))
        assert row.points == exact


fractions = st.fractions(min_value=0, max_value=1000, max_denominator=60)


@given(fractions, fractions)
def test_display_rounding_never_reverses_two_values(a, b):
    low, high = sorted((a, b))
    assert display_points(low) <= display_points(high)
    assert abs(F(display_points(a)) - a) <= F(1, 200)


@given(meets(), ordered_tables)
def test_display_rounding_never_changes_the_order_of_the_standings(items, table):
    scores = []
    for item, places, multiplier in items:
        awarded = points_for_places(places, table, multiplier)
        scores += [ItemScore(team, item, places[team], awarded[team]) for team in places]
    table_rows = standings(scores, [11, 12, 13, 14])
    # The order is decided on exact totals; what the page shows never runs against it.
    for above, below in itertools.pairwise(table_rows):
        assert above.points >= below.points
        assert display_points(above.points) >= display_points(below.points)
        if above.rank == below.rank:
            assert above.points == below.points
    # Ordering by the shown points (stable, from the exact order) gives the same table.
    reordered = sorted(table_rows, key=lambda row: -display_points(row.points))
    assert reordered == table_rows


# --- draws: a drawing of lots (抽签) and the organizer's seeding ---------------------------------


def test_a_drawing_of_lots_is_pinned_to_its_seed():
    # Recorded seeds must give the same order for ever: a change of the algorithm fails here.
    assert draw_lots(list(range(11, 19)), 1) == [17, 15, 14, 18, 16, 12, 13, 11]
    assert draw_lots(list(range(11, 19)), 42) == [18, 15, 13, 12, 16, 11, 17, 14]
    assert draw_lots([11, 12, 13, 14], 123456) == [12, 14, 11, 13]
    assert draw_lots([21, 22, 23], 0) == [22, 21, 23]


@given(
    st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=40),
    st.integers(min_value=0, max_value=MAX_DRAW_SEED),
    st.randoms(),
)
def test_a_drawing_of_lots_is_a_reordering_that_only_the_seed_decides(entrants, seed, rnd):
    drawn = draw_lots(entrants, seed)
    assert sorted(drawn) == sorted(entrants)
    shuffled = list(entrants)
    rnd.shuffle(shuffled)
    assert draw_lots(shuffled, seed) == drawn  # the order they were listed in plays no part


def test_every_order_is_about_equally_likely():
    counts = Counter(tuple(draw_lots([1, 2, 3], seed)) for seed in range(6000))
    assert set(counts) == set(itertools.permutations([1, 2, 3]))
    assert all(900 <= n <= 1100 for n in counts.values())
    firsts = Counter(draw_lots(list(range(8)), seed)[0] for seed in range(8000))
    assert all(900 <= n <= 1100 for n in firsts.values())


def test_different_seeds_give_different_draws():
    assert len({tuple(draw_lots(list(range(8)), seed)) for seed in range(100)}) >= 95


@pytest.mark.parametrize("seed", [-1, MAX_DRAW_SEED + 1, True, 1.0, "7"])
def test_a_drawing_of_lots_refuses_a_seed_out_of_range_or_not_whole(seed):
    with pytest.raises(ValueError, match="seed"):
        draw_lots([11, 12], seed)


def test_a_drawing_of_lots_takes_every_seed_of_the_range():
    for seed in (0, MAX_DRAW_SEED):
        assert sorted(draw_lots([11, 12, 13], seed)) == [11, 12, 13]


def test_a_drawing_of_lots_refuses_an_entrant_twice():
    with pytest.raises(ValueError, match="more than once"):
        draw_lots([11, 12, 11], 5)
    assert draw_lots([], 5) == [] and draw_lots([11], 5) == [11]


@pytest.mark.parametrize("entrant", [12.5, "12", True, None])
def test_draws_and_seedings_refuse_entrants_that_are_not_whole_numbers(entrant):
    with pytest.raises(ValueError, match="whole numbers"):
        draw_lots([11, entrant], 5)
    with pytest.raises(ValueError, match="whole numbers"):
        seeding_problems([11, entrant], {11: 1, entrant: 2})


@pytest.mark.parametrize("seed", [1.5, "2", True])
def test_a_seeding_refuses_a_seed_that_is_not_a_whole_number(seed):
    with pytest.raises(ValueError, match="whole number"):
        seeding_problems([21, 22], {21: 1, 22: seed})


def test_seeding_orders_from_the_top_seed():
    assert seeded_order([21, 22, 23, 24], {21: 3, 22: 1, 23: 4, 24: 2}) == [22, 24, 21, 23]
    # The top seed of three gets the bye and meets the winner of 2 v 3.
    bracket = knockout_bracket(seeded_order([21, 22, 23], {21: 2, 22: 3, 23: 1}))
    assert (bracket[0].home, bracket[0].away, bracket[0].winner) == (23, None, 23)


@pytest.mark.parametrize(
    "seeds, problems",
    [
        ({21: 1, 22: 2, 23: 3}, {}),
        ({21: 1, 22: 2}, {23: SeedingProblem.MISSING}),
        ({21: 1, 22: 2, 23: None}, {23: SeedingProblem.MISSING}),
        ({21: 1, 22: 2, 23: 4}, {23: SeedingProblem.RANGE}),
        ({21: 0, 22: 2, 23: 3}, {21: SeedingProblem.RANGE}),
        ({21: 1, 22: 1, 23: 3}, {21: SeedingProblem.TAKEN, 22: SeedingProblem.TAKEN}),
        (
            {21: 2, 22: 2, 23: 2},
            {21: SeedingProblem.TAKEN, 22: SeedingProblem.TAKEN, 23: SeedingProblem.TAKEN},
        ),
    ],
)
def test_seeding_problems_name_each_entrant(seeds, problems):
    assert seeding_problems([21, 22, 23], seeds) == problems
    if problems:
        with pytest.raises(ValueError):
            seeded_order([21, 22, 23], seeds)
