"""Referees enter results on their own items; placings, points and standings follow at once;
corrections and disqualifications are audited; head-to-head brackets advance; the live board."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from eventsite.extensions import db
from eventsite.sportsmeet.models import (
    Entry,
    EntryMember,
    Heat,
    Item,
    Lane,
    Match,
    MeetSettings,
    Result,
)
from tests.factories import make_user
from tests.sportsmeet_factories import (
    assign_referee,
    audit_actions,
    enter_all,
    errors_beside,
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
    meet = make_meet()
    db.session.commit()
    return meet


@pytest.fixture
def judge(app):
    return make_user(roles=["judge"], name="裁判员")


@pytest.fixture
def race(meet, judge):
    """The caterpillar race: 4 teams in one heat, refereed by `judge`."""
    item = make_item(meet, name="毛毛虫竞速", result_type="time", second_attempt=True)
    entries = enter_all(meet, item)
    heat = one_heat(item, entries)
    assign_referee(item, judge)
    db.session.commit()
    return item, entries, heat


def sheet(heat, entries, rows: dict[int, dict]) -> dict:
    """Form data for a heat sheet: rows by entry index, in lane order."""
    data = {}
    for i, entry in enumerate(entries):
        prefix = f"h{heat.id}-rows-{i}-"
        row = rows.get(i, {})
        data[prefix + "entry_id"] = entry.id
        data[prefix + "value"] = row.get("value", "")
        data[prefix + "second_value"] = row.get("second", "")
        data[prefix + "outcome"] = row.get("outcome", "ok")
        data[prefix + "reason"] = row.get("reason", "")
    return data


def save(client, meet, item, heat, data):
    return client.post(f"/events/{meet.event.id}/meet/items/{item.id}/heats/{heat.id}", data=data)


def board(client, meet) -> dict:
    response = client.get(f"/events/{meet.event.id}/meet/standings.json")
    assert response.status_code == 200
    return response.get_json()


def points_by_team(client, meet) -> dict[str, str]:
    return {row["team"]: row["points"] for row in board(client, meet)["standings"]}


def results(heat) -> dict[int, Result]:
    db.session.rollback()
    return {
        r.entry_id: r
        for r in db.session.scalars(sa.select(Result).where(Result.heat_id == heat.id))
    }


# --- who may enter results -----------------------------------------------------------------------


def test_referee_opens_only_their_items(client, auth, meet, judge, race):
    item, entries, heat = race
    other = make_item(meet, name="跳长绳", result_type="count")
    other_heat = one_heat(other, enter_all(meet, other))
    other_judge = make_user(roles=["judge"])
    assign_referee(other, other_judge)
    db.session.commit()
    auth.become(judge)
    assert client.get(f"/events/{meet.event.id}/meet/items/{item.id}/referee").status_code == 200
    assert client.get(f"/events/{meet.event.id}/meet/items/{other.id}/referee").status_code == 403
    response = client.post(
        f"/events/{meet.event.id}/meet/items/{other.id}/heats/{other_heat.id}",
        data={f"h{other_heat.id}-rows-0-entry_id": "1", f"h{other_heat.id}-rows-0-value": "9"},
    )
    assert response.status_code == 403
    assert results(other_heat) == {}


def test_a_heat_of_another_item_is_not_found_through_ones_own_item(client, auth, meet, judge, race):
    item, entries, heat = race
    other = make_item(meet, name="跳长绳", result_type="count")
    other_heat = one_heat(other, enter_all(meet, other))
    db.session.commit()
    auth.become(judge)
    response = client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/heats/{other_heat.id}",
        data=sheet(other_heat, entries, {0: {"value": "9"}}),
    )
    assert response.status_code == 404
    assert results(other_heat) == {}


def test_a_member_who_lost_the_judge_role_may_no_longer_enter(client, auth, meet, judge, race):
    item, _entries, _heat = race
    judge.role_grants = []
    db.session.commit()
    auth.become(judge)
    assert client.get(f"/events/{meet.event.id}/meet/items/{item.id}/referee").status_code == 403


def test_anonymous_referee_page_asks_to_log_in(client, meet, race):
    item, _entries, _heat = race
    response = client.get(f"/events/{meet.event.id}/meet/items/{item.id}/referee")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- results → placings → standings --------------------------------------------------------------


def test_results_place_the_teams_and_the_standings_follow_at_once(client, auth, meet, judge, race):
    item, entries, heat = race
    auth.become(judge)
    page = client.get(f"/events/{meet.event.id}/meet/items/{item.id}/referee")
    assert f'name="h{heat.id}-rows-0-value"' in page.get_data(as_text=True)
    response = save(
        client,
        meet,
        item,
        heat,
        sheet(
            heat,
            entries,
            {
                0: {"value": "1:02.50"},
                1: {"value": "58.3", "second": "57.90"},  # the better attempt counts
                2: {"value": "1:05"},
            },
        ),
    )
    assert response.status_code == 303
    saved = results(heat)
    assert saved[entries[1].id].value == Decimal("58.3")
    assert saved[entries[1].id].second_value == Decimal("57.9")
    assert saved[entries[0].id].value == Decimal("62.5")
    assert saved[entries[0].id].entered_by_id == judge.id
    names = [t.name for t in meet.teams]
    assert points_by_team(client, meet) == {
        names[0]: "3",
        names[1]: "5",
        names[2]: "2",
        names[3]: "0",
    }
    data = board(client, meet)
    (race_board,) = data["items"]
    assert race_board["status"] == "in_progress"
    assert [(p["place"], p["result"]) for p in race_board["placings"][:3]] == [
        (1, "57.90"),
        (2, "1:02.50"),
        (3, "1:05.00"),
    ]
    # The fourth team finishes: all results are in, the item is provisional.
    full = {
        0: {"value": "1:02.50"},
        1: {"value": "58.3", "second": "57.90"},
        2: {"value": "1:05"},
        3: {"value": "59"},
    }
    assert save(client, meet, item, heat, sheet(heat, entries, full)).status_code == 303
    data = board(client, meet)
    assert data["items"][0]["status"] == "provisional"
    assert points_by_team(client, meet)[names[3]] == "3"
    assert data["latest"][0]["result"] == "59.00"


def test_ties_share_the_points_and_skip_the_next_place(client, auth, meet, judge, race):
    item, entries, heat = race
    auth.become(judge)
    save(
        client,
        meet,
        item,
        heat,
        sheet(
            heat,
            entries,
            {0: {"value": "50"}, 1: {"value": "50"}, 2: {"value": "55"}, 3: {"value": "60"}},
        ),
    )
    placings = board(client, meet)["items"][0]["placings"]
    assert [(p["place"], p["points"]) for p in placings] == [
        (1, "4"),
        (1, "4"),
        (3, "2"),
        (4, "1"),
    ]


def test_bad_values_are_refused_beside_the_field_and_nothing_is_saved(
    client, auth, meet, judge, race
):
    item, entries, heat = race
    auth.become(judge)
    response = save(
        client,
        meet,
        item,
        heat,
        sheet(
            heat,
            entries,
            {0: {"value": "1:5"}, 1: {"value": "50"}, 2: {"outcome": "dq"}, 3: {"value": "abc"}},
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "minutes:seconds" in errors_beside(page, f"h{heat.id}-rows-0-value")
    assert "minutes:seconds" in errors_beside(page, f"h{heat.id}-rows-3-value")
    assert results(heat) == {}


def test_a_disqualification_needs_a_reason(client, auth, meet, judge, race):
    item, entries, heat = race
    auth.become(judge)
    response = save(
        client, meet, item, heat, sheet(heat, entries, {0: {"value": "50"}, 2: {"outcome": "dq"}})
    )
    assert response.status_code == 400
    assert "reason for the disqualification" in errors_beside(
        response.get_data(as_text=True), f"h{heat.id}-rows-2-reason"
    )
    assert results(heat) == {}


def test_count_and_placing_items_take_numbers_and_places(client, auth, meet, judge):
    count_item = make_item(meet, name="跳长绳", result_type="count")
    placing_item = make_item(meet, name="车轮滚滚", result_type="placing")
    for item in (count_item, placing_item):
        assign_referee(item, judge)
    count_entries = enter_all(meet, count_item)
    placing_entries = enter_all(meet, placing_item)
    count_heat = one_heat(count_item, count_entries)
    placing_heat = one_heat(placing_item, placing_entries)
    db.session.commit()
    auth.become(judge)
    response = save(
        client,
        meet,
        count_item,
        count_heat,
        sheet(count_heat, count_entries, {0: {"value": "31"}, 1: {"value": "45"}}),
    )
    assert response.status_code == 303
    response = save(
        client,
        meet,
        placing_item,
        placing_heat,
        sheet(placing_heat, placing_entries, {0: {"value": "1.5"}}),
    )
    assert response.status_code == 400
    assert "whole number" in errors_beside(
        response.get_data(as_text=True), f"h{placing_heat.id}-rows-0-value"
    )
    save(
        client,
        meet,
        placing_item,
        placing_heat,
        sheet(placing_heat, placing_entries, {0: {"value": "2"}, 1: {"value": "1"}}),
    )
    items = {i["name"]: i for i in board(client, meet)["items"]}
    assert [p["place"] for p in items["跳长绳"]["placings"][:2]] == [1, 2]
    assert items["跳长绳"]["placings"][0]["team_id"] == meet.teams[1].id
    assert items["车轮滚滚"]["placings"][0]["team_id"] == meet.teams[1].id


def test_a_second_attempt_is_refused_where_the_item_allows_none(client, auth, meet, judge):
    item = make_item(meet, name="投篮", result_type="count")
    entries = enter_all(meet, item)
    heat = one_heat(item, entries)
    assign_referee(item, judge)
    db.session.commit()
    auth.become(judge)
    response = save(
        client, meet, item, heat, sheet(heat, entries, {0: {"value": "3", "second": "4"}})
    )
    assert response.status_code == 400
    assert results(heat) == {}


# --- corrections, DQ, undo ----------------------------------------------------------------------


def test_correction_dq_and_undo_are_audited_and_recomputed(client, auth, meet, judge, race):
    item, entries, heat = race
    auth.become(judge)
    times = {0: {"value": "50"}, 1: {"value": "51"}, 2: {"value": "52"}, 3: {"value": "53"}}
    save(client, meet, item, heat, sheet(heat, entries, times))
    names = [t.name for t in meet.teams]
    assert points_by_team(client, meet)[names[0]] == "5"

    # A change without a reason is refused beside the reason field.
    response = save(client, meet, item, heat, sheet(heat, entries, times | {0: {"value": "54"}}))
    assert response.status_code == 400
    assert "reason for the correction" in errors_beside(
        response.get_data(as_text=True), f"h{heat.id}-rows-0-reason"
    )
    assert results(heat)[entries[0].id].value == Decimal(50)

    # Correction: team 1 was timed wrongly and is now last.
    response = save(
        client,
        meet,
        item,
        heat,
        sheet(heat, entries, times | {0: {"value": "54", "reason": "计时员看错秒表"}}),
    )
    assert response.status_code == 303
    assert points_by_team(client, meet) == {
        names[0]: "1",
        names[1]: "5",
        names[2]: "3",
        names[3]: "2",
    }

    # DQ: team 2 loses its win and scores nothing.
    dq = times | {0: {"value": "54"}, 1: {"outcome": "dq", "reason": "抢跑"}}
    assert save(client, meet, item, heat, sheet(heat, entries, dq)).status_code == 303
    assert points_by_team(client, meet) == {
        names[0]: "2",
        names[1]: "0",
        names[2]: "5",
        names[3]: "3",
    }
    assert results(heat)[entries[1].id].reason == "抢跑"

    # Undo the DQ after the video: the original time counts again.
    undo = times | {0: {"value": "54"}, 1: {"value": "51", "reason": "录像显示未抢跑"}}
    assert save(client, meet, item, heat, sheet(heat, entries, undo)).status_code == 303
    assert points_by_team(client, meet)[names[1]] == "5"

    actions = [(a, d) for a, d in audit_actions(meet.event) if a.startswith("meet.result_")]
    assert [a for a, _d in actions] == [
        "meet.result_correct",
        "meet.result_dq",
        "meet.result_undo_dq",
    ]
    assert "50.00 → 54.00" in actions[0][1] and "计时员看错秒表" in actions[0][1]
    assert "抢跑" in actions[1][1]
    assert "录像显示未抢跑" in actions[2][1]


def test_final_results_cannot_be_changed_by_the_referee(client, auth, meet, judge, race):
    item, entries, heat = race
    record(heat, entries[0], "50")
    item.finalized_at = item.event.starts_at
    db.session.commit()
    auth.become(judge)
    response = save(
        client, meet, item, heat, sheet(heat, entries, {0: {"value": "40", "reason": "改"}})
    )
    assert response.status_code == 409
    assert results(heat)[entries[0].id].value == Decimal(50)
    assert board(client, meet)["items"][0]["status"] == "final"


def test_a_final_heat_decides_the_placings(client, auth, meet, judge):
    item = make_item(meet, name="接力", result_type="time")
    entries = enter_all(meet, item)
    heat1 = Heat(item_id=item.id, number=1)
    heat1.lanes = [Lane(entry_id=e.id, lane=i + 1) for i, e in enumerate(entries)]
    final = Heat(item_id=item.id, number=2, is_final=True)
    final.lanes = [Lane(entry_id=entries[2].id, lane=1), Lane(entry_id=entries[3].id, lane=2)]
    db.session.add_all([heat1, final])
    db.session.flush()
    for entry, time in zip(entries, ["40", "41", "42", "43"], strict=True):
        record(heat1, entry, time)
    db.session.commit()
    (item_board,) = board(client, meet)["items"]
    assert item_board["placings"][0]["team_id"] == meet.teams[0].id
    record(final, entries[3], "39")
    record(final, entries[2], "44")
    db.session.commit()
    (item_board,) = board(client, meet)["items"]
    assert [(p["team_id"], p["place"]) for p in item_board["placings"]] == [
        (meet.teams[3].id, 1),
        (meet.teams[2].id, 2),
    ]


# --- head-to-head --------------------------------------------------------------------------------


def _tug_of_war(meet, judge, match_format):
    item = make_item(meet, name="拔河", result_type="head_to_head", match_format=match_format)
    entries = enter_all(meet, item)
    assign_referee(item, judge)
    db.session.commit()
    return item, entries


def _matches(item):
    db.session.rollback()
    return {
        (m.round, m.slot): m
        for m in db.session.scalars(sa.select(Match).where(Match.item_id == item.id))
    }


def decide(client, meet, item, match, winner, reason=""):
    return client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/matches/{match.id}",
        data={f"m{match.id}-winner": winner, f"m{match.id}-reason": reason},
    )


def test_knockout_winners_advance_and_the_bracket_places_the_teams(client, auth, meet, judge):
    item, entries = _tug_of_war(meet, judge, "knockout")
    auth.become(meet.organizer)
    assert client.post(f"/events/{meet.event.id}/meet/items/{item.id}/draw").status_code == 303
    auth.become(judge)
    m = _matches(item)
    assert set(m) == {(1, 0), (1, 1), (2, 0), (2, 1)}  # semifinals, final, third place
    assert decide(client, meet, item, m[(1, 0)], "home").status_code == 303
    assert decide(client, meet, item, m[(1, 1)], "away").status_code == 303
    m = _matches(item)
    final, third = m[(2, 0)], m[(2, 1)]
    assert {final.home_entry_id, final.away_entry_id} == {
        m[(1, 0)].home_entry_id,
        m[(1, 1)].away_entry_id,
    }
    assert {third.home_entry_id, third.away_entry_id} == {
        m[(1, 0)].away_entry_id,
        m[(1, 1)].home_entry_id,
    }
    assert board(client, meet)["items"][0]["status"] == "in_progress"
    decide(client, meet, item, final, "home")
    decide(client, meet, item, third, "away")
    (tug,) = board(client, meet)["items"]
    assert tug["status"] == "provisional"
    places = {p["team_id"]: (p["place"], p["points"]) for p in tug["placings"]}
    team_of = {e.id: e.team_id for e in entries}
    assert places[team_of[final.home_entry_id]] == (1, "5")
    assert places[team_of[final.away_entry_id]] == (2, "3")
    assert places[team_of[third.away_entry_id]] == (3, "2")
    assert places[team_of[third.home_entry_id]] == (4, "1")


def test_a_knockout_cannot_be_drawn_nor_corrected_out_of_order(client, auth, meet, judge):
    item, _entries = _tug_of_war(meet, judge, "knockout")
    auth.become(meet.organizer)
    client.post(f"/events/{meet.event.id}/meet/items/{item.id}/draw")
    auth.become(judge)
    m = _matches(item)
    response = decide(client, meet, item, m[(1, 0)], "draw")
    assert response.status_code == 400
    decide(client, meet, item, m[(1, 0)], "home")
    decide(client, meet, item, m[(1, 1)], "home")
    decide(client, meet, item, _matches(item)[(2, 0)], "home")
    # Correcting a semifinal after the final was decided must start with the final.
    response = decide(client, meet, item, _matches(item)[(1, 0)], "away", reason="裁判改判")
    assert response.status_code == 400
    assert "correct that match first" in response.get_data(as_text=True)
    assert _matches(item)[(1, 0)].winner_entry_id == m[(1, 0)].home_entry_id


def test_correcting_a_knockout_result_needs_a_reason_and_moves_the_winner_on(
    client, auth, meet, judge
):
    item, _entries = _tug_of_war(meet, judge, "knockout")
    auth.become(meet.organizer)
    client.post(f"/events/{meet.event.id}/meet/items/{item.id}/draw")
    auth.become(judge)
    semi = _matches(item)[(1, 0)]
    decide(client, meet, item, semi, "home")
    response = decide(client, meet, item, semi, "away")
    assert response.status_code == 400
    assert "reason for the correction" in errors_beside(
        response.get_data(as_text=True), f"m{semi.id}-reason"
    )
    assert decide(client, meet, item, semi, "away", reason="绳标过线").status_code == 303
    final = _matches(item)[(2, 0)]
    assert final.home_entry_id == semi.away_entry_id
    assert [a for a, _d in audit_actions(meet.event) if a == "meet.match_correct"] == [
        "meet.match_correct"
    ]


def test_round_robin_draws_count_and_the_table_places_the_teams(client, auth, meet, judge):
    item, entries = _tug_of_war(meet, judge, "round_robin")
    auth.become(meet.organizer)
    client.post(f"/events/{meet.event.id}/meet/items/{item.id}/draw")
    auth.become(judge)
    strength = {e.id: i for i, e in enumerate(entries)}  # a later team always wins
    matches = list(_matches(item).values())
    for match in matches[:-1]:
        winner = "home" if strength[match.home_entry_id] > strength[match.away_entry_id] else "away"
        assert decide(client, meet, item, match, winner).status_code == 303
    assert board(client, meet)["items"][0]["placings"] == []  # no points until all are played
    last = matches[-1]
    assert decide(client, meet, item, last, "draw").status_code == 303
    page = client.get(f"/events/{meet.event.id}/meet/items/{item.id}").get_data(as_text=True)
    assert "Match points" in page
    (tug,) = board(client, meet)["items"]
    assert tug["status"] == "provisional"
    assert len([p for p in tug["placings"] if p["place"] is not None]) == 4


# --- the live board -------------------------------------------------------------------------------


def test_standings_page_refreshes_from_the_json_fragments(client, meet, race):
    item, entries, heat = race
    record(heat, entries[3], "45")
    db.session.commit()
    page = client.get(f"/events/{meet.event.id}/meet").get_data(as_text=True)
    assert f'data-source="/events/{meet.event.id}/meet/standings.json?fragments=page"' in page
    assert "js/standings.js" in page
    assert '<table class="standings-table">' in page  # fragments are markup, not text
    data = board(client, meet)
    assert data["standings"][0] == {
        "team": meet.teams[3].name,
        "team_id": meet.teams[3].id,
        "rank": 1,
        "points": "5",
        "points_exact": "5",
        "places": [1, 0, 0, 0],  # one count per place of the 5-3-2-1 table
    }
    assert data["medals"][0]["gold"] == 0  # provisional: medals wait for final results
    assert meet.teams[3].name in data["html"]["standings"]
    assert "<table" in data["html"]["medals"]


def test_big_screen_rotates_between_standings_and_latest_results(client, meet, race):
    item, entries, heat = race
    record(heat, entries[0], "45")
    db.session.commit()
    page = client.get(f"/events/{meet.event.id}/meet/screen").get_data(as_text=True)
    assert 'class="meet-screen"' in page
    assert 'data-rotate="15"' in page
    assert page.count("data-panel") == 2
    assert '<ol class="latest-results">' in page
    assert "45.00" in page


def test_item_page_says_not_started_before_any_result(client, meet, race):
    item, _entries, _heat = race
    page = client.get(f"/events/{meet.event.id}/meet/items/{item.id}").get_data(as_text=True)
    assert "item-not_started" in page


def test_points_table_and_multiplier_apply(client, meet, race):
    item, entries, heat = race
    item.multiplier = Decimal(2)
    db.session.add(MeetSettings(event_id=meet.event.id, points_table="10,6,3"))
    for entry, time in zip(entries, ["41", "42", "43", "44"], strict=True):
        record(heat, entry, time)
    db.session.commit()
    points = [row["points"] for row in board(client, meet)["standings"]]
    assert points == ["20", "12", "6", "0"]


def _bigger_meet(teams: int, items: int, per_team: int):
    meet = make_meet(teams=[f"队{i}" for i in range(teams)], per_team=per_team)
    for n in range(items):
        item = make_item(meet, name=f"项目{n}", individual=n % 2 == 1, max_members=per_team)
        entries = []
        for team in meet.teams:
            for reg in meet.members[team.id][: (per_team if item.individual else 1)]:
                entry = Entry(item_id=item.id, team_id=team.id)
                db.session.add(entry)
                db.session.flush()
                db.session.add(EntryMember(entry_id=entry.id, registration_id=reg.id))
                entries.append(entry)
        heat = one_heat(item, entries)
        for i, entry in enumerate(entries):
            record(heat, entry, 40 + i % 7)
    db.session.commit()
    return meet


@pytest.mark.parametrize("path", ["", "/standings.json", "/screen"])
def test_the_board_costs_the_same_queries_for_small_and_large_meets(
    app, client, count_queries, path
):
    small = _bigger_meet(teams=2, items=1, per_team=1)
    large = _bigger_meet(teams=6, items=8, per_team=4)
    counts = []
    for meet in (small, large):
        client.get(f"/events/{meet.event.id}/meet{path}")  # warm up
        with count_queries() as counter:
            response = client.get(f"/events/{meet.event.id}/meet{path}")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert counts[1] <= 15


@pytest.mark.parametrize("page", ["", "/referee", "/edit", "/print"])
def test_item_pages_have_bounded_queries(app, client, auth, count_queries, page):
    small = _bigger_meet(teams=2, items=1, per_team=1)
    large = _bigger_meet(teams=8, items=1, per_team=6)
    auth.become(make_user(roles=["admin"]))
    db.session.commit()
    counts = []
    for meet in (small, large):
        item_id = db.session.scalar(sa.select(Item.id).where(Item.event_id == meet.event.id))
        url = f"/events/{meet.event.id}/meet/items/{item_id}{page}"
        client.get(url)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_captain_and_setup_pages_have_bounded_queries(app, client, auth, count_queries):
    small = _bigger_meet(teams=2, items=1, per_team=1)
    large = _bigger_meet(teams=8, items=6, per_team=6)
    auth.become(make_user(roles=["admin"]))
    db.session.commit()
    for template in ("/events/{e}/meet/teams/{t}/entries", "/events/{e}/meet/setup"):
        counts = []
        for meet in (small, large):
            url = template.format(e=meet.event.id, t=meet.teams[0].id)
            client.get(url)
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        assert counts[0] == counts[1], template


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True, "BABEL_DEFAULT_LOCALE": "en"}])
def test_the_referee_sheet_carries_its_csrf_token(client, auth, meet, judge, race):
    import re

    item, entries, heat = race
    auth.become(judge)
    page = client.get(f"/events/{meet.event.id}/meet/items/{item.id}/referee").get_data(
        as_text=True
    )
    token = re.search(rf'name="h{heat.id}-csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "the heat sheet has no CSRF field"
    data = sheet(heat, entries, {0: {"value": "50"}})
    assert save(client, meet, item, heat, data).status_code == 400
    assert results(heat) == {}
    data[f"h{heat.id}-csrf_token"] = token.group(1)
    assert save(client, meet, item, heat, data).status_code == 303
    assert results(heat)[entries[0].id].value == Decimal(50)


# --- every result entered is in the event's audit log ---------------------------------------------


def audit_by(event, prefix: str) -> list[tuple[str, str, int | None]]:
    """(action, detail, actor id) of the event's audit entries whose action starts with prefix."""
    from eventsite.core.models import AuditEntry

    db.session.rollback()
    return [
        (entry.action, entry.detail, entry.actor_id)
        for entry in db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.event_id == event.id, AuditEntry.action.like(prefix + "%"))
            .order_by(AuditEntry.id)
        )
    ]


