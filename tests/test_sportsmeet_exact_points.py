"""Points stay exact (fractions) through every share, sum and tie-break; they are rounded only
where a person reads them (pages, the JSON's display values, the spreadsheets).

The issue's case: a team with three shared firsts (3 × 10/3) totals exactly 10 and, with more
first places, ranks above a team with one first worth 10; rounding each share to 3.33 first made
it 9.99 and put it below.

The rule on its own (shares, sums, display rounding, and the properties) is tested in
tests/test_sportsmeet_rules.py, with the rules' other fast tests that `make mutation` runs; this
file takes it through the database, the pages, the JSON and the spreadsheets.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from openpyxl import load_workbook

from eventsite.extensions import db
from eventsite.sportsmeet import service
from eventsite.sportsmeet.models import MeetSettings
from tests.sportsmeet_factories import enter_all, make_item, make_meet, one_heat, record

F = Fraction
D = Decimal


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
