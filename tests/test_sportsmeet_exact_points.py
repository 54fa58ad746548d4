"""Points stay exact (fractions) through every share, sum and tie-break; they are rounded only
where a person reads them (pages, the JSON's display values, the spreadsheets).

The issue's case: a team with three shared firsts (3 × 10/3) totals exactly 10 and, with more
first places, ranks above a team with one first worth 10; rounding each share to 3.33 first made
it 9.99 and put it below.
"""

from __future__ import annotations

import io
import itertools
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from eventsite.extensions import db
from eventsite.sportsmeet import service
from eventsite.sportsmeet.models import MeetSettings
from eventsite.sportsmeet.rules import (
    POINTS_QUANTUM,
    ItemScore,
    Standing,
    display_points,
    points_for_places,
    standings,
)
from tests.sportsmeet_factories import enter_all, make_item, make_meet, one_heat, record

F = Fraction
D = Decimal


# --- the rules -----------------------------------------------------------------------------------


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
    ],
)
def test_display_rounds_half_up_to_hundredths(exact, shown):
    assert display_points(exact) == shown
    assert display_points(exact).as_tuple().exponent == POINTS_QUANTUM.as_tuple().exponent


def test_display_refuses_a_float():
    with pytest.raises(TypeError):
        display_points(3.33)


# --- properties ----------------------------------------------------------------------------------

tables = st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=9).map(
    lambda points: tuple(sorted(points, reverse=True))
)
multipliers = st.decimals(min_value=D("0.5"), max_value=5, places=2)


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
        items.append((item, places, draw(multipliers)))
    return items


def exact_share(table, places, team, multiplier) -> Fraction:
    """The independent model: the table's points over the places the tie occupies, shared."""
    place = places[team]
    if place is None:
        return F(0)
    tied = sum(1 for p in places.values() if p == place)
    worth = sum(table[place - 1 : place - 1 + tied])
    return F(worth) * F(multiplier) / tied


@given(meets(), tables)
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


@given(meets(), tables)
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


# --- the board, the JSON, the live board and the spreadsheets -------------------------------------


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en", "MEET_BOARD_CACHE_SECONDS": 60}


@pytest.fixture
def shared_meet(app):
    """The issue's case through the database: a 10-0-0-0 table; 站前一队, 三队 and 四队 share
    first in three judged items (10/3 each); 站前二队 wins a fourth item alone (10)."""
    meet = make_meet()
    db.session.add(MeetSettings(event_id=meet.event.id, points_table="10,0,0,0"))
    for n in (1, 2, 3):
        item = make_item(meet, name=f"评比{n}", result_type="placing")
        entries = enter_all(meet, item)
        heat = one_heat(item, entries)
        for entry, place in zip(entries, (1, 4, 1, 1), strict=True):
            record(heat, entry, place)
    item = make_item(meet, name="接力", result_type="placing")
    entries = enter_all(meet, item)
    heat = one_heat(item, entries)
    for entry, place in zip(entries, (2, 1, 2, 2), strict=True):
        record(heat, entry, place)
    db.session.commit()
    return meet


def standings_rows(html: str) -> list[tuple[str, str, str]]:
    """(rank, team, points) of each row of the standings fragment."""
    return re.findall(
        r'<td class="rank">([^<]*)</td>\s*<td class="team">([^<]*)</td>\s*'
        r'<td class="num points">([^<]*)</td>',
        html,
    )


def item_id(meet, name) -> int:
    return next(item.id for item in service.items_of(meet.event) if item.name == name)


def test_the_page_ranks_on_exact_totals(client, shared_meet):
    html = client.get(f"/events/{shared_meet.event.id}/meet").get_data(as_text=True)
    assert standings_rows(html) == [
        ("1", "站前一队", "10"),
        ("1", "站前三队", "10"),
        ("1", "站前四队", "10"),
        ("4", "站前二队", "10"),
    ]
    judged = item_id(shared_meet, "评比1")
    item_page = client.get(f"/events/{shared_meet.event.id}/meet/items/{judged}")
    assert item_page.get_data(as_text=True).count('<td class="num">3.33</td>') == 3


def test_the_json_gives_exact_points_beside_the_shown_ones(client, shared_meet):
    url = f"/events/{shared_meet.event.id}/meet/standings.json"
    first = client.get(url).get_json()
    again = client.get(url).get_json()  # served from the kept board
    for data in (first, again):
        assert [
            (row["team"], row["rank"], row["points"], row["points_exact"])
            for row in data["standings"]
        ] == [
            ("站前一队", 1, "10", "10"),
            ("站前三队", 1, "10", "10"),
            ("站前四队", 1, "10", "10"),
            ("站前二队", 4, "10", "10"),
        ]
        (judged,) = [item for item in data["items"] if item["name"] == "评比1"]
        shares = [(line["points"], line["points_exact"]) for line in judged["placings"]]
        assert shares == [("3.33", "10/3")] * 3 + [("0", "0")]
    assert first["standings"] == again["standings"]


def test_the_kept_board_is_built_from_exact_points(app, shared_meet):
    board = service.load_board(shared_meet.event)
    assert [row.points for row in board.standings] == [F(10)] * 4
    assert all(isinstance(row.points, Fraction) for row in board.standings)
    (judged,) = [placed for placed in board.items if placed.item.name == "评比1"]
    assert sorted(judged.points.values()) == [F(0), F(10, 3), F(10, 3), F(10, 3)]


def test_the_spreadsheets_round_for_reading_and_keep_the_exact_order(client, auth, shared_meet):
    auth.become(shared_meet.organizer)
    base = f"/events/{shared_meet.event.id}/meet/export"
    standings_sheet = load_workbook(io.BytesIO(client.get(f"{base}/standings.xlsx").data)).active
    rows = list(standings_sheet.iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (1, "站前一队", 10),
        (1, "站前三队", 10),
        (1, "站前四队", 10),
        (4, "站前二队", 10),
    ]
    results_sheet = load_workbook(io.BytesIO(client.get(f"{base}/results.xlsx").data)).active
    header = [cell.value for cell in results_sheet[1]]
    points = header.index("Points")
    judged = [
        row[points]
        for row in results_sheet.iter_rows(min_row=2, values_only=True)
        if row[0] == "评比1"
    ]
    assert sorted(judged) == [0, 3.33, 3.33, 3.33]