def test_every_result_a_referee_enters_is_audited_with_who_and_what(
    client, auth, meet, judge, race
):
    item, entries, heat = race
    auth.become(judge)
    names = [t.name for t in meet.teams]
    rows = {
        0: {"value": "1:02.50", "second": "59.10"},
        1: {"outcome": "dnf", "reason": "摔倒"},
        2: {"outcome": "dq", "reason": "抢跑"},
        3: {"value": "50"},
    }
    assert save(client, meet, item, heat, sheet(heat, entries, rows)).status_code == 303
    logged = audit_by(meet.event, "meet.result")
    assert [(action, actor) for action, _detail, actor in logged] == [
        ("meet.result", judge.id),
        ("meet.result", judge.id),
        ("meet.result_dq", judge.id),
        ("meet.result", judge.id),
    ]
    details = [detail for _action, detail, _actor in logged]
    assert details[0] == f"毛毛虫竞速, heat 1, {names[0]}: 1:02.50 / 59.10"
    assert details[1] == f"毛毛虫竞速, heat 1, {names[1]}: Did not finish; reason: 摔倒"
    assert "抢跑" in details[2] and names[2] in details[2]
    assert details[3] == f"毛毛虫竞速, heat 1, {names[3]}: 50.00"
    # Saving the same sheet again changes nothing and logs nothing.
    assert save(client, meet, item, heat, sheet(heat, entries, rows)).status_code == 303
    assert len(audit_by(meet.event, "meet.result")) == 4
    # The organizer reads them in the event's audit log, under a title.
    auth.become(meet.organizer)
    page = client.get(f"/events/{meet.event.id}/audit").get_data(as_text=True)
    assert page.count('<td class="audit-action">Result entered</td>') == 3
    assert f"{names[3]}: 50.00" in page


