"""Individual honours on the standings page: the top three people of each individual item."""

from __future__ import annotations

import re

import pytest

from eventsite.extensions import db
from eventsite.sportsmeet.models import Entry, EntryMember
from tests.factories import make_user
from tests.sportsmeet_factories import (
    assign_referee,
    enter_all,
    make_item,
    make_meet,
    one_heat,
    record,
)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def meet(app):
    """Four teams of three (站前一队 … 站前四队; members 站前一队1号 …)."""
    meet = make_meet(per_team=3)
    db.session.commit()
    return meet


def enter_people(meet, item, per_team: int) -> list[Entry]:
    """One entry per person: the first `per_team` members of each team, team by team."""
    entries = []
    for team in meet.teams:
        for registration in meet.members[team.id][:per_team]:
            entry = Entry(
                item_id=item.id,
                team_id=team.id,
                members=[EntryMember(registration_id=registration.id)],
            )
            db.session.add(entry)
            entries.append(entry)
    db.session.flush()
    return entries


@pytest.fixture
def shooting(meet):
    """定点投篮, an individual count item: two people per team, eight in one heat."""
    item = make_item(meet, name="定点投篮", result_type="count", individual=True, max_members=3)
    entries = enter_people(meet, item, per_team=2)
    heat = one_heat(item, entries)
    db.session.commit()
    return item, entries, heat


def honours_rows(html: str) -> list[tuple[str, str, str, str]]:
    """(place, name, team, result) of each honours row, in page order."""
    return re.findall(
        r'<td class="rank">(\d+)</td>\s*<td class="name">([^<]*)</td>\s*'
        r'<td class="team">([^<]*)</td>\s*<td class="num">([^<]*)</td>',
        html,
    )


def standings_page(client, meet) -> str:
    response = client.get(f"/events/{meet.event.id}/meet")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def honours_section(page: str) -> str:
    start = page.index('data-fragment="honours"')
    return page[start : page.index("</section>", start)]


def test_the_top_three_people_are_listed_with_their_team_and_result(client, meet, shooting):
    _item, entries, heat = shooting
    # Entries go team by team, two people each: 站前一队1号, 站前一队2号, 站前二队1号, …
    for entry, count in zip(entries, [7, 3, 9, 5, 8, 2, 4, 6], strict=True):
        record(heat, entry, count)
    db.session.commit()

    section = honours_section(standings_page(client, meet))

    assert "Individual honours" in standings_page(client, meet)
    assert honours_rows(section) == [
        ("1", "站前二队1号", "站前二队", "9"),
        ("2", "站前三队1号", "站前三队", "8"),
        ("3", "站前一队1号", "站前一队", "7"),
    ]
    assert "定点投篮" in section
    assert "item-provisional" in section


def test_a_tie_for_third_lists_everyone_sharing_it(client, meet, shooting):
    _item, entries, heat = shooting
    for entry, count in zip(entries, [7, 3, 9, 5, 8, 7, 4, 6], strict=True):
        record(heat, entry, count)
    db.session.commit()

    rows = honours_rows(honours_section(standings_page(client, meet)))

    assert [(place, name) for place, name, _team, _result in rows] == [
        ("1", "站前二队1号"),
        ("2", "站前三队1号"),
        ("3", "站前一队1号"),
        ("3", "站前三队2号"),
    ]


def test_disqualified_and_unfinished_people_are_never_honoured(client, meet, shooting):
    _item, entries, heat = shooting
    record(heat, entries[0], None, outcome="dq", reason="踩线")
    record(heat, entries[1], None, outcome="dnf")
    record(heat, entries[2], 4)
    db.session.commit()

    rows = honours_rows(honours_section(standings_page(client, meet)))

    assert rows == [("1", "站前二队1号", "站前二队", "4")]


def test_team_items_are_not_individual_honours(client, meet, shooting):
    _item, people, shooting_heat = shooting
    race = make_item(meet, name="毛毛虫竞速", result_type="time")
    teams = enter_all(meet, race)
    race_heat = one_heat(race, teams)
    for entry, time in zip(teams, ["41", "42", "43", "44"], strict=True):
        record(race_heat, entry, time)
    record(shooting_heat, people[0], 5)
    db.session.commit()

    section = honours_section(standings_page(client, meet))

    assert "毛毛虫竞速" not in section
    assert honours_rows(section) == [("1", "站前一队1号", "站前一队", "5")]


def test_before_any_individual_result_the_section_says_so(client, meet, shooting):
    section = honours_section(standings_page(client, meet))
    assert "No individual results yet." in section
    assert honours_rows(section) == []


def test_a_meet_without_individual_items_has_no_honours_section(client, meet):
    race = make_item(meet, name="毛毛虫竞速", result_type="time")
    heat = one_heat(race, enter_all(meet, race))
    record(heat, heat.lanes[0].entry, "41")
    db.session.commit()

    page = standings_page(client, meet)

    assert 'data-fragment="honours"' not in page
    assert "Individual honours" not in page


def test_the_live_refresh_brings_new_honours(client, auth, meet, shooting):
    item, entries, heat = shooting
    judge = make_user(roles=["judge"], name="裁判员")
    assign_referee(item, judge)
    db.session.commit()
    before = client.get(f"/events/{meet.event.id}/meet/standings.json").get_json()
    assert honours_rows(before["html"]["honours"]) == []

    auth.become(judge)
    form = {}
    for n, entry in enumerate(entries):
        form[f"h{heat.id}-rows-{n}-entry_id"] = entry.id
        form[f"h{heat.id}-rows-{n}-value"] = "6" if n == 5 else ""
        form[f"h{heat.id}-rows-{n}-outcome"] = "ok"
    response = client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/heats/{heat.id}", data=form
    )
    assert response.status_code == 303

    after = client.get(f"/events/{meet.event.id}/meet/standings.json").get_json()
    assert honours_rows(after["html"]["honours"]) == [("1", "站前三队2号", "站前三队", "6")]


def test_honours_cost_no_query_per_person(client, count_queries):
    counts, shown = [], []
    for teams, per_team in ((2, 1), (6, 5)):
        meet = make_meet(teams=[f"队{n}" for n in range(teams)], per_team=per_team)
        for name in ("定点投篮", "踢毽子"):
            item = make_item(meet, name=name, result_type="count", individual=True)
            entries = enter_people(meet, item, per_team)
            heat = one_heat(item, entries)
            for n, entry in enumerate(entries):
                record(heat, entry, n % 7)
        db.session.commit()
        standings_page(client, meet)
        with count_queries() as counter:
            page = standings_page(client, meet)
        shown.append(len(honours_rows(honours_section(page))))
        counts.append(counter.count)
    # Two people each in the small meet; four tied on the best count in each item of the large.
    assert shown == [2 * 2, 2 * 4]
    assert counts[0] == counts[1]
