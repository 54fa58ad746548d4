"""A union's statistics, the pure rules: rates, the "<5" mask, a year's months, the charts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from eventsite.statistics import charts, rules

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(0, 0, None), (0, 4, 0.0), (1, 4, 0.25), (4, 4, 1.0), (2, 3, 2 / 3)],
)
def test_rate(part, whole, expected):
    assert rules.rate(part, whole) == expected


@pytest.mark.parametrize(("part", "whole"), [(-1, 3), (1, -3), (4, 3)])
def test_a_rate_refuses_impossible_counts(part, whole):
    with pytest.raises(ValueError, match=f"{part}.*{whole}"):
        rules.rate(part, whole)


def test_attendance_and_no_show_add_up_to_one():
    for confirmed in range(0, 12):
        for checked_in in range(0, confirmed + 1):
            attended = rules.attendance_rate(checked_in, confirmed)
            missed = rules.no_show_rate(checked_in, confirmed)
            if confirmed == 0:
                assert attended is None and missed is None
            else:
                assert attended + missed == pytest.approx(1)
                assert missed == (confirmed - checked_in) / confirmed
    with pytest.raises(ValueError, match=r"More checked in \(5\) than confirmed \(4\)"):
        rules.no_show_rate(5, 4)


def test_counts_from_one_to_four_are_masked_and_the_rest_shown():
    assert [rules.masked(n) for n in range(0, 8)] == [0, "<5", "<5", "<5", "<5", 5, 6, 7]
    assert rules.masked(5000) == 5000
    with pytest.raises(ValueError, match="not -1"):
        rules.masked(-1)


def test_a_rate_beside_a_masked_count_is_masked_too():
    assert rules.masked_rate(3, 40) == "<5"  # 3 would be 40 × rate
    assert rules.masked_rate(6, 4) == "<5"
    assert rules.masked_rate(10, 40) == 0.25
    assert rules.masked_rate(0, 40) == 0.0
    assert rules.masked_rate(0, 0) is None
    for part in range(0, 12):
        for whole in range(part, 12):
            shown = rules.masked_rate(part, whole)
            hidden = rules.masked(part) == "<5" or rules.masked(whole) == "<5"
            assert (shown == "<5") == hidden


def test_percent():
    assert rules.percent(None) == "—"
    assert rules.percent("<5") == "<5"
    assert rules.percent(13 / 14) == "92.9%"
    assert rules.percent(0.0) == "0.0%"


def test_month_starts_are_local_midnights():
    starts = rules.month_starts(2026, SHANGHAI)
    assert len(starts) == 13
    assert starts[0] == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert starts[10] == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert starts[12] == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert starts == sorted(starts)


def test_year_choices_and_the_chosen_year():
    assert rules.year_choices(None, 2026) == [2026]
    assert rules.year_choices(2024, 2026) == [2026, 2025, 2024]
    assert rules.year_choices(2027, 2026) == [2026]
    choices = [2026, 2025]
    assert rules.chosen_year("2025", choices, 2026) == 2025
    for asked in (None, "", "2019", "abc", "2025.0", "9" * 40):
        assert rules.chosen_year(asked, choices, 2026) == 2026


def test_nice_ceiling_and_the_chart_carries_its_numbers():
    assert [charts.nice_ceiling(n) for n in (0, 1, 2, 3, 6, 11, 250, 5001)] == [
        1,
        1,
        2,
        5,
        10,
        20,
        500,
        10000,
    ]
    svg = charts.bar_chart("每月<活动>", [charts.Bar("1月", 3), charts.Bar("2月", 0)], chart_id="c")
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="c-title">每月&lt;活动&gt;</title>' in svg
    assert "1月: 3; 2月: 0" in svg
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