def test_every_match_result_is_audited_from_the_first(client, auth, meet, judge):
    item, entries = _tug_of_war(meet, judge, "knockout")
    auth.become(meet.organizer)
    client.post(f"/events/{meet.event.id}/meet/items/{item.id}/draw")
    auth.become(judge)
    semi = _matches(item)[(1, 0)]
    names = {e.id: e.team.name for e in entries}
    assert decide(client, meet, item, semi, "home").status_code == 303
    assert decide(client, meet, item, semi, "away", reason="绳标过线").status_code == 303
    logged = audit_by(meet.event, "meet.match")
    assert [(action, actor) for action, _detail, actor in logged] == [
        ("meet.match_result", judge.id),
        ("meet.match_correct", judge.id),
    ]
    home, away = names[semi.home_entry_id], names[semi.away_entry_id]
    assert logged[0][1] == f"拔河, round 1: {home} – {away}: {home} won"


# --- a heat saved with a result missing says so ---------------------------------------------------


def test_a_heat_saved_with_a_result_missing_warns_and_names_who(client, auth, meet, judge, race):
    item, entries, heat = race
    auth.become(judge)
    names = [t.name for t in meet.teams]
    rows = {0: {"value": "50"}, 2: {"outcome": "dnf"}}
    response = save(client, meet, item, heat, sheet(heat, entries, rows))
    # Saved (results come in as teams finish), but not without a word.
    assert response.status_code == 303
    assert set(results(heat)) == {entries[0].id, entries[2].id}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    (warning,) = re.findall(r'<p class="flash flash-warning"[^>]*>(.*?)</p>', page, re.S)
    assert "Heat 1" in warning and "still has no result" in warning
    assert names[1] in warning and names[3] in warning
    assert names[0] not in warning and names[2] not in warning  # the DNF is a result
    # Beside each row still empty, on the sheet itself.
    marks = re.findall(
        r'<legend>\d+\. ([^<]*)</legend>(?:(?!</fieldset>).)*?class="missing-result"', page, re.S
    )
    assert marks == [names[1], names[3]]
    # The item stays "in progress" until every lane has its result.
    assert board(client, meet)["items"][0]["status"] == "in_progress"

    # Completing the heat: no warning any more.
    rows |= {1: {"value": "52"}, 3: {"value": "53"}}
    response = save(client, meet, item, heat, sheet(heat, entries, rows))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-warning" not in page and 'class="missing-result"' not in page
    assert board(client, meet)["items"][0]["status"] == "provisional"

    # A result taken back (with the reason a change needs) is missing again, and named.
    rows[3] = {"reason": "计时有误，重新录入"}
    response = save(client, meet, item, heat, sheet(heat, entries, rows))
    assert entries[3].id not in results(heat)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    (warning,) = re.findall(r'<p class="flash flash-warning"[^>]*>(.*?)</p>', page, re.S)
    assert names[3] in warning and names[1] not in warning


def test_an_untouched_heat_is_not_reported_as_missing_results(client, auth, meet, judge, race):
    item, entries, heat = race
    auth.become(judge)
    response = save(client, meet, item, heat, sheet(heat, entries, {}))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing changed in heat 1" in page
    assert "flash-warning" not in page and 'class="missing-result"' not in page


def test_a_heat_save_names_entries_as_the_board_does(app, meet):
    """`entry_labels` (what a referee's save names in its audit lines and messages) gives each
    entry the label the board gives it, in an individual item and in a team item."""
    from eventsite.sportsmeet import service

    individual = make_item(meet, name="跳远", result_type="distance", individual=True)
    team_item = make_item(meet, name="拔河", result_type="placing", max_members=3)
    entries = enter_all(meet, individual) + enter_all(meet, team_item, members_per_entry=2)
    db.session.commit()
    board = service.load_board(meet.event)
    for item in (individual, team_item):
        ids = [e.id for e in entries if e.item_id == item.id]
        labels = service.entry_labels(item, ids)
        assert labels == {entry_id: board.labels[entry_id] for entry_id in ids}
    first = next(e for e in entries if e.item_id == individual.id)
    assert service.entry_labels(individual, [first.id]) == {first.id: "站前一队1号（站前一队）"}
    # An entry of another item is not named through this one.
    assert service.entry_labels(team_item, [first.id]) == {}
